package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/sigv4"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

func TestParseAWSURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri     string
		want    awsURI
		wantErr string
	}{
		{uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", want: awsURI{"aws", "us-east-1", "sqs", "action", "SendMessage"}},
		{uri: "arn:aws:apigateway:eu-west-1:s3:path/{bucket}/{key}", want: awsURI{"aws", "eu-west-1", "s3", "path", "{bucket}/{key}"}},
		{uri: "arn:aws:apigateway:us-west-2:my-bucket.s3:path/a:b/c", want: awsURI{"aws", "us-west-2", "my-bucket.s3", "path", "a:b/c"}},
		{uri: "arn:aws-cn:apigateway:cn-north-1:s3:action/GetObject&Bucket={b}&Key={k}", want: awsURI{"aws-cn", "cn-north-1", "s3", "action", "GetObject&Bucket={b}&Key={k}"}},
		{uri: "arn:aws:apigateway:us-east-1:dynamodb:path/", want: awsURI{"aws", "us-east-1", "dynamodb", "path", ""}},
		{uri: "https://sqs.us-east-1.amazonaws.com/", wantErr: "want arn:aws:apigateway"},
		{uri: "arn:aws:lambda:us-east-1:sqs:action/SendMessage", wantErr: "want arn:aws:apigateway"},
		{uri: "arn:aws:apigateway:us-east-1:sqs:SendMessage", wantErr: `"SendMessage" is neither action/{action} nor path/{path}`},
		{uri: "arn:aws:apigateway:us-east-1:sqs:query/SendMessage", wantErr: "is neither action"},
		{uri: "arn:aws:apigateway:us-east-1:sqs:action/", wantErr: `action "" is not an action name`},
		{uri: "arn:aws:apigateway:us-east-1:sqs:action/Send Message", wantErr: "is not an action name"},
		{uri: "arn:aws:apigateway::sqs:action/SendMessage", wantErr: `region "" is not a region name`},
		{uri: "arn:aws:apigateway:us-east-1::action/SendMessage", wantErr: `service "" is not a service name`},
		{uri: "arn:aws:apigateway:us-east-1:s q.s3:path/x", wantErr: "is not a service name"},
		{uri: "arn:gcp:apigateway:us-east-1:sqs:path/x", wantErr: `partition "gcp"`},
		// Every problem at once.
		{uri: "arn:aws:apigateway:::bad/", wantErr: `region "" is not a region name like us-east-1; service "" is not a service name like sqs or {subdomain}.s3; "bad/" is neither`},
	}
	for _, tt := range tests {
		got, err := parseAWSURI(tt.uri)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseAWSURI(%q) = %+v, %v; want error containing %q", tt.uri, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseAWSURI(%q) = %+v, %v; want %+v", tt.uri, got, err, tt.want)
		}
	}
}

func TestSigningName(t *testing.T) {
	t.Parallel()
	tests := []struct{ uriService, wantSub, wantSigning string }{
		{"sqs", "", "sqs"},
		{"my-bucket.s3", "my-bucket", "s3"},
		{"my.dotted.bucket.s3", "my.dotted.bucket", "s3"},
		{"runtime.sagemaker", "", "sagemaker"},
		{"streams.dynamodb", "", "dynamodb"},
		{"email", "", "ses"},
	}
	for _, tt := range tests {
		sub, svc := baseService(tt.uriService)
		if got := signingName(svc); sub != tt.wantSub || got != tt.wantSigning {
			t.Errorf("baseService(%q) = %q, %q (signs as %q); want subdomain %q, signing %q", tt.uriService, sub, svc, got, tt.wantSub, tt.wantSigning)
		}
	}
}

func TestParseAWSCredentials(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::123456789012:role/apigw-sqs"
	file := `# keys for gatehouse's AWS service integrations
[arn:aws:iam::123456789012:role/apigw-sqs]
aws_access_key_id = AKIDROLE
AWS_Secret_Access_Key = secret/role ; inline comment
aws_session_token = token+1

[default]
aws_access_key_id=AKIDDEFAULT
aws_secret_access_key=secretdefault
region = us-east-1
s3 =
    max_concurrent_requests = 10

[profile-with-no-keys]
role_arn = arn:aws:iam::123456789012:role/other
`
	c, err := ParseAWSCredentials(strings.NewReader(file))
	if err != nil {
		t.Fatalf("ParseAWSCredentials = %v; want no error", err)
	}
	lookups := []struct {
		role       string
		wantKey    string
		wantSecret string
		wantToken  string
	}{
		{role, "AKIDROLE", "secret/role", "token+1"},
		{"arn:aws:iam::123456789012:role/other", "AKIDDEFAULT", "secretdefault", ""},
		{"", "AKIDDEFAULT", "secretdefault", ""},
	}
	for _, l := range lookups {
		got, ok := c.Lookup(l.role)
		if !ok || got.AccessKeyID != l.wantKey || got.SecretAccessKey != l.wantSecret || got.SessionToken != l.wantToken {
			t.Errorf("Lookup(%q) = %+v, %v; want %s/%s/%q", l.role, got, ok, l.wantKey, l.wantSecret, l.wantToken)
		}
	}
	if n := c.Profiles(); n != 2 {
		t.Errorf("Profiles() = %d; want 2", n)
	}

	onlyRole, err := ParseAWSCredentials(strings.NewReader("[" + role + "]\naws_access_key_id=A\naws_secret_access_key=S\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := onlyRole.Lookup("arn:aws:iam::123456789012:role/other"); ok {
		t.Errorf("Lookup(other role) without [default] = %+v, true; want false", got)
	}
	var none *AWSCredentials
	if got, ok := none.Lookup(role); ok {
		t.Errorf("(*AWSCredentials)(nil).Lookup = %+v, true; want false", got)
	}

	bad := []struct{ file, wantErr string }{
		{"", "no profile has both"},
		{"[a]\nregion=x\n", "no profile has both"},
		{"[a]\naws_access_key_id=A\n", `line 1: profile "a": missing aws_secret_access_key`},
		{"[a]\naws_secret_access_key=S\n", `line 1: profile "a": missing aws_access_key_id`},
		{"aws_access_key_id=A\n", "line 1: aws_access_key_id outside a profile"},
		{"[a\n", `line 1: malformed profile header "[a"`},
		{"[a]\nnonsense\n", `line 2: expected [profile] or key = value, got "nonsense"`},
		{"[a]\naws_access_key_id=A\naws_access_key_id=B\naws_secret_access_key=S\n", `line 3: profile "a": aws_access_key_id repeated (first at line 2)`},
		{"[a]\naws_access_key_id=A\naws_secret_access_key=S\n[a]\n", `line 4: profile "a" repeated (first at line 1)`},
		// Every problem at once.
		{"x=1\n[]\n[b]\naws_access_key_id=A\n", "line 1: x outside a profile\nline 2: empty profile name\nline 3: profile \"b\": missing aws_secret_access_key"},
	}
	for _, b := range bad {
		if _, err := ParseAWSCredentials(strings.NewReader(b.file)); err == nil || !strings.Contains(err.Error(), b.wantErr) {
			t.Errorf("ParseAWSCredentials(%q) = %v; want error containing %q", b.file, err, b.wantErr)
		}
	}
}

func FuzzParseAWSCredentials(f *testing.F) {
	f.Add("[default]\naws_access_key_id=A\naws_secret_access_key=S\n")
	f.Add("[arn:aws:iam::1:role/r]\n aws_access_key_id = A # c\naws_secret_access_key=S\naws_session_token=T\n")
	f.Add("\ufeff[a]\ns3 =\n  x = 1\n")
	f.Fuzz(func(t *testing.T, file string) {
		c, err := ParseAWSCredentials(strings.NewReader(file))
		if err != nil {
			return
		}
		if c.Profiles() == 0 {
			t.Fatalf("ParseAWSCredentials(%q) = no profiles, nil error", file)
		}
		for name, p := range c.profiles {
			if p.AccessKeyID == "" || p.SecretAccessKey == "" {
				t.Fatalf("profile %q = %+v: a key is empty", name, p)
			}
		}
	})
}

func FuzzParseAWSURI(f *testing.F) {
	f.Add("arn:aws:apigateway:us-east-1:sqs:action/SendMessage")
	f.Add("arn:aws:apigateway:us-east-1:b.s3:path/{bucket}/{key+}?x=1")
	f.Add("arn:aws:apigateway:us-east-1:s3:action/GetObject&Bucket={b}&Key={k}")
	f.Fuzz(func(t *testing.T, uri string) {
		u, err := parseAWSURI(uri)
		if err != nil {
			return
		}
		// Whatever parses compiles into an integration or reports why, never panics.
		in := &apigateway.Integration{Type: apigateway.IntegrationAWS, HTTPMethod: "POST", URI: uri}
		_, _ = NewAWSService(Config{Integration: in}, AWSServiceConfig{Endpoints: map[string]string{u.service: "http://127.0.0.1:1"}})
		_, _ = NewAWSService(Config{Integration: in}, AWSServiceConfig{})
	})
}

// awsSeen is one request an AWS service stub received, and how its signature verified.
type awsSeen struct {
	method, uri, host, body string
	header                  http.Header
	result                  *sigv4.Result
	verifyErr               error
}

// awsStub is a stand-in AWS service that records each request and verifies its signature
// with gatehouse's own SigV4 verifier (checked against AWS's test suite), for the keys
// given.
func awsStub(t *testing.T, keys map[string]string, status int, respHeader http.Header, respBody string) (*httptest.Server, <-chan awsSeen) {
	t.Helper()
	seen := make(chan awsSeen, 16)
	v := &sigv4.Verifier{Credentials: func(id string) (string, bool) { s, ok := keys[id]; return s, ok }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		res, err := v.Verify(r, b)
		if r.URL.Path == "/slow" {
			// Not reported: the caller's timeout may cut it before it arrives, or after.
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
			return
		}
		seen <- awsSeen{r.Method, r.RequestURI, r.Host, string(b), r.Header.Clone(), res, err}
		for k, vs := range respHeader {
			w.Header()[k] = vs
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, respBody)
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func testCredentials(t *testing.T, file string) *AWSCredentials {
	t.Helper()
	c, err := ParseAWSCredentials(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// passThrough is a lone default integration response: the service's payload as it is.
var passThrough = map[string]*apigateway.IntegrationResponse{"200": {StatusCode: "200"}}

const testCredsFile = `[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default

[arn:aws:iam::123456789012:role/apigw-sqs]
aws_access_key_id = AKIDSQS
aws_secret_access_key = secret-sqs
aws_session_token = session-sqs
`

// TestAWSServiceRequests builds integrations of each URI form, calls them, and checks the
// request the service received: method, target, host, headers, body, and a signature that
// verifies for the service, region and the role's keys.
func TestAWSServiceRequests(t *testing.T) {
	t.Parallel()
	keys := map[string]string{"AKIDDEFAULT": "secret-default", "AKIDSQS": "secret-sqs"}
	srv, seen := awsStub(t, keys, 200, http.Header{"Content-Type": {"application/x-amz-json-1.0"}}, `{"ok":true}`)
	creds := testCredentials(t, testCredsFile)
	tests := []struct {
		name       string
		in         apigateway.Integration
		endpoints  map[string]string
		req        invoke.Request
		pathParams []invoke.Param
		// What the service saw.
		wantMethod, wantURI, wantBody string
		wantHeader                    map[string]string // "" means absent
		wantService, wantRegion       string
		wantKey                       string
	}{
		{
			name: "SQS SendMessage, action form, form-encoded template, role keys with a session token",
			in: apigateway.Integration{
				URI: "arn:aws:apigateway:eu-west-1:sqs:action/SendMessage", HTTPMethod: "POST",
				Credentials:       "arn:aws:iam::123456789012:role/apigw-sqs",
				RequestParameters: map[string]string{"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
				RequestTemplates:  map[string]string{"application/json": "QueueUrl=$util.urlEncode('https://sqs.eu-west-1.amazonaws.com/123456789012/q')&MessageBody=$util.urlEncode($input.body)"},
			},
			req:        invoke.Request{Method: "POST", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"a": "b&c"}`)},
			wantMethod: "POST", wantURI: "/?Action=SendMessage&Version=2012-11-05",
			wantBody: "QueueUrl=https%3A%2F%2Fsqs.eu-west-1.amazonaws.com%2F123456789012%2Fq&MessageBody=%7B%22a%22%3A+%22b%26c%22%7D",
			wantHeader: map[string]string{
				"Content-Type": "application/x-www-form-urlencoded", "X-Amz-Security-Token": "session-sqs",
				"User-Agent": "AmazonAPIGateway_api1", "Accept": "application/json", "X-Amz-Target": "",
			},
			wantService: "sqs", wantRegion: "eu-west-1", wantKey: "AKIDSQS",
		},
		{
			name: "DynamoDB Query, action form: API Gateway sets X-Amz-Target itself; another role signs with [default]",
			in: apigateway.Integration{
				URI: "arn:aws:apigateway:us-east-1:dynamodb:action/Query", HTTPMethod: "POST",
				Credentials:      "arn:aws:iam::123456789012:role/other",
				RequestTemplates: map[string]string{"application/json": `{"TableName":"t","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"$input.params('id')"}}}`},
			},
			req:        invoke.Request{Method: "GET", Header: http.Header{}},
			pathParams: []invoke.Param{{Name: "id", Value: "42"}},
			wantMethod: "POST", wantURI: "/?Action=Query",
			wantBody:    `{"TableName":"t","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"42"}}}`,
			wantHeader:  map[string]string{"X-Amz-Target": "DynamoDB_20120810.Query", "X-Amz-Security-Token": "", "Content-Type": ""},
			wantService: "dynamodb", wantRegion: "us-east-1", wantKey: "AKIDDEFAULT",
		},
		{
			name: "DynamoDB PutItem, path form: X-Amz-Target and Content-Type from requestParameters",
			in: apigateway.Integration{
				URI: "arn:aws:apigateway:us-east-1:dynamodb:path/", HTTPMethod: "POST",
				RequestParameters: map[string]string{
					"integration.request.header.X-Amz-Target": "'DynamoDB_20120810.PutItem'",
					"integration.request.header.Content-Type": "'application/x-amz-json-1.0'",
				},
			},
			req:        invoke.Request{Method: "POST", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"TableName":"t"}`)},
			wantMethod: "POST", wantURI: "/", wantBody: `{"TableName":"t"}`,
			wantHeader:  map[string]string{"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"},
			wantService: "dynamodb", wantRegion: "us-east-1", wantKey: "AKIDDEFAULT",
		},
		{
			name: "S3 PutObject, path form with path parameters: binary passthrough, X-Amz-Content-Sha256",
			in: apigateway.Integration{
				URI: "arn:aws:apigateway:us-west-2:s3:path/{bucket}/{key}", HTTPMethod: "PUT",
				RequestParameters: map[string]string{
					"integration.request.path.bucket":         "method.request.path.folder",
					"integration.request.path.key":            "method.request.path.item",
					"integration.request.header.Content-Type": "method.request.header.Content-Type",
				},
			},
			req:        invoke.Request{Method: "PUT", Header: http.Header{"Content-Type": {"image/png"}}, Body: []byte("\x89PNG\r\n\x1a\n\x00\xff")},
			pathParams: []invoke.Param{{Name: "folder", Value: "photos"}, {Name: "item", Value: "cat.png"}},
			wantMethod: "PUT", wantURI: "/photos/cat.png", wantBody: "\x89PNG\r\n\x1a\n\x00\xff",
			wantHeader:  map[string]string{"Content-Type": "image/png", "X-Amz-Content-Sha256": sha256Hex("\x89PNG\r\n\x1a\n\x00\xff")},
			wantService: "s3", wantRegion: "us-west-2", wantKey: "AKIDDEFAULT",
		},
		{
			name: "S3 bucket subdomain through an endpoint override: path-style; GET sends no body",
			in: apigateway.Integration{
				URI: "arn:aws:apigateway:us-east-1:${stageVariables.bucket}.s3:path/{item}", HTTPMethod: "GET",
			},
			req:        invoke.Request{Method: "GET", Header: http.Header{}, Body: []byte("ignored")},
			pathParams: []invoke.Param{{Name: "item", Value: "a"}},
			wantMethod: "GET", wantURI: "/my-bucket/a",
			wantService: "s3", wantRegion: "us-east-1", wantKey: "AKIDDEFAULT",
		},
		{
			name: "action form with its own parameters, substituted from path parameters",
			in: apigateway.Integration{
				URI: "arn:aws:apigateway:us-east-1:sns:action/Publish&TopicArn={topic}", HTTPMethod: "POST",
				RequestParameters: map[string]string{"integration.request.querystring.Message": "method.request.querystring.m"},
			},
			req:        invoke.Request{Method: "POST", RawQuery: "m=hello+world", Header: http.Header{}},
			pathParams: []invoke.Param{{Name: "topic", Value: "arn:aws:sns:us-east-1:1:t"}},
			wantMethod: "POST", wantURI: "/?Action=Publish&Message=hello%20world&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At&Version=2010-03-31",
			wantService: "sns", wantRegion: "us-east-1", wantKey: "AKIDDEFAULT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Type = apigateway.IntegrationAWS
			in.IntegrationResponses = passThrough
			endpoints := tt.endpoints
			if endpoints == nil {
				endpoints = map[string]string{"*": srv.URL}
			}
			h, err := NewAWSService(Config{Integration: &in, APIID: "api1", StageVariables: map[string]string{"bucket": "my-bucket"}, BinaryMediaTypes: []string{"image/png"}},
				AWSServiceConfig{Credentials: creds, Endpoints: endpoints})
			if err != nil {
				t.Fatalf("NewAWSService = %v", err)
			}
			inv := &invoke.Invocation{TraceID: "Root=1-x", Request: tt.req, PathParams: tt.pathParams}
			resp, err := h.Invoke(context.Background(), inv)
			if err != nil {
				t.Fatalf("Invoke = %v", err)
			}
			if resp.StatusCode != 200 || string(resp.Body) != `{"ok":true}` {
				t.Errorf("Invoke = %d %q; want the service's 200 answer passed through", resp.StatusCode, resp.Body)
			}
			s := testwait.Recv(t, seen, testwait.Patient, "the request at the service")
			if s.method != tt.wantMethod || s.uri != tt.wantURI || s.body != tt.wantBody || s.host != srv.Listener.Addr().String() {
				t.Errorf("service saw %s %s (Host %s) %q; want %s %s %q", s.method, s.uri, s.host, s.body, tt.wantMethod, tt.wantURI, tt.wantBody)
			}
			for k, want := range tt.wantHeader {
				if got := s.header.Get(k); got != want {
					t.Errorf("service saw %s: %q; want %q", k, got, want)
				}
			}
			if s.verifyErr != nil {
				t.Fatalf("signature: %v", s.verifyErr)
			}
			if s.result.Service != tt.wantService || s.result.Region != tt.wantRegion || s.result.AccessKeyID != tt.wantKey {
				t.Errorf("signed for %s/%s with %s; want %s/%s with %s", s.result.Service, s.result.Region, s.result.AccessKeyID, tt.wantService, tt.wantRegion, tt.wantKey)
			}
		})
	}
}

// TestAWSServiceS3Escaping: S3 compares the signature with its own strict escaping of the
// path, so keys with reserved characters go out escaped that way.
func TestAWSServiceS3Escaping(t *testing.T) {
	t.Parallel()
	srv, seen := awsStub(t, nil, 200, nil, "")
	in := &apigateway.Integration{Type: apigateway.IntegrationAWS, URI: "arn:aws:apigateway:us-east-1:s3:path/b/{key}", HTTPMethod: "GET", IntegrationResponses: passThrough}
	h, err := NewAWSService(Config{Integration: in}, AWSServiceConfig{Credentials: testCredentials(t, testCredsFile), Endpoints: map[string]string{"s3": srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"a b+c=d.png": "/b/a%20b%2Bc%3Dd.png",
		"dir/x~y_z":   "/b/dir/x~y_z",
		"ü":           "/b/%C3%BC",
	} {
		inv := &invoke.Invocation{Request: invoke.Request{Method: "GET", Header: http.Header{}}, PathParams: []invoke.Param{{Name: "key", Value: key}}}
		if _, err := h.Invoke(context.Background(), inv); err != nil {
			t.Fatal(err)
		}
		if s := testwait.Recv(t, seen, testwait.Patient, "the request at the service"); s.uri != want {
			t.Errorf("key %q: S3 saw %s; want %s", key, s.uri, want)
		}
	}
}

// TestAWSServiceResponsesAndFailures: the service's answer goes through the integration
// responses; missing keys, timeouts and unreachable endpoints map to AWS's gateway responses.
func TestAWSServiceResponsesAndFailures(t *testing.T) {
	t.Parallel()
	srv, seen := awsStub(t, map[string]string{"AKIDDEFAULT": "secret-default"}, 400,
		http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"rid-1"}},
		`{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	responses := map[string]*apigateway.IntegrationResponse{
		"200": {StatusCode: "200"},
		"404": {
			StatusCode: "404", SelectionPattern: `4\d{2}`,
			ResponseParameters: map[string]string{"method.response.header.X-Request-Id": "integration.response.header.x-amzn-RequestId"},
			ResponseTemplates:  map[string]string{"application/json": `{"error": $input.json('$.message')}`},
		},
	}
	build := func(uri, role string, timeoutMs int, endpoints map[string]string, creds *AWSCredentials) invoke.Handler {
		t.Helper()
		in := &apigateway.Integration{Type: apigateway.IntegrationAWS, URI: uri, HTTPMethod: "POST", Credentials: role, TimeoutInMillis: timeoutMs, IntegrationResponses: responses}
		h, err := NewAWSService(Config{Integration: in}, AWSServiceConfig{Credentials: creds, Endpoints: endpoints})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	call := func(h invoke.Handler) (*invoke.Response, error) {
		return h.Invoke(context.Background(), &invoke.Invocation{Request: invoke.Request{Method: "POST", Header: http.Header{}}})
	}
	creds := testCredentials(t, testCredsFile)
	onlySQS := testCredentials(t, "[arn:aws:iam::123456789012:role/apigw-sqs]\naws_access_key_id=A\naws_secret_access_key=S\n")

	resp, err := call(build("arn:aws:apigateway:us-east-1:dynamodb:action/GetItem", "", 0, map[string]string{"dynamodb": srv.URL}, creds))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 || string(resp.Body) != `{"error": "Requested resource not found"}` || resp.Header.Get("X-Request-Id") != "rid-1" {
		t.Errorf("service 400 = %d %q %v; want 404 from the 4\\d{2} integration response, its template and header mapping", resp.StatusCode, resp.Body, resp.Header)
	}
	testwait.Recv(t, seen, testwait.Patient, "the request at the service")

	failures := []struct {
		name        string
		h           invoke.Handler
		wantType    apigateway.GatewayResponseType
		wantMessage string
		wantCause   string
	}{
		{"no keys for the role nor [default]", build("arn:aws:apigateway:us-east-1:sqs:action/SendMessage", "arn:aws:iam::123456789012:role/nope", 0, map[string]string{"*": srv.URL}, onlySQS),
			apigateway.ResponseAPIConfigurationError, "Internal server error", "no AWS credentials configured for role arn:aws:iam::123456789012:role/nope: add a profile [arn:aws:iam::123456789012:role/nope] or [default] to the --aws-credentials file"},
		{"no credentials file at all", build("arn:aws:apigateway:us-east-1:sqs:action/SendMessage", "", 0, map[string]string{"*": srv.URL}, nil),
			apigateway.ResponseAPIConfigurationError, "Internal server error", "no AWS credentials configured for integrations without credentials: add a [default] profile"},
		{"timeout", build("arn:aws:apigateway:us-east-1:sqs:path/slow", "", 50, map[string]string{"*": srv.URL}, creds),
			apigateway.ResponseIntegrationTimeout, "Endpoint request timed out", ""},
		{"connection refused", build("arn:aws:apigateway:us-east-1:sqs:action/SendMessage", "", 0, map[string]string{"sqs": deadURL}, creds),
			apigateway.ResponseIntegrationFailure, "Internal server error", "call integration endpoint"},
	}
	for _, f := range failures {
		_, err := call(f.h)
		var ie *invoke.Error
		if !errors.As(err, &ie) || ie.Type != f.wantType || ie.Message != f.wantMessage || (f.wantCause != "" && (ie.Err == nil || !strings.Contains(ie.Err.Error(), f.wantCause))) {
			t.Errorf("%s: Invoke = %v; want %s %q caused by %q", f.name, err, f.wantType, f.wantMessage, f.wantCause)
		}
	}
}

// TestAWSServiceEndpoints: AWS's endpoint for a service and region, unless overridden.
func TestAWSServiceEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri       string
		endpoints map[string]string
		wantBase  string // scheme://host
		wantPath  string
		wantErr   string
		vars      map[string]string // the stage's variables
		// stageValue says wantErr is a StageValueError: caused by vars.
		stageValue bool
	}{
		{uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", wantBase: "https://sqs.us-east-1.amazonaws.com", wantPath: "/"},
		{uri: "arn:aws:apigateway:eu-west-1:b.s3:path/k", wantBase: "https://b.s3.eu-west-1.amazonaws.com", wantPath: "/k"},
		{uri: "arn:aws-cn:apigateway:cn-north-1:dynamodb:path/", wantBase: "https://dynamodb.cn-north-1.amazonaws.com.cn", wantPath: "/"},
		{uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", endpoints: map[string]string{"sqs": "http://127.0.0.1:80/", "*": "http://other"}, wantBase: "http://127.0.0.1", wantPath: "/"},
		{uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", endpoints: map[string]string{"s3": "http://x"}, wantBase: "https://sqs.us-east-1.amazonaws.com", wantPath: "/"},
		{uri: "arn:aws:apigateway:us-east-1:b.s3:path/k", endpoints: map[string]string{"*": "https://[::1]:443"}, wantBase: "https://[::1]", wantPath: "/b/k"},
		{uri: "arn:aws:apigateway:us-east-1:d.iot:path/topics/t", endpoints: map[string]string{"iot": "https://iot.example"}, wantBase: "https://d.iot.example", wantPath: "/topics/t"},
		{uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", endpoints: map[string]string{"sqs": "ftp://x"}, wantErr: `endpoint of sqs: "ftp://x" is not a base URL`},
		{uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", endpoints: map[string]string{"sqs": "http://x/path"}, wantErr: "is not a base URL"},
		{uri: "arn:aws:apigateway:us-east-1:sqs:action/Send&A={", wantErr: "unclosed {"},
		// The stage's variables made the URI invalid: a StageValueError, which the gateway
		// turns into a method answering 500 (TestStageValueFailsOnlyItsMethod).
		{uri: "arn:aws:apigateway:${stageVariables.region}:sqs:action/SendMessage", wantErr: `region "" is not a region name`, stageValue: true},
		{uri: "arn:aws:apigateway:us-east-1:sqs:action/Send&A=${stageVariables.a}", vars: map[string]string{"a": "{"}, wantErr: "unclosed {", stageValue: true},
	}
	for _, tt := range tests {
		in := &apigateway.Integration{Type: apigateway.IntegrationAWS, URI: tt.uri, HTTPMethod: "POST"}
		h, err := NewAWSService(Config{Integration: in, StageVariables: tt.vars}, AWSServiceConfig{Endpoints: tt.endpoints})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewAWSService(%s, %v) = %v; want error containing %q", tt.uri, tt.endpoints, err, tt.wantErr)
			}
			if sve := (*StageValueError)(nil); errors.As(err, &sve) != tt.stageValue {
				t.Errorf("NewAWSService(%s, %v) = %v; want StageValueError %v", tt.uri, tt.endpoints, err, tt.stageValue)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewAWSService(%s, %v) = %v", tt.uri, tt.endpoints, err)
			continue
		}
		a := h.(*awsService)
		got := a.uri.scheme + "://" + a.uri.host
		pb, _ := a.uri.appendPath(nil, func(string) (string, bool) { return "", false })
		path := string(pb)
		if got != tt.wantBase || path != tt.wantPath {
			t.Errorf("NewAWSService(%s, %v) sends to %s%s; want %s%s", tt.uri, tt.endpoints, got, path, tt.wantBase, tt.wantPath)
		}
	}
}

// TestAWSServiceSigningTime: the signature is made at the configured clock's time.
func TestAWSServiceSigningTime(t *testing.T) {
	t.Parallel()
	srv, seen := awsStub(t, nil, 200, nil, "")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := &apigateway.Integration{Type: apigateway.IntegrationAWS, URI: "arn:aws:apigateway:us-east-1:sqs:action/ListQueues", HTTPMethod: "POST", IntegrationResponses: passThrough}
	h, err := NewAWSService(Config{Integration: in}, AWSServiceConfig{Credentials: testCredentials(t, testCredsFile), Endpoints: map[string]string{"*": srv.URL}, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Invoke(context.Background(), &invoke.Invocation{Request: invoke.Request{Method: "POST", Header: http.Header{}}}); err != nil {
		t.Fatal(err)
	}
	s := testwait.Recv(t, seen, testwait.Patient, "the request at the service")
	if got := s.header.Get("X-Amz-Date"); got != "20260102T030405Z" {
		t.Errorf("X-Amz-Date = %q; want 20260102T030405Z", got)
	}
	if want := []string{"AWS4-HMAC-SHA256 Credential=AKIDDEFAULT/20260102/us-east-1/sqs/aws4_request"}; !reflect.DeepEqual(strings.SplitN(s.header.Get("Authorization"), ",", 2)[:1], want) {
		t.Errorf("Authorization = %q; want it to start with %q", s.header.Get("Authorization"), want[0])
	}
}

// BenchmarkAWSServiceInvoke measures gatehouse's share of an SQS SendMessage call: the
// request template, SigV4 signing and the h1 round trip to a local stub.
func BenchmarkAWSServiceInvoke(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"SendMessageResponse":{}}`)
	}))
	defer srv.Close()
	creds, err := ParseAWSCredentials(strings.NewReader(testCredsFile))
	if err != nil {
		b.Fatal(err)
	}
	in := &apigateway.Integration{
		Type: apigateway.IntegrationAWS, URI: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", HTTPMethod: "POST",
		RequestParameters:    map[string]string{"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
		RequestTemplates:     map[string]string{"application/json": "QueueUrl=$util.urlEncode('https://sqs.us-east-1.amazonaws.com/1/q')&MessageBody=$util.urlEncode($input.body)"},
		IntegrationResponses: passThrough,
	}
	h, err := NewAWSService(Config{Integration: in, Transport: NewTransport(false)}, AWSServiceConfig{Credentials: creds, Endpoints: map[string]string{"*": srv.URL}})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"order": 42, "items": ["a", "b"]}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		inv := &invoke.Invocation{Request: invoke.Request{Method: "POST", Header: http.Header{"Content-Type": {"application/json"}}, Body: body}}
		if _, err := h.Invoke(context.Background(), inv); err != nil {
			b.Fatal(err)
		}
	}
}
