package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Algorithm is the only signing algorithm Verify accepts.
const Algorithm = "AWS4-HMAC-SHA256"

// UnsignedPayload is the x-amz-content-sha256 value that leaves the body out
// of the signature (S3 and presigned URLs use it).
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// emptySHA256 is hex(sha256("")), the payload hash of a request without body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// requestTarget returns the path and raw query exactly as the client sent
// them. A server request keeps the request line in RequestURI, which no
// middleware rewrites (http.StripPrefix changes URL.Path, not RequestURI);
// a client-built request has only URL. The path is still percent-encoded.
func requestTarget(r *http.Request) (path, rawQuery string) {
	if r.RequestURI != "" && r.RequestURI != "*" {
		target := r.RequestURI
		if !strings.HasPrefix(target, "/") {
			// Absolute form (GET http://host/path HTTP/1.1): drop scheme and authority.
			if i := strings.Index(target, "://"); i >= 0 {
				rest := target[i+3:]
				if j := strings.IndexAny(rest, "/?"); j >= 0 {
					target = rest[j:]
				} else {
					target = ""
				}
			}
		}
		path, rawQuery, _ = strings.Cut(target, "?")
	} else if r.URL != nil {
		if r.URL.Opaque != "" {
			path = opaquePath(r.URL.Opaque)
		} else {
			path = r.URL.EscapedPath()
		}
		rawQuery = r.URL.RawQuery
	}
	if path == "" {
		path = "/"
	}
	return path, rawQuery
}

// opaquePath extracts the path from a URL.Opaque of the form //host/path, the
// way aws-sdk-go-v2's GetURIPath does for requests that set Opaque to keep an
// exact encoding.
func opaquePath(opaque string) string {
	opaque, _, _ = strings.Cut(opaque, "?")
	opaque = strings.TrimPrefix(opaque, "//")
	if i := strings.Index(opaque, "/"); i >= 0 {
		return opaque[i:]
	}
	return ""
}

// canonicalURIs returns the canonical URI candidates for the path as sent.
//
// Services other than S3 encode the path a second time: the client takes the
// path as it goes on the wire (already percent-encoded) and URI-encodes it
// again, so "/a%20b" is signed as "/a%2520b" (aws-sdk-go-v2 EscapePath over
// URL.EscapedPath; botocore quote(path, safe='/~')). They also normalize it
// first: remove "." and ".." segments and empty segments (the suite's
// get-slash*-normalized, get-relative*-normalized cases; botocore
// remove_dot_segments). aws-sdk-go-v2 does not normalize, so when normalizing
// changes the path the un-normalized form is returned as a second candidate:
// both commit to the path actually sent.
func canonicalURIs(path string, normalize bool) []string {
	raw := uriEncode(path, false)
	if !normalize {
		return []string{raw}
	}
	norm := uriEncode(normalizePath(path), false)
	if norm == raw {
		return []string{norm}
	}
	return []string{norm, raw}
}

// normalizePath removes "." and ".." segments (RFC 3986 5.2.4) and empty
// segments, keeping a leading and a trailing slash.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for _, s := range segs {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	var b strings.Builder
	if p[0] == '/' {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(out, "/"))
	if len(out) > 0 && p[len(p)-1] == '/' {
		b.WriteByte('/')
	}
	return b.String()
}

// uriEncode percent-encodes every byte outside RFC 3986's unreserved set
// (A-Z a-z 0-9 - _ . ~) with upper-case hex. '/' is kept in paths and
// encoded in query components (encodeSlash). A space becomes %20, never '+'.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (encodeSlash || s[i] != '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (!encodeSlash && c == '/') {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// queryParam is one decoded query parameter.
type queryParam struct{ key, value string }

// parseQuery splits a raw query into decoded parameters in order. '+' decodes
// to a space, as aws-sdk-go-v2 reads it (URL.Query) before signing. A
// component with an invalid escape is kept literally, so it is signed as the
// client would have to: with its '%' encoded. Empty pieces ("a=1&&b=2") are
// skipped; a key without '=' has an empty value.
func parseQuery(rawQuery string) []queryParam {
	var params []queryParam
	for piece := range strings.SplitSeq(rawQuery, "&") {
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		params = append(params, queryParam{queryUnescape(k), queryUnescape(v)})
	}
	return params
}

func queryUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// canonicalQuery encodes every parameter except skip, then sorts by encoded
// key and encoded value: SigV4 sorts after encoding
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html;
// aws-sdk-go-v2 v4.EncodeQuery explains why the order differs).
func canonicalQuery(params []queryParam, skip string) string {
	enc := make([]queryParam, 0, len(params))
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, queryParam{uriEncode(p.key, true), uriEncode(p.value, true)})
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].key != enc[j].key {
			return enc[i].key < enc[j].key
		}
		return enc[i].value < enc[j].value
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// canonicalHeaders writes "name:value\n" for every signed header in the order
// the client listed them. Values of a repeated header are joined with ',' in
// the order received; each value is trimmed and runs of spaces collapse to one
// (the suite's get-header-value-trim and get-header-value-order cases).
//
// net/http moves some headers out of Header on the server: Host into r.Host,
// Transfer-Encoding into r.TransferEncoding; a client-built request keeps its
// length only in ContentLength. They are read from there.
func canonicalHeaders(r *Request, names []string) string {
	var b strings.Builder
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.TrimSpace(collapseSpaces(v)))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func headerValues(r *Request, name string) []string {
	switch strings.ToLower(name) {
	case "host", ":authority": // HTTP/2 signers may sign the pseudo-header instead
		return []string{r.Host}
	case "content-length":
		if v := r.Header.Values(name); len(v) > 0 {
			return v
		}
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if v := r.Header.Values(name); len(v) > 0 {
			return v
		}
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
		return nil
	}
	return r.Header.Values(name)
}

// collapseSpaces turns every run of spaces into one space. Only ' ' counts,
// as in aws-sdk-go-v2's StripExcessSpaces.
func collapseSpaces(s string) string {
	if !strings.Contains(s, "  ") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && i > 0 && s[i-1] == ' ' {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// canonicalRequest joins the six parts of the canonical request.
func canonicalRequest(method, uri, query, headers, signedHeaders, payloadHash string) string {
	return method + "\n" + uri + "\n" + query + "\n" + headers + "\n" + signedHeaders + "\n" + payloadHash
}

// stringToSign is the algorithm, the request timestamp (ISO 8601 basic,
// 20150830T123600Z), the credential scope and hex(sha256(canonical request)).
func stringToSign(amzDate, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// signingKey derives the key for one day, region and service:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

// signature is hex(HMAC(key, string to sign)), lower case.
func signature(key []byte, sts string) string {
	return hex.EncodeToString(hmacSHA256(key, sts))
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
