package integration

import (
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

// compileURI parses an HTTP integration URI.
func compileURI(raw string, vars map[string]string) (*uriTemplate, error) {
	s, _ := substituteStageVariables(raw, vars)
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
	t.query = query
	if path == "" {
		path = "/"
	}
	for path != "" {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			t.parts = append(t.parts, uriPart{lit: path})
			break
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("compile uri %q: unclosed {", raw)
		}
		if i > 0 {
			t.parts = append(t.parts, uriPart{lit: path[:i]})
		}
		name := strings.TrimSuffix(path[i+1:i+j], "+")
		if name == "" {
			return nil, fmt.Errorf("compile uri %q: empty {}", raw)
		}
		t.parts = append(t.parts, uriPart{name: name})
		path = path[i+j+1:]
	}
	return t, nil
}

// appendPath appends the escaped request path, with each placeholder replaced by
// value(name) escaped for a path. API Gateway decodes path parameters and re-encodes them
// for the backend, percent included ("REST APIs URL-encode the percent character before
// passing requests to backend integrations", AWS important notes for REST APIs); slashes in
// a value stay slashes, so a {proxy} greedy value keeps its segments. A missing value leaves
// the placeholder empty.
func (t *uriTemplate) appendPath(b []byte, value func(name string) (string, bool)) []byte {
	for _, p := range t.parts {
		if p.name == "" {
			b = append(b, p.lit...)
			continue
		}
		v, _ := value(p.name)
		b = appendEscapedPath(b, v)
	}
	return b
}

// appendMappedPath is appendPath with each placeholder's value taken from a mapped
// integration.request.path.X first, else the method's own path parameter.
func (t *uriTemplate) appendMappedPath(b []byte, inv *invoke.Invocation, mapped []invoke.Param) []byte {
	return t.appendPath(b, func(name string) (string, bool) {
		for _, mp := range mapped {
			if mp.Name == name {
				return mp.Value, true
			}
		}
		return inv.PathParam(name)
	})
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
