// Package route matches a request path and method to a REST API resource method the way API
// Gateway does: a trie of path segments compiled once per deployment, where a literal
// segment beats a {param}, which beats a greedy {proxy+}, among the resources that define
// the method (exactly, or through ANY, which catches the methods a resource does not define
// itself).
package route

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// Result says how a match ended.
type Result int

// Results of Match.
const (
	// NotFound means no resource has this path.
	NotFound Result = iota
	// NoMethod means a resource has this path but neither the method nor ANY.
	NoMethod
	// Found means a resource method matched.
	Found
)

// methods API Gateway routes; ANY stands for all seven. Index into node.methods.
var methodNames = [...]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}

const anyIndex = 7

func methodIndex(m string) int {
	switch m {
	case "GET":
		return 0
	case "POST":
		return 1
	case "PUT":
		return 2
	case "PATCH":
		return 3
	case "DELETE":
		return 4
	case "HEAD":
		return 5
	case "OPTIONS":
		return 6
	case "ANY":
		return anyIndex
	}
	return -1
}

// Router maps (method, path) to the value stored for a resource method. Build it with Add,
// then only call Match: a built Router is safe for concurrent use.
type Router[T any] struct {
	root node[T]
}

type node[T any] struct {
	path     string // the resource path this node stands for: "/pets/{id}"
	literals map[string]*node[T]
	// param is the {name} child, greedy the {name+} child (always a leaf).
	param      *node[T]
	paramName  string
	greedy     *node[T]
	greedyName string
	methods    [len(methodNames)]T
	has        uint8 // bit i set when methods[i] is defined
}

// New returns an empty router.
func New[T any]() *Router[T] {
	return &Router[T]{root: node[T]{path: "/"}}
}

// Add defines method (GET, ..., OPTIONS or ANY) on the resource path ("/", "/pets/{id}",
// "/files/{proxy+}"). It rejects malformed paths, a greedy segment that is not last, sibling
// variables with different names (AWS refuses them too) and a method defined twice.
func (r *Router[T]) Add(path, method string, v T) error {
	mi := methodIndex(method)
	if mi < 0 {
		return fmt.Errorf("add route %s %s: unsupported method", method, path)
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("add route %s %s: path must start with /", method, path)
	}
	n := &r.root
	rest := strings.TrimSuffix(path[1:], "/")
	for rest != "" {
		seg, tail, more := strings.Cut(rest, "/")
		rest = tail
		name, greedy, isVar, err := parseSegment(seg)
		if err != nil {
			return fmt.Errorf("add route %s %s: %w", method, path, err)
		}
		switch {
		case greedy:
			if more {
				return fmt.Errorf("add route %s %s: greedy segment %q must be last", method, path, seg)
			}
			if n.greedy == nil {
				n.greedy = &node[T]{path: joinPath(n.path, seg)}
				n.greedyName = name
			} else if n.greedyName != name {
				return fmt.Errorf("add route %s %s: sibling {%s+} already defined", method, path, n.greedyName)
			}
			n = n.greedy
		case isVar:
			if n.param == nil {
				n.param = &node[T]{path: joinPath(n.path, seg)}
				n.paramName = name
			} else if n.paramName != name {
				return fmt.Errorf("add route %s %s: sibling {%s} already defined", method, path, n.paramName)
			}
			n = n.param
		default:
			if n.literals == nil {
				n.literals = map[string]*node[T]{}
			}
			c := n.literals[seg]
			if c == nil {
				c = &node[T]{path: joinPath(n.path, seg)}
				n.literals[seg] = c
			}
			n = c
		}
	}
	if n.has&(1<<mi) != 0 {
		return fmt.Errorf("add route %s %s: method already defined", method, path)
	}
	n.methods[mi] = v
	n.has |= 1 << mi
	return nil
}

func joinPath(parent, seg string) string {
	if parent == "/" {
		return "/" + seg
	}
	return parent + "/" + seg
}

var errEmptySegment = errors.New("empty path segment")

// parseSegment classifies one pathPart: a literal, "{name}" or the greedy "{name+}".
func parseSegment(seg string) (name string, greedy, isVar bool, err error) {
	if seg == "" {
		return "", false, false, errEmptySegment
	}
	if seg[0] != '{' {
		if strings.ContainsAny(seg, "{}") {
			return "", false, false, fmt.Errorf("segment %q: braces only around a whole segment", seg)
		}
		return seg, false, false, nil
	}
	if len(seg) < 3 || seg[len(seg)-1] != '}' {
		return "", false, false, fmt.Errorf("segment %q: malformed variable", seg)
	}
	name = seg[1 : len(seg)-1]
	if strings.HasSuffix(name, "+") {
		name, greedy = name[:len(name)-1], true
	}
	if name == "" || strings.ContainsAny(name, "{}+/") {
		return "", false, false, fmt.Errorf("segment %q: malformed variable", seg)
	}
	return name, greedy, true, nil
}

// Match finds the resource method for method and rawPath, the path below the stage as the
// client encoded it ("/pets/a%20b", "" or "/" for the root). Leading slashes are one
// ("//pets" routes as "/pets": recorded from AWS, test_apigateway_lambda.snapshot.json
// "invocation-hardcoded" and "invocation-payload-with-prepended-slash") and one trailing
// slash is ignored, as AWS does. Path parameters are appended to params (pass a reused slice
// to avoid allocation) URL-decoded; a greedy parameter holds the decoded rest of the path
// without its leading slash.
//
// Among resources, literal segments win over {param} over {proxy+}, with backtracking when a
// more specific branch has no resource further down that defines the method (itself or
// ANY): an OPTIONS to /zap, where /zap defines only POST, reaches /{proxy+}'s OPTIONS, while
// an ANY on /zap answers it there (ANY stands for all seven methods). Recorded as AWS's
// behaviour in localstack/localstack#9207 (confirmed; LocalStack's router matches path and
// method together since). NoMethod means some resource has the path, but neither it nor any
// less specific one defines the method.
func (r *Router[T]) Match(method, rawPath string, params []invoke.Param) (v T, resourcePath string, out []invoke.Param, res Result) {
	rest := strings.TrimLeft(rawPath, "/")
	if strings.HasSuffix(rest, "/") {
		rest = rest[:len(rest)-1]
	}
	mi := methodIndex(method)
	if mi >= 0 && mi != anyIndex {
		want := uint8(1)<<mi | 1<<anyIndex
		if n, ps := walk(&r.root, rest, params, want); n != nil {
			if n.has&(1<<mi) != 0 {
				return n.methods[mi], n.path, ps, Found
			}
			return n.methods[anyIndex], n.path, ps, Found
		}
	}
	// Not found: does some resource have the path at all?
	n, ps := walk(&r.root, rest, params[:0], 0xff)
	if n == nil {
		return v, "", ps[:0], NotFound
	}
	return v, n.path, ps, NoMethod
}

// walk descends from n along rest (no leading slash); it returns the matched node, which
// defines one of the methods in want (a bit set over methodNames), or nil.
func walk[T any](n *node[T], rest string, ps []invoke.Param, want uint8) (*node[T], []invoke.Param) {
	if rest == "" {
		if n.has&want != 0 {
			return n, ps
		}
		return nil, ps
	}
	seg, tail, more := strings.Cut(rest, "/")
	if more && tail == "" {
		// "seg/" below the one ignored trailing slash: an empty segment follows, which
		// only a greedy parameter may swallow.
		if n.greedy != nil && seg != "" && n.greedy.has&want != 0 {
			return n.greedy, append(ps, invoke.Param{Name: n.greedyName, Value: UnescapePath(rest)})
		}
		return nil, ps
	}
	if n.literals != nil {
		if c := n.literals[Unescape(seg)]; c != nil {
			if m, out := walk(c, tail, ps, want); m != nil {
				return m, out
			}
		}
	}
	if n.param != nil && seg != "" {
		mark := len(ps)
		if m, out := walk(n.param, tail, append(ps, invoke.Param{Name: n.paramName, Value: Unescape(seg)}), want); m != nil {
			return m, out
		} else {
			ps = out[:mark]
		}
	}
	if n.greedy != nil && seg != "" && n.greedy.has&want != 0 {
		return n.greedy, append(ps, invoke.Param{Name: n.greedyName, Value: UnescapePath(rest)})
	}
	return nil, ps
}

// Unescape percent-decodes one path segment; a segment that is not valid percent-encoding
// is returned as is. It allocates only when seg holds a '%'.
func Unescape(seg string) string {
	if strings.IndexByte(seg, '%') < 0 {
		return seg
	}
	s, err := url.PathUnescape(seg)
	if err != nil {
		return seg
	}
	return s
}

// UnescapePath decodes each segment of p with Unescape, keeping the slashes between them.
func UnescapePath(p string) string {
	if strings.IndexByte(p, '%') < 0 {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; ; i++ {
		seg, rest, more := strings.Cut(p, "/")
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(Unescape(seg))
		if !more {
			break
		}
		p = rest
	}
	return b.String()
}
