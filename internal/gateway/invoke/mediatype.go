package invoke

import "strings"

// MediaType returns the media type of a Content-Type or Accept entry: lowercased, without
// parameters or surrounding spaces ("Application/JSON; charset=utf-8" → "application/json").
// It allocates only when the type has capitals.
func MediaType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if 'A' <= v[i] && v[i] <= 'Z' {
			return strings.ToLower(v)
		}
	}
	return v
}

// FirstMediaType is the first media type of an Accept header, lowercased, parameters
// dropped: what AWS checks against binaryMediaTypes (lambda-proxy-binary-media.md: "API
// Gateway uses the first Accept header from clients to determine if a response should
// return binary media"), where templates are chosen by Negotiate.
func FirstMediaType(accept string) string {
	first, _, _ := strings.Cut(accept, ",")
	return MediaType(first)
}

// Negotiate chooses, for a client's Accept header, which of a response's representations
// to send: byType holds them by lowercased media type, and the choice is the first media
// type listed in accept that byType holds, else application/json, else first (the
// alphabetically first key). Quality values are not weighed and wildcards not expanded.
// Gateway responses and integration responses choose their template with it; ok is false
// when byType is empty.
func Negotiate[T any](accept string, byType map[string]T, first string) (v T, mediaType string, ok bool) {
	if len(byType) == 0 {
		return v, "", false
	}
	for accept != "" {
		var entry string
		entry, accept, _ = strings.Cut(accept, ",")
		mt := MediaType(entry)
		if v, ok := byType[mt]; ok {
			return v, mt, true
		}
	}
	if v, ok := byType["application/json"]; ok {
		return v, "application/json", true
	}
	v, ok = byType[first]
	return v, first, ok
}
