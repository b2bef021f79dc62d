package awsjson

import (
	"errors"
	"strings"
	"testing"
)

func noLabel(string) string { return "" }

func TestEveryOperationInputIsInTheTable(t *testing.T) {
	if len(Operations) != 124 {
		t.Errorf("%d operations; botocore's apigateway 2015-07-09 model has 124", len(Operations))
	}
	for _, op := range Operations {
		if op.Input != "" && ShapeOf(op.Input) == nil {
			t.Errorf("%s: input shape %s missing from the table", op.Name, op.Input)
		}
	}
}

func TestCheckInputURILabelsAfterBody(t *testing.T) {
	op := Lookup("UpdateMethodResponse")
	err := CheckInput(op, []byte(`{"patchOperations":[{"op":"wrong_op","path":"/x"}]}`), func(l string) string {
		if l == "status_code" {
			return "wrong"
		}
		return "x"
	}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Type != "ValidationException" {
		t.Fatalf("err = %v; want ValidationException", err)
	}
	// Recorded: test_update_method_response_negative_tests "...-invalid-statuscode-and-wrong-op".
	want := `2 validation errors detected: Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]; Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`
	if e.Message != want {
		t.Errorf("message\n%s\nwant\n%s", e.Message, want)
	}
}

func TestCheckInputLeavesBadJSONToDecode(t *testing.T) {
	for _, body := range []string{``, `{`, `[1]`, `"x"`, `{"name":{"a":1}}`} {
		if err := CheckInput(Lookup("CreateRestApi"), []byte(body), noLabel, nil); err != nil {
			t.Errorf("CheckInput(%q) = %v; want nil", body, err)
		}
	}
}

func TestOperationFor(t *testing.T) {
	for _, tt := range []struct{ method, path, query, want string }{
		{"POST", "/apikeys", "", "CreateApiKey"},
		{"POST", "/restapis", "mode=import", "ImportRestApi"},
		{"POST", "/restapis", "", "CreateRestApi"},
		{"GET", "/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fabc", "", "GetTags"},
		{"GET", "/nothing", "", ""},
		{"GET", "/restapis//stages", "", ""},
	} {
		q, _ := parseQuery(tt.query)
		got := ""
		if op := OperationFor(tt.method, tt.path, q); op != nil {
			got = op.Name
		}
		if got != tt.want {
			t.Errorf("OperationFor(%s %s?%s) = %q; want %q", tt.method, tt.path, tt.query, got, tt.want)
		}
	}
}

// FuzzCheckInput: no body, for any operation, makes CheckInput panic, and what it answers
// is an AWS-shaped 400.
func FuzzCheckInput(f *testing.F) {
	f.Add("CreateRestApi", `{"name":"a","endpointConfiguration":{"types":["wrong",1,null],"ipAddressType":true}}`, "x")
	f.Add("UpdateRestApi", `{"patchOperations":[{"op":"wrong"},null,{"op":5}]}`, "x")
	f.Add("PutIntegration", `{"type":"HTTPS","requestParameters":{"a":false}}`, "x")
	f.Add("GetGatewayResponse", ``, "FAKE")
	f.Fuzz(func(t *testing.T, name, body, label string) {
		op := Lookup(name)
		if op == nil {
			op = &Operations[len(name)%len(Operations)]
		}
		err := CheckInput(op, []byte(body), func(string) string { return label }, func(string) string { return label })
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != 400 || (e.Type != "ValidationException" && e.Type != "SerializationException") {
			t.Fatalf("CheckInput = %v; want a 400 ValidationException or SerializationException", err)
		}
		if e.Type == "ValidationException" && !strings.Contains(e.Message, "validation error") {
			t.Fatalf("message %q", e.Message)
		}
	})
}

func parseQuery(s string) (map[string][]string, error) {
	q := map[string][]string{}
	for _, kv := range strings.Split(s, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		q[k] = append(q[k], v)
	}
	return q, nil
}

// FuzzOperationFor: any method, path and query resolve to an operation whose template the
// path fits, or to none, without a panic.
func FuzzOperationFor(f *testing.F) {
	f.Add("POST", "/apikeys", "mode=import")
	f.Add("GET", "/restapis/a/stages/b", "")
	f.Add("PUT", "//", "a=b&c")
	f.Fuzz(func(t *testing.T, method, path, query string) {
		q, _ := parseQuery(query)
		op := OperationFor(method, path, q)
		if op != nil && op.Method != method {
			t.Fatalf("OperationFor(%s %s) = %s, a %s operation", method, path, op.Name, op.Method)
		}
	})
}

func TestDecodeStringGivenBoolOrNumber(t *testing.T) {
	var v struct {
		M map[string]string `json:"m"`
		S string            `json:"s"`
	}
	for body, want := range map[string]string{
		`{"m":{"k":true}}`: "class java.lang.Boolean can not be converted to an String",
		`{"s":12}`:         "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
	} {
		var e *Error
		if err := Decode([]byte(body), &v); !errors.As(err, &e) || e.Type != "SerializationException" || e.Message != want {
			t.Errorf("Decode(%s) = %v; want SerializationException %q", body, err, want)
		}
	}
}
