package gateway

import (
	"errors"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// removeDotSegments removes the literal "." and ".." segments of the raw request path p
// (RFC 3986 §5.2.4) before the stage and the resource are located, as AWS's front does
// before API Gateway sees the path (CloudFront normalizes dot segments, AWS Support in
// https://repost.aws/questions/QUYxerjgCwQlSRsrxUx-hoAg/cloudfront-behaviour-path-pattern-matching):
// "/prod/files/a/../b" is "/prod/files/b". So a request is routed, authorized and logged
// by the path a backend would serve, and "/prod/public/../admin/x" reaches the /admin
// resource with its own settings, never /public's. Encoded dots (%2e) are not dot segments
// here: they stay in the path parameters, where integration refuses them (400) before they
// reach a backend.
//
// ok is false when a ".." would climb above the root ("/../x"): RFC 3986 drops such a
// segment, nginx answers 400, and so does gatehouse (errAboveRoot), never more lenient than
// nginx; AWS's answer is not recorded. A path without dot segments is returned as is,
// without allocating.
func removeDotSegments(p string) (out string, ok bool) {
	if !hasLiteralDotSegment(p) {
		return p, true
	}
	segs := make([]string, 0, strings.Count(p, "/"))
	rest := strings.TrimPrefix(p, "/")
	for {
		seg, tail, more := strings.Cut(rest, "/")
		switch seg {
		case ".":
			if !more {
				segs = append(segs, "") // "/a/." is "/a/"
			}
		case "..":
			if len(segs) == 0 {
				return p, false
			}
			segs = segs[:len(segs)-1]
			if !more {
				segs = append(segs, "") // "/a/b/.." is "/a/"
			}
		default:
			segs = append(segs, seg)
		}
		if !more {
			break
		}
		rest = tail
	}
	return "/" + strings.Join(segs, "/"), true
}

// hasLiteralDotSegment reports whether the raw path p has a "." or ".." segment.
func hasLiteralDotSegment(p string) bool {
	for i := strings.Index(p, "/."); i >= 0; {
		j := i + 2
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
		k := strings.Index(p[i+2:], "/.")
		if k < 0 {
			return false
		}
		i += 2 + k
	}
	return false
}

// errAboveRoot refuses a path whose ".." climbs above the root: 400, DEFAULT_4XX.
var errAboveRoot = invoke.BadRequest.Because(
	errors.New("a .. segment climbs above the root of the path"))
