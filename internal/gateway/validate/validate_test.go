package validate

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

const apiID = "abcde12345"

func models(schemas map[string]string) map[string]*apigateway.Model {
	out := map[string]*apigateway.Model{}
	for name, s := range schemas {
		out[name] = &apigateway.Model{ID: strings.ToLower(name), Name: name, Schema: s, ContentType: "application/json"}
	}
	return out
}

var bothChecks = map[string]*apigateway.RequestValidator{
	"all":    {ID: "all", ValidateRequestBody: true, ValidateRequestParameters: true},
	"body":   {ID: "body", ValidateRequestBody: true},
	"params": {ID: "params", ValidateRequestParameters: true},
	"none":   {ID: "none"},
}

// run compiles m and runs one request through it, answering the error it returns (nil when
// the request reached the integration).
func run(t *testing.T, vc *Compiler, m *apigateway.Method, inv *invoke.Invocation) *invoke.Error {
	t.Helper()
	mw, err := vc.Middleware(m)
	if err != nil {
		t.Fatalf("Middleware: %v", err)
	}
	if mw == nil {
		return nil
	}
	ok := invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) {
		return &invoke.Response{StatusCode: 200}, nil
	})
	_, err = mw(ok).Invoke(context.Background(), inv)
	if err == nil {
		return nil
	}
	ie, isErr := invoke.AsError(err)
	if !isErr {
		t.Fatalf("error %v is not an *invoke.Error", err)
	}
	return ie
}

func bodyRequest(ct, body string) *invoke.Invocation {
	inv := &invoke.Invocation{Request: invoke.Request{Header: http.Header{}, Body: []byte(body)}}
	if ct != "" {
		inv.Request.Header.Set("Content-Type", ct)
	}
	return inv
}

func TestBodyValidationErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schema, body string
		want               string // validationErrorString; "" means valid
	}{
		{"valid", `{"type":"object","required":["name"]}`, `{"name":"x"}`, ""},
		{"required", `{"type":"object","required":["name","age"]}`, `{"x":1}`, `[object has missing required properties ([\"age\",\"name\"])]`},
		{"type", `{"type":"object","properties":{"n":{"type":"integer"}}}`, `{"n":"1"}`, `[instance type (string) does not match any allowed primitive type (allowed: [\"integer\"])]`},
		{"enum", `{"enum":["dog","cat"]}`, `"cow"`, `[instance value (\"cow\") not found in enum (possible values: [\"dog\",\"cat\"])]`},
		{"minimum", `{"minimum":1.5}`, `1`, `[numeric instance is lower than the required minimum (minimum: 1.5, found: 1)]`},
		{"maximum", `{"maximum":10}`, `11`, `[numeric instance is greater than the required maximum (maximum: 10, found: 11)]`},
		{"exclusive minimum", `{"minimum":0,"exclusiveMinimum":true}`, `0`, `[numeric instance is not strictly greater than the required minimum 0]`},
		{"minLength", `{"minLength":3}`, `"ab"`, `[string \"ab\" is too short (length: 2, required minimum: 3)]`},
		{"maxLength", `{"maxLength":1}`, `"ab"`, `[string \"ab\" is too long (length: 2, maximum allowed: 1)]`},
		{"pattern", `{"pattern":"^a"}`, `"b"`, `[ECMA 262 regex \"^a\" does not match input string \"b\"]`},
		{"additionalProperties", `{"properties":{"a":{}},"additionalProperties":false}`, `{"a":1,"z":2,"y":3}`, `[object instance has properties which are not allowed by the schema: [\"y\",\"z\"]]`},
		{"minItems", `{"type":"array","minItems":2}`, `[1]`, `[array is too short: must have at least 2 elements but instance has 1 elements]`},
		{"uniqueItems", `{"uniqueItems":true}`, `[1,1]`, `[array must not contain duplicate elements]`},
		{"nested and several", `{"type":"object","required":["a"],"properties":{"b":{"type":"object","required":["c"]}}}`, `{"b":{}}`, `[object has missing required properties ([\"a\"]), object has missing required properties ([\"c\"])]`},
		{"email format", `{"format":"email"}`, `"nope"`, `[string \"nope\" is not a valid email address]`},
		{"empty body is {}", `{"type":"object","required":["a"]}`, ``, `[object has missing required properties ([\"a\"])]`},
		{"empty body passes Empty", `{"type":"object"}`, ` `, ""},
		{"not JSON", `{"type":"object"}`, `{"a":`, `[Invalid JSON in request body]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vc := NewCompiler(apiID, models(map[string]string{"M": tt.schema}), bothChecks)
			m := &apigateway.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "M"}}
			got := run(t, vc, m, bodyRequest("application/json", tt.body))
			switch {
			case tt.want == "" && got != nil:
				t.Fatalf("validate(%s) = %v; want valid", tt.body, got)
			case tt.want == "":
			case got == nil:
				t.Fatalf("validate(%s) = valid; want %s", tt.body, tt.want)
			case got.Type != apigateway.ResponseBadRequestBody || got.Message != "Invalid request body" || got.ValidationErrorString != tt.want:
				t.Fatalf("validate(%s) = %s %q %s; want BAD_REQUEST_BODY \"Invalid request body\" %s", tt.body, got.Type, got.Message, got.ValidationErrorString, tt.want)
			}
		})
	}
}

func TestModelByContentType(t *testing.T) {
	t.Parallel()
	ms := models(map[string]string{"Strict": `{"type":"object","required":["a"]}`, "Any": `{}`})
	tests := []struct {
		name     string
		requestM map[string]string
		ct       string
		invalid  bool
	}{
		{"exact match", map[string]string{"application/json": "Strict"}, "application/json", true},
		{"parameters and case ignored", map[string]string{"application/json": "Strict"}, "Application/JSON; charset=utf-8", true},
		{"no Content-Type is application/json", map[string]string{"application/json": "Strict"}, "", true},
		{"malformed parameters ignored", map[string]string{"application/json": "Strict"}, " application/json ;charset", true},
		{"no model for the type: not validated", map[string]string{"application/json": "Strict"}, "text/plain", false},
		{"$default for other types", map[string]string{"$default": "Strict"}, "text/plain", true},
		{"the type's model before $default", map[string]string{"$default": "Strict", "text/plain": "Any"}, "text/plain", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vc := NewCompiler(apiID, ms, bothChecks)
			m := &apigateway.Method{RequestValidatorID: "body", RequestModels: tt.requestM}
			if got := run(t, vc, m, bodyRequest(tt.ct, `{"b":1}`)); (got != nil) != tt.invalid {
				t.Fatalf("Content-Type %q with %v: error %v; want invalid %v", tt.ct, tt.requestM, got, tt.invalid)
			}
		})
	}
}

func TestRequiredParameters(t *testing.T) {
	t.Parallel()
	params := map[string]bool{
		"method.request.path.id":               true,
		"method.request.querystring.q":         true,
		"method.request.header.X-Tenant":       true,
		"method.request.querystring.page":      false,
		"method.request.multivalueheader.X-Of": true,
	}
	tests := []struct {
		name      string
		query     string
		header    map[string]string
		path      string
		validator string
		want      string // the message; "" means the request passes
	}{
		{"all present", "q=1", map[string]string{"X-Tenant": "t", "X-Of": "a"}, "7", "params", ""},
		{"all missing, in key order", "", nil, "", "params", "Missing required request parameters: [X-Tenant, X-Of, id, q]"},
		{"blank counts as missing", "q=%20", map[string]string{"X-Tenant": " ", "X-Of": "a"}, "7", "params", "Missing required request parameters: [X-Tenant, q]"},
		{"header names are case-insensitive", "q=1", map[string]string{"x-tenant": "t", "x-of": "a"}, "7", "params", ""},
		{"body-only validator ignores parameters", "", nil, "", "body", ""},
		{"no checks", "", nil, "", "none", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vc := NewCompiler(apiID, nil, bothChecks)
			m := &apigateway.Method{RequestValidatorID: tt.validator, RequestParameters: params}
			inv := &invoke.Invocation{Request: invoke.Request{Header: http.Header{}, RawQuery: tt.query}}
			for k, v := range tt.header {
				inv.Request.Header.Set(k, v)
			}
			if tt.path != "" {
				inv.PathParams = []invoke.Param{{Name: "id", Value: tt.path}}
			}
			got := run(t, vc, m, inv)
			switch {
			case tt.want == "" && got != nil:
				t.Fatalf("validate = %v; want it to pass", got)
			case tt.want != "" && (got == nil || got.Type != apigateway.ResponseBadRequestParameters || got.Message != tt.want):
				t.Fatalf("validate = %v; want BAD_REQUEST_PARAMETERS %q", got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	ms := models(map[string]string{
		"Good":    `{"type":"object"}`,
		"NotJSON": `{"type":`,
		"BadType": `{"type":"strin"}`,
		"BadRef":  `{"$ref":"https://apigateway.amazonaws.com/restapis/` + apiID + `/models/Missing"}`,
		"Ref":     `{"properties":{"g":{"$ref":"https://apigateway.amazonaws.com/restapis/` + apiID + `/models/Good"}}}`,
	})
	tests := []struct {
		name string
		m    apigateway.Method
		want string // substring of the error; "" means it compiles
	}{
		{"no validator", apigateway.Method{RequestModels: map[string]string{"application/json": "NotJSON"}}, ""},
		{"unknown validator", apigateway.Method{RequestValidatorID: "nope"}, `request validator "nope" does not exist`},
		{"parameters only: models not compiled", apigateway.Method{RequestValidatorID: "params", RequestModels: map[string]string{"application/json": "NotJSON"}}, ""},
		{"missing model", apigateway.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Nope"}}, `model "Nope" does not exist`},
		{"schema not JSON", apigateway.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "NotJSON"}}, `model "NotJSON"`},
		{"schema not draft 4", apigateway.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "BadType"}}, `model "BadType"`},
		{"reference to a missing model", apigateway.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "BadRef"}}, `model "BadRef"`},
		{"reference to a model", apigateway.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Ref"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewCompiler(apiID, ms, bothChecks).Middleware(&tt.m)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Middleware = %v; want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Middleware = %v; want an error with %q", err, tt.want)
			}
		})
	}
}

// TestSchemaCompiledOnce checks that methods sharing a model share its compiled schema.
func TestSchemaCompiledOnce(t *testing.T) {
	t.Parallel()
	vc := NewCompiler(apiID, models(map[string]string{"M": `{"type":"object"}`}), bothChecks)
	for range 3 {
		if _, err := vc.Middleware(&apigateway.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "M", "$default": "M"}}); err != nil {
			t.Fatal(err)
		}
	}
	if len(vc.compiled) != 1 {
		t.Fatalf("compiled %d schemas; want 1", len(vc.compiled))
	}
}

func BenchmarkValidateBody(b *testing.B) {
	vc := NewCompiler(apiID, models(map[string]string{"Pet": `{"type":"object","required":["name","price"],"properties":{"name":{"type":"string","maxLength":64},"price":{"type":"number","minimum":0},"tags":{"type":"array","items":{"type":"string"}}}}`}), bothChecks)
	mw, err := vc.Middleware(&apigateway.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Pet"}})
	if err != nil {
		b.Fatal(err)
	}
	h := mw(invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) { return nil, nil }))
	inv := bodyRequest("application/json", `{"name":"Rex","price":12.5,"tags":["dog","good"]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Invoke(context.Background(), inv); err != nil {
			b.Fatal(err)
		}
	}
}

// TestValidateBodyBounded: a body with an error per item (here 5000) reports at most
// maxProblems of them, and the cause kept for the log stays short, so that a client cannot
// make the gateway build, send and log a message as large as its body times ninety.
func TestValidateBodyBounded(t *testing.T) {
	t.Parallel()
	vc := NewCompiler(apiID, models(map[string]string{"L": `{"type":"array","items":{"type":"string"}}`}), bothChecks)
	mw, err := vc.Middleware(&apigateway.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "L"}})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) { return nil, nil }))
	body := "[" + strings.Repeat("1,", 4999) + "1]"
	_, err = h.Invoke(context.Background(), bodyRequest("application/json", body))
	var e *invoke.Error
	if !errors.As(err, &e) {
		t.Fatalf("Invoke(5000 wrong items) = %v; want an *invoke.Error", err)
	}
	const one = "does not match any allowed primitive type"
	if got := strings.Count(e.ValidationErrorString, one); got != maxProblems {
		t.Errorf("Invoke(5000 wrong items) validationErrorString lists %d problems; want %d", got, maxProblems)
	}
	if got := len(e.Err.Error()); got > 2*maxLoggedProblems {
		t.Errorf("Invoke(5000 wrong items) cause is %d bytes; want at most %d", got, 2*maxLoggedProblems)
	}
}

// hostileBodies are ~10 MB bodies (the payload limit) in which every item fails its schema:
// an array of numbers where strings are wanted, and an object of such properties.
func hostileBodies() map[string]struct{ schema, body string } {
	const size = 10 << 20
	arr := "[" + strings.Repeat("1,", size/2-1) + "1]"
	var obj strings.Builder
	obj.WriteByte('{')
	for i := 0; obj.Len() < size; i++ {
		if i > 0 {
			obj.WriteByte(',')
		}
		obj.WriteString(`"k` + strconv.Itoa(i) + `":1`)
	}
	obj.WriteByte('}')
	return map[string]struct{ schema, body string }{
		"array":  {`{"type":"array","items":{"type":"string"}}`, arr},
		"object": {`{"type":"object","additionalProperties":{"type":"string"}}`, obj.String()},
	}
}

// BenchmarkValidateHostileBody measures what a 10 MB body of failing items costs: run with
// -benchmem; the allocation per call must stay near the instance's own size, not grow by
// a few hundred bytes per failing item.
func BenchmarkValidateHostileBody(b *testing.B) {
	for name, hb := range hostileBodies() {
		b.Run(name, func(b *testing.B) {
			vc := NewCompiler(apiID, models(map[string]string{"M": hb.schema}), bothChecks)
			mw, err := vc.Middleware(&apigateway.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "M"}})
			if err != nil {
				b.Fatal(err)
			}
			h := mw(invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) { return nil, nil }))
			inv := bodyRequest("application/json", hb.body)
			b.SetBytes(int64(len(hb.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Invoke(context.Background(), inv); err == nil {
					b.Fatal("hostile body validated")
				}
			}
		})
	}
}
