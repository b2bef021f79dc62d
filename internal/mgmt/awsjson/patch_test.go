package awsjson

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// applyListOps applies ops to list with ListPatch (got) and with the slice operations it
// replaced (want): "+v" adds v, "-v" removes it, ">v" appends it.
func applyListOps(list []string, ops []string) (got, want []string) {
	l := NewListPatch(list)
	want = slices.Clone(list)
	for _, op := range ops {
		if op == "" {
			continue
		}
		v := op[1:]
		switch op[0] {
		case '+':
			l.Add(v)
			want = append(slices.DeleteFunc(want, func(s string) bool { return s == v }), v)
		case '-':
			l.Remove(v)
			want = slices.DeleteFunc(want, func(s string) bool { return s == v })
		default:
			l.Append(v)
			want = append(want, v)
		}
	}
	if len(want) == 0 && list == nil {
		want = nil
	}
	return l.List(), want
}

func TestListPatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		list []string
		ops  []string
		want []string
	}{
		{nil, nil, nil},
		{nil, []string{"+a", "+b", "+a"}, []string{"b", "a"}},
		{[]string{"a", "b", "a"}, []string{"-a"}, []string{"b"}},
		{[]string{"a", "b"}, []string{"-b", "-a"}, []string{}},
		{nil, []string{"+a", "-a"}, nil},
		{[]string{"x"}, []string{">x", "+y", ">x"}, []string{"x", "x", "y", "x"}},
		{[]string{"a", "b", "c"}, []string{"-b", ">b", "+a"}, []string{"c", "b", "a"}},
	}
	for _, tt := range tests {
		got, ref := applyListOps(tt.list, tt.ops)
		if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("ListPatch(%q, %q) = %q; want %q", tt.list, tt.ops, got, tt.want)
		}
		if !slices.Equal(got, ref) || (got == nil) != (ref == nil) {
			t.Errorf("ListPatch(%q, %q) = %q; the slice model gives %q", tt.list, tt.ops, got, ref)
		}
	}
}

// FuzzListPatch checks ListPatch against the quadratic slice model it replaced.
func FuzzListPatch(f *testing.F) {
	f.Add("a,b,a", "+a -b >c +c -a")
	f.Add("", "+x +y -x >y")
	f.Add("x", "-x")
	f.Fuzz(func(t *testing.T, list, ops string) {
		var l []string
		if list != "" {
			l = strings.Split(list, ",")
		}
		got, want := applyListOps(l, strings.Fields(ops))
		if !slices.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("ListPatch(%q, %q) = %q; the slice model gives %q", l, ops, got, want)
		}
	})
}

func TestDecodePatch(t *testing.T) {
	t.Parallel()
	ops := func(n int) string {
		return `{"patchOperations":[` + strings.TrimSuffix(strings.Repeat(`{"op":"replace","path":"/name","value":"x"},`, n), ",") + `]}`
	}
	tests := []struct {
		body    string
		max     int
		wantN   int
		wantErr string
	}{
		{"", 2, 0, ""},
		{ops(2), 2, 2, ""},
		{ops(3), 2, 0, "BadRequestException: Too many patch operations: 3. At most 2 are allowed in one request."},
		{`{"patchOperations":{}}`, 2, 0, "BadRequestException: Invalid value for field \"patchOperations\": expected []awsjson.PatchOperation"},
		{`{"patchOperations":[`, 2, 0, "SerializationException: Could not parse request body into json: unexpected EOF"},
	}
	for _, tt := range tests {
		got, err := DecodePatch([]byte(tt.body), tt.max)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if len(got) != tt.wantN || gotErr != tt.wantErr {
			t.Errorf("DecodePatch(%.40q, %d) = %d ops, %q; want %d, %q", tt.body, tt.max, len(got), gotErr, tt.wantN, tt.wantErr)
		}
	}
}

// FuzzDecodePatch feeds arbitrary bodies to the patch parser and the path splitter: they
// never panic, an error is always an AWS-shaped 400, and no more than the bound comes back.
func FuzzDecodePatch(f *testing.F) {
	f.Add([]byte(`{"patchOperations":[{"op":"replace","path":"/name","value":"x"}]}`))
	f.Add([]byte(`{"patchOperations":[{"op":"add","path":"/binaryMediaTypes/image~1png"},{"op":"remove","path":"/a~0b~1c/~01"}]}`))
	f.Add([]byte(`{"patchOperations":[{"op":"copy","from":"/canarySettings/deploymentId","path":"/deploymentId"}]}`))
	f.Add([]byte(`{"patchOperations":[{},{},{},{}]}`))
	f.Add([]byte(`{"patchOperations":null} x`))
	f.Add([]byte(`{"patchOperations":[{"op":1}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		const max = 3
		ops, err := DecodePatch(body, max)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 || e.Message == "" {
				t.Fatalf("DecodePatch error %v; want a 400 AWS error with a message", err)
			}
			return
		}
		if len(ops) > max {
			t.Fatalf("DecodePatch returned %d operations; want at most %d", len(ops), max)
		}
		for _, op := range ops {
			seg := Segments(op.Path)
			if strings.HasPrefix(op.Path, "/") != (seg != nil) {
				t.Fatalf("Segments(%q) = %q; want segments exactly for a path starting with /", op.Path, seg)
			}
			if n := strings.Count(op.Path, "/"); seg != nil && len(seg) != n {
				t.Fatalf("Segments(%q) = %d segments; want %d", op.Path, len(seg), n)
			}
		}
	})
}
