package policy

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/iampolicy"
)

const (
	allow    = invoke.DecisionAllow
	neither  = invoke.DecisionImplicitDeny
	deny     = invoke.DecisionExplicitDeny
	notEval  = invoke.DecisionNone
	account  = "123456789012"
	other    = "210987654321"
	apiID    = "abc123"
	arnStage = "arn:aws:execute-api:us-east-1:123456789012:abc123"
)

var testAPI = API{Region: "us-east-1", AccountID: account, ID: apiID}

// TestCombine is every cell of AWS's Tables A (same account) and B (another account).
func TestCombine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		caller, resource invoke.Decision
		a, b             invoke.Decision
	}{
		{allow, allow, allow, allow},
		{allow, neither, allow, neither},
		{allow, deny, deny, deny},
		{neither, allow, allow, neither},
		{neither, neither, neither, neither},
		{neither, deny, deny, deny},
		{deny, allow, deny, deny},
		{deny, neither, deny, deny},
		{deny, deny, deny, deny},
		// Not evaluated counts as neither.
		{notEval, allow, allow, neither},
		{notEval, neither, neither, neither},
		{notEval, deny, deny, deny},
	}
	for _, tt := range tests {
		if got := Combine(tt.caller, tt.resource, true); got != tt.a {
			t.Errorf("Combine(%v, %v, same account) = %v; want %v", tt.caller, tt.resource, got, tt.a)
		}
		if got := Combine(tt.caller, tt.resource, false); got != tt.b {
			t.Errorf("Combine(%v, %v, other account) = %v; want %v", tt.caller, tt.resource, got, tt.b)
		}
	}
}

// fake is a policy with a fixed verdict that records the request it saw.
type fake struct {
	d    iampolicy.Decision
	seen *iampolicy.Request
}

func (f *fake) Evaluate(r *iampolicy.Request) iampolicy.Decision {
	if f.seen != nil {
		*f.seen = *r
		f.seen.Conditions = make(map[string][]string, len(r.Conditions))
		for k, v := range r.Conditions {
			f.seen.Conditions[k] = slices.Clone(v)
		}
	}
	return f.d
}

func toIAM(d invoke.Decision) iampolicy.Decision {
	switch d {
	case allow:
		return iampolicy.Allow
	case deny:
		return iampolicy.ExplicitDeny
	}
	return iampolicy.ImplicitDeny
}

func newInv() *invoke.Invocation {
	return &invoke.Invocation{
		Stage: "prod", HTTPMethod: "GET", SourceIP: "192.0.2.7", UserAgent: "curl/8",
		RequestTime: time.Date(2026, 12, 2, 10, 11, 12, 0, time.UTC),
		Request:     invoke.Request{Method: "GET", Path: "/pets/1"},
	}
}

var ok = invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) {
	return &invoke.Response{StatusCode: 200}, nil
})

// run passes inv through the stage's Pre (when it has one) and Middleware.
func run(st *Stage, inv *invoke.Invocation) error {
	h := st.Middleware()(ok)
	if pre := st.Pre(); pre != nil {
		h = pre(h)
	}
	_, err := h.Invoke(context.Background(), inv)
	return err
}

// TestStage is the table through the stage, for each authorization type: what the request
// gets for each verdict of the caller's side and the policy.
func TestStage(t *testing.T) {
	t.Parallel()
	const user = "arn:aws:iam::123456789012:user/alice"
	const otherUser = "arn:aws:iam::210987654321:user/bob"
	implicit := "User: anonymous is not authorized to perform: execute-api:Invoke on resource: " + arnStage + "/prod/GET/pets/1"
	explicit := implicit + " with an explicit deny"
	tests := []struct {
		name     string
		authn    Authn
		caller   invoke.Decision // IAMDecision, or for authorizers Allow = Authorizer set
		userARN  string
		resource invoke.Decision
		want     string // "" = admitted, else the message
	}{
		{"none allow", AuthnNone, notEval, "", allow, ""},
		{"none neither", AuthnNone, notEval, "", neither, implicit},
		{"none deny", AuthnNone, notEval, "", deny, explicit},

		{"iam same allow/neither", AuthnIAM, allow, user, neither, ""},
		{"iam same neither/allow", AuthnIAM, neither, user, allow, ""},
		{"iam same neither/neither", AuthnIAM, neither, user, neither, strings.Replace(implicit, "anonymous", user, 1)},
		{"iam same allow/deny", AuthnIAM, allow, user, deny, strings.Replace(explicit, "anonymous", user, 1)},
		{"iam same deny/allow", AuthnIAM, deny, user, allow, strings.Replace(explicit, "anonymous", user, 1)},
		{"iam other allow/allow", AuthnIAM, allow, otherUser, allow, ""},
		{"iam other allow/neither", AuthnIAM, allow, otherUser, neither, strings.Replace(implicit, "anonymous", otherUser, 1)},
		{"iam other neither/allow", AuthnIAM, neither, otherUser, allow, strings.Replace(implicit, "anonymous", otherUser, 1)},
		{"iam other allow/deny", AuthnIAM, allow, otherUser, deny, strings.Replace(explicit, "anonymous", otherUser, 1)},

		{"lambda admitted neither", AuthnLambda, allow, "", neither, ""},
		{"lambda admitted allow", AuthnLambda, allow, "", allow, ""},
		{"lambda admitted deny", AuthnLambda, allow, "", deny, explicit},
		{"lambda not admitted neither", AuthnLambda, neither, "", neither, implicit},
		{"lambda not admitted allow", AuthnLambda, neither, "", allow, ""},

		{"cognito admitted neither", AuthnCognito, allow, "", neither, ""},
		{"cognito admitted deny", AuthnCognito, allow, "", deny, explicit},
		{"cognito not admitted neither", AuthnCognito, neither, "", neither, implicit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := New(&fake{d: toIAM(tt.resource)}, testAPI, tt.authn)
			inv := newInv()
			switch tt.authn {
			case AuthnIAM:
				inv.IAMDecision = tt.caller
				inv.Identity = invoke.Identity{UserARN: tt.userARN, AccountID: strings.Split(tt.userARN, ":")[4]}
			case AuthnLambda, AuthnCognito:
				if tt.caller == allow {
					inv.Authorizer = &invoke.AuthorizerResult{PrincipalID: "me"}
				}
			}
			err := run(st, inv)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("stage(%s) = %v; want admitted", tt.name, err)
				}
				return
			}
			e, isErr := invoke.AsError(err)
			if !isErr {
				t.Fatalf("stage(%s) = %v; want 403 %q", tt.name, err, tt.want)
			}
			if e.Type != apigateway.ResponseAccessDenied || e.Message != tt.want || e.MessageKey != "Message" {
				t.Errorf("stage(%s) = %s %q MessageKey=%q; want ACCESS_DENIED %q MessageKey Message", tt.name, e.Type, e.Message, e.MessageKey, tt.want)
			}
		})
	}
}

// TestPreAuthorizer: a Lambda authorizer's method checks the policy's explicit deny before
// the authorizer runs, with the anonymous caller.
func TestPreAuthorizer(t *testing.T) {
	t.Parallel()
	var ran bool
	authorizer := func(next invoke.Handler) invoke.Handler {
		return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
			ran = true
			inv.Authorizer = &invoke.AuthorizerResult{}
			return next.Invoke(ctx, inv)
		})
	}
	for _, tt := range []struct {
		resource iampolicy.Decision
		wantRan  bool
		wantErr  bool
	}{
		{iampolicy.ExplicitDeny, false, true},
		{iampolicy.ImplicitDeny, true, false},
		{iampolicy.Allow, true, false},
	} {
		ran = false
		st := New(&fake{d: tt.resource}, testAPI, AuthnLambda)
		h := st.Pre()(authorizer(st.Middleware()(ok)))
		_, err := h.Invoke(context.Background(), newInv())
		if ran != tt.wantRan || (err != nil) != tt.wantErr {
			t.Errorf("policy %v: authorizer ran = %v, err = %v; want ran %v, error %v", tt.resource, ran, err, tt.wantRan, tt.wantErr)
		}
	}
	for _, a := range []Authn{AuthnNone, AuthnIAM, AuthnCognito} {
		if New(&fake{}, testAPI, a).Pre() != nil {
			t.Errorf("New(authn %d).Pre() != nil; want nil", a)
		}
	}
}

// TestRequest is the request the policy is evaluated on.
func TestRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		inv        func(*invoke.Invocation)
		authn      Authn
		resource   string
		principal  iampolicy.Principal
		conditions map[string][]string
	}{
		{
			name:     "anonymous",
			resource: arnStage + "/prod/GET/pets/1",
			conditions: map[string][]string{
				"aws:sourceip": {"192.0.2.7"}, "aws:useragent": {"curl/8"},
				"aws:currenttime": {"2026-12-02T10:11:12Z"}, "aws:epochtime": {"1796206272"},
			},
		},
		{
			name: "vpce and root path",
			inv: func(inv *invoke.Invocation) {
				inv.SourceVPCE, inv.SourceVPC, inv.UserAgent = "vpce-1a2b3c4d", "vpc-2f09a348", ""
				inv.Request.Path, inv.HTTPMethod = "/", "POST"
				inv.Request.Header = map[string][]string{"Referer": {"https://example.com/"}}
			},
			resource: arnStage + "/prod/POST/",
			conditions: map[string][]string{
				"aws:sourceip": {"192.0.2.7"}, "aws:sourcevpce": {"vpce-1a2b3c4d"}, "aws:sourcevpc": {"vpc-2f09a348"},
				"aws:referer":     {"https://example.com/"},
				"aws:currenttime": {"2026-12-02T10:11:12Z"}, "aws:epochtime": {"1796206272"},
			},
		},
		{
			name:  "iam user",
			authn: AuthnIAM,
			inv: func(inv *invoke.Invocation) {
				inv.SourceIP, inv.UserAgent = "2001:db8::1", ""
				inv.Identity = invoke.Identity{AccountID: other, UserARN: "arn:aws:iam::210987654321:user/team/bob", User: "AIDAEXAMPLE", Caller: "AIDAEXAMPLE"}
				inv.IAMDecision = allow
			},
			resource:  arnStage + "/prod/GET/pets/1",
			principal: iampolicy.Principal{ARN: "arn:aws:iam::210987654321:user/team/bob", AccountID: other},
			conditions: map[string][]string{
				"aws:sourceip": {"2001:db8::1"}, "aws:principalaccount": {other},
				"aws:principalarn": {"arn:aws:iam::210987654321:user/team/bob"}, "aws:username": {"bob"},
				"aws:userid": {"AIDAEXAMPLE"}, "aws:currenttime": {"2026-12-02T10:11:12Z"}, "aws:epochtime": {"1796206272"},
			},
		},
		{
			name:  "account root has no username",
			authn: AuthnIAM,
			inv: func(inv *invoke.Invocation) {
				inv.UserAgent = ""
				inv.Identity = invoke.Identity{AccountID: account, UserARN: "arn:aws:iam::123456789012:root", User: account}
			},
			resource:  arnStage + "/prod/GET/pets/1",
			principal: iampolicy.Principal{ARN: "arn:aws:iam::123456789012:root", AccountID: account},
			conditions: map[string][]string{
				"aws:sourceip": {"192.0.2.7"}, "aws:principalaccount": {account},
				"aws:principalarn": {"arn:aws:iam::123456789012:root"}, "aws:userid": {account},
				"aws:currenttime": {"2026-12-02T10:11:12Z"}, "aws:epochtime": {"1796206272"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen iampolicy.Request
			st := New(&fake{d: iampolicy.Allow, seen: &seen}, testAPI, tt.authn)
			inv := newInv()
			if tt.inv != nil {
				tt.inv(inv)
			}
			if err := run(st, inv); err != nil {
				t.Fatal(err)
			}
			if seen.Action != Action || seen.Resource != tt.resource || seen.Principal != tt.principal {
				t.Errorf("request = %q %q %+v; want %q %q %+v", seen.Action, seen.Resource, seen.Principal, Action, tt.resource, tt.principal)
			}
			got, _ := json.Marshal(seen.Conditions)
			want, _ := json.Marshal(tt.conditions)
			if string(got) != string(want) {
				t.Errorf("conditions = %s; want %s", got, want)
			}
		})
	}
}

// TestNoPolicyDeniesAll: a private API without a policy (nil) denies every request.
func TestNoPolicyDeniesAll(t *testing.T) {
	t.Parallel()
	err := run(New(nil, testAPI, AuthnNone), newInv())
	if e, ok := invoke.AsError(err); !ok || e.Type != apigateway.ResponseAccessDenied || strings.Contains(e.Message, "explicit") {
		t.Errorf("no policy: %v; want implicit ACCESS_DENIED", err)
	}
}

// TestStageAllocs: an admitted request's evaluation allocates nothing of its own.
func TestStageAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	st := New(&fake{d: iampolicy.Allow}, testAPI, AuthnNone)
	h := st.Middleware()(ok)
	inv := newInv()
	ctx := context.Background()
	_, _ = h.Invoke(ctx, inv)
	resp := &invoke.Response{StatusCode: 200}
	h = st.Middleware()(invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) { return resp, nil }))
	if n := testing.AllocsPerRun(100, func() { _, _ = h.Invoke(ctx, inv) }); n != 0 {
		t.Errorf("allocations per admitted request = %v; want 0", n)
	}
}

func TestDocument(t *testing.T) {
	t.Parallel()
	tests := []struct{ stored, want string }{
		{`{\"Version\":\"2012-10-17\",\"Resource\":\"arn:aws:execute-api:us-east-1:1:a\/*\"}`, `{"Version":"2012-10-17","Resource":"arn:aws:execute-api:us-east-1:1:a/*"}`},
		{`{"Version":"2012-10-17"}`, `{"Version":"2012-10-17"}`},
		{`{\"Sid\":\"caf\u00e9\"}`, `{"Sid":"café"}`},
	}
	for _, tt := range tests {
		if got := string(Document(tt.stored)); got != tt.want {
			t.Errorf("Document(%s) = %s; want %s", tt.stored, got, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	tests := []struct{ doc, want string }{
		{`{"Statement":{"Resource":"execute-api:/*"}}`, `{"Statement":{"Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/*"}}`},
		{`{"Statement":[{"Resource":["execute-api:/prod/GET/pets","arn:aws:execute-api:*:*:*/*"]},{"NotResource":"execute-api:/*/POST/*"}]}`,
			`{"Statement":[{"Resource":["arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets","arn:aws:execute-api:*:*:*/*"]},{"NotResource":"arn:aws:execute-api:us-east-1:123456789012:abc123/*/POST/*"}]}`},
		{`{"Statement":{"Resource":"arn:aws:execute-api:us-east-1:1:a/*"}}`, `{"Statement":{"Resource":"arn:aws:execute-api:us-east-1:1:a/*"}}`},
		{`{"Statement":{"Condition":{"NumericLessThan":{"x":1.50}},"Resource":"execute-api:/*"}}`, `{"Statement":{"Condition":{"NumericLessThan":{"x":1.50}},"Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/*"}}`},
	}
	for _, tt := range tests {
		got, err := Expand([]byte(tt.doc), testAPI)
		if err != nil || string(got) != tt.want {
			t.Errorf("Expand(%s) = %s, %v; want %s", tt.doc, got, err, tt.want)
		}
	}
	for _, bad := range []string{`execute-api:`, `null execute-api:`, `{"a":"execute-api:"`} {
		if _, err := Expand([]byte(bad), testAPI); err == nil {
			t.Errorf("Expand(%s) = nil error; want one", bad)
		}
	}
}

func FuzzExpand(f *testing.F) {
	f.Add(`{"Statement":{"Resource":"execute-api:/*"}}`)
	f.Add(`{\"Statement\":[{\"Resource\":[\"execute-api:\/prod\/*\"]}]}`)
	f.Add(`{"Statement":[{"NotResource":"execute-api:x"}, 1, null]}`)
	f.Fuzz(func(t *testing.T, stored string) {
		doc := Document(stored)
		out, err := Expand(doc, testAPI)
		if err != nil {
			return
		}
		if !json.Valid(out) && json.Valid(doc) {
			t.Fatalf("Expand(%s) = %s, not JSON", doc, out)
		}
		// Expanding twice changes nothing more.
		again, err := Expand(out, testAPI)
		if err != nil || string(again) != string(out) && strings.Contains(string(out), "execute-api:/") {
			t.Fatalf("Expand(Expand(%s)) = %s, %v; want %s", doc, again, err, out)
		}
	})
}
