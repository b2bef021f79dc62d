package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/memory"
)

var testScope = Scope{AccountID: "123456789012", Region: "eu-west-1"}

func TestParseFunctionRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   FunctionRef
		wantOK bool
	}{
		{"hello", FunctionRef{Name: "hello"}, true},
		{"hello:$LATEST", FunctionRef{Name: "hello", Qualifier: "$LATEST"}, true},
		{"hello:live", FunctionRef{Name: "hello", Qualifier: "live"}, true},
		{"123456789012:function:hello", FunctionRef{Name: "hello", AccountID: "123456789012"}, true},
		{"123456789012:function:hello:7", FunctionRef{Name: "hello", AccountID: "123456789012", Qualifier: "7"}, true},
		{"arn:aws:lambda:us-east-1:123456789012:function:hello", FunctionRef{Name: "hello", Region: "us-east-1", AccountID: "123456789012"}, true},
		{"arn:aws:lambda:us-east-1:123456789012:function:hello:prod", FunctionRef{Name: "hello", Region: "us-east-1", AccountID: "123456789012", Qualifier: "prod"}, true},
		{"", FunctionRef{}, false},
		{"hello:", FunctionRef{}, false},
		{"he/llo", FunctionRef{}, false},
		{"arn:aws:s3:::bucket", FunctionRef{}, false},
		{"arn:aws:lambda:us-east-1:123456789012:layer:x", FunctionRef{}, false},
		{"12345:function:hello", FunctionRef{}, false},
		{"a:b:c", FunctionRef{}, false},
		{"x123456789012345678901234567890123456789012345678901234567890abcd", FunctionRef{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseFunctionRef(tt.in)
		if ok != tt.wantOK || (ok && got != tt.want) {
			t.Errorf("ParseFunctionRef(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/hello", "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/hello", true},
		{"arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/hello", "arn:aws:execute-api:us-east-1:123456789012:abc/prod/POST/hello", false},
		{"arn:aws:execute-api:us-east-1:123456789012:abc/*/*", "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/a/b/c", true},
		{"arn:aws:execute-api:us-east-1:123456789012:abc/*", "arn:aws:execute-api:us-east-1:123456789012:xyz/prod/GET/", false},
		{"arn:aws:execute-api:*:*:abc/prod/GET/", "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*", "", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"", "x", false},
		{"*", "*0", true}, // a literal * in the ARN is still matched by the wildcard (found by FuzzWildcardMatch)
		{"a*", "a*b", true},
	}
	for _, tt := range tests {
		if got := WildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("WildcardMatch(%q, %q) = %v; want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestAllowsAPIGateway(t *testing.T) {
	t.Parallel()
	const src = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/hello"
	apigw := NewPrincipal("apigateway.amazonaws.com")
	arnLike := func(p string) map[string]map[string]string {
		return map[string]map[string]string{"ArnLike": {"AWS:SourceArn": p}}
	}
	tests := []struct {
		name   string
		policy []Statement
		want   bool
	}{
		{"no policy", nil, false},
		{"any source", []Statement{{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: apigw}}, true},
		{"matching source", []Statement{{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: apigw, Condition: arnLike("arn:aws:execute-api:eu-west-1:123456789012:abc123/*/GET/*")}}, true},
		{"other API", []Statement{{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: apigw, Condition: arnLike("arn:aws:execute-api:eu-west-1:123456789012:zzz/*/*/*")}}, false},
		{"other verb", []Statement{{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: apigw, Condition: arnLike("arn:aws:execute-api:eu-west-1:123456789012:abc123/*/POST/hello")}}, false},
		{"other service", []Statement{{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: NewPrincipal("s3.amazonaws.com")}}, false},
		{"account principal", []Statement{{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: NewPrincipal("123456789012")}}, false},
		{"other action", []Statement{{Effect: "Allow", Action: "lambda:GetFunction", Principal: apigw}}, false},
		{"star principal and action", []Statement{{Effect: "Allow", Action: "lambda:*", Principal: NewPrincipal("*")}}, true},
		{"source account matches", []Statement{{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: apigw, Condition: map[string]map[string]string{"StringEquals": {"AWS:SourceAccount": "123456789012"}}}}, true},
		{"source account differs", []Statement{{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: apigw, Condition: map[string]map[string]string{"StringEquals": {"AWS:SourceAccount": "999999999999"}}}}, false},
		{"second statement allows", []Statement{
			{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: apigw, Condition: arnLike("arn:aws:execute-api:eu-west-1:123456789012:other/*")},
			{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: apigw, Condition: arnLike("arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*")},
		}, true},
	}
	for _, tt := range tests {
		f := &Function{Policy: tt.policy}
		if got := f.AllowsAPIGateway(src, "123456789012"); got != tt.want {
			t.Errorf("%s: AllowsAPIGateway(%q) = %v; want %v", tt.name, src, got, tt.want)
		}
	}
}

func TestPrincipalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"apigateway.amazonaws.com", `{"Service":"apigateway.amazonaws.com"}`},
		{"123456789012", `{"AWS":"arn:aws:iam::123456789012:root"}`},
		{"arn:aws:iam::123456789012:role/x", `{"AWS":"arn:aws:iam::123456789012:role/x"}`},
		{"*", `"*"`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(NewPrincipal(tt.in))
		if err != nil || string(b) != tt.want {
			t.Errorf("json.Marshal(NewPrincipal(%q)) = %s, %v; want %s", tt.in, b, err, tt.want)
		}
		var back Principal
		if err := json.Unmarshal(b, &back); err != nil || back != NewPrincipal(tt.in) {
			t.Errorf("json.Unmarshal(%s) = %+v, %v; want %+v", b, back, err, NewPrincipal(tt.in))
		}
	}
}

func TestRegistryLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := time.Date(2024, 5, 1, 12, 34, 56, 789e6, time.UTC)
	r := NewRegistry(memory.New(), testScope, func() time.Time { return clock })

	f, err := r.Create(ctx, &Function{Configuration: FunctionConfiguration{FunctionName: "hello", Role: "arn:aws:iam::123456789012:role/x", Runtime: "provided.al2023", Handler: "bootstrap", CodeSha256: "abc="}})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	c := f.Configuration
	if c.FunctionArn != "arn:aws:lambda:eu-west-1:123456789012:function:hello" || c.Timeout != 3 || c.MemorySize != 128 || c.Version != "$LATEST" ||
		c.State != "Active" || c.LastUpdateStatus != "Successful" || c.PackageType != "Zip" || c.EphemeralStorage.Size != 512 ||
		c.TracingConfig.Mode != "PassThrough" || len(c.Architectures) != 1 || c.Architectures[0] != "x86_64" || c.LoggingConfig.LogGroup != "/aws/lambda/hello" {
		t.Errorf("Create() = %+v; want Lambda's defaults filled in", c)
	}
	if c.LastModified != "2024-05-01T12:34:56.789+0000" {
		t.Errorf("Create().LastModified = %q; want 2024-05-01T12:34:56.789+0000", c.LastModified)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(c.RevisionId) {
		t.Errorf("Create().RevisionId = %q; want a UUID", c.RevisionId)
	}

	if _, err := r.Create(ctx, &Function{Configuration: FunctionConfiguration{FunctionName: "hello"}}); !errors.Is(err, ErrFunctionExists) {
		t.Errorf("Create(taken name) = %v; want ErrFunctionExists", err)
	}

	// A policy change refreshes RevisionId but not LastModified; a stale RevisionId is refused.
	clock = clock.Add(time.Hour)
	rev := c.RevisionId
	g, err := r.Update(ctx, "hello", rev, ChangePolicy, func(f *Function) error {
		f.Policy = append(f.Policy, Statement{Sid: "s"})
		return nil
	})
	if err != nil || g.Configuration.RevisionId == rev || g.Configuration.LastModified != c.LastModified {
		t.Errorf("Update(policy) = %+v, %v; want a new RevisionId and the same LastModified", g, err)
	}
	if _, err := r.Update(ctx, "hello", rev, ChangeConfig, func(*Function) error { return nil }); !errors.Is(err, ErrRevisionMismatch) {
		t.Errorf("Update(stale revision) = %v; want ErrRevisionMismatch", err)
	}
	h, err := r.Update(ctx, "hello", "", ChangeConfig, func(f *Function) error { f.Configuration.Timeout = 30; return nil })
	if err != nil || h.Configuration.Timeout != 30 || h.Configuration.LastModified != "2024-05-01T13:34:56.789+0000" {
		t.Errorf("Update(config) = %+v, %v; want Timeout 30 and a new LastModified", h, err)
	}
	got, err := r.Get(ctx, "hello")
	if err != nil || got.Configuration.RevisionId != h.Configuration.RevisionId || len(got.Policy) != 1 {
		t.Errorf("Get = %+v, %v; want the updated function", got, err)
	}

	if _, err := r.Create(ctx, &Function{Configuration: FunctionConfiguration{FunctionName: "abc"}}); err != nil {
		t.Fatal(err)
	}
	list, err := r.List(ctx)
	if err != nil || len(list) != 2 || list[0].Configuration.FunctionName != "abc" || list[1].Configuration.FunctionName != "hello" {
		t.Errorf("List = %v, %v; want abc, hello", list, err)
	}

	if _, err := r.Delete(ctx, "hello"); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	_, err = r.Get(ctx, "hello")
	var nf interface{ FunctionNotFound() bool }
	if !errors.Is(err, ErrFunctionNotFound) || !errors.As(err, &nf) || !nf.FunctionNotFound() ||
		err.Error() != "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:hello" {
		t.Errorf("Get(deleted) = %v; want Function not found implementing FunctionNotFound()", err)
	}
	if _, err := r.Delete(ctx, "hello"); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("Delete(deleted) = %v; want ErrFunctionNotFound", err)
	}
	if _, err := r.Update(ctx, "hello", "", ChangeConfig, func(*Function) error { return nil }); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("Update(deleted) = %v; want ErrFunctionNotFound", err)
	}
}

func TestAccessDeniedError(t *testing.T) {
	t.Parallel()
	var err error = &AccessDeniedError{FunctionARN: "f", SourceARN: "s"}
	var ad interface{ AccessDenied() bool }
	if !errors.Is(err, ErrAccessDenied) || !errors.As(err, &ad) || !ad.AccessDenied() {
		t.Errorf("AccessDeniedError: errors.Is(ErrAccessDenied), AccessDenied() = false; want true")
	}
}
