package integration

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

const (
	ctt = apigateway.ContentHandlingConvertToText
	ctb = apigateway.ContentHandlingConvertToBinary
)

// TestContentConversionsTable checks AWS's table row by row (api-gateway-payload-encodings-
// workflow.md, and TestApiGatewayS3BinarySupport's recorded outcomes), and that the table
// covers every case exactly once.
func TestContentConversionsTable(t *testing.T) {
	t.Parallel()
	want := []struct {
		c    contentCase
		want conversion
	}{
		// request: Content-Type binary?
		{contentCase{false, "", false, false}, asText},
		{contentCase{false, "", true, false}, asIs},
		{contentCase{false, ctt, false, false}, asText},
		{contentCase{false, ctt, true, false}, toBase64},
		{contentCase{false, ctb, false, false}, fromBase64},
		{contentCase{false, ctb, true, false}, asIs},
		// response: payload binary?, first Accept binary?
		{contentCase{true, "", false, false}, asText},
		{contentCase{true, "", false, true}, fromBase64},
		{contentCase{true, "", true, false}, toBase64},
		{contentCase{true, "", true, true}, asIs},
		{contentCase{true, ctt, false, false}, asText},
		{contentCase{true, ctt, false, true}, asText},
		{contentCase{true, ctt, true, false}, toBase64},
		{contentCase{true, ctt, true, true}, toBase64},
		{contentCase{true, ctb, false, false}, fromBase64},
		{contentCase{true, ctb, false, true}, fromBase64},
		{contentCase{true, ctb, true, false}, asIs},
		{contentCase{true, ctb, true, true}, asIs},
	}
	for _, tt := range want {
		if got := convertFor(tt.c); got != tt.want {
			t.Errorf("convertFor(%+v) = %v; want %v", tt.c, got, tt.want)
		}
	}
	seen := map[int]bool{}
	for _, r := range contentConversions {
		i := contentIndex(r.contentCase)
		if seen[i] {
			t.Errorf("case %+v is in the table twice", r.contentCase)
		}
		seen[i] = true
	}
	if len(seen) != len(want) {
		t.Errorf("the table has %d cases; want %d", len(seen), len(want))
	}
	// A request's Accept plays no part.
	if convertFor(contentCase{false, "", false, true}) != asText {
		t.Error("a request's conversion depends on accept")
	}
}

// gzipBody is TestApiGatewayS3BinarySupport's binary body: gzip.compress(b"compressed data,
// should be invalid UTF-8 string", mtime=1676569620).
var gzipBody = []byte("\x1f\x8b\x08\x00\x14l\xeec\x02\xffK\xce\xcf-(J-.NMQHI,I\xd4Q(\xce\xc8/\xcdIQHJU\xc8\xcc+K\xcc\xc9LQ\x08\rq\xd3\xb5P(.)\xca\xccK\x07\x00\xb89\x10W/\x00\x00\x00")

// gzipAsText is gzipBody read as UTF-8, as AWS stored it in S3 (recorded,
// get-obj-no-binary-media-binary-raw: 99 bytes).
var gzipAsText = []byte("\x1f\xef\xbf\xbd\x08\x00\x14l\xef\xbf\xbdc\x02\xef\xbf\xbdK\xef\xbf\xbd\xef\xbf\xbd-(J-.NMQHI,I\xef\xbf\xbdQ(\xef\xbf\xbd\xef\xbf\xbd/\xef\xbf\xbdIQHJU\xef\xbf\xbd\xef\xbf\xbd+K\xef\xbf\xbd\xef\xbf\xbdLQ\x08\rq\xd3\xb5P(.)\xef\xbf\xbd\xef\xbf\xbdK\x07\x00\xef\xbf\xbd9\x10W/\x00\x00\x00")

func TestConversionApply(t *testing.T) {
	t.Parallel()
	b64 := []byte(base64.StdEncoding.EncodeToString(gzipBody))
	tests := []struct {
		c       conversion
		in, out []byte
		fail    bool
	}{
		{asText, gzipBody, gzipAsText, false},
		{asText, []byte("this is a UTF8 text typed object"), []byte("this is a UTF8 text typed object"), false},
		{asIs, gzipBody, gzipBody, false},
		{toBase64, gzipBody, b64, false},
		{toBase64, []byte("this is a UTF8 text typed object"), []byte("dGhpcyBpcyBhIFVURjggdGV4dCB0eXBlZCBvYmplY3Q="), false},
		{fromBase64, b64, gzipBody, false},
		{fromBase64, []byte("aGVsbG8"), []byte("hello"), false}, // padding optional
		{fromBase64, []byte(""), []byte{}, false},
		{fromBase64, gzipBody, nil, true},
		{fromBase64, []byte("this is a UTF8 text typed object"), nil, true},
		{fromBase64, []byte("aGVs bG8="), nil, true}, // no whitespace
		{fromBase64, []byte("aGVsbG8=\n"), nil, true},
	}
	for _, tt := range tests {
		got, err := tt.c.apply(tt.in)
		if tt.fail {
			if err == nil {
				t.Errorf("%v.apply(%q) = %q; want an error", tt.c, tt.in, got)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tt.out) {
			t.Errorf("%v.apply(%q) = %q, %v; want %q", tt.c, tt.in, got, err, tt.out)
		}
	}
}

// TestTextUTF8 checks the U+FFFD replacement: one per maximal ill-formed subsequence, as
// Java's (and Python's) UTF-8 decoders do.
func TestTextUTF8(t *testing.T) {
	t.Parallel()
	const r = "\uFFFD"
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\x80b", "a" + r + "b"},
		{"\xe4\xb8A", r + "A"},              // a truncated 3-byte sequence is one
		{"\xf0\x9f\x98", r},                 // a truncated 4-byte sequence is one
		{"\xe0\x80\x80", r + r + r},         // overlong: E0 80 is no valid prefix
		{"\xed\xa0\x80", r + r + r},         // a surrogate
		{"\xf4\x90\x80\x80", r + r + r + r}, // past U+10FFFF
		{"\xc0\xaf", r + r},
		{"\xff", r},
		{"é\xe2\x82", "é" + r},
	}
	for _, tt := range tests {
		if got := string(textUTF8([]byte(tt.in))); got != tt.want {
			t.Errorf("textUTF8(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestMediaTypesMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		types []string
		mt    string
		want  bool
	}{
		{nil, "image/png", false},
		{[]string{"image/png"}, "image/png", true},
		{[]string{"image/png"}, "IMAGE/PNG; charset=x", true},
		{[]string{"image/png"}, "image/jpeg", false},
		{[]string{"image/*"}, "image/jpeg", true},
		{[]string{"image/*"}, "text/plain", false},
		{[]string{"*/test"}, "application/test", true},
		{[]string{"*/test"}, "application/json", false},
		{[]string{"*/*"}, "text/plain", true},
		{[]string{"*/*"}, "", true},
		{[]string{"image/png"}, "", false},
		{[]string{"image/png"}, "*/*", false},
		{[]string{"image/png"}, "image", false},
	}
	for _, tt := range tests {
		if got := mediaTypes(tt.types).match(tt.mt); got != tt.want {
			t.Errorf("mediaTypes(%q).match(%q) = %v; want %v", tt.types, tt.mt, got, tt.want)
		}
	}
}

// TestResponseConversionFirstAccept checks that only the first Accept media type is read.
func TestResponseConversionFirstAccept(t *testing.T) {
	t.Parallel()
	bin := mediaTypes{"image/png"}
	if got := responseConversion("", bin, "image/png", "text/html, image/png"); got != toBase64 {
		t.Errorf("binary payload, Accept text/html first = %v; want toBase64", got)
	}
	if got := responseConversion("", bin, "image/png", "image/png, text/html"); got != asIs {
		t.Errorf("binary payload, Accept image/png first = %v; want asIs", got)
	}
}

// TestTemplateInputBinary checks that a template never reads undecodable bytes: the request
// and response are 500.
func TestTemplateInputBinary(t *testing.T) {
	t.Parallel()
	if err := templateInput(gzipBody); err == nil {
		t.Error("templateInput(gzip) = nil; want an error")
	}
	if err := templateInput([]byte(`{"a": "é"}`)); err != nil {
		t.Errorf("templateInput(text) = %v", err)
	}
	r := &integrationResponse{status: 200, contentHandling: ctb}
	var err error
	if r.templates, err = compileTemplates(map[string]string{"application/json": `{"data": "$input.body"}`}); err != nil {
		t.Fatal(err)
	}
	inv := &invoke.Invocation{}
	_, err = r.methodResponse(inv, http.Header{"Content-Type": {"text/plain"}}, []byte(base64.StdEncoding.EncodeToString(gzipBody)), nil)
	var ie *invoke.Error
	if !errors.As(err, &ie) || ie.Type != apigateway.ResponseAPIConfigurationError {
		t.Errorf("methodResponse(CONVERT_TO_BINARY, template, base64 of gzip) = %v; want a 500", err)
	}
}

// FuzzContentConversion feeds any payload through every conversion: no panic, asText and
// toBase64 always give valid UTF-8, fromBase64 undoes toBase64.
func FuzzContentConversion(f *testing.F) {
	f.Add(gzipBody)
	f.Add([]byte("aGVsbG8="))
	f.Add([]byte("\xe4\xb8A\xf0\x9f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, c := range []conversion{asText, asIs, toBase64, fromBase64} {
			out, err := c.apply(b)
			if (c == asText || c == toBase64) && (err != nil || !utf8.Valid(out)) {
				t.Fatalf("%v.apply(%q) = %q, %v; want valid UTF-8", c, b, out, err)
			}
		}
		enc, _ := toBase64.apply(b)
		dec, err := fromBase64.apply(enc)
		if err != nil || !bytes.Equal(dec, b) {
			t.Fatalf("fromBase64(toBase64(%q)) = %q, %v", b, dec, err)
		}
		_ = mediaTypes{"*/test", "image/*", string(b)}.match(string(b))
		_ = invoke.FirstMediaType(string(b))
	})
}
