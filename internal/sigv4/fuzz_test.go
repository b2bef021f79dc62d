package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// FuzzParseAuthorization: the Authorization header parser never panics,
// fails only with IncompleteSignatureException, and succeeds only with every
// part present and the one supported algorithm.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", true)
	f.Add("Bearer abc", false)
	f.Add("AWS AKID:sig=", true)
	f.Add("  AWS4-HMAC-SHA256\tCredential=a,,Signature=b SignedHeaders==", true)
	f.Add("", false)
	f.Fuzz(func(t *testing.T, header string, hasDate bool) {
		fields, err := parseAuthorization(header, hasDate)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeIncompleteSignature || e.Message == "" {
				t.Fatalf("parseAuthorization(%q) = %v; want IncompleteSignatureException", header, err)
			}
			return
		}
		if !hasDate || fields.algorithm != Algorithm || fields.credential == "" || fields.signedHeaders == "" || fields.signature == "" {
			t.Fatalf("parseAuthorization(%q, %v) = %+v; want every part", header, hasDate, fields)
		}
	})
}

// FuzzVerify: Verify never panics on any request line, Authorization header,
// date or body; every failure is an *Error with a known type and status 403;
// the only accepted requests are signed with the known key.
func FuzzVerify(f *testing.F) {
	f.Add("GET", "/", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", "20150830T123600Z", "")
	f.Add("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d", "", "", "")
	f.Add("POST", "//a/../%zz?&=&x", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015/x/y/aws4_request, SignedHeaders=;;, Signature=", "2015", "body")
	f.Add("GET", "http://h", "", "", "")
	valid := map[string]bool{
		CodeMissingAuthenticationToken: true, CodeIncompleteSignature: true,
		CodeUnrecognizedClient: true, CodeInvalidSignature: true,
	}
	v := exVerifier(exTime)
	f.Fuzz(func(t *testing.T, method, target, authz, amzDate, body string) {
		r := &http.Request{Method: method, RequestURI: target, Host: "example.amazonaws.com", Header: http.Header{}, ContentLength: int64(len(body))}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if amzDate != "" {
			r.Header.Set("X-Amz-Date", amzDate)
		}
		res, err := v.Verify(r, []byte(body))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !valid[e.Code] || e.Status != http.StatusForbidden || e.Message == "" {
				t.Fatalf("Verify = %#v", err)
			}
			return
		}
		if res.AccessKeyID != exKeyID {
			t.Fatalf("Verify accepted key %q", res.AccessKeyID)
		}
	})
}

// FuzzSDKAgreement: whatever path and query aws-sdk-go-v2 signs, the verifier
// accepts, as the client built the request and as a server reads it.
func FuzzSDKAgreement(f *testing.F) {
	f.Add("/restapis/a%20b/resources", "limit=25&position=x+y")
	f.Add("/a//b/./c/../%2F", "a&a=&a=1&%E1%88%B4=%2F")
	f.Add("/ሴ !$'()*", "k=v=w&x=%zz")
	signer := v4.NewSigner()
	v := exVerifier(exTime)
	creds := aws.Credentials{AccessKeyID: exKeyID, SecretAccessKey: exSecret}
	f.Fuzz(func(t *testing.T, path, query string) {
		if !strings.HasPrefix(path, "/") {
			return
		}
		target := path
		if query != "" {
			target += "?" + query
		}
		r, err := http.NewRequest("GET", "https://example.amazonaws.com"+target, nil)
		if err != nil {
			return // not a URL a client can send
		}
		if err := signer.SignHTTP(context.Background(), creds, r, emptySHA256, "apigateway", "us-east-1", exTime); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(r, nil); err != nil {
			t.Fatalf("Verify(client view of %q) = %v", target, errorDetail(err))
		}
		var buf bytes.Buffer
		if err := r.Write(&buf); err != nil {
			return
		}
		sr, err := http.ReadRequest(bufio.NewReader(&buf))
		if err != nil {
			return // a server would refuse it before any handler runs
		}
		if _, err := v.Verify(sr, nil); err != nil {
			t.Fatalf("Verify(server view of %q, sent as %q) = %v", target, sr.RequestURI, errorDetail(err))
		}
	})
}

func errorDetail(err error) string {
	var e *Error
	if errors.As(err, &e) && e.CanonicalRequest != "" {
		return err.Error() + "\n" + e.CanonicalRequest
	}
	return err.Error()
}

// FuzzVerifyRequest: VerifyRequest, with a key cache, never panics on any method, host, path,
// query, Authorization header, security token or body; fails only with an *Error of a known
// type; accepts only the known key; and agrees with Verify on the same request.
func FuzzVerifyRequest(f *testing.F) {
	f.Add("GET", "example.amazonaws.com", "/", "", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", "20150830T123600Z", "", "")
	f.Add("GET", "example.amazonaws.com", "/", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d", "", "", "tok", "")
	f.Add("POST", "", "", "&&=%zz", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015/x/y/aws4_request, SignedHeaders=content-length;host, Signature=00", "2015", "", "body")
	valid := map[string]bool{
		CodeMissingAuthenticationToken: true, CodeIncompleteSignature: true,
		CodeUnrecognizedClient: true, CodeInvalidSignature: true,
	}
	v := exVerifier(exTime)
	v.Keys = new(KeyCache)
	f.Fuzz(func(t *testing.T, method, host, path, rawQuery, authz, amzDate, token, body string) {
		h := http.Header{}
		if authz != "" {
			h.Set("Authorization", authz)
		}
		if amzDate != "" {
			h.Set("X-Amz-Date", amzDate)
		}
		if token != "" {
			h.Set("X-Amz-Security-Token", token)
		}
		req := &Request{Method: method, Host: host, Path: path, RawQuery: rawQuery, Header: h, ContentLength: int64(len(body))}
		res, err := v.VerifyRequest(req, []byte(body))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !valid[e.Code] || e.Status != http.StatusForbidden || e.Message == "" {
				t.Fatalf("VerifyRequest = %#v", err)
			}
		} else if res.AccessKeyID != exKeyID {
			t.Fatalf("VerifyRequest accepted key %q", res.AccessKeyID)
		}
		if strings.ContainsAny(path+rawQuery, " #\r\n") || (path != "" && path[0] != '/') {
			return // not a request target a server reads as such
		}
		target := path
		if rawQuery != "" {
			target += "?" + rawQuery
		}
		r := &http.Request{Method: method, RequestURI: target, Host: host, Header: h, ContentLength: int64(len(body))}
		_, err2 := v.Verify(r, []byte(body))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("VerifyRequest = %v but Verify = %v", err, err2)
		}
	})
}
