package integration

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// uriTemplate is an HTTP integration URI compiled for one stage: stage variables are already
// substituted (they are fixed per stage), the path keeps its {name} placeholders.
type uriTemplate struct {
	scheme string // "http" or "https"
	host   string // host[:port]
	parts  []uriPart
	query  string // the URI's own query, as written
	// queryParts is query split at its {name} placeholders, nil when it has none
	// (uri_query.go).
	queryParts []uriPart
}

// uriPart is a literal run of the path (already escaped, as written in the URI) or a {name}
// placeholder.
type uriPart struct {
	lit  string
	name string // non-empty for a placeholder
}

// substituteStageVariables replaces ${stageVariables.name} with the stage's value ("" when
// unset, as AWS renders a missing variable); missing is the first name the stage has no
// value for, "" when there is none.
func substituteStageVariables(s string, vars map[string]string) (out, missing string) {
	const open = "${stageVariables."
	if !strings.Contains(s, open) {
		return s, ""
	}
	var b strings.Builder
	for {
		i := strings.Index(s, open)
		if i < 0 {
			b.WriteString(s)
			return b.String(), missing
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), missing
		}
		name := s[i+len(open) : i+j]
		v := vars[name]
		if v == "" && missing == "" {
			missing = name
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
	}
}

// StageValueError is a method's compile error caused by its stage's values: a stage
// variable that is unset, or whose value makes the integration URI or ARN invalid
// ("http://${stageVariables.host}/pets" on a stage without host). The management API
// cannot refuse such a method, as the values belong to the stage (CreateStage without the
// variable, UpdateStage remove /variables/host), and AWS deploys it: only that method fails
// at call time, with 500 {"message": "Internal server error"} to the client and "Execution
// failed due to configuration error: Invalid endpoint address" in the execution log (AWS
// knowledge center, "api-gateway-invalid-endpoint-address"). The gateway compiles such a
// method into one answering API_CONFIGURATION_ERROR, the cause logged, and serves the rest
// of the stage.
type StageValueError struct{ Err error }

func (e *StageValueError) Error() string { return e.Err.Error() }
func (e *StageValueError) Unwrap() error { return e.Err }

// stageValueError returns err as a *StageValueError when the stage's variables took part
// in the text that failed (substituted differs from raw), else err as it is: a URI that is
// invalid whatever the stage still fails the stage's compile.
func stageValueError(raw, substituted string, err error) error {
	if err == nil || raw == substituted {
		return err
	}
	return &StageValueError{Err: err}
}

// compileURI parses an HTTP integration URI; an error the stage's variables caused is a
// *StageValueError.
func compileURI(raw string, vars map[string]string) (*uriTemplate, error) {
	s, _ := substituteStageVariables(raw, vars)
	t, err := parseURITemplate(raw, s)
	return t, stageValueError(raw, s, err)
}

// parseURITemplate parses s, the integration URI raw with the stage's variables
// substituted; errors name raw.
func parseURITemplate(raw, s string) (*uriTemplate, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return nil, fmt.Errorf("compile uri %q: want an http or https URL", raw)
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	t := &uriTemplate{scheme: scheme, host: rest[:end]}
	if t.host == "" || strings.ContainsAny(t.host, "{} ") {
		return nil, fmt.Errorf("compile uri %q: bad host %q", raw, t.host)
	}
	if _, err := url.Parse(scheme + "://" + t.host); err != nil {
		return nil, fmt.Errorf("compile uri %q: %w", raw, err)
	}
	rest = rest[end:]
	rest, _, _ = strings.Cut(rest, "#")
	path, query, _ := strings.Cut(rest, "?")
	if path == "" {
		path = "/"
	}
	var err error
	if t.parts, err = parsePlaceholders(path); err != nil {
		return nil, fmt.Errorf("compile uri %q: %w", raw, err)
	}
	t.query, t.queryParts = query, queryPlaceholders(query)
	return t, nil
}

// parsePlaceholders splits s, a part of an integration URI, into literal runs and {name}
// placeholders ("{proxy+}" is the placeholder proxy). The path and the query share it.
func parsePlaceholders(s string) ([]uriPart, error) {
	var parts []uriPart
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			parts = append(parts, uriPart{lit: s})
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, errors.New("unclosed {")
		}
		if i > 0 {
			parts = append(parts, uriPart{lit: s[:i]})
		}
		name := strings.TrimSuffix(s[i+1:i+j], "+")
		if name == "" {
			return nil, errors.New("empty {}")
		}
		parts = append(parts, uriPart{name: name})
		s = s[i+j+1:]
	}
	return parts, nil
}

// appendPath appends the escaped request path, with each placeholder replaced by
// value(name) escaped for a path. API Gateway decodes path parameters and re-encodes them
// for the backend, percent included ("REST APIs URL-encode the percent character before
// passing requests to backend integrations", AWS important notes for REST APIs); slashes in
// a value stay slashes, so a {proxy} greedy value keeps its segments, and an encoded slash
// the client sent arrives decoded (testdata/conformance/routing_encoded_chars.txtar; AWS
// users report the same: https://github.com/ustayready/fireprox/issues/44). A missing
// value leaves the placeholder empty.
//
// The path stays under the URI's prefix, the literal up to the last slash before the first
// placeholder: when the part from there on holds a dot segment (errDotSegment, see
// hasDotSegment), the request is refused with 400 instead. AWS's front removes the literal
// dot segments of the client's path (gateway.removeDotSegments does it here), but what AWS
// sends for dot segments that arrive encoded in a parameter (%2e%2e, ..%2f) is not recorded:
// refusing them is a deliberate choice, the safe one, as no backend can then be made to
// read a path outside the prefix.
func (t *uriTemplate) appendPath(b []byte, value func(name string) (string, bool)) ([]byte, error) {
	start := len(b)
	dyn := -1 // where in b the first segment a placeholder writes into starts
	for _, p := range t.parts {
		if p.name == "" {
			b = append(b, p.lit...)
			continue
		}
		if dyn < 0 {
			dyn = start + max(bytes.LastIndexByte(b[start:], '/'), 0)
		}
		v, _ := value(p.name)
		b = appendEscapedPath(b, v)
	}
	if dyn >= 0 && hasDotSegment(b[dyn:]) {
		return b, errDotSegment
	}
	return b, nil
}

// errDotSegment refuses a request whose path parameters would put a dot segment into the
// integration's path: DEFAULT_4XX, 400 {"message":"Bad Request"}, as the gateway answers
// other malformed requests.
var errDotSegment = invoke.BadRequest.Because(
	errors.New("a path parameter holds a dot segment"))

// appendMappedPath is appendPath with each placeholder's value taken from a mapped
// integration.request.path.X first, else the method's own path parameter.
func (t *uriTemplate) appendMappedPath(b []byte, inv *invoke.Invocation, mapped []invoke.Param) ([]byte, error) {
	return t.appendPath(b, func(name string) (string, bool) { return mappedValue(inv, mapped, name) })
}

// mappedValue is the value of the URI placeholder {name}: a mapped
// integration.request.path.name first, else the method's own path parameter.
func mappedValue(inv *invoke.Invocation, mapped []invoke.Param, name string) (string, bool) {
	for _, mp := range mapped {
		if mp.Name == name {
			return mp.Value, true
		}
	}
	return inv.PathParam(name)
}

// hasDotSegment reports whether the escaped path p holds a segment that some backend may
// read as "." or "..": p is percent-decoded until nothing changes (a backend or framework
// that decodes twice reads %252e as a dot), '\' separates segments as well as '/' (IIS and
// some frameworks read it so), and a segment's ";parameters" are ignored (Tomcat reads
// "..;x" as ".."). Only the escapes of '.', '/', '\', ';' and '%' can change the answer, so
// a path without them (nearly all: "a%20b/c.txt") is read as it is; one with them is decoded
// on the stack, allocating only beyond 256 bytes.
func hasDotSegment(p []byte) bool {
	decode := hasStructuralEscape(p)
	if !decode && bytes.IndexByte(p, '.') < 0 {
		return false
	}
	s := p
	if decode {
		var buf [256]byte // decoded on the stack when it fits
		s = append(buf[:0], p...)
		for {
			n := unescapeInPlace(s)
			if n == len(s) {
				break
			}
			s = s[:n]
		}
	}
	for len(s) > 0 {
		i := bytes.IndexAny(s, "/\\")
		seg := s
		if i >= 0 {
			seg, s = s[:i], s[i+1:]
		} else {
			s = nil
		}
		if j := bytes.IndexByte(seg, ';'); j >= 0 {
			seg = seg[:j]
		}
		if len(seg) == 1 && seg[0] == '.' || len(seg) == 2 && seg[0] == '.' && seg[1] == '.' {
			return true
		}
	}
	return false
}

// hasStructuralEscape reports whether p holds %2E, %2F, %5C, %3B or %25 (any case), an
// escape whose decoding can make a dot segment or a separator, or a '%' that starts no
// valid escape ("%%32%65" decodes to "%2e", then to "."). Any other escape decodes, once and
// for good, to a byte that changes no segment.
func hasStructuralEscape(p []byte) bool {
	for i := bytes.IndexByte(p, '%'); i >= 0; {
		if i+2 >= len(p) || !ishex(p[i+1]) || !ishex(p[i+2]) {
			return true
		}
		switch c1, c2 := p[i+1], p[i+2]|0x20; {
		case c1 == '2' && (c2 == 'e' || c2 == 'f' || c2 == '5'), c1 == '5' && c2 == 'c', c1 == '3' && c2 == 'b':
			return true
		}
		j := bytes.IndexByte(p[i+1:], '%')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// unescapeInPlace decodes every valid %XX of s in place, leaving invalid escapes as they
// are, and returns the decoded length.
func unescapeInPlace(s []byte) int {
	j := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]) {
			s[j] = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		} else {
			s[j] = s[i]
		}
		j++
	}
	return j
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// appendEscapedPath appends s with every byte that may not appear in a URL path
// percent-encoded ('/' kept).
func appendEscapedPath(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if pathSafe(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&0xf])
	}
	return b
}

// pathSafe reports whether c may appear unescaped in a path: RFC 3986 unreserved,
// sub-delims, ':', '@' and '/'.
func pathSafe(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@', '/':
		return true
	}
	return false
}
