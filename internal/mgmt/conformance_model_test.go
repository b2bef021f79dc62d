package mgmt

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// Every answer of every management conformance step is also checked against botocore's
// apigateway 2015-07-09 service model (runMgmtFixture calls checkModel after each step):
//
//   - the operation is the one the model serves at the request's method and path
//     (awsjson.OperationFor);
//   - a 2xx answer has the operation's http.responseCode (200 where the model gives none, the
//     protocol's default), an empty body when the operation has no output, and otherwise a JSON
//     body whose every key is a member of the output shape (by locationName where the model
//     gives one; members the model puts in headers are not body members), recursively through
//     structures, lists and maps, each value of its member's JSON type and every enum-typed
//     value one of the enum's, and no x-amzn-ErrorType;
//   - a 4xx/5xx answer's x-amzn-ErrorType is one of the operation's errors in the model, or one
//     of protocolErrors, and its status is that error's httpStatusCode; the body holds only the
//     error shape's body members.
//
// Where AWS is recorded answering otherwise than the model says, the exception is explicit and
// names the recording: modelAliases (a path the model has no operation for) and null map values.
//
// The model is read from $GATEHOUSE_BOTOCORE_MODEL (a service-2.json or service-2.json.gz) or,
// without it, from the botocore package python3 imports.

// botoModel is the part of botocore's service-2.json the check reads.
type botoModel struct {
	Operations map[string]botoOperation `json:"operations"`
	Shapes     map[string]*botoShape    `json:"shapes"`
}

type botoOperation struct {
	HTTP struct {
		Method       string `json:"method"`
		RequestURI   string `json:"requestUri"`
		ResponseCode int    `json:"responseCode"`
	} `json:"http"`
	Output *botoRef  `json:"output"`
	Errors []botoRef `json:"errors"`
}

type botoRef struct {
	Shape           string `json:"shape"`
	Location        string `json:"location"`
	LocationName    string `json:"locationName"`
	TimestampFormat string `json:"timestampFormat"`
}

type botoShape struct {
	Type            string             `json:"type"`
	Members         map[string]botoRef `json:"members"`
	Member          *botoRef           `json:"member"`
	Key             *botoRef           `json:"key"`
	Value           *botoRef           `json:"value"`
	Enum            []string           `json:"enum"`
	TimestampFormat string             `json:"timestampFormat"`
	Payload         string             `json:"payload"`
	Exception       bool               `json:"exception"`
	Error           *struct {
		HTTPStatusCode int `json:"httpStatusCode"`
	} `json:"error"`
}

// protocolErrors are the error types an answer may carry although no operation of the model
// lists them: AWS's protocol-level errors, which botocore's apigateway model does not name (its
// operations list only the service's own BadRequest, Conflict, LimitExceeded, NotFound,
// ServiceUnavailable, TooManyRequests and Unauthorized exceptions), with the status each is
// answered with. Only the ones gatehouse answers are listed; each must be AWS's.
var protocolErrors = map[string]int{
	// The model's constraints (enums, patterns) checked before an operation runs, recorded
	// from AWS in localstack's test_apigateway_api.snapshot.json
	// (test_create_rest_api_with_endpoint_configuration, test_update_method_response_wrong_operations;
	// fixture restapi_create_rules.txtar). AWS's generic list
	// calls it ValidationError; API Gateway answers ValidationException.
	"ValidationException": 400,
	// A JSON body that does not parse or a value of the wrong JSON type (recorded ibid.,
	// test_put_integration_request_parameter_bool_type: "class java.lang.Boolean can not be
	// converted to an String"; fixture input_serialization.txtar).
	"SerializationException": 400,
	// AWS's common errors of REST-JSON services, with their statuses (the "Common Errors"
	// page of AWS's API references, e.g. docs.aws.amazon.com/lambda/latest/api/CommonErrors.html):
	// a path or method no operation has (gatehouse also answers it for an operation of the
	// model it does not serve yet, awsjson.NotSupported), an unknown access key, a denied
	// call, a body over the limit, an unexpected failure.
	"UnknownOperationException":      404,
	"UnrecognizedClientException":    403,
	"AccessDeniedException":          403,
	"IncompleteSignatureException":   403,
	"RequestEntityTooLargeException": 413,
	"InternalFailure":                500,
	// SigV4 failures API Gateway answers (internal/sigv4/errors.go cites the recordings).
	"MissingAuthenticationTokenException": 403,
	"InvalidSignatureException":           403,
}

// modelAliases names the operation of a request path the model has no operation for but AWS
// answers as one: GET /restapis/ (an empty REST API id) is GetRestApi answering {} (moto's
// get_rest_api_without_id records AWS doing so; fixture operations_unsupported.txtar).
var modelAliases = map[string]string{
	"GET /restapis/": "GetRestApi",
}

var (
	serviceModelOnce sync.Once
	serviceModel     *botoModel
	serviceModelErr  error
)

const botocoreInstall = "the management conformance fixtures are checked against botocore's apigateway model: " +
	"install botocore (pip install botocore, or the aws CLI v1: pip install awscli) so that " +
	"`python3 -c 'import botocore'` works, or set GATEHOUSE_BOTOCORE_MODEL to the path of " +
	"botocore/data/apigateway/2015-07-09/service-2.json(.gz)"

// loadServiceModel reads botocore's apigateway 2015-07-09 model once. A missing model fails the
// test, never skips it: CI must run this check.
func loadServiceModel(t testing.TB) *botoModel {
	t.Helper()
	serviceModelOnce.Do(func() { serviceModel, serviceModelErr = readServiceModel() })
	if serviceModelErr != nil {
		t.Fatalf("%v\n%s", serviceModelErr, botocoreInstall)
	}
	return serviceModel
}

func readServiceModel() (*botoModel, error) {
	path := os.Getenv("GATEHOUSE_BOTOCORE_MODEL")
	if path == "" {
		out, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
		if err != nil {
			return nil, fmt.Errorf("locating botocore with python3: %v", err)
		}
		dir := filepath.Join(strings.TrimSpace(string(out)), "data", "apigateway", "2015-07-09")
		path = filepath.Join(dir, "service-2.json")
		if _, err := os.Stat(path); err != nil {
			path += ".gz"
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the service model: %v", err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	var m botoModel
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(m.Operations) == 0 || len(m.Shapes) == 0 {
		return nil, fmt.Errorf("%s: no operations or shapes", path)
	}
	return &m, nil
}

// checkModel checks one step's answer against the service model; its request is the step's
// raw request section. Problems are collected, not fatal, so that one fixture reports them all
// (reportModelProblems).
func (f *mgmtFixture) checkModel(step, rawRequest string, status int, header http.Header, body []byte) {
	m := loadServiceModel(f.t)
	head, _, _ := strings.Cut(strings.ReplaceAll(rawRequest, "\r\n", "\n"), "\n\n")
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(f.subst(step, head) + "\n\n")))
	if err != nil {
		f.t.Fatalf("%s: request: %v", step, err)
	}
	for _, p := range m.answerProblems(req.Method, req.URL, status, header, body) {
		f.modelProblems = append(f.modelProblems, step+": "+p)
	}
}

// reportModelProblems fails the fixture with every disagreement with the model found.
func (f *mgmtFixture) reportModelProblems() {
	if len(f.modelProblems) > 0 {
		f.t.Errorf("answers disagree with botocore's apigateway 2015-07-09 service model:\n%s", strings.Join(f.modelProblems, "\n"))
	}
}

// answerProblems lists where an answer to method u disagrees with the model.
func (m *botoModel) answerProblems(method string, u *url.URL, status int, header http.Header, body []byte) []string {
	c := &modelCheck{m: m}
	name := modelAliases[method+" "+u.EscapedPath()]
	if name == "" {
		if op := awsjson.OperationFor(method, u.EscapedPath(), u.Query()); op != nil {
			name = op.Name
		}
	}
	op, known := m.Operations[name]
	if !known {
		if status < 400 {
			c.fail("", "answered %d, but the model has no operation at %s %s", status, method, u.EscapedPath())
			return c.problems
		}
		c.errorAnswer(nil, "no operation", status, header, body)
		return c.problems
	}
	if status >= 400 {
		c.errorAnswer(&op, name, status, header, body)
		return c.problems
	}
	if typ := header.Get("x-amzn-ErrorType"); typ != "" {
		c.fail("", "a %d answer carries x-amzn-ErrorType %s", status, typ)
	}
	want := op.HTTP.ResponseCode
	if want == 0 {
		want = http.StatusOK
	}
	if status != want {
		c.fail("", "%s answered %d; the model's http.responseCode is %d", name, status, want)
	}
	if op.Output == nil {
		if len(bytes.TrimSpace(body)) != 0 {
			c.fail("$", "%s has no output in the model, yet the answer has a body %q", name, body)
		}
		return c.problems
	}
	out := m.Shapes[op.Output.Shape]
	if out.Payload != "" {
		p := m.Shapes[out.Members[out.Payload].Shape]
		if p.Type != "structure" {
			return c.problems // a blob or string payload: the body is the document itself
		}
		out = p
	}
	c.body("$", op.Output.Shape, out, body)
	return c.problems
}

// modelCheck collects the problems of one answer.
type modelCheck struct {
	m        *botoModel
	problems []string
}

func (c *modelCheck) fail(path, format string, args ...any) {
	if path != "" {
		path += ": "
	}
	c.problems = append(c.problems, path+fmt.Sprintf(format, args...))
}

// body checks a JSON body against a structure shape.
func (c *modelCheck) body(path, name string, s *botoShape, body []byte) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		c.fail(path, "the body %q is not JSON (%v); the model's %s is a JSON object", body, err, name)
		return
	}
	c.value(path, botoRef{Shape: name}, v)
}

// errorAnswer checks an error answer: its type among the operation's errors (or the protocol's),
// its status that error's, its body the error shape's members.
func (c *modelCheck) errorAnswer(op *botoOperation, opName string, status int, header http.Header, body []byte) {
	typ, _, _ := strings.Cut(header.Get("x-amzn-ErrorType"), ":")
	if typ == "" {
		c.fail("", "a %d answer without x-amzn-ErrorType", status)
		return
	}
	var errs []string
	if op != nil {
		for _, e := range op.Errors {
			errs = append(errs, e.Shape)
		}
	}
	var shape *botoShape
	for _, e := range errs {
		if e == typ {
			shape = c.m.Shapes[e]
		}
	}
	switch {
	case shape != nil:
		if shape.Error == nil || shape.Error.HTTPStatusCode != status {
			code := 0
			if shape.Error != nil {
				code = shape.Error.HTTPStatusCode
			}
			c.fail("", "x-amzn-ErrorType %s answered with status %d; the model's error.httpStatusCode is %d", typ, status, code)
		}
	case protocolErrors[typ] != 0:
		if want := protocolErrors[typ]; want != status {
			c.fail("", "x-amzn-ErrorType %s answered with status %d; AWS answers it with %d", typ, status, want)
		}
		// a protocol error's body is {"message": ...}, as the service's own errors' are
		shape = &botoShape{Type: "structure", Members: map[string]botoRef{"message": {Shape: "String"}}}
	default:
		sort.Strings(errs)
		c.fail("", "x-amzn-ErrorType %s is not an error of %s in the model (%s) nor a protocol error", typ, opName, strings.Join(errs, ", "))
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		c.fail("$", "the error body %q is not JSON: %v", body, err)
		return
	}
	c.structure("$", typ, shape, v)
}

// value checks one JSON value against the shape ref names.
func (c *modelCheck) value(path string, ref botoRef, v any) {
	s := c.m.Shapes[ref.Shape]
	if s == nil {
		c.fail(path, "the model has no shape %s", ref.Shape)
		return
	}
	switch s.Type {
	case "structure":
		c.structure(path, ref.Shape, s, v)
	case "list":
		arr, ok := v.([]any)
		if !ok {
			c.fail(path, "got %s; the model's %s is a list (JSON array)", jsonKind(v), ref.Shape)
			return
		}
		for i, e := range arr {
			c.value(fmt.Sprintf("%s[%d]", path, i), *s.Member, e)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			c.fail(path, "got %s; the model's %s is a map (JSON object)", jsonKind(v), ref.Shape)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			c.value(path+"["+strconv.Quote(k)+"](key)", *s.Key, k)
			// A recorded exception to the model's String values: AWS answers a response
			// template put as null or "" as a null map value (localstack's
			// test_apigateway_api.snapshot.json, test_put_integration_response_templates;
			// fixture integration_response_templates.txtar), so a map value may be null.
			if obj[k] != nil {
				c.value(path+"["+strconv.Quote(k)+"]", *s.Value, obj[k])
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			c.fail(path, "got %s; the model's %s is a string", jsonKind(v), ref.Shape)
			return
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			c.fail(path, "got %q; the model's enum %s is one of %v", str, ref.Shape, s.Enum)
		}
	case "blob":
		if _, ok := v.(string); !ok {
			c.fail(path, "got %s; the model's %s is a blob (a base64 JSON string)", jsonKind(v), ref.Shape)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.fail(path, "got %s; the model's %s is a boolean", jsonKind(v), ref.Shape)
		}
	case "integer", "long":
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			c.fail(path, "got %s; the model's %s is an %s (a JSON integer)", jsonKind(v), ref.Shape, s.Type)
		}
	case "double", "float":
		if _, ok := v.(json.Number); !ok {
			c.fail(path, "got %s; the model's %s is a %s (a JSON number)", jsonKind(v), ref.Shape, s.Type)
		}
	case "timestamp":
		format := ref.TimestampFormat
		if format == "" {
			format = s.TimestampFormat
		}
		if format == "" {
			format = "unixTimestamp" // the rest-json protocol's default
		}
		_, isNum := v.(json.Number)
		_, isStr := v.(string)
		if (format == "unixTimestamp" && !isNum) || (format != "unixTimestamp" && !isStr) {
			c.fail(path, "got %s; the model's %s is a timestamp, format %s", jsonKind(v), ref.Shape, format)
		}
	default:
		c.fail(path, "the model's %s has type %s, which the check does not know", ref.Shape, s.Type)
	}
}

// structure checks a JSON object against a structure shape: every key a body member of it.
func (c *modelCheck) structure(path, name string, s *botoShape, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "got %s; the model's %s is a structure (JSON object)", jsonKind(v), name)
		return
	}
	members := map[string]botoRef{}
	var names []string
	for mn, ref := range s.Members {
		if ref.Location != "" {
			continue // travels in a header (or the URI), never in the body
		}
		key := mn
		if ref.LocationName != "" {
			key = ref.LocationName
		}
		members[key] = ref
		names = append(names, key)
	}
	sort.Strings(names)
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		ref, ok := members[k]
		switch {
		case !ok:
			c.fail(path+"."+k, "not a member of the model's %s (members: %s)", name, strings.Join(names, ", "))
		case obj[k] == nil:
			c.fail(path+"."+k, "null; the model's %s.%s is a %s, left out when unset", name, k, ref.Shape)
		default:
			c.value(path+"."+k, ref, obj[k])
		}
	}
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case json.Number:
		return "the number " + x.String()
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// TestModelCheckFails shows that the model check can fail: each case is an answer that
// disagrees with the model in one way (and must be reported, at its path), or one that agrees.
func TestModelCheckFails(t *testing.T) {
	m := loadServiceModel(t)
	const api = "/restapis/a1b2c3d4e5"
	cases := []struct {
		name, method, uri string
		status            int
		errType, body     string
		want              string // "" for no problem, else a part of the one problem reported
	}{
		{"a RestApi", "GET", api, 200, "", `{"id":"a1b2c3d4e5","name":"n","createdDate":1700000000,"apiKeySource":"HEADER",` +
			`"endpointConfiguration":{"types":["REGIONAL"],"ipAddressType":"ipv4"},"tags":{},"disableExecuteApiEndpoint":false,"minimumCompressionSize":0}`, ""},
		{"unknown key", "GET", api, 200, "", `{"id":"x","restApiId":"x"}`, "$.restApiId: not a member of the model's RestApi"},
		{"wrong type", "GET", api, 200, "", `{"disableExecuteApiEndpoint":"false"}`, `$.disableExecuteApiEndpoint: got the string "false"; the model's Boolean is a boolean`},
		{"bad enum", "GET", api, 200, "", `{"apiKeySource":"header"}`, `$.apiKeySource: got "header"; the model's enum ApiKeySourceType`},
		{"bad enum in a list", "GET", api, 200, "", `{"endpointConfiguration":{"types":["REGIONAL","LOCAL"]}}`, `$.endpointConfiguration.types[1]: got "LOCAL"`},
		{"unknown key nested", "GET", api, 200, "", `{"endpointConfiguration":{"type":"EDGE"}}`, "$.endpointConfiguration.type: not a member of the model's EndpointConfiguration"},
		{"timestamp as a string", "GET", api, 200, "", `{"createdDate":"2024-01-01T00:00:00Z"}`, "$.createdDate: got the string"},
		{"integer with a fraction", "GET", api + "/stages/s", 200, "", `{"methodSettings":{"*/*":{"throttlingBurstLimit":1.5,"throttlingRateLimit":1}}}`, `$.methodSettings["*/*"].throttlingBurstLimit: got the number 1.5`},
		{"map value of the wrong type", "GET", api + "/stages/s", 200, "", `{"variables":{"v":true}}`, `$.variables["v"]: got the boolean true`},
		{"null member", "GET", api, 200, "", `{"description":null}`, "$.description: null"},
		{"null map value", "GET", api + "/stages/s", 200, "", `{"variables":{"v":null}}`, ""},
		{"list items by their locationName", "GET", "/restapis", 200, "", `{"item":[{"id":"x"}],"position":"p"}`, ""},
		{"list items by their member name", "GET", "/restapis", 200, "", `{"items":[{"id":"x"}]}`, "$.items: not a member of the model's RestApis"},
		{"list element", "GET", "/restapis", 200, "", `{"item":[{"id":"x"},{"Id":"y"}]}`, "$.item[1].Id: not a member of the model's RestApi"},
		{"a list that is not one", "GET", "/restapis", 200, "", `{"item":{"id":"x"}}`, "$.item: got an object; the model's ListOfRestApi is a list"},
		{"not JSON", "GET", api, 200, "", `<RestApi/>`, "is not JSON"},
		{"wrong success status", "POST", "/restapis", 200, "", `{"id":"x"}`, "CreateRestApi answered 200; the model's http.responseCode is 201"},
		{"default success status", "GET", api, 201, "", `{"id":"x"}`, "GetRestApi answered 201; the model's http.responseCode is 200"},
		{"a success with an error type", "GET", api, 200, "NotFoundException", `{"id":"x"}`, "a 200 answer carries x-amzn-ErrorType NotFoundException"},
		{"a body without an output", "DELETE", api, 202, "", `{}`, "DeleteRestApi has no output in the model"},
		{"a delete", "DELETE", api, 202, "", ``, ""},
		{"no such operation", "GET", "/nothing", 200, "", `{}`, "the model has no operation at GET /nothing"},
		{"the empty id AWS answers", "GET", "/restapis/", 200, "", `{}`, ""},
		{"an error of the operation", "GET", api, 404, "NotFoundException", `{"message":"Invalid API identifier specified 123456789012:x"}`, ""},
		{"an error type with AWS's suffix", "GET", api, 404, "NotFoundException:http://internal.amazon.com/coral/com.amazonaws.backplane.controlplane/", `{"message":"m"}`, ""},
		{"an error the operation does not have", "POST", "/restapis", 404, "NotFoundException", `{"message":"m"}`, "x-amzn-ErrorType NotFoundException is not an error of CreateRestApi"},
		{"an unknown error type", "GET", api, 400, "InvalidParameterException", `{"message":"m"}`, "x-amzn-ErrorType InvalidParameterException is not an error of GetRestApi"},
		{"an error with the wrong status", "GET", api, 400, "NotFoundException", `{"message":"m"}`, "NotFoundException answered with status 400; the model's error.httpStatusCode is 404"},
		{"a protocol error with the wrong status", "POST", "/restapis", 404, "ValidationException", `{"message":"m"}`, "ValidationException answered with status 404; AWS answers it with 400"},
		{"a protocol error", "POST", "/restapis", 400, "ValidationException", `{"message":"1 validation error detected"}`, ""},
		{"an error body member in a header", "POST", "/restapis", 429, "LimitExceededException", `{"message":"m","retryAfterSeconds":"1"}`, "$.retryAfterSeconds: not a member of the model's LimitExceededException"},
		{"an error without a type", "GET", api, 404, "", `{"message":"m"}`, "a 404 answer without x-amzn-ErrorType"},
		{"an unknown path's error", "GET", "/nothing", 404, "UnknownOperationException", `{"message":"Unknown operation GET /nothing"}`, ""},
		{"an unknown path's other error", "GET", "/nothing", 404, "NotFoundException", `{"message":"m"}`, "not an error of no operation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := url.ParseRequestURI(c.uri)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			if c.errType != "" {
				h.Set("x-amzn-ErrorType", c.errType)
			}
			got := m.answerProblems(c.method, u, c.status, h, []byte(c.body))
			switch {
			case c.want == "" && len(got) != 0:
				t.Errorf("%s %s %d %s: problems %q; want none", c.method, c.uri, c.status, c.body, got)
			case c.want != "" && (len(got) != 1 || !strings.Contains(got[0], c.want)):
				t.Errorf("%s %s %d %s: problems %q; want one containing %q", c.method, c.uri, c.status, c.body, got, c.want)
			}
		})
	}
}

// TestModelCheckRecords shows that a fixture step's disagreement is recorded against its step,
// as runMgmtFixture's hook does for every step.
func TestModelCheckRecords(t *testing.T) {
	f := &mgmtFixture{t: t, vars: map[string]string{"api": "a1b2c3d4e5"}}
	f.checkModel("step 1 (request get)", "GET /restapis/${api} HTTP/1.1\n\n", 200, http.Header{}, []byte(`{"id":"a1b2c3d4e5","Name":"n"}`))
	f.checkModel("step 2 (request list)", "GET /restapis HTTP/1.1\n\n", 200, http.Header{}, []byte(`{"item":[]}`))
	if len(f.modelProblems) != 1 || !strings.HasPrefix(f.modelProblems[0], "step 1 (request get): $.Name: not a member of the model's RestApi") {
		t.Errorf("modelProblems = %q; want one, of step 1's $.Name", f.modelProblems)
	}
}
