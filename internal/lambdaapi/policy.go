package lambdaapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/lambda"
)

var (
	statementIDRE = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)
	actionRE      = regexp.MustCompile(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`)
)

// addPermissionRequest is AddPermissionRequest.
type addPermissionRequest struct {
	StatementId         string `json:"StatementId"`
	Action              string `json:"Action"`
	Principal           string `json:"Principal"`
	SourceArn           string `json:"SourceArn"`
	SourceAccount       string `json:"SourceAccount"`
	EventSourceToken    string `json:"EventSourceToken"`
	RevisionId          string `json:"RevisionId"`
	PrincipalOrgID      string `json:"PrincipalOrgID"`
	FunctionUrlAuthType string `json:"FunctionUrlAuthType"`
}

// AddPermission: POST /2015-03-31/functions/{FunctionName}/policy → 201 {"Statement": "<the
// statement as a JSON string>"}.
func (s *Server) AddPermission(ctx context.Context, c *call) error {
	var in addPermissionRequest
	if err := decode(c.body, &in); err != nil {
		return err
	}
	var p []string
	switch {
	case in.StatementId == "":
		p = append(p, "Value null at 'statementId' failed to satisfy constraint: Member must not be null")
	case len(in.StatementId) > 100 || !statementIDRE.MatchString(in.StatementId):
		p = append(p, fmt.Sprintf("Value '%s' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)", in.StatementId))
	}
	switch {
	case in.Action == "":
		p = append(p, "Value null at 'action' failed to satisfy constraint: Member must not be null")
	case !actionRE.MatchString(in.Action):
		p = append(p, fmt.Sprintf("Value '%s' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])", in.Action))
	}
	switch {
	case in.Principal == "":
		p = append(p, "Value null at 'principal' failed to satisfy constraint: Member must not be null")
	case strings.ContainsAny(in.Principal, " \t\r\n"):
		p = append(p, fmt.Sprintf("Value '%s' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+", in.Principal))
	}
	if in.SourceAccount != "" && !regexp.MustCompile(`^\d{12}$`).MatchString(in.SourceAccount) {
		p = append(p, fmt.Sprintf("Value '%s' at 'sourceAccount' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}", in.SourceAccount))
	}
	if in.SourceArn != "" && !strings.HasPrefix(in.SourceArn, "arn:") {
		p = append(p, fmt.Sprintf("Value '%s' at 'sourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)", in.SourceArn))
	}
	if err := validation(p); err != nil {
		return err
	}
	fn, ref, err := s.functionRef(ctx, c)
	if err != nil {
		return err
	}
	st := lambda.Statement{
		Sid:       in.StatementId,
		Effect:    "Allow",
		Principal: lambda.NewPrincipal(in.Principal),
		Action:    in.Action,
		Resource:  fn.Configuration.FunctionArn,
	}
	if ref.Qualifier != "" {
		st.Resource += ":" + ref.Qualifier
	}
	cond := map[string]map[string]string{}
	add := func(op, key, value string) {
		if value == "" {
			return
		}
		if cond[op] == nil {
			cond[op] = map[string]string{}
		}
		cond[op][key] = value
	}
	add("ArnLike", "AWS:SourceArn", in.SourceArn)
	add("StringEquals", "AWS:SourceAccount", in.SourceAccount)
	add("StringEquals", "aws:PrincipalOrgID", in.PrincipalOrgID)
	add("StringEquals", "lambda:EventSourceToken", in.EventSourceToken)
	add("StringEquals", "lambda:FunctionUrlAuthType", in.FunctionUrlAuthType)
	if len(cond) > 0 {
		st.Condition = cond
	}
	_, err = s.cfg.Registry.Update(ctx, fn.Configuration.FunctionName, in.RevisionId, policyChange(ref), func(f *lambda.Function) error {
		pol := f.PolicyOf(ref.Qualifier)
		if pol == nil {
			return notFound("Function not found: %s", st.Resource)
		}
		if slices.ContainsFunc(*pol, func(x lambda.Statement) bool { return x.Sid == in.StatementId }) {
			return conflict("The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", in.StatementId)
		}
		*pol = append(*pol, st)
		return nil
	})
	if err != nil {
		return s.registryError(err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusCreated, struct {
		Statement string `json:"Statement"`
	}{string(b)})
	return nil
}

// RemovePermission: DELETE /2015-03-31/functions/{FunctionName}/policy/{StatementId} → 204.
func (s *Server) RemovePermission(ctx context.Context, c *call) error {
	ref, err := s.ref(c)
	if err != nil {
		return err
	}
	sid := c.r.PathValue("StatementId")
	_, err = s.cfg.Registry.Update(ctx, ref.Name, c.r.URL.Query().Get("RevisionId"), policyChange(ref), func(f *lambda.Function) error {
		pol := f.PolicyOf(ref.Qualifier)
		if pol == nil {
			return notFound("Function not found: %s", s.cfg.Registry.Scope().QualifiedARN(ref.Name, ref.Qualifier))
		}
		i := slices.IndexFunc(*pol, func(x lambda.Statement) bool { return x.Sid == sid })
		if i < 0 {
			return notFound("Statement %s is not found in resource policy.", sid)
		}
		*pol = slices.Delete(*pol, i, i+1)
		return nil
	})
	if err != nil {
		return s.registryError(err)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// GetPolicy: GET /2015-03-31/functions/{FunctionName}/policy → {"Policy": "<the policy as a
// JSON string>", "RevisionId"}. A function without statements has no policy: 404.
func (s *Server) GetPolicy(ctx context.Context, c *call) error {
	fn, ref, err := s.functionRef(ctx, c)
	if err != nil {
		return err
	}
	// The qualifier's own policy and revision: a version's or an alias's.
	view := *fn
	view.Policy = *fn.PolicyOf(ref.Qualifier)
	revision := fn.Configuration.RevisionId
	if v := fn.Version(ref.Qualifier); v != nil {
		revision = v.Configuration.RevisionId
	} else if a := fn.Alias(ref.Qualifier); a != nil {
		revision = a.Configuration.RevisionId
	}
	doc := view.PolicyDocument()
	if doc == nil {
		return notFound("The resource you requested does not exist.")
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, struct {
		Policy     string `json:"Policy"`
		RevisionId string `json:"RevisionId"`
	}{string(b), revision})
	return nil
}

// policyChange is the kind of change a policy edit of ref is: one of $LATEST's policy gives
// $LATEST a new RevisionId; one of a version's or an alias's leaves $LATEST's alone.
func policyChange(ref lambda.FunctionRef) lambda.Change {
	if ref.Qualifier == "" || ref.Qualifier == lambda.LatestVersion {
		return lambda.ChangePolicy
	}
	return lambda.ChangeTags
}

// ListTags: GET /2017-03-31/tags/{Resource} → {"Tags": {...}}.
func (s *Server) ListTags(ctx context.Context, c *call) error {
	fn, err := s.tagged(ctx, c)
	if err != nil {
		return err
	}
	tags := fn.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	writeJSON(c.w, http.StatusOK, struct {
		Tags map[string]string `json:"Tags"`
	}{tags})
	return nil
}

// TagResource: POST /2017-03-31/tags/{Resource} → 204.
func (s *Server) TagResource(ctx context.Context, c *call) error {
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := decode(c.body, &in); err != nil {
		return err
	}
	if in.Tags == nil {
		return validation([]string{"Value null at 'tags' failed to satisfy constraint: Member must not be null"})
	}
	fn, err := s.tagged(ctx, c)
	if err != nil {
		return err
	}
	_, err = s.cfg.Registry.Update(ctx, fn.Configuration.FunctionName, "", lambda.ChangeTags, func(f *lambda.Function) error {
		if f.Tags == nil {
			f.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			f.Tags[k] = v
		}
		return nil
	})
	if err != nil {
		return s.registryError(err)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// UntagResource: DELETE /2017-03-31/tags/{Resource}?tagKeys=a&tagKeys=b → 204.
func (s *Server) UntagResource(ctx context.Context, c *call) error {
	keys := c.r.URL.Query()["tagKeys"]
	fn, err := s.tagged(ctx, c)
	if err != nil {
		return err
	}
	_, err = s.cfg.Registry.Update(ctx, fn.Configuration.FunctionName, "", lambda.ChangeTags, func(f *lambda.Function) error {
		for _, k := range keys {
			delete(f.Tags, k)
		}
		if len(f.Tags) == 0 {
			f.Tags = nil
		}
		return nil
	})
	if err != nil {
		return s.registryError(err)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// tagged returns the function a tagging call's Resource (a function ARN) names.
func (s *Server) tagged(ctx context.Context, c *call) (*lambda.Function, error) {
	arn := c.r.PathValue("Resource")
	ref, ok := lambda.ParseFunctionRef(arn)
	if !ok || !strings.HasPrefix(arn, "arn:") {
		return nil, invalidParameter("Invalid resource ARN: %s", arn)
	}
	if err := s.inScope(ref); err != nil {
		return nil, err
	}
	fn, err := s.cfg.Registry.Get(ctx, ref.Name)
	if err != nil {
		return nil, s.registryError(err)
	}
	return fn, nil
}
