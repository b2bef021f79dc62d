package mapping

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// newInvocation is a request as the edge fills it: GET /pets/7?q=cats&q=dogs on stage dev.
func newInvocation() *invoke.Invocation {
	inv := &invoke.Invocation{
		RequestID:      "c0ffee00-0000-4000-8000-000000000001",
		AccountID:      "000000000000",
		APIID:          "abcdef1234",
		Stage:          "dev",
		ResourcePath:   "/pets/{id}",
		HTTPMethod:     "GET",
		ContextPath:    "/dev/pets/7",
		SourceIP:       "192.0.2.1",
		UserAgent:      "test-agent",
		RequestTime:    time.UnixMilli(1700000000123).UTC(),
		PathParams:     []invoke.Param{{Name: "id", Value: "7"}},
		StageVariables: map[string]string{"color": "blue"},
	}
	inv.Request = invoke.Request{
		Method:   "GET",
		Path:     "/pets/7",
		RawQuery: "q=cats&q=dogs&id=query-id&limit=5",
		Header:   http.Header{"X-Trace": {"a", "b"}, "Id": {"header-id"}, "Content-Type": {"application/json"}},
	}
	return inv
}

func TestRender(t *testing.T) {
	t.Parallel()
	const body = `{"name": "Rex", "tags": ["good", "dog"], "owner": {"name": "Ann", "age": 31}, "price": 12.5}`
	for _, tt := range []struct {
		name, tmpl, body, want string
	}{
		{"literal", `{"statusCode": 200}`, "", `{"statusCode": 200}`},
		{"empty body is {}", `$input.body`, "", `{}`},
		{"body", `$input.body`, body, body},
		{"json of an object", `$input.json('$.owner')`, body, `{"name":"Ann","age":31}`},
		{"json of a string", `$input.json('$.name')`, body, `"Rex"`},
		{"json of a missing path", `$input.json('$.nothing')`, body, `""`},
		{"path of a scalar", `$input.path('$.owner.name') is $input.path('$.owner.age')`, body, `Ann is 31`},
		{"path of a map prints Java-style", `$input.path('$.owner')`, body, `{name=Ann, age=31}`},
		{"path of a list prints JSON", `$input.path('$.tags')`, body, `["good","dog"]`},
		{"path of a double", `$input.path('$.price')`, body, `12.5`},
		{"missing path renders nothing and equals empty", `[$input.path('$.nothing')]#if($input.path('$.nothing') == "") empty#end`, body, `[] empty`},
		{"foreach over a path", `#foreach($t in $input.path('$.tags'))$t#if($foreach.hasNext),#end#end`, body, `good,dog`},
		{"wildcard path is a list", `$input.path('$.tags[*]').size()`, body, `2`},
		{"path is live", `#set($o = $input.path('$.owner'))#set($o.age = 32)$input.json('$.owner.age')`, body, `32`},
		{"not JSON: the body is the string at $", `$input.path('$')|$input.path('$.a')|`, "plain text", `plain text||`},
		{"params: path first", `$input.params('id')`, "", `7`},
		{"params: then query string, last value", `$input.params('q')`, "", `dogs`},
		{"params: then header, any case", `$input.params('x-trace')`, "", `b`},
		{"params: missing is empty", `[$input.params('nothing')]`, "", `[]`},
		{"params(): groups", `$input.params().path.id $input.params().querystring.limit $input.params().header.get('X-Trace')`, "", `7 5 b`},
		{"params() keys", `#foreach($k in $input.params().keySet())$k #end`, "", `path querystring header `},
		{"util.escapeJavaScript", `$util.escapeJavaScript($input.path('$.s'))`, `{"s": "it's \"q\"\n"}`, `it\'s \"q\"\n`},
		{"util.urlEncode", `$util.urlEncode("a b&c")`, "", `a+b%26c`},
		{"util.urlDecode", `$util.urlDecode("a+b%26c")`, "", `a b&c`},
		{"util.base64", `$util.base64Encode("hello")|$util.base64Decode("aGVsbG8=")`, "", `aGVsbG8=|hello`},
		{"util.parseJson", `#set($o = $util.parseJson($input.json('$.owner')))$o.name`, body, `Ann`},
		{"context", `$context.stage $context.apiId $context.resourcePath $context.httpMethod $context.path`, "", `dev abcdef1234 /pets/{id} GET /dev/pets/7`},
		{"context.identity", `$context.identity.sourceIp $context.identity.userAgent`, "", `192.0.2.1 test-agent`},
		{"context.requestTimeEpoch is a number", `#set($s = $context.requestTimeEpoch / 1000)$s`, "", `1700000000`},
		{"context unknown renders nothing", `[$context.nothing][$context.identity.nothing]`, "", `[][]`},
		{"stageVariables", `$stageVariables.color ${stageVariables.color} $stageVariables['color'] [$stageVariables.none]`, "", `blue blue blue []`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := Parse(tt.tmpl)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.tmpl, err)
			}
			got, err := tmpl.Render(newInvocation(), []byte(tt.body), nil)
			if err != nil {
				t.Fatalf("Render(%q) = %v", tt.tmpl, err)
			}
			if string(got) != tt.want {
				t.Errorf("Render(%q) = %q; want %q", tt.tmpl, got, tt.want)
			}
		})
	}
}

func TestRenderOverrides(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, tmpl string
		want       Overrides
	}{
		{"none", `{}`, Overrides{}},
		{"request", `#set($context.requestOverride.header.X_A = "1")#set($context.requestOverride.querystring.q = "x")#set($context.requestOverride.path['id'] = $input.params('id'))`,
			Overrides{RequestHeader: map[string]string{"X_A": "1"}, RequestQuery: map[string]string{"q": "x"}, RequestPath: map[string]string{"id": "7"}}},
		{"response status as number", `#set($context.responseOverride.status = 418)`, Overrides{Status: 418}},
		{"response status as string", `#set($context.responseOverride.status = "201")`, Overrides{Status: 201}},
		{"response status out of range", `#set($context.responseOverride.status = 42)`, Overrides{}},
		{"response header", `#set($context.responseOverride.header['X-Cache'] = "hit")`, Overrides{ResponseHeader: map[string]string{"X-Cache": "hit"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := Parse(tt.tmpl)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.tmpl, err)
			}
			var got Overrides
			if _, err := tmpl.Render(newInvocation(), nil, &got); err != nil {
				t.Fatalf("Render(%q) = %v", tt.tmpl, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Render(%q) overrides = %+v; want %+v", tt.tmpl, got, tt.want)
			}
		})
	}
}

// TestRenderOverridesCarry: what a request template overrides is what the response template's
// override maps start with, readable and changeable there (AWS, as recorded by LocalStack's
// test_integration_mock_with_request_overrides_in_response_template and
// test_integration_mock_with_response_override_in_request_template).
func TestRenderOverridesCarry(t *testing.T) {
	t.Parallel()
	req, err := Parse(`#set($context.requestOverride.header.X_Tenant = "acme")` +
		`$context.requestOverride.querystring.put("page", 2)` +
		`#set($k = "id")#set($context.requestOverride.path[$k] = "p-$input.params('id')")` +
		`#set($context.responseOverride.status = 201)#set($context.responseOverride.header.Cache_Hint = "none")` +
		`[$context.requestOverride.header.X_Tenant][$context.requestOverride.querystring.page][$context.responseOverride.status]`)
	if err != nil {
		t.Fatal(err)
	}
	var ov Overrides
	out, err := req.Render(newInvocation(), nil, &ov)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "[acme][2][201]" {
		t.Errorf("request template = %q; want the overrides read back in the same template", out)
	}
	want := Overrides{RequestHeader: map[string]string{"X_Tenant": "acme"}, RequestQuery: map[string]string{"page": "2"}, RequestPath: map[string]string{"id": "p-7"},
		ResponseHeader: map[string]string{"Cache_Hint": "none"}, Status: 201}
	if !reflect.DeepEqual(ov, want) {
		t.Fatalf("request template overrides = %+v; want %+v", ov, want)
	}

	resp, err := Parse(`$context.requestOverride.header.X_Tenant $context.requestOverride.querystring.page $context.requestOverride.path.id ` +
		`$context.responseOverride.status $context.responseOverride.header.Cache_Hint` +
		`#set($context.responseOverride.header.X_More = "yes")`)
	if err != nil {
		t.Fatal(err)
	}
	carried := ov
	out, err = resp.Render(newInvocation(), nil, &carried)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "acme 2 p-7 201 none" {
		t.Errorf("response template = %q; want the request template's overrides", out)
	}
	want.ResponseHeader = map[string]string{"Cache_Hint": "none", "X_More": "yes"}
	if !reflect.DeepEqual(carried, want) {
		t.Errorf("response template overrides = %+v; want %+v", carried, want)
	}
	if len(ov.ResponseHeader) != 1 {
		t.Errorf("the response template changed the request template's maps: %+v", ov.ResponseHeader)
	}

	// A template that does not touch the overrides leaves them as they were.
	plain, _ := Parse(`$input.params('id')`)
	kept := ov
	if _, err := plain.Render(newInvocation(), nil, &kept); err != nil || !reflect.DeepEqual(kept, ov) {
		t.Errorf("untouched overrides = %+v, %v; want %+v", kept, err, ov)
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, tmpl, want string }{
		{"bad JSONPath", `$input.path('$[')`, "JSONPath"},
		{"bad urlDecode", `$util.urlDecode("%zz")`, "%"},
		{"bad parseJson", `$util.parseJson("{")`, "parseJson"},
		{"unbounded output", `#foreach($i in [1..1000])#foreach($j in [1..1000])#foreach($k in [1..1000])xxxxxxxxxxxxxxxxxxxx#end#end#end`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := Parse(tt.tmpl)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.tmpl, err)
			}
			_, err = tmpl.Render(newInvocation(), []byte(`{}`), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render(%q) = %v; want an error mentioning %q", tt.tmpl, err, tt.want)
			}
		})
	}
}

func TestParseErrorNamesLineAndColumn(t *testing.T) {
	t.Parallel()
	_, err := Parse("{\n  #if($x == 1\n}")
	if err == nil || !strings.Contains(err.Error(), "line ") || !strings.Contains(err.Error(), "column ") {
		t.Errorf("Parse(unclosed #if) = %v; want an error naming line and column", err)
	}
}

// benchTemplate is a typical 20-line request template: $input.path, $input.params and
// #foreach over a 2 KB JSON body.
const benchTemplate = `#set($root = $input.path('$'))
{
  "orderId": "$input.params('id')",
  "customer": {
    "name": "$root.customer.name",
    "email": "$root.customer.email",
    "tier": "$input.params('tier')"
  },
  "items": [
#foreach($item in $root.items)
    {
      "sku": "$item.sku",
      "quantity": $item.qty,
      "price": $item.price,
      "gift": #if($item.gift)true#{else}false#end
    }#if($foreach.hasNext),#end
#end
  ],
  "source": "$context.identity.sourceIp", "stage": "$context.stage"
}`

func benchBody() []byte {
	var b strings.Builder
	b.WriteString(`{"customer": {"name": "Ann Example", "email": "ann@example.com", "address": {"line1": "1 Main St", "city": "Springfield", "zip": "12345"}}, "items": [`)
	for i := range 20 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"sku": "SKU-%04d", "qty": %d, "price": %d.99, "gift": %t, "note": "a short note about item %d"}`, i, i+1, 10+i, i%3 == 0, i)
	}
	b.WriteString(`], "comment": "deliver to the back door, please"}`)
	return []byte(b.String())
}

func BenchmarkRenderRequestTemplate(b *testing.B) {
	tmpl, err := Parse(benchTemplate)
	if err != nil {
		b.Fatal(err)
	}
	body := benchBody()
	inv := newInvocation()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.Render(inv, body, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchTemplateRenders(t *testing.T) {
	t.Parallel()
	if n := len(benchBody()); n < 1800 || n > 2600 {
		t.Fatalf("bench body is %d bytes; want about 2 KB", n)
	}
	if n := strings.Count(benchTemplate, "\n") + 1; n != 20 {
		t.Fatalf("bench template has %d lines; want 20", n)
	}
	tmpl, err := Parse(benchTemplate)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Render(newInvocation(), benchBody(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"orderId": "7"`, `"sku": "SKU-0019"`, `"quantity": 20`, `"price": 29.99`, `"gift": true`, `"stage": "dev"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("rendered template lacks %s:\n%s", want, out)
		}
	}
}

// TestRenderArenaReuse: renders reuse the memory payloads are parsed into; a JSONPath or an
// error computed from one payload must not change when the next render reuses it.
func TestRenderArenaReuse(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse(`$input.path($input.path('$.p'))`)
	if err != nil {
		t.Fatal(err)
	}
	inv := newInvocation()
	for i, tt := range []struct{ body, want string }{
		{`{"p": "$.a", "a": "first"}`, "first"},
		{`{"p": "$.b", "b": "second", "pad": "xxxxxxxxxxxxxxxxxxxxxxxx"}`, "second"},
		{`{"p": "$.a", "a": "third"}`, "third"},
		{`{"a": "fourth", "p": "$.a"}`, "fourth"},
	} {
		got, err := tmpl.Render(inv, []byte(tt.body), nil)
		if err != nil || string(got) != tt.want {
			t.Errorf("render %d: Render(%s) = %q, %v; want %q", i, tt.body, got, err, tt.want)
		}
	}
	_, err = tmpl.Render(inv, []byte(`{"p": "$[bad"}`), nil)
	if err == nil {
		t.Fatal("Render with an invalid computed JSONPath = nil error; want one")
	}
	msg := err.Error()
	if _, err := tmpl.Render(inv, []byte(`{"p": "$.zzzzzzzzzzzzz", "q": "overwrite the arena's text"}`), nil); err != nil {
		t.Fatal(err)
	}
	if err.Error() != msg || !strings.Contains(msg, "$[bad") {
		t.Errorf("error after the arena's reuse = %q; want %q, naming $[bad", err.Error(), msg)
	}
}

// TestRenderOverridesOutliveArena: override names and values computed from the payload are
// strings of the render's arena; the Overrides handed out must not change when the next
// render reuses its memory.
func TestRenderOverridesOutliveArena(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse(`#set($h = $input.path('$.h'))#set($v = $input.path('$.v'))` +
		`$context.responseOverride.header.put($h, $v)$context.requestOverride.querystring.put($h, $v)`)
	if err != nil {
		t.Fatal(err)
	}
	inv := newInvocation()
	var first Overrides
	if _, err := tmpl.Render(inv, []byte(`{"h": "X-First", "v": "one"}`), &first); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		var next Overrides
		if _, err := tmpl.Render(inv, []byte(`{"h": "Y-Other", "v": "two"}`), &next); err != nil {
			t.Fatal(err)
		}
	}
	want := Overrides{ResponseHeader: map[string]string{"X-First": "one"}, RequestQuery: map[string]string{"X-First": "one"}}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("Render(h=X-First) overrides after later renders = %+v; want %+v", first, want)
	}
}

// TestParamsDeterministic: $input.params() lists the query string and header names in one
// order, whatever the order Go's maps give: the same request renders the same text.
func TestParamsDeterministic(t *testing.T) {
	t.Parallel()
	tm, err := Parse(`$input.params()`)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{path={}, querystring={a=1, b=2, c=3, d=4}, header={A=x, B=y, C=z}}`
	for range 20 {
		inv := &invoke.Invocation{}
		inv.Request = invoke.Request{RawQuery: "d=4&b=2&c=3&a=1", Header: http.Header{"C": {"z"}, "A": {"x"}, "B": {"y"}}}
		got, err := tm.Render(inv, nil, nil)
		if err != nil || string(got) != want {
			t.Fatalf("Render($input.params()) = %s, %v; want %s", got, err, want)
		}
	}
}
