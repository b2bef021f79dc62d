package authorizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/iampolicy"
)

// answer is a function's parsed answer: the result to admit requests with and the policy
// that decides which.
type answer struct {
	result *invoke.AuthorizerResult // shared by cache hits: read-only
	policy *iampolicy.Policy
	// Doc is the policyDocument's JSON text (TestInvokeAuthorizer's policy).
	doc string
	// fresh is result with the call's integration latency, for the request that called.
	fresh invoke.AuthorizerResult

	mu       sync.RWMutex
	verdicts map[string]iampolicy.Decision // by the method ARN's "{VERB}{path}" (decideCached)
}

// maxContextKeys bounds the context a function may return; AWS documents no number, and
// the proxy event and $context.authorizer carry them all.
const maxContextKeys = 256

// MaxAnswerBytes is AWS's quota on a Lambda authorizer's result: 8 KB (API Gateway quotas,
// "Lambda authorizer result size"). A larger answer is not an authorizer's answer.
const MaxAnswerBytes = 8 << 10

// parseAnswer reads a Lambda authorizer's output (AWS's api-gateway-lambda-authorizer-output):
// {"principalId": string, "policyDocument": {...}, "context": {key: string|number|boolean},
// "usageIdentifierKey": string}. A missing principalId or policyDocument, a policy IAM
// cannot parse, or a context value that is an object or array is an error: AWS answers 500
// AuthorizerConfigurationException. A null context value is kept, as AWS passes it on as
// null (recorded in DefinitelyTyped#69823's discussion of the proxy event). An answer over
// MaxAnswerBytes is an error too.
func parseAnswer(out []byte) (*answer, error) {
	if len(out) > MaxAnswerBytes {
		return nil, fmt.Errorf("the answer is %d bytes, over the %d bytes of AWS's quota", len(out), MaxAnswerBytes)
	}
	var raw struct {
		PrincipalID        *string         `json:"principalId"`
		PolicyDocument     json.RawMessage `json:"policyDocument"`
		Context            json.RawMessage `json:"context"`
		UsageIdentifierKey *string         `json:"usageIdentifierKey"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object of principalId, policyDocument, context and usageIdentifierKey: %w", err)
	}
	if raw.PrincipalID == nil {
		return nil, errors.New("no principalId")
	}
	doc := bytes.TrimSpace(raw.PolicyDocument)
	if len(doc) == 0 || string(doc) == "null" {
		return nil, errors.New("no policyDocument")
	}
	policy, err := iampolicy.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("policyDocument: %w", err)
	}
	res := &invoke.AuthorizerResult{PrincipalID: *raw.PrincipalID}
	if raw.UsageIdentifierKey != nil {
		res.UsageIdentifierKey = *raw.UsageIdentifierKey
	}
	if res.Context, err = parseContext(raw.Context); err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc); err != nil {
		return nil, fmt.Errorf("policyDocument: %w", err)
	}
	return &answer{result: res, policy: policy, doc: compact.String()}, nil
}

// parseContext reads the context object in the function's key order, each value's JSON
// text kept as it came (a string, number, boolean or null).
func parseContext(raw json.RawMessage) ([]invoke.AuthorizerValue, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out []invoke.AuthorizerValue
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		switch c := v[0]; {
		case c == '{' || c == '[':
			return nil, fmt.Errorf("%q: the value is an object or array; AWS takes a string, number or boolean", key)
		}
		if len(out) == maxContextKeys {
			return nil, fmt.Errorf("more than %d keys", maxContextKeys)
		}
		out = append(out, invoke.AuthorizerValue{Key: key, Value: string(v)})
	}
	return out, nil
}

// ErrorMessage is the errorMessage of a function's error document, "" when it has none.
func ErrorMessage(out []byte) string {
	var doc struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(out, &doc) != nil {
		return ""
	}
	return doc.ErrorMessage
}

// AppendTokenEvent appends a TOKEN authorizer's event, AWS's three keys in AWS's order
// (api-gateway-lambda-authorizer-input): {"type":"TOKEN","authorizationToken":...,
// "methodArn":...}.
func AppendTokenEvent(b []byte, token, methodARN string) []byte {
	b = append(b, `{"type":"TOKEN","authorizationToken":`...)
	b = invoke.AppendJSONString(b, token)
	b = append(b, `,"methodArn":`...)
	b = invoke.AppendJSONString(b, methodARN)
	return append(b, '}')
}
