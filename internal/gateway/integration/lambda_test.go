package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/lambdacall"
)

const (
	testFunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:echo"
	testLambdaURI   = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + testFunctionARN + "/invocations"
	testSourceARN   = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/POST/pets/{id}"
)

// fakeInvoker is a LambdaInvoker answering with fn, recording what it was given.
type fakeInvoker struct {
	fn func(ctx context.Context, payload []byte) ([]byte, string, error)

	mu        sync.Mutex
	function  string
	sourceARN string
	typ       lambdacall.InvocationType
	payload   []byte
}

func (f *fakeInvoker) Invoke(ctx context.Context, in lambdacall.Invocation) (lambdacall.Result, error) {
	f.mu.Lock()
	f.function, f.sourceARN, f.typ, f.payload = in.FunctionARN, in.SourceARN, in.Type, append([]byte(nil), in.Payload...)
	f.mu.Unlock()
	out, fnErr, err := f.fn(ctx, in.Payload)
	return lambdacall.Result{Payload: out, FunctionError: fnErr, ExecutedVersion: "$LATEST"}, err
}

func answer(out string) func(context.Context, []byte) ([]byte, string, error) {
	return func(context.Context, []byte) ([]byte, string, error) { return []byte(out), "", nil }
}

// testInvocation is a POST /prod/pets/7%20b?... to resource /pets/{id}.
func testInvocation() *invoke.Invocation {
	inv := &invoke.Invocation{
		RequestID:         "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
		ExtendedRequestID: "LnrGXFhQoAMEVjA=",
		TraceID:           "Root=1-5d137d67-8a99e17221febd9e8df569e4",
		RequestTime:       time.Date(2026, 3, 4, 19, 15, 17, 135e6, time.UTC),
		AccountID:         "123456789012",
		APIID:             "a1b2c3d4e5",
		Stage:             "prod",
		DeploymentID:      "dep123",
		ResourceID:        "res456",
		ResourcePath:      "/pets/{id}",
		HTTPMethod:        "POST",
		ContextPath:       "/prod/pets/7%20b",
		PathParams:        []invoke.Param{{Name: "id", Value: "7 b"}},
		StageVariables:    map[string]string{"fn": "echo", "color": "blue"},
		SourceIP:          "192.0.2.10",
		UserAgent:         "curl/8.5.0",
		DomainName:        "a1b2c3d4e5.execute-api.localhost",
		DomainPrefix:      "a1b2c3d4e5",
		Protocol:          "HTTP/1.1",
	}
	inv.Request = invoke.Request{
		Method:   "POST",
		Path:     "/pets/7 b",
		RawPath:  "/pets/7%20b",
		RawQuery: "q=a+b&q=c%2Bd&single=%E2%9C%93&empty",
		Host:     "a1b2c3d4e5.execute-api.localhost:8080",
		Header: http.Header{
			"Accept":          {"application/json"},
			"Content-Type":    {"application/json"},
			"User-Agent":      {"curl/8.5.0"},
			"X-Multi":         {"one", "two"},
			"X-Forwarded-For": {"203.0.113.1"},
			"Content-Length":  {"13"},
			"Connection":      {"keep-alive"},
		},
		Body: []byte(`{"name":"Rex"}`),
	}
	return inv
}

// TestAppendProxyEvent checks the event field by field, as aws-lambda-go reads it.
func TestAppendProxyEvent(t *testing.T) {
	t.Parallel()
	inv := testInvocation()
	raw := appendProxyEvent(nil, inv, nil)
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("appendProxyEvent = %s; not JSON: %v", raw, err)
	}
	want := events.APIGatewayProxyRequest{
		Resource:   "/pets/{id}",
		Path:       "/pets/7%20b",
		HTTPMethod: "POST",
		Headers: map[string]string{
			"Accept": "application/json", "Content-Type": "application/json", "User-Agent": "curl/8.5.0",
			"X-Multi": "two", "Host": "a1b2c3d4e5.execute-api.localhost:8080",
			"X-Amzn-Trace-Id": "Root=1-5d137d67-8a99e17221febd9e8df569e4",
			"X-Forwarded-For": "203.0.113.1, 192.0.2.10", "X-Forwarded-Port": "8080", "X-Forwarded-Proto": "http",
		},
		MultiValueHeaders: map[string][]string{
			"Accept": {"application/json"}, "Content-Type": {"application/json"}, "User-Agent": {"curl/8.5.0"},
			"X-Multi": {"one", "two"}, "Host": {"a1b2c3d4e5.execute-api.localhost:8080"},
			"X-Amzn-Trace-Id": {"Root=1-5d137d67-8a99e17221febd9e8df569e4"},
			"X-Forwarded-For": {"203.0.113.1, 192.0.2.10"}, "X-Forwarded-Port": {"8080"}, "X-Forwarded-Proto": {"http"},
		},
		QueryStringParameters:           map[string]string{"q": "c+d", "single": "✓", "empty": ""},
		MultiValueQueryStringParameters: map[string][]string{"q": {"a b", "c+d"}, "single": {"✓"}, "empty": {""}},
		PathParameters:                  map[string]string{"id": "7 b"},
		StageVariables:                  map[string]string{"fn": "echo", "color": "blue"},
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         "123456789012",
			ResourceID:        "res456",
			Stage:             "prod",
			DomainName:        "a1b2c3d4e5.execute-api.localhost",
			DomainPrefix:      "a1b2c3d4e5",
			RequestID:         "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
			ExtendedRequestID: "LnrGXFhQoAMEVjA=",
			Protocol:          "HTTP/1.1",
			Identity:          events.APIGatewayRequestIdentity{SourceIP: "192.0.2.10", UserAgent: "curl/8.5.0"},
			ResourcePath:      "/pets/{id}",
			Path:              "/prod/pets/7%20b",
			HTTPMethod:        "POST",
			RequestTime:       "04/Mar/2026:19:15:17 +0000",
			RequestTimeEpoch:  1772651717135,
			APIID:             "a1b2c3d4e5",
		},
		Body: `{"name":"Rex"}`,
	}
	got := reflect.ValueOf(ev)
	wv := reflect.ValueOf(want)
	for i := range got.NumField() {
		name := got.Type().Field(i).Name
		if g, w := got.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("appendProxyEvent(...).%s = %#v; want %#v", name, g, w)
		}
	}

	// What the struct cannot show: AWS's key order, its nulls, and keys aws-lambda-go
	// does not model.
	for _, frag := range []string{
		`{"resource":"/pets/{id}","path":"/pets/7%20b","httpMethod":"POST","headers":{"Accept":`,
		`"requestContext":{"resourceId":"res456","resourcePath":"/pets/{id}","httpMethod":"POST","extendedRequestId":"LnrGXFhQoAMEVjA=","requestTime":"04/Mar/2026:19:15:17 +0000","path":"/prod/pets/7%20b","accountId":"123456789012","protocol":"HTTP/1.1","stage":"prod","domainPrefix":"a1b2c3d4e5","requestTimeEpoch":1772651717135,"requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef","identity":{"cognitoIdentityPoolId":null,"accountId":null,"cognitoIdentityId":null,"caller":null,"sourceIp":"192.0.2.10","principalOrgId":null,"accessKey":null,"cognitoAuthenticationType":null,"cognitoAuthenticationProvider":null,"userArn":null,"userAgent":"curl/8.5.0","user":null},"domainName":"a1b2c3d4e5.execute-api.localhost","deploymentId":"dep123","apiId":"a1b2c3d4e5"}`,
		`,"body":"{\"name\":\"Rex\"}","isBase64Encoded":false}`,
	} {
		if !bytes.Contains(raw, []byte(frag)) {
			t.Errorf("appendProxyEvent = %s; want it to contain %s", raw, frag)
		}
	}
	for _, absent := range []string{"Content-Length", "Connection", "keep-alive"} {
		if bytes.Contains(raw, []byte(absent)) {
			t.Errorf("appendProxyEvent = %s; want no %s", raw, absent)
		}
	}
}

// TestAppendProxyEventCases checks the keys that vary with the request.
func TestAppendProxyEventCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		edit   func(inv *invoke.Invocation)
		binary []string
		want   map[string]string // key → its JSON value
	}{
		{"no query, params, variables or body", func(inv *invoke.Invocation) {
			inv.Request.RawQuery, inv.PathParams, inv.StageVariables, inv.Request.Body = "", nil, nil, nil
		}, nil, map[string]string{
			"queryStringParameters": "null", "multiValueQueryStringParameters": "null",
			"pathParameters": "null", "stageVariables": "null", "body": "null", "isBase64Encoded": "false",
		}},
		{"binary body by Content-Type", func(inv *invoke.Invocation) {
			inv.Request.Header.Set("Content-Type", "image/png")
			inv.Request.Body = []byte{0x89, 'P', 'N', 'G', 0xff}
		}, []string{"image/*"}, map[string]string{"body": `"iVBOR/8="`, "isBase64Encoded": "true"}},
		{"text body when the type is not binary", func(inv *invoke.Invocation) {
			inv.Request.Body = []byte("a\"b\n\x01")
		}, []string{"image/png"}, map[string]string{"body": `"a\"b\n\u0001"`, "isBase64Encoded": "false"}},
		{"*/* makes every body binary", func(inv *invoke.Invocation) {
			inv.Request.Header.Del("Content-Type")
			inv.Request.Body = []byte("hi")
		}, []string{"*/*"}, map[string]string{"body": `"aGk="`, "isBase64Encoded": "true"}},
		{"invalid UTF-8 stays valid JSON", func(inv *invoke.Invocation) {
			inv.Request.Body = []byte("a\xffb")
		}, nil, map[string]string{"body": "\"a\uFFFDb\""}},
		{"root resource", func(inv *invoke.Invocation) {
			inv.ResourcePath, inv.Request.RawPath, inv.ContextPath = "/", "", "/prod/"
		}, nil, map[string]string{"resource": `"/"`, "path": `"/"`}},
		{"no User-Agent is a null userAgent", func(inv *invoke.Invocation) {
			inv.UserAgent = ""
		}, nil, map[string]string{"requestContext.identity.userAgent": "null"}},
		{"no Host: port 80", func(inv *invoke.Invocation) {
			inv.Request.Host = ""
		}, nil, map[string]string{"headers.X-Forwarded-Port": `"80"`, "headers.Host": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv := testInvocation()
			tt.edit(inv)
			raw := appendProxyEvent(nil, inv, mediaTypes(tt.binary))
			var ev map[string]any
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatalf("appendProxyEvent = %s; not JSON: %v", raw, err)
			}
			for key, want := range tt.want {
				var v any = ev
				for _, part := range strings.Split(key, ".") {
					m, _ := v.(map[string]any)
					v = m[part]
				}
				got := ""
				if v != nil || want == "null" {
					b, _ := json.Marshal(v)
					got = string(b)
				}
				if got != want {
					t.Errorf("appendProxyEvent(...)[%s] = %s; want %s", key, got, want)
				}
			}
		})
	}
}

func TestParseProxyResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		decode     bool
		wantStatus int
		wantHeader http.Header
		wantBody   string
		wantErr    bool
	}{
		{in: `{}`, wantStatus: 200, wantHeader: http.Header{"Content-Type": {"application/json"}}},
		{in: ` {"statusCode":201,"body":"made"} `, wantStatus: 201, wantHeader: http.Header{"Content-Type": {"application/json"}}, wantBody: "made"},
		{in: `{"statusCode":"404"}`, wantStatus: 404, wantHeader: http.Header{"Content-Type": {"application/json"}}},
		{in: `{"statusCode":null,"headers":null,"multiValueHeaders":null,"body":null,"isBase64Encoded":null}`, wantStatus: 200, wantHeader: http.Header{"Content-Type": {"application/json"}}},
		{in: `{"headers":{"content-type":"text/plain","X-Flag":true,"X-Off":false}}`, wantStatus: 200,
			wantHeader: http.Header{"Content-Type": {"text/plain"}, "X-Flag": {"true"}, "X-Off": {"false"}}},
		{in: `{"headers":{"X-A":"1","X-B":"b"},"multiValueHeaders":{"X-A":["1","2"],"Set-Cookie":["a=1","b=2"],"X-Empty":[]}}`, wantStatus: 200,
			wantHeader: http.Header{"X-A": {"1", "2"}, "X-B": {"b"}, "Set-Cookie": {"a=1", "b=2"}, "Content-Type": {"application/json"}}},
		{in: `{"headers":{"X-A":"3"},"multiValueHeaders":{"x-a":["1","2"]}}`, wantStatus: 200,
			wantHeader: http.Header{"X-A": {"1", "2", "3"}, "Content-Type": {"application/json"}}},
		{in: `{"headers":{"Transfer-Encoding":"chunked","Connection":"close","X-Ok":"y","x-amzn-RequestId":"fn","X-Amzn-Trace-Id":"t"}}`, wantStatus: 200,
			wantHeader: http.Header{"X-Ok": {"y"}, "Content-Type": {"application/json"}, "x-amzn-Remapped-Connection": {"close"}, "x-amzn-Remapped-x-amzn-RequestId": {"fn"}}},
		{in: `{"body":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`, wantStatus: 200, wantHeader: http.Header{"Content-Type": {"application/json"}}, wantBody: "a\"\\/\b\f\n\r\té😀"},
		{in: `{"body":"aGk=","isBase64Encoded":true}`, decode: true, wantStatus: 200, wantHeader: http.Header{"Content-Type": {"application/json"}}, wantBody: "hi"},
		{in: `{"body":"aGk=","isBase64Encoded":true}`, decode: false, wantStatus: 200, wantHeader: http.Header{"Content-Type": {"application/json"}}, wantBody: "aGk="},
		{in: `{"body":"aGk=","isBase64Encoded":false}`, decode: true, wantStatus: 200, wantHeader: http.Header{"Content-Type": {"application/json"}}, wantBody: "aGk="},
		// Nothing a function answers can split the response: names that are not tokens
		// are dropped, CR and LF in values become spaces.
		{in: `{"headers":{"X-A":"1\r\nSet-Cookie: a=1","Bad Name":"x","":"y","X-B\r\nX-C":"z"},"multiValueHeaders":{"X-M":["p\nq","r"]}}`, wantStatus: 200,
			wantHeader: http.Header{"X-A": {"1  Set-Cookie: a=1"}, "X-M": {"p q", "r"}, "Content-Type": {"application/json"}}},
		{in: `{"statusCode":599}`, wantStatus: 599, wantHeader: http.Header{"Content-Type": {"application/json"}}},
		{in: `{"statusCode":100}`, wantStatus: 100, wantHeader: http.Header{"Content-Type": {"application/json"}}},

		// What AWS answers 502 for.
		{in: ``, wantErr: true},
		{in: `null`, wantErr: true},
		{in: `"hello"`, wantErr: true},
		{in: `[{"statusCode":200}]`, wantErr: true},
		{in: `{"statusCode":200,"extra":1}`, wantErr: true},
		{in: `{"StatusCode":200}`, wantErr: true},
		{in: `{"statusCode":"abc"}`, wantErr: true},
		{in: `{"statusCode":200.5}`, wantErr: true},
		{in: `{"statusCode":2e2}`, wantErr: true},
		{in: `{"statusCode":99}`, wantErr: true},
		{in: `{"statusCode":600}`, wantErr: true},
		{in: `{"statusCode":true}`, wantErr: true},
		{in: `{"headers":{"X-N":1}}`, wantErr: true},
		{in: `{"headers":{"X-N":null}}`, wantErr: true},
		{in: `{"headers":["a"]}`, wantErr: true},
		{in: `{"multiValueHeaders":{"X-A":"1"}}`, wantErr: true},
		{in: `{"multiValueHeaders":{"X-A":[1]}}`, wantErr: true},
		{in: `{"body":{"a":1}}`, wantErr: true},
		{in: `{"body":1}`, wantErr: true},
		{in: `{"isBase64Encoded":"true"}`, wantErr: true},
		{in: `{"body":"!!","isBase64Encoded":true}`, decode: true, wantErr: true},
		{in: `{"statusCode":200} x`, wantErr: true},
		{in: `{"statusCode":200,}`, wantErr: true},
		{in: `{"body":"a` + "\n" + `"}`, wantErr: true},
		{in: `{"body":"\x"}`, wantErr: true},
		{in: `{"statusCode":200`, wantErr: true},
	}
	for _, tt := range tests {
		resp, err := parseProxyResponse([]byte(tt.in), tt.decode)
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseProxyResponse(%s, %v) = %d %v %q; want an error", tt.in, tt.decode, resp.StatusCode, resp.Header, resp.Body)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseProxyResponse(%s, %v) = %v; want %d", tt.in, tt.decode, err, tt.wantStatus)
			continue
		}
		if resp.StatusCode != tt.wantStatus || !reflect.DeepEqual(resp.Header, tt.wantHeader) || string(resp.Body) != tt.wantBody {
			t.Errorf("parseProxyResponse(%s, %v) = %d %v %q; want %d %v %q", tt.in, tt.decode, resp.StatusCode, resp.Header, resp.Body, tt.wantStatus, tt.wantHeader, tt.wantBody)
		}
	}
}

func TestLambdaFunction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri, want string
	}{
		{testLambdaURI, testFunctionARN},
		{"arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:123456789012:function:f:live/invocations", "arn:aws-cn:lambda:cn-north-1:123456789012:function:f:live"},
		{"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/my-function/invocations", "my-function"},
		{"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions//invocations", ""},
		// AWS's developer guide writes the Invoke path with its own leading slash.
		{"arn:aws:apigateway:us-east-1:lambda:path//2015-03-31/functions/my-function/invocations", "my-function"},
		{"arn:aws:apigateway:us-east-1:lambda:path///2015-03-31/functions/my-function/invocations", ""},
		{"arn:aws:apigateway:us-east-1:lambda:path/2016-03-31/functions/my-function/invocations", ""},
		{"arn:aws:apigateway:us-east-1:s3:path/bucket/key", ""},
		{"arn:aws:apigateway:us-east-1:sqs:action/SendMessage", ""},
		{"http://example.com/2015-03-31/functions/f/invocations", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", ""},
		{"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f", ""},
	}
	for _, tt := range tests {
		got, err := lambdaFunction(tt.uri)
		if got != tt.want || (err == nil) != (tt.want != "") || IsLambdaURI(tt.uri) != (tt.want != "") {
			t.Errorf("lambdaFunction(%q) = %q, %v; want %q", tt.uri, got, err, tt.want)
		}
	}
}

// notFoundError and deniedError are errors as internal/lambda reports them.
type notFoundError struct{}

func (notFoundError) Error() string          { return "Function not found: " + testFunctionARN }
func (notFoundError) FunctionNotFound() bool { return true }

type throttledError struct{}

func (throttledError) Error() string   { return "function throttled" }
func (throttledError) Throttled() bool { return true }

type deniedError struct{}

func (deniedError) Error() string      { return "not authorized" }
func (deniedError) AccessDenied() bool { return true }

func lambdaConfig(typ, httpMethod string, inv LambdaInvoker) Config {
	return Config{
		Integration: &apigateway.Integration{Type: typ, HTTPMethod: httpMethod, URI: testLambdaURI},
		APIID:       "a1b2c3d4e5",
		Lambda:      inv,
		SourceARN:   testSourceARN,
	}
}

// TestLambdaProxyInvoke maps the invoker's answers to responses and gateway errors.
func TestLambdaProxyInvoke(t *testing.T) {
	t.Parallel()
	type want struct {
		status  int                            // a response's
		body    string                         // a response's
		errType apigateway.GatewayResponseType // an error's
		errCode int                            // the error's own Status
		errMsg  string
	}
	tests := []struct {
		name       string
		httpMethod string
		timeoutMs  int
		fn         func(ctx context.Context, payload []byte) ([]byte, string, error)
		nilInvoker bool
		want       want
	}{
		{name: "answer", fn: answer(`{"statusCode":202,"body":"ok"}`), want: want{status: 202, body: "ok"}},
		{name: "function error is 502", fn: func(context.Context, []byte) ([]byte, string, error) {
			return []byte(`{"errorMessage":"boom","errorType":"errorString"}`), "Unhandled", nil
		}, want: want{errType: apigateway.ResponseDefault5XX, errCode: 502, errMsg: "Internal server error"}},
		{name: "malformed answer is 502", fn: answer(`{"statusCode":200,"bogus":1}`),
			want: want{errType: apigateway.ResponseDefault5XX, errCode: 502, errMsg: "Internal server error"}},
		{name: "timeout is 504", timeoutMs: 50, fn: func(ctx context.Context, _ []byte) ([]byte, string, error) {
			select {
			case <-ctx.Done():
				return nil, "", ctx.Err()
			case <-time.After(10 * time.Second):
				return nil, "", errors.New("the integration's 50 ms timeout did not end the call within 10s")
			}
		}, want: want{errType: apigateway.ResponseIntegrationTimeout, errMsg: "Endpoint request timed out"}},
		{name: "function not found", fn: func(context.Context, []byte) ([]byte, string, error) { return nil, "", notFoundError{} },
			want: want{errType: apigateway.ResponseAPIConfigurationError, errMsg: "Internal server error"}},
		{name: "access denied", fn: func(context.Context, []byte) ([]byte, string, error) {
			return nil, "", fmtWrap(deniedError{})
		}, want: want{errType: apigateway.ResponseAPIConfigurationError, errMsg: "Internal server error"}},
		{name: "throttled is 500", fn: func(context.Context, []byte) ([]byte, string, error) { return nil, "", fmtWrap(throttledError{}) },
			want: want{errType: apigateway.ResponseIntegrationFailure, errCode: 500, errMsg: "Internal server error"}},
		{name: "other invoke failure", fn: func(context.Context, []byte) ([]byte, string, error) { return nil, "", errors.New("runtime crashed") },
			want: want{errType: apigateway.ResponseIntegrationFailure, errCode: 500, errMsg: "Internal server error"}},
		{name: "GET integration method", httpMethod: "GET", fn: answer(`{}`),
			want: want{errType: apigateway.ResponseAPIConfigurationError, errMsg: "Internal server error"}},
		{name: "no invoker", nilInvoker: true,
			want: want{errType: apigateway.ResponseAPIConfigurationError, errMsg: "Internal server error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			method := tt.httpMethod
			if method == "" {
				method = "POST"
			}
			f := &fakeInvoker{fn: tt.fn}
			var li LambdaInvoker = f
			if tt.nilInvoker {
				li = nil
			}
			c := lambdaConfig(apigateway.IntegrationAWSProxy, method, li)
			c.Integration.TimeoutInMillis = tt.timeoutMs
			h, err := NewLambdaProxy(c)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := h.Invoke(context.Background(), testInvocation())
			if tt.want.errType != "" {
				e, ok := invoke.AsError(err)
				if !ok || e.Type != tt.want.errType || e.Status != tt.want.errCode || e.Message != tt.want.errMsg {
					t.Fatalf("Invoke = %v, %v; want %s (%d) %q", resp, err, tt.want.errType, tt.want.errCode, tt.want.errMsg)
				}
				return
			}
			if err != nil || resp.StatusCode != tt.want.status || string(resp.Body) != tt.want.body {
				t.Fatalf("Invoke = %v, %v; want %d %q", resp, err, tt.want.status, tt.want.body)
			}
			if f.function != testFunctionARN {
				t.Errorf("invoked function = %q; want %q", f.function, testFunctionARN)
			}
		})
	}
}

func fmtWrap(err error) error { return &wrapped{err} }

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "invoke: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

// TestLambdaSourceARN: the invoker gets the method's source ARN with every call.
func TestLambdaSourceARN(t *testing.T) {
	t.Parallel()
	f := &fakeInvoker{fn: answer(`{}`)}
	h, err := NewLambdaProxy(lambdaConfig(apigateway.IntegrationAWSProxy, "POST", f))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Invoke(context.Background(), testInvocation()); err != nil {
		t.Fatal(err)
	}
	if f.sourceARN != testSourceARN || f.function != testFunctionARN {
		t.Errorf("Invoke(%q from %q); want (%q from %q)", f.function, f.sourceARN, testFunctionARN, testSourceARN)
	}
}

// TestLambdaStageVariableFunction: the function is named by a stage variable, resolved
// per stage; a stage without it gets a StageValueError (the gateway then answers 500 for
// that method only: TestStageValueFailsOnlyItsMethod).
func TestLambdaStageVariableFunction(t *testing.T) {
	t.Parallel()
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations"
	for _, tt := range []struct {
		vars map[string]string
		want string // the invoked function; "" for a 500
	}{
		{map[string]string{"fn": "blue"}, "arn:aws:lambda:us-east-1:123456789012:function:blue"},
		{map[string]string{"fn": "green:live"}, "arn:aws:lambda:us-east-1:123456789012:function:green:live"},
		{nil, ""},
	} {
		f := &fakeInvoker{fn: answer(`{}`)}
		c := lambdaConfig(apigateway.IntegrationAWSProxy, "POST", f)
		c.Integration.URI, c.StageVariables = uri, tt.vars
		h, err := NewLambdaProxy(c)
		if tt.want == "" {
			if sve := (*StageValueError)(nil); !errors.As(err, &sve) {
				t.Errorf("NewLambdaProxy with variables %v = %v; want a StageValueError", tt.vars, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.Invoke(context.Background(), testInvocation())
		if err != nil || f.function != tt.want {
			t.Errorf("Invoke with variables %v invoked %q, %v; want %q", tt.vars, f.function, err, tt.want)
		}
	}
}

// TestLambdaNonProxy: the request template builds the payload; the function's error
// message selects the integration response.
func TestLambdaNonProxy(t *testing.T) {
	t.Parallel()
	responses := map[string]*apigateway.IntegrationResponse{
		"200": {StatusCode: "200"},
		"400": {StatusCode: "400", SelectionPattern: "Bad.*", ResponseTemplates: map[string]string{
			"application/json": `{"error": $input.json('$.errorMessage')}`}},
		"404": {StatusCode: "404", SelectionPattern: ".*not found.*"},
	}
	tests := []struct {
		name      string
		out       string
		fnErr     string
		responses map[string]*apigateway.IntegrationResponse
		wantCode  int
		wantBody  string
		wantErr   apigateway.GatewayResponseType
	}{
		{name: "success takes the default", out: `{"answer":42}`, responses: responses, wantCode: 200, wantBody: `{"answer":42}`},
		{name: "success whose body looks like an error still takes the default", out: `{"errorMessage":"Bad one"}`, responses: responses, wantCode: 200, wantBody: `{"errorMessage":"Bad one"}`},
		{name: "error selected by pattern", out: `{"errorMessage":"Bad input: x","errorType":"errorString"}`, fnErr: "Unhandled", responses: responses, wantCode: 400, wantBody: `{"error": "Bad input: x"}`},
		{name: "pattern matches the whole message", out: `{"errorMessage":"pet not found today"}`, fnErr: "Unhandled", responses: responses, wantCode: 404, wantBody: `{"errorMessage":"pet not found today"}`},
		{name: "not a prefix match", out: `{"errorMessage":"Very Bad"}`, fnErr: "Unhandled", responses: responses, wantCode: 200, wantBody: `{"errorMessage":"Very Bad"}`},
		{name: "unmatched error takes the default", out: `{"errorMessage":"other"}`, fnErr: "Unhandled", responses: responses, wantCode: 200, wantBody: `{"errorMessage":"other"}`},
		// A success is matched as an empty errorMessage (IntegrationResponse.selectionPattern:
		// "if the success response returns nothing and the error response returns some
		// string, you could use the .+ regex to match error response").
		{name: "success is matched as an empty message", out: `{"answer":42}`, wantCode: 204, wantBody: `{"answer":42}`,
			responses: map[string]*apigateway.IntegrationResponse{"200": {StatusCode: "200"}, "204": {StatusCode: "204", SelectionPattern: ".*"}}},
		{name: ".+ matches errors only: success", out: `{"answer":42}`, wantCode: 200, wantBody: `{"answer":42}`,
			responses: map[string]*apigateway.IntegrationResponse{"200": {StatusCode: "200"}, "500": {StatusCode: "500", SelectionPattern: ".+"}}},
		{name: ".+ matches errors only: error", out: `{"errorMessage":"boom"}`, fnErr: "Unhandled", wantCode: 500, wantBody: `{"errorMessage":"boom"}`,
			responses: map[string]*apigateway.IntegrationResponse{"200": {StatusCode: "200"}, "500": {StatusCode: "500", SelectionPattern: ".+"}}},
		{name: "success with no default but a pattern for it", out: `{"answer":42}`, wantCode: 200, wantBody: `{"answer":42}`,
			responses: map[string]*apigateway.IntegrationResponse{"200": {StatusCode: "200", SelectionPattern: "^$"}}},
		{name: "no default: 500", out: `{"errorMessage":"other"}`, fnErr: "Unhandled",
			responses: map[string]*apigateway.IntegrationResponse{"400": responses["400"]}, wantErr: apigateway.ResponseAPIConfigurationError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeInvoker{fn: func(context.Context, []byte) ([]byte, string, error) { return []byte(tt.out), tt.fnErr, nil }}
			c := lambdaConfig(apigateway.IntegrationAWS, "POST", f)
			c.Integration.RequestTemplates = map[string]string{"application/json": `{"pet": $input.json('$.name'), "id": "$input.params('id')"}`}
			c.Integration.IntegrationResponses = tt.responses
			h, err := NewLambda(c)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := h.Invoke(context.Background(), testInvocation())
			if tt.wantErr != "" {
				if e, ok := invoke.AsError(err); !ok || e.Type != tt.wantErr {
					t.Fatalf("Invoke = %v, %v; want %s", resp, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantCode || string(resp.Body) != tt.wantBody {
				t.Errorf("Invoke = %d %s; want %d %s", resp.StatusCode, resp.Body, tt.wantCode, tt.wantBody)
			}
			if want := `{"pet": "Rex", "id": "7 b"}`; string(f.payload) != want {
				t.Errorf("payload = %s; want %s", f.payload, want)
			}
		})
	}
}

// TestLambdaNonProxyPassthrough: without a template the body passes through; an empty one
// becomes {} as Lambda's Invoke makes it; NEVER refuses an unmapped type.
func TestLambdaNonProxyPassthrough(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body, passthrough string
		want              string
		wantErr           apigateway.GatewayResponseType
	}{
		{body: `{"a":1}`, want: `{"a":1}`},
		{body: "", want: "{}"},
		{body: `{"a":1}`, passthrough: apigateway.PassthroughNever, wantErr: apigateway.ResponseUnsupportedMediaType},
	} {
		f := &fakeInvoker{fn: answer(`"done"`)}
		c := lambdaConfig(apigateway.IntegrationAWS, "POST", f)
		c.Integration.PassthroughBehavior = tt.passthrough
		c.Integration.IntegrationResponses = map[string]*apigateway.IntegrationResponse{"200": {StatusCode: "200"}}
		h, err := NewLambda(c)
		if err != nil {
			t.Fatal(err)
		}
		inv := testInvocation()
		inv.Request.Body = []byte(tt.body)
		resp, err := h.Invoke(context.Background(), inv)
		if tt.wantErr != "" {
			if e, ok := invoke.AsError(err); !ok || e.Type != tt.wantErr {
				t.Errorf("Invoke(body %q, %s) = %v; want %s", tt.body, tt.passthrough, err, tt.wantErr)
			}
			continue
		}
		if err != nil || string(f.payload) != tt.want || string(resp.Body) != `"done"` {
			t.Errorf("Invoke(body %q) sent %q, %v; want %q", tt.body, f.payload, err, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"errorMessage":"boom","errorType":"x"}`, "boom"},
		{`{"errorType":"x","stackTrace":[{"a":[1,2,{"b":null}]}],"errorMessage":"line1\nline2"}`, "line1\nline2"},
		{`{"errorType":"x"}`, ""},
		{`"just a string"`, ""},
		{`{"errorMessage":5}`, ""},
		{`{bad`, ""},
	}
	for _, tt := range tests {
		if got := errorMessage([]byte(tt.in)); got != tt.want {
			t.Errorf("errorMessage(%s) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestAcceptsBinary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		types  []string
		accept string
		want   bool
	}{
		{nil, "image/png", false},
		{[]string{"image/png"}, "image/png", true},
		{[]string{"image/png"}, "text/html, image/png;q=0.9", false}, // only the first counts
		{[]string{"image/png"}, "image/png;q=0.9, text/html", true},
		{[]string{"*/test"}, "application/test", true},
		{[]string{"image/*"}, "image/jpeg", true},
		{[]string{"image/png"}, "*/*", false},
		{[]string{"image/png"}, "", false},
		{[]string{"*/*"}, "", true},
	}
	for _, tt := range tests {
		if got := mediaTypes(tt.types).acceptsBinary(tt.accept); got != tt.want {
			t.Errorf("mediaTypes(%q).acceptsBinary(%q) = %v; want %v", tt.types, tt.accept, got, tt.want)
		}
	}
}

// BenchmarkLambdaProxy is the gateway's share of an AWS_PROXY call: the event built, a
// fast fake function answering, its answer parsed.
func BenchmarkLambdaProxy(b *testing.B) {
	out := []byte(`{"statusCode":200,"headers":{"Content-Type":"application/json","X-Request":"abc"},"multiValueHeaders":{"Set-Cookie":["a=1","b=2"]},"body":"{\"message\":\"hello\"}","isBase64Encoded":false}`)
	f := &fastInvoker{out: out}
	h, err := NewLambdaProxy(lambdaConfig(apigateway.IntegrationAWSProxy, "POST", f))
	if err != nil {
		b.Fatal(err)
	}
	inv := testInvocation()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := h.Invoke(ctx, inv)
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(resp, err)
		}
	}
}

// fastInvoker answers at once, checking only that it got an event.
type fastInvoker struct{ out []byte }

func (f *fastInvoker) Invoke(_ context.Context, in lambdacall.Invocation) (lambdacall.Result, error) {
	if len(in.Payload) == 0 || in.Payload[0] != '{' {
		return lambdacall.Result{}, errors.New("no event")
	}
	return lambdacall.Result{Payload: f.out}, nil
}

func FuzzParseProxyResponse(f *testing.F) {
	for _, s := range []string{`{}`, `{"statusCode":"200","headers":{"a":true},"multiValueHeaders":{"b":["c"]},"body":"\u00e9\ud83d\ude00","isBase64Encoded":false}`, `{"body":"\ud800x"}`, `[1]`} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, decode bool) {
		resp, err := parseProxyResponse(in, decode)
		if err != nil {
			return
		}
		if !json.Valid(in) {
			t.Fatalf("parseProxyResponse(%q) accepted invalid JSON", in)
		}
		var v struct {
			Body *string `json:"body"`
		}
		if json.Unmarshal(in, &v) == nil && v.Body != nil && !decode && string(resp.Body) != *v.Body {
			t.Fatalf("parseProxyResponse(%q).Body = %q; encoding/json reads %q", in, resp.Body, *v.Body)
		}
		_ = errorMessage(in)
	})
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c", "\x00\x1f\x7f", "é😀", "a\xffb", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := invoke.AppendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("AppendJSONString(%q) = %s; not JSON: %v", s, out, err)
		}
		// Each byte of an invalid sequence becomes U+FFFD, as encoding/json writes it.
		var want strings.Builder
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			want.WriteRune(r)
			i += size
		}
		if got != want.String() {
			t.Fatalf("AppendJSONString(%q) reads back %q; want %q", s, got, want.String())
		}
		// The scanner reads back what was written.
		sc := scanner{b: out}
		back, err := sc.str()
		if err != nil || string(back) != got {
			t.Fatalf("scanner.str(%s) = %q, %v; want %q", out, back, err, got)
		}
	})
}

// TestLambdaNonProxyInvocationType: integration.request.header.X-Amz-Invocation-Type
// chooses the invocation type, static ('Event') or from the method request; an Event
// invocation's empty answer goes through the integration response's template ($input.body
// of an empty payload is AWS's placeholder {}).
func TestLambdaNonProxyInvocationType(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, mapping, header string // header: the client's InvocationType, "" for none
		want                  lambdacall.InvocationType
		wantBody              string
		wantErr               bool
	}{
		{name: "none", want: lambdacall.RequestResponse, wantBody: `{"body": "done"}`},
		{name: "static Event", mapping: "'Event'", want: lambdacall.Event, wantBody: `{"body": "{}"}`},
		{name: "static RequestResponse", mapping: "'RequestResponse'", want: lambdacall.RequestResponse, wantBody: `{"body": "done"}`},
		{name: "client Event", mapping: "method.request.header.InvocationType", header: "Event", want: lambdacall.Event, wantBody: `{"body": "{}"}`},
		{name: "client none", mapping: "method.request.header.InvocationType", want: lambdacall.RequestResponse, wantBody: `{"body": "done"}`},
		{name: "client DryRun", mapping: "method.request.header.InvocationType", header: "DryRun", wantErr: true},
	} {
		f := &fakeInvoker{fn: answer(`done`)}
		c := lambdaConfig(apigateway.IntegrationAWS, "POST", f)
		if tt.mapping != "" {
			c.Integration.RequestParameters = map[string]string{"integration.request.header.X-Amz-Invocation-Type": tt.mapping}
		}
		c.Integration.IntegrationResponses = map[string]*apigateway.IntegrationResponse{"200": {StatusCode: "200",
			ResponseTemplates: map[string]string{"application/json": `{"body": "$input.body"}`}}}
		h, err := NewLambda(c)
		if err != nil {
			t.Fatal(err)
		}
		inv := testInvocation()
		if tt.header != "" {
			inv.Request.Header.Set("InvocationType", tt.header)
		}
		resp, err := h.Invoke(context.Background(), inv)
		if tt.wantErr {
			if e, ok := invoke.AsError(err); !ok || e.Status != 0 && e.Status != 500 {
				t.Errorf("%s: Invoke = %v, %v; want a 500", tt.name, resp, err)
			}
			continue
		}
		if err != nil || f.typ != tt.want || resp.StatusCode != 200 || string(resp.Body) != tt.wantBody {
			t.Errorf("%s: Invoke = %v, %v, type %q; want 200 %s, type %q", tt.name, resp, err, f.typ, tt.wantBody, tt.want)
		}
	}
}
