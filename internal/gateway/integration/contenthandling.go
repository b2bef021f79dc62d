package integration

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// Content handling: what API Gateway does to a payload between the client and a non-proxy
// integration (HTTP, AWS service, Lambda, MOCK), written once as a table. AWS documents it in
// "Content type conversions in API Gateway" (api-gateway-payload-encodings-workflow.md), and
// LocalStack recorded it against AWS with an S3 backend
// (tests/aws/services/apigateway/test_apigateway_s3.py, TestApiGatewayS3BinarySupport, and its
// snapshot): a gzip body, its base64 text and a plain text body, PUT and GET under every
// contentHandling, with and without binaryMediaTypes.
//
// A payload is binary when its media type is one of the API's binaryMediaTypes: the request's
// Content-Type going in; coming back, the integration response's Content-Type, and the
// client's Accept — only its FIRST media type ("When a request contains multiple media types
// in its Accept header, API Gateway honors only the first Accept media type").

// conversion is what API Gateway does to a payload.
type conversion uint8

const (
	// asText reads the payload as UTF-8 text: every invalid sequence becomes U+FFFD
	// (AWS: "UTF8-encoded string", "Text data"; recorded: the 67-byte gzip body arrives as
	// 99 bytes, each undecodable byte EF BF BD).
	asText conversion = iota
	// asIs passes the bytes through unchanged ("Binary data").
	asIs
	// toBase64 base64-encodes the payload ("Base64-encoded string").
	toBase64
	// fromBase64 base64-decodes it ("Base64-decoded binary blob"); a payload that is not
	// base64 fails the request with 500 (recorded: the raw gzip body and the text body under
	// CONVERT_TO_BINARY are answered 500 and never reach S3).
	fromBase64
)

func (c conversion) String() string {
	return [...]string{"asText", "asIs", "toBase64", "fromBase64"}[c]
}

// contentCase is what selects a conversion.
type contentCase struct {
	response bool   // the integration's response (else the method request)
	handling string // contentHandling: "", CONVERT_TO_TEXT or CONVERT_TO_BINARY
	binary   bool   // the payload's Content-Type is one of the binaryMediaTypes
	accept   bool   // response only: the client's first Accept media type is one of them
}

// contentConversions is AWS's table, row by row. A request has no Accept column; the
// response rows where Accept does not matter are listed for both values.
var contentConversions = []struct {
	contentCase
	do conversion
}{
	// Method request → integration request.
	{contentCase{false, "", false, false}, asText},                                            // Text data, no match, Undefined: UTF8-encoded string
	{contentCase{false, "", true, false}, asIs},                                               // Binary data, match, Undefined: Binary data
	{contentCase{false, apigateway.ContentHandlingConvertToText, false, false}, asText},       // Text data, CONVERT_TO_TEXT: UTF8-encoded string / Text data
	{contentCase{false, apigateway.ContentHandlingConvertToText, true, false}, toBase64},      // Binary data, CONVERT_TO_TEXT: Base64-encoded string
	{contentCase{false, apigateway.ContentHandlingConvertToBinary, false, false}, fromBase64}, // Text data, CONVERT_TO_BINARY: Base64-decoded binary blob
	{contentCase{false, apigateway.ContentHandlingConvertToBinary, true, false}, asIs},        // Binary data, CONVERT_TO_BINARY: Binary data

	// Integration response → method response.
	{contentCase{true, "", false, false}, asText},    // Text, text Accept, Undefined: UTF8-encoded string
	{contentCase{true, "", false, true}, fromBase64}, // Text, binary Accept, Undefined: Base64-decoded blob
	{contentCase{true, "", true, false}, toBase64},   // Binary, text Accept, Undefined: Base64-encoded string
	{contentCase{true, "", true, true}, asIs},        // Binary, binary Accept, Undefined: Binary data
	{contentCase{true, apigateway.ContentHandlingConvertToText, false, false}, asText},
	{contentCase{true, apigateway.ContentHandlingConvertToText, false, true}, asText}, // Text, binary Accept, CONVERT_TO_TEXT: UTF8-encoded string
	{contentCase{true, apigateway.ContentHandlingConvertToText, true, false}, toBase64},
	{contentCase{true, apigateway.ContentHandlingConvertToText, true, true}, toBase64},
	{contentCase{true, apigateway.ContentHandlingConvertToBinary, false, false}, fromBase64},
	{contentCase{true, apigateway.ContentHandlingConvertToBinary, false, true}, fromBase64},
	{contentCase{true, apigateway.ContentHandlingConvertToBinary, true, false}, asIs},
	{contentCase{true, apigateway.ContentHandlingConvertToBinary, true, true}, asIs},
}

// conversionTable is contentConversions indexed by contentIndex.
var conversionTable = func() (t [24]conversion) {
	for _, r := range contentConversions {
		t[contentIndex(r.contentCase)] = r.do
	}
	return t
}()

func contentIndex(c contentCase) int {
	i := 0
	switch c.handling {
	case apigateway.ContentHandlingConvertToText:
		i = 1
	case apigateway.ContentHandlingConvertToBinary:
		i = 2
	}
	i = i*2 + b2i(c.binary)
	i = i*2 + b2i(c.accept && c.response)
	return i*2 + b2i(c.response)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// convertFor is the conversion of a case.
func convertFor(c contentCase) conversion { return conversionTable[contentIndex(c)] }

// requestConversion is the conversion of a method request's payload: by the integration's
// contentHandling and the request's Content-Type.
func requestConversion(handling string, binary mediaTypes, contentType string) conversion {
	return convertFor(contentCase{handling: handling, binary: binary.match(contentType)})
}

// responseConversion is the conversion of an integration response's payload: by the
// integration response's contentHandling, its Content-Type and the client's first Accept.
func responseConversion(handling string, binary mediaTypes, contentType, accept string) conversion {
	return convertFor(contentCase{response: true, handling: handling, binary: binary.match(contentType), accept: binary.acceptsBinary(accept)})
}

// errNotBase64 is a payload CONVERT_TO_BINARY (or a binary Accept) wants decoded that is not
// base64.
var errNotBase64 = errors.New("payload is not base64")

// apply converts a payload. It returns payload itself when nothing changes.
func (c conversion) apply(payload []byte) ([]byte, error) {
	switch c {
	case asText:
		return textUTF8(payload), nil
	case toBase64:
		out := make([]byte, base64.StdEncoding.EncodedLen(len(payload)))
		base64.StdEncoding.Encode(out, payload)
		return out, nil
	case fromBase64:
		return decodeBase64(payload)
	}
	return payload, nil
}

// decodeBase64 decodes standard base64 as java.util.Base64's basic decoder does: the
// alphabet only (no whitespace), padding optional.
func decodeBase64(payload []byte) ([]byte, error) {
	enc := base64.StdEncoding
	if len(payload)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(payload)))
	n, err := enc.Strict().Decode(out, payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotBase64, err)
	}
	return out[:n], nil
}

// textUTF8 is b read as UTF-8: b itself when it is valid, else a copy in which each maximal
// ill-formed subsequence is U+FFFD (the Unicode practice Java's decoder follows).
func textUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			out = append(out, b[:n]...)
			b = b[n:]
			continue
		}
		out = append(out, "\uFFFD"...)
		b = b[illFormed(b):]
	}
	return out
}

// illFormed is the length of the maximal ill-formed subsequence at the start of b (whose
// first byte does not start a valid sequence): a lead byte and those continuation bytes that
// could still have made a valid sequence (Unicode Table 3-7), at least one byte.
func illFormed(b []byte) int {
	c := b[0]
	var n int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		n = 2
	case c == 0xE0:
		n, lo = 3, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		n = 3
	case c == 0xED:
		n, hi = 3, 0x9F
	case c == 0xF0:
		n, lo = 4, 0x90
	case c >= 0xF1 && c <= 0xF3:
		n = 4
	case c == 0xF4:
		n, hi = 4, 0x8F
	default:
		return 1
	}
	i := 1
	for ; i < n && i < len(b); i++ {
		if b[i] < lo || b[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}

// templateInput checks a converted payload a mapping template is to read as $input.body: it
// must be text. A binary payload (passed as is, or base64-decoded) that is not valid UTF-8
// fails the request with 500 (recorded: CONVERT_TO_BINARY with an application/json request
// template, the base64 of a gzip body, is answered 500 — LocalStack's note: "we cannot pass
// binary data that hasn't been sanitized to VTL templates").
func templateInput(payload []byte) error {
	if !utf8.Valid(payload) {
		return errors.New("a mapping template cannot read a binary payload (set contentHandling CONVERT_TO_TEXT)")
	}
	return nil
}

// contentError is a failed conversion: 500, a configuration error as AWS logs it.
func contentError(err error) error {
	return invoke.ConfigurationError.Because(fmt.Errorf("contentHandling: %w", err))
}

// convert applies the response's conversion to an integration response payload, for a
// client with this Accept header (respHeader is nil for MOCK and Lambda).
func (r *integrationResponse) convert(accept string, respHeader http.Header, payload []byte) ([]byte, error) {
	out, err := responseConversion(r.contentHandling, r.binary, respHeader.Get("Content-Type"), accept).apply(payload)
	if err != nil {
		return nil, contentError(err)
	}
	return out, nil
}

// mediaTypes are a REST API's binaryMediaTypes: exact types, "type/*", "*/subtype" or "*/*".
type mediaTypes []string

// match reports whether a media type (a Content-Type, or the first of an Accept) is one of
// the binary media types. Wildcards are read on the binaryMediaTypes side: "*/*" matches
// every payload, even one without a type; "image/*" every image; "*/test" every type whose
// subtype is test. A client's Accept of "*/*" is binary only for "*/*".
func (ts mediaTypes) match(contentType string) bool {
	if len(ts) == 0 {
		return false
	}
	mt := invoke.MediaType(contentType)
	typ, sub, _ := strings.Cut(mt, "/")
	for _, t := range ts {
		if t == "*/*" {
			return true
		}
		if mt == "" {
			continue
		}
		pt, ps, ok := strings.Cut(t, "/")
		if !ok {
			continue
		}
		if (pt == "*" || strings.EqualFold(pt, typ)) && (ps == "*" || strings.EqualFold(ps, sub)) {
			return true
		}
	}
	return false
}

// acceptsBinary reports whether a client with this Accept header takes binary: its first
// media type is one of the API's binaryMediaTypes (AWS's lambda-proxy-binary-media.md: "API
// Gateway uses the first Accept header from clients to determine if a response should return
// binary media"). A Lambda proxy answer with isBase64Encoded is decoded only then.
func (ts mediaTypes) acceptsBinary(accept string) bool {
	return ts.match(invoke.FirstMediaType(accept))
}
