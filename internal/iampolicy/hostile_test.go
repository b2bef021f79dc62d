package iampolicy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestHostileDocuments: deep nesting, huge arrays and long patterns are rejected or
// evaluated without a panic and in time linear in their size.
func TestHostileDocuments(t *testing.T) {
	t.Parallel()
	var pe *ParseError
	deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	if _, err := Parse([]byte(deep)); !errors.As(err, &pe) {
		t.Errorf("Parse(deep arrays) = %v; want a *ParseError", err)
	}
	deepObj := `{"Statement":` + strings.Repeat(`{"a":`, 100000) + `1` + strings.Repeat("}", 100000) + `}`
	if _, err := Parse([]byte(deepObj)); !errors.As(err, &pe) {
		t.Errorf("Parse(deep objects) = %v; want a *ParseError", err)
	}
	deepCond := `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}}}}`
	if _, err := Parse([]byte(deepCond)); !errors.As(err, &pe) {
		t.Errorf("Parse(deep condition value) = %v; want a *ParseError", err)
	}

	// 50,000 resources, one matching at the end; 5,000 statements.
	resources := make([]string, 50000)
	for i := range resources {
		resources[i] = `"arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/x` + strings.Repeat("?", i%7) + `"`
	}
	resources[len(resources)-1] = `"arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*"`
	stmts := strings.Repeat(`{"Effect":"Allow","Action":"s3:*","Resource":"*"},`, 5000)
	doc := `{"Version":"2012-10-17","Statement":[` + stmts + `{"Effect":"Allow","Action":"execute-api:Invoke","Resource":[` + strings.Join(resources, ",") + `]}]}`
	p := mustParse(t, doc)
	start := time.Now()
	if got := p.Evaluate(invoke(methodARN)); got != Allow {
		t.Errorf("Evaluate(huge policy) = %v; want Allow", got)
	}
	t.Logf("huge policy (%d bytes) evaluated in %v", len(doc), time.Since(start))

	// Patterns built to make backtracking matchers take exponential time.
	long := strings.Repeat("a", 1600)
	evil := `"arn:` + strings.Repeat("*a", 250) + `*b"`
	p = mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":[`+evil+`],"Condition":{"StringLike":{"k":`+`"`+strings.Repeat("*?", 250)+`b"`+`}}}}`)
	r := invoke("arn:" + long)
	r.Conditions = map[string][]string{"k": {long}}
	if got := p.Evaluate(r); got != ImplicitDeny {
		t.Errorf("Evaluate(backtracking bait) = %v; want ImplicitDeny", got)
	}
}

// TestDecisionString names the decisions as the contract does.
func TestDecisionString(t *testing.T) {
	t.Parallel()
	for d, want := range map[Decision]string{ImplicitDeny: "ImplicitDeny", Allow: "Allow", ExplicitDeny: "ExplicitDeny", 0: "Decision(0)"} {
		if got := d.String(); got != want {
			t.Errorf("Decision(%d).String() = %q; want %q", uint8(d), got, want)
		}
	}
}
