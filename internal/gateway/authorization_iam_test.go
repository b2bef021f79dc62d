package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/iampolicy"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// The identities of the AWS_IAM tests.
const (
	iamRootKey      = "AKIAROOTROOTROOT2345"
	iamRootSecret   = "rootSECRETrootSECRETrootSECRETroot/+000"
	iamAliceKey     = "AKIAALICEALICEALIC2"
	iamAliceSecret  = "aliceSECRETaliceSECRETaliceSECRET/+0001"
	iamAliceID      = "AIDAALICEALICEALICE23"
	iamBobKey       = "AKIABOBBOBBOBBOBBO22" // inactive
	iamCarolKey     = "AKIACAROLCAROLCARO22" // denied POST explicitly
	iamCarolSecret  = "carolSECRETcarolSECRETcarolSECRET/+0001"
	iamNobodyKey    = "AKIANOBODYNOBODYNO22" // no policy at all
	iamNobodySecret = "nobodySECRETnobodySECRETnobodySECRET/+01"
)

var iamTestNow = time.Date(2024, 1, 1, 0, 15, 0, 0, time.UTC)

// identityTemplate renders $context.identity's IAM facts.
const identityTemplate = `{"caller":"$context.identity.caller","user":"$context.identity.user","userArn":"$context.identity.userArn","accessKey":"$context.identity.accessKey","accountId":"$context.identity.accountId"}`

func iamMethod(body string) *apigateway.Method {
	m := mockMethod(body)
	m.AuthorizationType = apigateway.AuthorizationAWSIAM
	return m
}

// iamSetup serves API "iamapi" (GET and POST /pets/{id} AWS_IAM, GET /open NONE) on a real
// listener, with the root's keys and alice, bob (inactive), carol and nobody in the store.
func iamSetup(t *testing.T) (*Server, *httptest.Server, store.Store) {
	t.Helper()
	return iamSetupAt(t, func() time.Time { return iamTestNow })
}

// iamSetupAt is iamSetup with the gateway's clock now.
func iamSetupAt(t *testing.T, now func() time.Time) (*Server, *httptest.Server, store.Store) {
	t.Helper()
	s := newStore(t)
	deploy(t, s, buildAPI("iamapi", map[string]*apigateway.Method{
		"GET /pets/{id}":  iamMethod(identityTemplate),
		"POST /pets/{id}": iamMethod(`{"posted":true}`),
		"GET /open":       mockMethod(`{"open":true}`),
	}, nil), "d1", "prod", nil)
	putIAMUser(t, s, "alice", iamAliceID, map[string]string{"get": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:iamapi/prod/*"}]}`})
	putIAMKey(t, s, iamAliceKey, iamAliceSecret, "alice", iam.StatusActive)
	putIAMUser(t, s, "bob", "AIDABOBBOBBOBBOBBOBB2", map[string]string{"all": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`})
	putIAMKey(t, s, iamBobKey, "bobSECRETbobSECRETbobSECRETbobSECRET/+0", "bob", iam.StatusInactive)
	putIAMUser(t, s, "carol", "AIDACAROLCAROLCAROL22", map[string]string{
		"allow": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:*","Resource":"*"}]}`,
		"deny":  `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:iamapi/*/POST/*"}}`,
	})
	putIAMKey(t, s, iamCarolKey, iamCarolSecret, "carol", iam.StatusActive)
	putIAMUser(t, s, "nobody", "AIDANOBODYNOBODYNOB22", nil)
	putIAMKey(t, s, iamNobodyKey, iamNobodySecret, "nobody", iam.StatusActive)

	srv := startServer(t, s, Config{
		Now:             now,
		RootCredentials: map[string]string{iamRootKey: iamRootSecret},
		Logger:          testLogger(t),
	})
	waitFor(t, servedStage(srv, "iamapi", "prod", "d1"))
	waitFor(t, func() bool { return srv.iam.Load().lookup(iamNobodyKey) != nil })
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts, s
}

func putIAMUser(t *testing.T, s store.Store, name, id string, policies map[string]string) {
	t.Helper()
	sc := iam.Scope{AccountID: testScope.AccountID}
	doc := iam.UserDocument{User: iam.User{Path: "/", UserName: name, UserID: id, ARN: "arn:aws:iam::123456789012:user/" + name}, Policies: policies}
	op, err := store.PutJSON(sc.UserKey(name), doc, store.AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Txn(context.Background(), op); err != nil {
		t.Fatal(err)
	}
}

func putIAMKey(t *testing.T, s store.Store, id, secret, user, status string) {
	t.Helper()
	sc := iam.Scope{AccountID: testScope.AccountID}
	doc := iam.AccessKeyDocument{AccessKeyID: id, SecretAccessKey: secret, UserName: user, Status: status}
	op, err := store.PutJSON(sc.AccessKeyKey(id), doc, store.AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Txn(context.Background(), op); err != nil {
		t.Fatal(err)
	}
}

// needPolicyEngine skips tests that evaluate users' policies while internal/iampolicy is
// its contract's stub.
func needPolicyEngine(t *testing.T) {
	t.Helper()
	if _, err := iampolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":[]}`)); err != nil {
		t.Skipf("internal/iampolicy: %v", err)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// signedRequest is method url with body signed by aws-sdk-go-v2's v4 signer with key id and
// secret for execute-api in region at t.
func signedRequest(t *testing.T, method, u, body, id, secret, region, service string, at time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
		r, sha256Hex([]byte(body)), service, region, at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// presignedURL is method u presigned by aws-sdk-go-v2 for expires.
func presignedURL(t *testing.T, method, u, id, secret string, at time.Time, expires time.Duration) string {
	t.Helper()
	pu, _ := url.Parse(u)
	q := pu.Query()
	q.Set("X-Amz-Expires", itoaTest(int(expires/time.Second)))
	pu.RawQuery = q.Encode()
	r, _ := http.NewRequest(method, pu.String(), nil)
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
		r, sha256Hex(nil), "execute-api", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func itoaTest(n int) string { b, _ := json.Marshal(n); return string(b) }

func send(t *testing.T, r *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := testClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

const (
	msgMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgInvalid  = "The security token included in the request is invalid."
)

func TestIAMSignedRequests(t *testing.T) {
	t.Parallel()
	_, ts, _ := iamSetup(t)
	base := ts.URL + "/restapis/iamapi/prod/_user_request_"
	now := iamTestNow

	tests := []struct {
		name      string
		req       func() *http.Request
		policy    bool // evaluates a user's policies (internal/iampolicy)
		status    int
		errorType string
		body      string
	}{
		{name: "root GET", req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1?view=full&a=b%20c", "", iamRootKey, iamRootSecret, "us-east-1", "execute-api", now)
		}, status: 200, body: `{"caller":"123456789012","user":"123456789012","userArn":"arn:aws:iam::123456789012:root","accessKey":"AKIAROOTROOTROOT2345","accountId":"123456789012"}`},
		{name: "root POST with body", req: func() *http.Request {
			return signedRequest(t, "POST", base+"/pets/7", `{"name":"rex"}`, iamRootKey, iamRootSecret, "us-east-1", "execute-api", now)
		}, status: 200, body: `{"posted":true}`},
		{name: "root presigned", req: func() *http.Request {
			r, _ := http.NewRequest("GET", presignedURL(t, "GET", base+"/pets/1?x=1", iamRootKey, iamRootSecret, now.Add(-10*time.Minute), time.Hour), nil)
			return r
		}, status: 200, body: `{"caller":"123456789012","user":"123456789012","userArn":"arn:aws:iam::123456789012:root","accessKey":"AKIAROOTROOTROOT2345","accountId":"123456789012"}`},
		{name: "presigned past its expiry", req: func() *http.Request {
			r, _ := http.NewRequest("GET", presignedURL(t, "GET", base+"/pets/1", iamRootKey, iamRootSecret, now.Add(-10*time.Minute), 5*time.Minute), nil)
			return r
		}, status: 403, errorType: "InvalidSignatureException",
			body: `{"message":"Signature expired: 20240101T000500Z is now earlier than 20240101T001000Z (20240101T001500Z - 5 min.)"}`},
		{name: "14 minutes old", req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1", "", iamRootKey, iamRootSecret, "us-east-1", "execute-api", now.Add(-14*time.Minute))
		}, status: 200, body: `{"caller":"123456789012","user":"123456789012","userArn":"arn:aws:iam::123456789012:root","accessKey":"AKIAROOTROOTROOT2345","accountId":"123456789012"}`},
		{name: "stale", req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1", "", iamRootKey, iamRootSecret, "us-east-1", "execute-api", now.Add(-16*time.Minute))
		}, status: 403, errorType: "InvalidSignatureException",
			body: `{"message":"Signature expired: 20231231T235900Z is now earlier than 20240101T000000Z (20240101T001500Z - 15 min.)"}`},
		{name: "from the future", req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1", "", iamRootKey, iamRootSecret, "us-east-1", "execute-api", now.Add(16*time.Minute))
		}, status: 403, errorType: "InvalidSignatureException",
			body: `{"message":"Signature not yet current: 20240101T003100Z is still later than 20240101T003000Z (20240101T001500Z + 15 min.)"}`},
		{name: "unsigned", req: func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/pets/1", nil)
			return r
		}, status: 403, errorType: "MissingAuthenticationTokenException", body: `{"message":"Missing Authentication Token"}`},
		{name: "unknown key", req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1", "", "AKIAUNKNOWNUNKNOWN22", iamRootSecret, "us-east-1", "execute-api", now)
		}, status: 403, errorType: "AccessDeniedException", body: `{"message":"` + msgInvalid + `"}`},
		{name: "inactive key", req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1", "", iamBobKey, "bobSECRETbobSECRETbobSECRETbobSECRET/+0", "us-east-1", "execute-api", now)
		}, status: 403, errorType: "AccessDeniedException", body: `{"message":"` + msgInvalid + `"}`},
		{name: "wrong secret", req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1", "", iamRootKey, "not-the-secret", "us-east-1", "execute-api", now)
		}, status: 403, errorType: "InvalidSignatureException", body: `{"message":"` + msgMismatch + `"}`},
		{name: "session token with a long-term key", req: func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/pets/1", nil)
			_ = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: iamRootKey, SecretAccessKey: iamRootSecret, SessionToken: "FwoGZXIvYXdzEXAMPLE"},
				r, sha256Hex(nil), "execute-api", "us-east-1", now)
			return r
		}, status: 403, errorType: "AccessDeniedException", body: `{"message":"` + msgInvalid + `"}`},
		{name: "wrong region", req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1", "", iamRootKey, iamRootSecret, "eu-west-1", "execute-api", now)
		}, status: 403, errorType: "InvalidSignatureException", body: `{"message":"Credential should be scoped to a valid region, not 'eu-west-1'. "}`},
		{name: "wrong service", req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1", "", iamRootKey, iamRootSecret, "us-east-1", "apigateway", now)
		}, status: 403, errorType: "InvalidSignatureException", body: `{"message":"Credential should be scoped to correct service: 'execute-api'. "}`},
		{name: "tampered header", req: func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/pets/1", nil)
			r.Header.Set("X-Tenant", "a")
			_ = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: iamRootKey, SecretAccessKey: iamRootSecret}, r, sha256Hex(nil), "execute-api", "us-east-1", now)
			r.Header.Set("X-Tenant", "b")
			return r
		}, status: 403, errorType: "InvalidSignatureException", body: `{"message":"` + msgMismatch + `"}`},
		{name: "tampered body", req: func() *http.Request {
			r := signedRequest(t, "POST", base+"/pets/7", `{"name":"rex"}`, iamRootKey, iamRootSecret, "us-east-1", "execute-api", now)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(`{"name":"max"}`)), 14
			return r
		}, status: 403, errorType: "InvalidSignatureException", body: `{"message":"` + msgMismatch + `"}`},
		{name: "tampered path", req: func() *http.Request {
			r := signedRequest(t, "GET", base+"/pets/1", "", iamRootKey, iamRootSecret, "us-east-1", "execute-api", now)
			r.URL.Path = "/restapis/iamapi/prod/_user_request_/pets/2"
			return r
		}, status: 403, errorType: "InvalidSignatureException", body: `{"message":"` + msgMismatch + `"}`},
		{name: "tampered query", req: func() *http.Request {
			r := signedRequest(t, "GET", base+"/pets/1?view=full", "", iamRootKey, iamRootSecret, "us-east-1", "execute-api", now)
			r.URL.RawQuery = "view=brief"
			return r
		}, status: 403, errorType: "InvalidSignatureException", body: `{"message":"` + msgMismatch + `"}`},
		{name: "user allowed", policy: true, req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1", "", iamAliceKey, iamAliceSecret, "us-east-1", "execute-api", now)
		}, status: 200, body: `{"caller":"AIDAALICEALICEALICE23","user":"AIDAALICEALICEALICE23","userArn":"arn:aws:iam::123456789012:user/alice","accessKey":"AKIAALICEALICEALIC2","accountId":"123456789012"}`},
		{name: "user explicitly denied", policy: true, req: func() *http.Request {
			return signedRequest(t, "POST", base+"/pets/7", `{}`, iamCarolKey, iamCarolSecret, "us-east-1", "execute-api", now)
		}, status: 403, errorType: "AccessDeniedException",
			body: `{"Message":"User: arn:aws:iam::123456789012:user/carol is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:iamapi/prod/POST/pets/7 with an explicit deny"}`},
		{name: "user without policies", policy: true, req: func() *http.Request {
			return signedRequest(t, "GET", base+"/pets/1", "", iamNobodyKey, iamNobodySecret, "us-east-1", "execute-api", now)
		}, status: 403, errorType: "AccessDeniedException",
			body: `{"Message":"User: arn:aws:iam::123456789012:user/nobody is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:iamapi/prod/GET/pets/1 because no identity-based policy allows the execute-api:Invoke action"}`},
		{name: "method without authorization ignores a bad signature", req: func() *http.Request {
			return signedRequest(t, "GET", base+"/open", "", "AKIAUNKNOWNUNKNOWN22", "x", "us-east-1", "execute-api", now)
		}, status: 200, body: `{"open":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.policy {
				needPolicyEngine(t)
			}
			code, h, body := send(t, tt.req())
			if code != tt.status || body != tt.body {
				t.Errorf("= %d %s; want %d %s", code, body, tt.status, tt.body)
			}
			if tt.errorType != "" && h.Get("x-amzn-ErrorType") != tt.errorType {
				t.Errorf("x-amzn-ErrorType = %q; want %q", h.Get("x-amzn-ErrorType"), tt.errorType)
			}
		})
	}
}

// TestIAMBotocore signs with botocore's SigV4Auth, as awscurl and boto3-based clients do,
// header and query (presigned) forms.
func TestIAMBotocore(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	if err := exec.Command(py, "-c", "import botocore.auth").Run(); err != nil {
		t.Skip("botocore not installed")
	}
	// botocore signs at the real time: the gateway's clock is the real one here.
	_, ts, _ := iamSetupAt(t, time.Now)
	// One interpreter signs every request (importing botocore takes seconds on a busy
	// machine): a JSON list of [method, url, body, form] in, a list of signed URLs and
	// headers out.
	const script = `
import sys, json
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
creds = Credentials(sys.argv[1], sys.argv[2])
out = []
for method, url, body, form in json.loads(sys.stdin.read()):
    req = AWSRequest(method=method, url=url, data=body.encode() if body else None,
                     headers={"Content-Type": "application/json"} if body else {})
    if form == "query":
        SigV4QueryAuth(creds, "execute-api", "us-east-1", expires=3600).add_auth(req)
    else:
        SigV4Auth(creds, "execute-api", "us-east-1").add_auth(req)
    out.append({"url": req.url, "headers": dict(req.headers.items())})
print(json.dumps(out))
`
	tests := []struct {
		name, method, path, body, form string
		tamper                         func(r *http.Request)
		status                         int
	}{
		{"GET header", "GET", "/pets/a%20b?q=x%20y&z=%2F&e=", "", "header", nil, 200},
		{"POST header", "POST", "/pets/9", `{"n":1}`, "header", nil, 200},
		{"GET query", "GET", "/pets/1?q=1", "", "query", nil, 200},
		{"GET header, path changed", "GET", "/pets/1", "", "header", func(r *http.Request) { r.URL.Path += "0" }, 403},
		{"GET query, query changed", "GET", "/pets/1?q=1", "", "query", func(r *http.Request) { r.URL.RawQuery += "&q=2" }, 403},
	}
	var in [][4]string
	for _, tt := range tests {
		in = append(in, [4]string{tt.method, ts.URL + "/restapis/iamapi/prod/_user_request_" + tt.path, tt.body, tt.form})
	}
	stdin, _ := json.Marshal(in)
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Patient)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", script, iamRootKey, iamRootSecret)
	cmd.Stdin, cmd.Stderr = bytes.NewReader(stdin), os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("botocore: %v", err)
	}
	var signed []struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	}
	if err := json.Unmarshal(out, &signed); err != nil || len(signed) != len(tests) {
		t.Fatalf("botocore output %q: %v", out, err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(tt.method, signed[i].URL, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body == "" {
				r.Body, r.ContentLength = nil, 0
			}
			for k, v := range signed[i].Headers {
				r.Header.Set(k, v)
			}
			if tt.tamper != nil {
				tt.tamper(r)
			}
			code, _, body := send(t, r)
			if code != tt.status {
				t.Errorf("botocore-signed %s %s = %d %s; want %d", tt.method, tt.path, code, body, tt.status)
			}
		})
	}
}

// TestIAMIdentityIndexFollowsStore: a key written after start signs within the follower's
// latency; deactivating or deleting it stops it.
func TestIAMIdentityIndexFollowsStore(t *testing.T) {
	t.Parallel()
	srv, ts, s := iamSetup(t)
	u := ts.URL + "/restapis/iamapi/prod/_user_request_/pets/1"
	const key, secret = "AKIALATELATELATELA22", "lateSECRETlateSECRETlateSECRETlate/+001"
	get := func() (int, string) {
		code, _, body := send(t, signedRequest(t, "GET", u, "", key, secret, "us-east-1", "execute-api", iamTestNow))
		return code, body
	}
	if code, body := get(); code != 403 || body != `{"message":"`+msgInvalid+`"}` {
		t.Fatalf("before the key exists = %d %s; want 403 invalid token", code, body)
	}
	putIAMUser(t, s, "late", "AIDALATELATELATELATE2", nil)
	putIAMKey(t, s, key, secret, "late", iam.StatusActive)
	start := time.Now()
	waitFor(t, func() bool { return srv.iam.Load().lookup(key) != nil })
	t.Logf("key usable %v after it was written", time.Since(start))
	// Authenticated (the identity is known): with no policy the user is denied by IAM, not
	// refused as unknown.
	if code, body := get(); code != 403 || !strings.HasPrefix(body, `{"Message":"User: arn:aws:iam::123456789012:user/late is not authorized`) {
		t.Fatalf("after the key was written = %d %s; want 403 User: ... is not authorized", code, body)
	}
	putIAMKey(t, s, key, secret, "late", iam.StatusInactive)
	waitFor(t, func() bool { return srv.iam.Load().lookup(key) == nil })
	if code, body := get(); code != 403 || body != `{"message":"`+msgInvalid+`"}` {
		t.Fatalf("after deactivation = %d %s; want 403 invalid token", code, body)
	}
	putIAMKey(t, s, key, secret, "late", iam.StatusActive)
	waitFor(t, func() bool { return srv.iam.Load().lookup(key) != nil })
	op := deleteOp(iam.Scope{AccountID: testScope.AccountID}.AccessKeyKey(key))
	if _, err := s.Txn(context.Background(), op); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return srv.iam.Load().lookup(key) == nil })
	if code, body := get(); code != 403 || body != `{"message":"`+msgInvalid+`"}` {
		t.Fatalf("after deletion = %d %s; want 403 invalid token", code, body)
	}
	// A deleted user takes its keys with it.
	if srv.iam.Load().lookup(iamAliceKey) == nil {
		t.Fatal("alice's key missing before her user is deleted")
	}
	if _, err := s.Txn(context.Background(), deleteOp(iam.Scope{AccountID: testScope.AccountID}.UserKey("alice"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return srv.iam.Load().lookup(iamAliceKey) == nil })
}
