package sigv4

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	exKeyID  = "AKIDEXAMPLE"
	exSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

var exTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

func exVerifier(now time.Time) *Verifier {
	return &Verifier{
		Credentials: func(id string) (string, bool) { return exSecret, id == exKeyID },
		Now:         func() time.Time { return now },
	}
}

// sdkSigned returns a server-side request signed by aws-sdk-go-v2 at t.
func sdkSigned(t *testing.T, method, target string, header http.Header, body string, payloadHash string, region, service string, at time.Time) *http.Request {
	t.Helper()
	cr := httptest.NewRequest(method, "https://example.amazonaws.com"+target, strings.NewReader(body))
	cr.RequestURI = ""
	for k, v := range header {
		cr.Header[k] = v
	}
	if payloadHash == "" {
		payloadHash = hashHex([]byte(body))
	}
	creds := aws.Credentials{AccessKeyID: exKeyID, SecretAccessKey: exSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cr, payloadHash, service, region, at); err != nil {
		t.Fatal(err)
	}
	sr := httptest.NewRequest(method, target, strings.NewReader(body))
	sr.Host = "example.amazonaws.com"
	sr.Header = cr.Header.Clone()
	return sr
}

// withAuth returns an unsigned server-side GET / with the given headers.
func withHeaders(target string, kv ...string) *http.Request {
	r := httptest.NewRequest("GET", target, nil)
	r.Host = "example.amazonaws.com"
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Set(kv[i], kv[i+1])
	}
	return r
}

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	const mismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	tests := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		body    string
		now     time.Time
		tweak   func(*Verifier)
		code    string // empty: accepted
		message string
	}{
		{
			name: "no signature",
			req:  func(*testing.T) *http.Request { return withHeaders("/restapis") },
			code: CodeMissingAuthenticationToken, message: "Missing Authentication Token",
		},
		{
			name: "bare token, no date",
			req:  func(*testing.T) *http.Request { return withHeaders("/", "Authorization", "eyJhbGciOiJIUzI1NiJ9") },
			code: CodeIncompleteSignature,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
				"Authorization=eyJhbGciOiJIUzI1NiJ9",
		},
		{
			name: "bearer token",
			req:  func(*testing.T) *http.Request { return withHeaders("/", "Authorization", "Bearer abc.def") },
			code: CodeIncompleteSignature, message: "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'.",
		},
		{
			name: "signature version 2 with a date",
			req: func(*testing.T) *http.Request {
				return withHeaders("/", "Authorization", "AWS AKID:c2ln=", "Date", "Sun, 30 Aug 2015 12:36:00 GMT")
			},
			code: CodeIncompleteSignature,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization=AWS AKID:c2ln=",
		},
		{
			name: "space after Credential=",
			req: func(*testing.T) *http.Request {
				return withHeaders("/", "X-Amz-Date", "20150830T123600Z", "Authorization",
					"AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00")
			},
			code: CodeIncompleteSignature,
			message: "'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: " +
				"'AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00'.",
		},
		{
			name: "other algorithm",
			req: func(*testing.T) *http.Request {
				return withHeaders("/", "X-Amz-Date", "20150830T123600Z", "Authorization",
					"AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00")
			},
			code: CodeIncompleteSignature, message: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'.",
		},
		{
			name: "credential with four parts",
			req: func(*testing.T) *http.Request {
				return withHeaders("/", "X-Amz-Date", "20150830T123600Z", "Authorization",
					"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, SignedHeaders=host, Signature=00")
			},
			code:    CodeIncompleteSignature,
			message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/service'",
		},
		{
			name: "wrong terminator",
			req: func(*testing.T) *http.Request {
				return withHeaders("/", "X-Amz-Date", "20150830T123600Z", "Authorization",
					"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws5_request, SignedHeaders=host, Signature=00")
			},
			code: CodeInvalidSignature, message: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
		},
		{
			name: "every part of the scope wrong",
			req: func(*testing.T) *http.Request {
				return withHeaders("/", "X-Amz-Date", "20150830T123600Z", "Authorization",
					"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/b/c/d/e, SignedHeaders=host, Signature=00")
			},
			tweak: func(v *Verifier) { v.Region, v.Service = "us-east-1", "apigateway" },
			code:  CodeInvalidSignature,
			// AWS's order and wording (mhart/dynalite, recorded from DynamoDB).
			message: "Credential should be scoped to a valid region, not 'c'. " +
				"Credential should be scoped to correct service: 'apigateway'. " +
				"Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20150830', from '20150830T123600Z'.",
		},
		{
			name: "date not in basic format",
			req: func(*testing.T) *http.Request {
				return withHeaders("/", "X-Amz-Date", "2015-08-30T12:36:00Z", "Authorization",
					"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00")
			},
			code: CodeIncompleteSignature, message: "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			name: "scope date differs from X-Amz-Date",
			req: func(*testing.T) *http.Request {
				return withHeaders("/", "X-Amz-Date", "20150830T123600Z", "Authorization",
					"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00")
			},
			code:    CodeInvalidSignature,
			message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'.",
		},
		{
			name: "host not signed",
			req: func(*testing.T) *http.Request {
				return withHeaders("/", "X-Amz-Date", "20150830T123600Z", "Authorization",
					"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature=00")
			},
			code: CodeInvalidSignature, message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name: "signed by the SDK",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "POST", "/restapis?x=1", nil, `{"name":"a"}`, "", "us-east-1", "apigateway", exTime)
			},
			body: `{"name":"a"}`,
		},
		{
			name: "unknown key",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "us-east-1", "apigateway", exTime)
			},
			tweak: func(v *Verifier) { v.Credentials = func(string) (string, bool) { return "", false } },
			code:  CodeUnrecognizedClient, message: "The security token included in the request is invalid.",
		},
		{
			name: "no Credentials function",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "us-east-1", "apigateway", exTime)
			},
			tweak: func(v *Verifier) { v.Credentials = nil },
			code:  CodeUnrecognizedClient, message: "The security token included in the request is invalid.",
		},
		{
			name: "wrong region",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "eu-west-1", "apigateway", exTime)
			},
			tweak: func(v *Verifier) { v.Region = "us-east-1" },
			code:  CodeInvalidSignature, message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
		},
		{
			name: "wrong service",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "us-east-1", "execute-api", exTime)
			},
			tweak: func(v *Verifier) { v.Service = "apigateway" },
			code:  CodeInvalidSignature, message: "Credential should be scoped to correct service: 'apigateway'. ",
		},
		{
			name: "signed for s3",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "us-east-1", "s3", exTime)
			},
			tweak: func(v *Verifier) { v.Region, v.Service = "us-east-1", "apigateway" },
			code:  CodeInvalidSignature, message: "Credential should be scoped to correct service: 'apigateway'. ",
		},
		{
			name: "signed for apigateway, verified for lambda",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "us-east-1", "apigateway", exTime)
			},
			tweak: func(v *Verifier) { v.Region, v.Service = "us-east-1", "lambda" },
			code:  CodeInvalidSignature, message: "Credential should be scoped to correct service: 'lambda'. ",
		},
		{
			name: "wrong region and service",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "eu-west-1", "lambda", exTime)
			},
			tweak: func(v *Verifier) { v.Region, v.Service = "us-east-1", "apigateway" },
			code:  CodeInvalidSignature,
			message: "Credential should be scoped to a valid region, not 'eu-west-1'. " +
				"Credential should be scoped to correct service: 'apigateway'. ",
		},
		{
			name: "right region and service",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "us-east-1", "apigateway", exTime)
			},
			tweak: func(v *Verifier) { v.Region, v.Service = "us-east-1", "apigateway" },
		},
		{
			name: "5 minutes old",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "us-east-1", "apigateway", exTime)
			},
			now: exTime.Add(5 * time.Minute),
		},
		{
			name: "5 minutes and 1 second old",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "us-east-1", "apigateway", exTime)
			},
			now:  exTime.Add(5*time.Minute + time.Second),
			code: CodeInvalidSignature, message: "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)",
		},
		{
			name: "5 minutes and 1 second ahead",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "us-east-1", "apigateway", exTime)
			},
			now:  exTime.Add(-5*time.Minute - time.Second),
			code: CodeInvalidSignature, message: "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T123059Z + 5 min.)",
		},
		{
			name: "custom skew",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "GET", "/", nil, "", "", "us-east-1", "apigateway", exTime)
			},
			now:   exTime.Add(2 * time.Minute),
			tweak: func(v *Verifier) { v.MaxSkew = time.Minute },
			code:  CodeInvalidSignature, message: "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T123800Z - 1 min.)",
		},
		{
			name: "declared payload hash differs from the body",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "PUT", "/", http.Header{"X-Amz-Content-Sha256": {hashHex([]byte("signed"))}}, "signed", "", "us-east-1", "apigateway", exTime)
			},
			body: "sent",
			code: CodeInvalidSignature, message: mismatch,
		},
		{
			name: "UNSIGNED-PAYLOAD",
			req: func(t *testing.T) *http.Request {
				return sdkSigned(t, "PUT", "/", http.Header{"X-Amz-Content-Sha256": {UnsignedPayload}}, "", UnsignedPayload, "us-east-1", "apigateway", exTime)
			},
			body: "any body at all",
		},
		{
			name: "presigned without its parameters",
			req: func(*testing.T) *http.Request {
				return withHeaders("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00")
			},
			code: CodeIncompleteSignature,
			message: "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Date'. " +
				"AWS query-string parameters must include 'X-Amz-Expires'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
				"Re-examine the query-string parameters.",
		},
		{
			name: "presigned for more than a week",
			req: func(*testing.T) *http.Request {
				return withHeaders("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request" +
					"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
			},
			code:    CodeIncompleteSignature,
			message: "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
		},
		{
			name: "presigned with another algorithm",
			req: func(*testing.T) *http.Request {
				return withHeaders("/?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request" +
					"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
			},
			code: CodeIncompleteSignature, message: `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".`,
		},
		{
			name: "presigned expiry not a number",
			req: func(*testing.T) *http.Request {
				return withHeaders("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request" +
					"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=soon&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
			},
			code: CodeIncompleteSignature, message: "X-Amz-Expires should be a number",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := tt.now
			if now.IsZero() {
				now = exTime
			}
			v := exVerifier(now)
			if tt.tweak != nil {
				tt.tweak(v)
			}
			res, err := v.Verify(tt.req(t), []byte(tt.body))
			if tt.code == "" {
				if err != nil || res == nil {
					t.Fatalf("Verify = %v, %v; want accepted", res, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify = %v, %v; want *Error %s", res, err, tt.code)
			}
			if e.Code != tt.code || e.Message != tt.message || e.Status != http.StatusForbidden {
				t.Errorf("Verify = %s %d %q\nwant %s 403 %q", e.Code, e.Status, e.Message, tt.code, tt.message)
			}
		})
	}
}

// TestVerifyDateHeader signs with the Date header instead of X-Amz-Date,
// which AWS accepts when X-Amz-Date is absent.
func TestVerifyDateHeader(t *testing.T) {
	t.Parallel()
	r := withHeaders("/restapis", "Date", "Sun, 30 Aug 2015 12:36:00 GMT")
	signed := []string{"date", "host"}
	creq := canonicalRequest("GET", "/restapis", "", canonicalHeaders(newRequest(r), signed), "date;host", emptySHA256)
	sts := stringToSign("20150830T123600Z", "20150830/us-east-1/apigateway/aws4_request", creq)
	sig := signature(signingKey(exSecret, "20150830", "us-east-1", "apigateway"), sts)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+exKeyID+"/20150830/us-east-1/apigateway/aws4_request, SignedHeaders=date;host, Signature="+sig)

	res, err := exVerifier(exTime.Add(time.Minute)).Verify(r, nil)
	if err != nil || !res.Date.Equal(exTime) {
		t.Fatalf("Verify(Date header) = %+v, %v; want accepted at %s", res, err, exTime)
	}
	r.Header.Set("Date", "Sun, 30 Aug 2015 12:36:01 GMT")
	if _, err := exVerifier(exTime).Verify(r, nil); !isCode(err, CodeInvalidSignature) {
		t.Errorf("Verify(Date changed) = %v; want %s", err, CodeInvalidSignature)
	}
	r.Header.Set("Date", "yesterday")
	if _, err := exVerifier(exTime).Verify(r, nil); !isCode(err, CodeIncompleteSignature) {
		t.Errorf("Verify(Date unparsable) = %v; want %s", err, CodeIncompleteSignature)
	}
}

func TestNormalizePath(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"//", "/"},
		{"/./", "/"},
		{"/example/..", "/"},
		{"/example1/example2/../..", "/"},
		{"/../../a", "/a"},
		{"//example//", "/example/"},
		{"/./example", "/example"},
		{"/a/b/../c/./d/", "/a/c/d/"},
		{"/a%2F../b", "/a%2F../b"},     // %2F is not a separator: "a%2F.." is one segment
		{"/a/%2E%2E/b", "/a/%2E%2E/b"}, // nor is an encoded dot segment a dot segment
		{"/...", "/..."},
		{"relative/./x", "relative/x"},
	}
	for _, tt := range tests {
		if got := normalizePath(tt.in); got != tt.want {
			t.Errorf("normalizePath(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalURIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path      string
		normalize bool
		want      []string
	}{
		{"/", true, []string{"/"}},
		{"/example space/", true, []string{"/example%20space/"}},                       // the suite's get-space
		{"/a%20b/%2F", true, []string{"/a%2520b/%252F"}},                               // double encoding
		{"/ሴ", true, []string{"/%E1%88%B4"}},                                           // get-utf8
		{"/-._~AZaz09", true, []string{"/-._~AZaz09"}},                                 // get-unreserved
		{"/a//b/./c", true, []string{"/a/b/c", "/a//b/./c"}},                           // normalized, then as sent
		{"/a//b", false, []string{"/a//b"}},                                            // S3
		{"/!$&'()*+,;=:@", true, []string{"/%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A%40"}}, // sub-delims are encoded
		{"/restapis/abc/resources", true, []string{"/restapis/abc/resources"}},         // the common case
		{"/v2/apis/a%2Fb", false, []string{"/v2/apis/a%252Fb"}},                        // no normalization, still encoded
	}
	for _, tt := range tests {
		got := canonicalURIs(tt.path, tt.normalize)
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("canonicalURIs(%q, %v) = %q; want %q", tt.path, tt.normalize, got, tt.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, skip, want string }{
		{"", "", ""},
		{"Param2=value2&Param1=value1", "", "Param1=value1&Param2=value2"},
		{"b=2&a=2&a=1", "", "a=1&a=2&b=2"},                       // repeated keys sort by value
		{"a&b=&c", "", "a=&b=&c="},                               // empty values
		{"x=a+b&y=a%20b&z=a%2Bb", "", "x=a%20b&y=a%20b&z=a%2Bb"}, // '+' is a space
		{"a=%2F&a=-", "", "a=%2F&a=-"},                           // sorted after encoding: '%' < '-'
		{"%E1%88%B4=bar&ሴ=baz", "", "%E1%88%B4=bar&%E1%88%B4=baz"},
		{"bad=%zz", "", "bad=%25zz"}, // invalid escape kept literally
		{"a=1&&b=2&", "", "a=1&b=2"},
		{"X-Amz-Signature=abc&a=1", "X-Amz-Signature", "a=1"},
		{"k=v=w", "", "k=v%3Dw"},
	}
	for _, tt := range tests {
		if got := canonicalQuery(parseQuery(tt.raw), tt.skip); got != tt.want {
			t.Errorf("canonicalQuery(%q) = %q; want %q", tt.raw, got, tt.want)
		}
	}
}

func TestRequestTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		r                   *http.Request
		wantPath, wantQuery string
	}{
		{"origin form", &http.Request{RequestURI: "/a%20b?x=1"}, "/a%20b", "x=1"},
		{"absolute form", &http.Request{RequestURI: "http://h:8080/p?q"}, "/p", "q"},
		{"absolute form, no path", &http.Request{RequestURI: "http://h?q"}, "/", "q"},
		{"client request", httptestClient("https://h/a%2Fb?z=1"), "/a%2Fb", "z=1"},
		{"opaque", &http.Request{URL: mustOpaque("//h/x%20y", "a=1")}, "/x%20y", "a=1"},
		{"empty", &http.Request{RequestURI: "?x"}, "/", "x"},
	}
	for _, tt := range tests {
		p, q := requestTarget(tt.r)
		if p != tt.wantPath || q != tt.wantQuery {
			t.Errorf("requestTarget(%s) = %q, %q; want %q, %q", tt.name, p, q, tt.wantPath, tt.wantQuery)
		}
	}
}

func httptestClient(u string) *http.Request {
	r, _ := http.NewRequest("GET", u, nil)
	return r
}

func mustOpaque(opaque, query string) *url.URL {
	return &url.URL{Scheme: "https", Opaque: opaque, RawQuery: query}
}

func BenchmarkVerify(b *testing.B) {
	r := httptest.NewRequest("POST", "https://apigateway.us-east-1.amazonaws.com/restapis/abc/resources?limit=25", strings.NewReader(`{"pathPart":"pets"}`))
	r.RequestURI = ""
	body := []byte(`{"pathPart":"pets"}`)
	creds := aws.Credentials{AccessKeyID: exKeyID, SecretAccessKey: exSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex(body), "apigateway", "us-east-1", exTime); err != nil {
		b.Fatal(err)
	}
	v := exVerifier(exTime)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVerifyAuthority accepts ":authority" signed in place of host, read from
// the request's host as net/http exposes HTTP/2's pseudo-header.
func TestVerifyAuthority(t *testing.T) {
	t.Parallel()
	r := withHeaders("/", "X-Amz-Date", "20150830T123600Z")
	creq := canonicalRequest("GET", "/", "", ":authority:example.amazonaws.com\nx-amz-date:20150830T123600Z\n", ":authority;x-amz-date", emptySHA256)
	sts := stringToSign("20150830T123600Z", "20150830/us-east-1/apigateway/aws4_request", creq)
	sig := signature(signingKey(exSecret, "20150830", "us-east-1", "apigateway"), sts)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+exKeyID+"/20150830/us-east-1/apigateway/aws4_request, SignedHeaders=:authority;x-amz-date, Signature="+sig)
	if _, err := exVerifier(exTime).Verify(r, nil); err != nil {
		t.Fatalf("Verify(:authority signed) = %v", err)
	}
	r.Host = "other.example.com"
	if _, err := exVerifier(exTime).Verify(r, nil); !isCode(err, CodeInvalidSignature) {
		t.Errorf("Verify(:authority changed) = %v; want %s", err, CodeInvalidSignature)
	}
}
