// Package policy is the resource policy stage of REST API methods: the API's resource
// policy (RestApi.policy, as the deployment's snapshot holds it) evaluated on
// execute-api:Invoke for each request and combined with the method's authorization by
// AWS's policy evaluation outcome tables ("How API Gateway resource policies affect
// authorization workflow", Tables A and B):
//
//	caller's side (IAM policy,          resource policy      same account   other account
//	Lambda or Cognito authorizer)
//	Allow                               Allow                Allow          Allow
//	Allow                               neither              Allow          implicit deny
//	Allow                               Deny                 explicit deny  explicit deny
//	neither                             Allow                Allow          implicit deny
//	neither                             neither              implicit deny  implicit deny
//	neither                             Deny                 explicit deny  explicit deny
//	Deny                                any                  explicit deny  explicit deny
//
// A method without authorization (NONE) is the "neither" row: the policy must allow. A
// Lambda or Cognito authorizer that admitted the request is the "Allow" row; a Lambda
// authorizer's method also has the policy checked for an explicit deny before the
// authorizer runs (Pre), so a denied caller never reaches the function.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/iampolicy"
)

// Action is the one action a REST API's resource policy is evaluated on.
const Action = "execute-api:Invoke"

// Evaluator is what the stage needs of a parsed policy; *iampolicy.Policy is one.
type Evaluator interface {
	Evaluate(r *iampolicy.Request) iampolicy.Decision
}

var _ Evaluator = (*iampolicy.Policy)(nil)

// API names the API a policy belongs to: the parts of its execute-api ARN.
type API struct {
	Partition string // "aws" when empty
	Region    string
	AccountID string
	ID        string
}

// arnPrefix is the API's execute-api ARN without a stage: arn:aws:execute-api:{region}:{account}:{id}.
func (a API) arnPrefix() string {
	p := a.Partition
	if p == "" {
		p = "aws"
	}
	return "arn:" + p + ":execute-api:" + a.Region + ":" + a.AccountID + ":" + a.ID
}

// Document returns the JSON text of a policy as the store holds it. AWS answers a REST API's
// policy, and gatehouse stores it, as the body of a JSON string ({\"Version\":...}: see
// internal/mgmt/policy.go); a policy stored as plain JSON (an import's) is taken as is.
func Document(stored string) []byte {
	var s string
	if err := json.Unmarshal([]byte(`"`+stored+`"`), &s); err == nil {
		return []byte(s)
	}
	return []byte(stored)
}

// Parse parses the API's stored policy: unescaped (Document), its execute-api shorthand
// resources expanded to the API's ARN (Expand), then parsed by iampolicy.
func Parse(stored string, api API) (*iampolicy.Policy, error) {
	doc, err := Expand(Document(stored), api)
	if err != nil {
		return nil, err
	}
	p, err := iampolicy.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("resource policy: %w", err)
	}
	return p, nil
}

// Expand rewrites the "execute-api:" shorthand of every statement's Resource and NotResource
// to the API's full ARN, as AWS does when a policy is saved: "execute-api:/*" is
// arn:aws:execute-api:{region}:{account}:{apiId}/*, and "execute-api:/prod/GET/pets" is
// .../{apiId}/prod/GET/pets ([A] apigateway-resource-policies-examples: "You can also use
// abbreviated syntax, which API Gateway automatically expands to the full ARN when you save
// a resource policy"). A document without the shorthand is returned unchanged.
func Expand(doc []byte, api API) ([]byte, error) {
	if !bytes.Contains(doc, []byte(`execute-api:`)) {
		return doc, nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("resource policy: %w", err)
	}
	if m == nil {
		return nil, errors.New("resource policy: not a JSON object")
	}
	prefix := api.arnPrefix()
	expand := func(st map[string]any) {
		for _, k := range []string{"Resource", "NotResource"} {
			switch v := st[k].(type) {
			case string:
				st[k] = expandResource(v, prefix)
			case []any:
				for i, x := range v {
					if s, ok := x.(string); ok {
						v[i] = expandResource(s, prefix)
					}
				}
			}
		}
	}
	switch sts := m["Statement"].(type) {
	case map[string]any:
		expand(sts)
	case []any:
		for _, x := range sts {
			if st, ok := x.(map[string]any); ok {
				expand(st)
			}
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("resource policy: %w", err)
	}
	return bytes.TrimSpace(out.Bytes()), nil
}

// expandResource expands one resource: "execute-api:/{stage}/{verb}/{path}" (or
// "execute-api:/*") to the API's ARN; anything else is kept.
func expandResource(r, prefix string) string {
	rest, ok := strings.CutPrefix(r, "execute-api:")
	if !ok || !strings.HasPrefix(rest, "/") {
		return r
	}
	return prefix + rest
}
