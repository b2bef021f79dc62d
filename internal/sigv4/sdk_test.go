package sigv4_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

const (
	testKeyID  = "AKIAGATEHOUSETEST"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

func testVerifier(now time.Time) *sigv4.Verifier {
	return &sigv4.Verifier{
		Credentials: func(id string) (string, bool) {
			if id == testKeyID {
				return testSecret, true
			}
			return "", false
		},
		Now: func() time.Time { return now },
	}
}

// Decoded characters the random paths and queries are built from: spaces,
// multi-byte UTF-8, '/' inside a segment (sent as %2F), '%', '+', and every
// sub-delimiter a path may carry unencoded.
var randomRunes = []rune("aZ09-_.~ üሴ/%+!$&'()*,;=:@")

func randomString(rng *rand.Rand, maxLen int) string {
	n := rng.IntN(maxLen + 1)
	var b strings.Builder
	for range n {
		b.WriteRune(randomRunes[rng.IntN(len(randomRunes))])
	}
	return b.String()
}

// randomPath returns an escaped path: segments escaped as Go's url package
// does, with occasional empty, "." and ".." segments that aws-sdk-go-v2 signs
// without normalizing.
func randomPath(rng *rand.Rand) string {
	var b strings.Builder
	for range rng.IntN(5) {
		b.WriteByte('/')
		switch rng.IntN(10) {
		case 0:
			// empty segment: "//"
		case 1:
			b.WriteString(".")
		case 2:
			b.WriteString("..")
		default:
			b.WriteString(url.PathEscape(randomString(rng, 8)))
		}
	}
	if b.Len() == 0 || rng.IntN(4) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// randomQuery returns a raw query with repeated keys, empty values, keys
// without '=', and spaces sent both as '+' and as %20.
func randomQuery(rng *rand.Rand) string {
	var pieces []string
	keys := []string{"a", "b", "A", "x y", "ü"}
	for range rng.IntN(6) {
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(3) == 0 {
			k = randomString(rng, 4)
		}
		esc := url.QueryEscape
		if rng.IntN(2) == 0 {
			esc = func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
		}
		switch rng.IntN(5) {
		case 0:
			pieces = append(pieces, esc(k))
		case 1:
			pieces = append(pieces, esc(k)+"=")
		default:
			pieces = append(pieces, esc(k)+"="+esc(randomString(rng, 6)))
		}
	}
	return strings.Join(pieces, "&")
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// serverView sends r through the wire format and reads it back the way a
// net/http server does: RequestURI as sent, Host out of Header.
func serverView(t *testing.T, r *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read request %q: %v", buf.String(), err)
	}
	return sr
}

type randomRequest struct {
	method, target string
	body           []byte
	header         http.Header
}

func newRandomRequest(rng *rand.Rand) randomRequest {
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	rr := randomRequest{method: methods[rng.IntN(len(methods))], target: randomPath(rng), header: http.Header{}}
	if q := randomQuery(rng); q != "" {
		rr.target += "?" + q
	}
	if rr.method != "GET" && rng.IntN(3) > 0 {
		rr.body = []byte(randomString(rng, 40))
	}
	if rng.IntN(2) == 0 {
		rr.header.Set("Content-Type", "application/json")
	}
	if rng.IntN(2) == 0 {
		rr.header.Set("X-Custom", "  a   b\tc  ")
	}
	if rng.IntN(2) == 0 {
		rr.header.Add("X-Multi", "second  value")
		rr.header.Add("X-Multi", "first")
	}
	return rr
}

func (rr randomRequest) build(t *testing.T, host string) *http.Request {
	t.Helper()
	var body *bytes.Reader
	if rr.body != nil {
		body = bytes.NewReader(rr.body)
	}
	var r *http.Request
	var err error
	if body != nil {
		r, err = http.NewRequest(rr.method, "https://"+host+rr.target, body)
	} else {
		r, err = http.NewRequest(rr.method, "https://"+host+rr.target, nil)
	}
	if err != nil {
		t.Fatalf("new request %s: %v", rr.target, err)
	}
	for k, vs := range rr.header {
		r.Header[k] = append([]string(nil), vs...)
	}
	return r
}

// TestSDKSignerAgreement signs random requests with aws-sdk-go-v2's signer and
// verifies them as the client built them and as a server reads them; a change
// to the path, the query or the body after signing must be rejected.
func TestSDKSignerAgreement(t *testing.T) {
	t.Parallel()
	signTime := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	v := testVerifier(signTime.Add(90 * time.Second))
	signer := v4.NewSigner()
	rng := rand.New(rand.NewPCG(2015, 830))
	for i := range 400 {
		rr := newRandomRequest(rng)
		creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
		if i%5 == 0 {
			creds.SessionToken = "session/token+=="
		}
		r := rr.build(t, "apigateway.us-east-1.amazonaws.com")
		if err := signer.SignHTTP(context.Background(), creds, r, sha256Hex(rr.body), "apigateway", "us-east-1", signTime); err != nil {
			t.Fatalf("sign %s %s: %v", rr.method, rr.target, err)
		}
		name := rr.method + " " + rr.target
		res, err := v.Verify(r, rr.body)
		if err != nil {
			t.Errorf("Verify(client view of %s) = %v", name, detail(err))
			continue
		}
		if res.AccessKeyID != testKeyID || res.Region != "us-east-1" || res.Service != "apigateway" ||
			!res.Date.Equal(signTime) || res.SecurityToken != creds.SessionToken || res.Presigned {
			t.Errorf("Verify(%s) = %+v", name, res)
		}
		sr := serverView(t, r)
		if _, err := v.Verify(sr, rr.body); err != nil {
			t.Errorf("Verify(server view of %s) = %v", name, detail(err))
		}

		// Tampering after signing.
		tampered := sr.Clone(context.Background())
		tampered.RequestURI = strings.Replace(sr.RequestURI, "?", "?z=1&", 1)
		if !strings.Contains(sr.RequestURI, "?") {
			tampered.RequestURI += "?z=1"
		}
		if _, err := v.Verify(tampered, rr.body); !isCode(err, sigv4.CodeInvalidSignature) {
			t.Errorf("Verify(%s with query added) = %v; want %s", name, err, sigv4.CodeInvalidSignature)
		}
		if _, err := v.Verify(sr, append(append([]byte(nil), rr.body...), '!')); !isCode(err, sigv4.CodeInvalidSignature) {
			t.Errorf("Verify(%s with body changed) = %v; want %s", name, err, sigv4.CodeInvalidSignature)
		}
		tampered = sr.Clone(context.Background())
		tampered.RequestURI = "/other" + sr.RequestURI
		if _, err := v.Verify(tampered, rr.body); !isCode(err, sigv4.CodeInvalidSignature) {
			t.Errorf("Verify(%s with path changed) = %v; want %s", name, err, sigv4.CodeInvalidSignature)
		}
	}
}

// TestSDKPresignAgreement presigns random requests with aws-sdk-go-v2 and
// verifies the URLs until they expire.
func TestSDKPresignAgreement(t *testing.T) {
	t.Parallel()
	signTime := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	const expires = 900
	signer := v4.NewSigner()
	rng := rand.New(rand.NewPCG(604800, 1))
	for i := range 200 {
		rr := newRandomRequest(rng)
		r := rr.build(t, "apigateway.eu-west-1.amazonaws.com")
		if r.URL.RawQuery != "" {
			r.URL.RawQuery += "&"
		}
		r.URL.RawQuery += "X-Amz-Expires=" + strconv.Itoa(expires)
		payload := sha256Hex(rr.body)
		if i%2 == 0 {
			payload = sigv4.UnsignedPayload
		}
		creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
		if i%3 == 0 {
			creds.SessionToken = "tok/en+=="
		}
		uri, headers, err := signer.PresignHTTP(context.Background(), creds, r, payload, "apigateway", "eu-west-1", signTime)
		if err != nil {
			t.Fatalf("presign: %v", err)
		}
		pr, err := http.NewRequest(rr.method, uri, bytes.NewReader(rr.body))
		if err != nil {
			t.Fatalf("new presigned request %s: %v", uri, err)
		}
		for k, vs := range headers {
			if k == "Host" {
				pr.Host = vs[0]
				continue
			}
			pr.Header[k] = vs
		}
		pr.ContentLength = int64(len(rr.body))
		sr := serverView(t, pr)
		name := rr.method + " " + uri

		for _, tc := range []struct {
			after time.Duration
			code  string
		}{
			{0, ""},
			{expires * time.Second, ""},
			{-4 * time.Minute, ""},
			{expires*time.Second + time.Second, sigv4.CodeInvalidSignature},
			{-6 * time.Minute, sigv4.CodeInvalidSignature},
		} {
			res, err := testVerifier(signTime.Add(tc.after)).Verify(sr, rr.body)
			switch {
			case tc.code == "" && err != nil:
				t.Errorf("Verify(%s at +%s) = %v", name, tc.after, detail(err))
			case tc.code == "" && (!res.Presigned || res.UnsignedPayload != (payload == sigv4.UnsignedPayload) || res.SecurityToken != creds.SessionToken):
				t.Errorf("Verify(%s) = %+v", name, res)
			case tc.code != "" && !isCode(err, tc.code):
				t.Errorf("Verify(%s at +%s) = %v; want %s", name, tc.after, err, tc.code)
			}
		}
	}
}

func isCode(err error, code string) bool {
	var e *sigv4.Error
	return errors.As(err, &e) && e.Code == code
}

// detail adds the canonical request to a signature mismatch.
func detail(err error) string {
	var e *sigv4.Error
	if errors.As(err, &e) && e.CanonicalRequest != "" {
		return err.Error() + "\ncanonical request:\n" + e.CanonicalRequest
	}
	return err.Error()
}
