package invoke

import "testing"

func TestAuthorizerVar(t *testing.T) {
	t.Parallel()
	inv := &Invocation{Authorizer: &AuthorizerResult{PrincipalID: "user", Context: []AuthorizerValue{
		{Key: "s", Value: `"a\"b"`}, {Key: "plain", Value: `"x"`}, {Key: "n", Value: `42`}, {Key: "f", Value: `1.5e3`},
		{Key: "b", Value: `true`}, {Key: "z", Value: `null`},
	}}}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"authorizer.principalId", "user", true},
		{"authorizer.s", `a"b`, true},
		{"authorizer.plain", "x", true},
		{"authorizer.n", "42", true},
		{"authorizer.f", "1.5e3", true},
		{"authorizer.b", "true", true},
		{"authorizer.z", "", false},
		{"authorizer.missing", "", false},
		{"authorizer.claims.sub", "", false},
	}
	for _, tt := range tests {
		if got, ok := inv.ContextVar(tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("ContextVar(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := (&Invocation{}).ContextVar("authorizer.principalId"); ok {
		t.Error("ContextVar(authorizer.principalId) without an authorizer has a value")
	}
	e := &Invocation{Err: AuthorizerConfigurationError.Because(nil)}
	if got, _ := e.ContextVar("error.messageString"); got != "null" {
		t.Errorf("error.messageString of AUTHORIZER_CONFIGURATION_ERROR = %q; want null", got)
	}
}
