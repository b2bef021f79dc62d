package mapping

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// fuzzTemplates exercise every $input and $util binding, their arguments taken from the
// fuzzed request: path parameter "expr" and "name", header X-Arg, the query and the body.
var fuzzTemplates = []string{
	`$input.json($input.params('expr'))`,
	`$input.path($input.params('expr'))`,
	`#set($v = $input.path($input.params('expr')))#foreach($x in $v)$x,#end$v.size()`,
	`$input.params($input.params('name'))|$input.params('X-Arg')|$input.params('q')`,
	`$input.params()`,
	`#foreach($k in $input.params().querystring.keySet())$k=$util.urlEncode($input.params().querystring.get($k))&#end`,
	`$input.body|$input.json('$')|$input.path('$')`,
	`$util.escapeJavaScript($input.body)|$util.escapeJavaScript($input.params('X-Arg'))`,
	`$util.urlEncode($input.body)|$util.urlDecode($input.body)`,
	`$util.base64Encode($input.body)|$util.base64Decode($input.body)`,
	`$util.base64Decode($util.base64Encode($input.body))`,
	`$util.urlDecode($util.urlEncode($input.params('X-Arg')))`,
	`#set($o = $util.parseJson($input.body))$o|$input.json('$')`,
	`#set($o = $util.parseJson($input.params('X-Arg')))$o`,
	`$context.requestOverride.header.put('X', $input.params('X-Arg'))$context.responseOverride.status`,
	`#set($context.identity[$input.params('name')] = $input.body)#foreach($k in $context.identity.keySet())$k=$context.identity.get($k),#end$context`,
}

// FuzzBindings renders the templates over fuzzed payloads and parameters: no panic, errors
// only as errors, output bounded (by MaxOutput and by a small multiple of what went in), the
// same output on a second render of the same template (the arena and the JSONPath cache are
// reused between renders), and base64/url round trips that give back their input.
func FuzzBindings(f *testing.F) {
	f.Add([]byte(`{"a":{"b":[1,"x",{"c":null}]},"s":"it's"}`), "$.a.b[*]", "q", "h\u2028", "q=1&q=%zz&r")
	f.Add([]byte(`not json`), "$..c", "X-Arg", "'\"\\", "")
	f.Add([]byte(``), "$['a']", "expr", "%E2%82", "a=%")
	f.Add([]byte(`[1,2,3]`), "$[-1:]", "", "AAE=", "q=%00")
	f.Add([]byte("\xff\xfe%41+"), "$.*", "name", "eyJ4IjoxfQ", "q=a+b")
	tmpls := make([]*Template, len(fuzzTemplates))
	for i, s := range fuzzTemplates {
		t, err := Parse(s)
		if err != nil {
			f.Fatalf("Parse(%q): %v", s, err)
		}
		tmpls[i] = t
	}
	f.Fuzz(func(t *testing.T, body []byte, expr, name, arg, rawQuery string) {
		if len(body) > 4<<10 || len(expr)+len(name)+len(arg)+len(rawQuery) > 4<<10 {
			return
		}
		in := len(body) + len(expr) + len(name) + len(arg) + len(rawQuery)
		for i, tm := range tmpls {
			var outs [2][]byte
			var errs [2]error
			for j := range outs {
				inv := &invoke.Invocation{PathParams: []invoke.Param{{Name: "expr", Value: expr}, {Name: "name", Value: name}}}
				inv.Request = invoke.Request{RawQuery: rawQuery, Header: http.Header{"X-Arg": {arg}}}
				var ov Overrides
				outs[j], errs[j] = tm.Render(inv, body, &ov)
			}
			out, err := outs[0], errs[0]
			if (err == nil) != (errs[1] == nil) || !bytes.Equal(out, outs[1]) {
				t.Fatalf("template %d: two renders differ: %q, %v then %q, %v", i, out, err, outs[1], errs[1])
			}
			if err != nil {
				continue
			}
			if len(out) > MaxOutput || len(out) > 64*in+4096 {
				t.Fatalf("template %d: %d bytes out of %d in", i, len(out), in)
			}
		}
		// Round trips: what the encoders make, the decoders give back.
		s := string(body)
		if d, err := Base64Decode(Base64Encode(s)); err != nil || d != javaString(s) {
			t.Fatalf("Base64Decode(Base64Encode(%q)) = %q, %v; want %q", s, d, err, javaString(s))
		}
		if d, err := URLDecode(URLEncode(arg)); err != nil || d != javaString(arg) {
			t.Fatalf("URLDecode(URLEncode(%q)) = %q, %v; want %q", arg, d, err, javaString(arg))
		}
	})
}
