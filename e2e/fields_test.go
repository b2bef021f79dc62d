package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// fields are expectations on a JSON document: path → value. A path is dot-separated keys and
// list indexes (items.0.id); a key containing dots is written in brackets
// (requestParameters[integration.request.path.proxy]); a final "#" is the length of a list
// (a missing list has length 0). Values compare as JSON (1 equals 1.0); the special values
// present and absent only check whether the path exists.
type fields map[string]any

type presence int

const (
	present presence = iota + 1 // the path exists with a non-empty value
	absent                      // the path does not exist
)

// splitPath splits a fields path into its keys.
func splitPath(path string) ([]string, error) {
	var keys []string
	for path != "" {
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: unclosed [", path)
			}
			keys = append(keys, path[1:end])
			path = strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		end := strings.IndexAny(path, ".[")
		if end < 0 {
			keys = append(keys, path)
			break
		}
		keys = append(keys, path[:end])
		path = strings.TrimPrefix(path[end:], ".")
	}
	return keys, nil
}

// lookup returns the value at path in doc (a decoded JSON document).
func lookup(doc any, path string) (any, bool, error) {
	keys, err := splitPath(path)
	if err != nil {
		return nil, false, err
	}
	cur := doc
	for i, k := range keys {
		if k == "#" && i == len(keys)-1 {
			switch v := cur.(type) {
			case []any:
				return float64(len(v)), true, nil
			case nil:
				return float64(0), true, nil
			default:
				return nil, false, fmt.Errorf("%s: # of a %T", path, cur)
			}
		}
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[k]
			if !ok {
				if i+2 == len(keys) && keys[i+1] == "#" {
					return float64(0), true, nil
				}
				return nil, false, nil
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= len(v) {
				return nil, false, nil
			}
			cur = v[n]
		default:
			return nil, false, nil
		}
	}
	return cur, true, nil
}

// mismatches lists how doc differs from want; expand replaces <var> references in strings.
func (want fields) mismatches(doc any, expand func(string) string) []string {
	var out []string
	for path, w := range want {
		got, ok, err := lookup(doc, path)
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		switch w {
		case present:
			if !ok || got == nil || got == "" {
				out = append(out, fmt.Sprintf("%s = %s; want a value", path, show(got, ok)))
			}
			continue
		case absent:
			if ok {
				out = append(out, fmt.Sprintf("%s = %s; want it absent", path, show(got, ok)))
			}
			continue
		}
		wn := normalize(w, expand)
		if !ok || !reflect.DeepEqual(got, wn) {
			out = append(out, fmt.Sprintf("%s = %s; want %s", path, show(got, ok), show(wn, true)))
		}
	}
	return out
}

// normalize turns a Go value into what encoding/json decodes it as, expanding strings.
func normalize(v any, expand func(string) string) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return expandAll(out, expand)
}

func expandAll(v any, expand func(string) string) any {
	switch v := v.(type) {
	case string:
		return expand(v)
	case []any:
		for i := range v {
			v[i] = expandAll(v[i], expand)
		}
	case map[string]any:
		for k := range v {
			v[k] = expandAll(v[k], expand)
		}
	}
	return v
}

func show(v any, ok bool) string {
	if !ok {
		return "(missing)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
