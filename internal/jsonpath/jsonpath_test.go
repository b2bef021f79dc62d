package jsonpath

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// omap and list are a small ordered JSON model, standing in for the VTL engine's *Map and
// *List.
type omap struct {
	keys []string
	vals map[string]any
}

func (m *omap) Get(k string) (any, bool) { v, ok := m.vals[k]; return v, ok }
func (m *omap) Keys() []string           { return m.keys }

type list []any

func (l list) Len() int        { return len(l) }
func (l list) Index(i int) any { return l[i] }

var (
	_ Object = (*omap)(nil)
	_ Array  = list(nil)
)

// parseDoc decodes JSON into omap, list, string, bool, nil, int64 and float64, keeping key
// order.
func parseDoc(t testing.TB, doc string) any {
	t.Helper()
	v, err := decodeDoc(doc)
	if err != nil {
		t.Fatalf("parse %q: %v", doc, err)
	}
	return v
}

func decodeDoc(doc string) (any, error) {
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	v, err := decodeValue(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func decodeValue(d *json.Decoder, depth int) (any, error) {
	if depth > 2000 {
		return nil, errors.New("too deep")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '{':
			m := &omap{vals: map[string]any{}}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				v, err := decodeValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				if _, dup := m.vals[k]; !dup {
					m.keys = append(m.keys, k)
				}
				m.vals[k] = v
			}
			_, err := d.Token()
			return m, err
		case '[':
			l := list{}
			for d.More() {
				v, err := decodeValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := d.Token()
			return l, err
		}
		return nil, fmt.Errorf("unexpected %v", x)
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, nil
		}
		return strconv.ParseFloat(string(x), 64)
	default:
		return x, nil // string, bool, nil
	}
}

// render prints a value as compact JSON in key order.
func render(v any) string {
	var b bytes.Buffer
	renderTo(&b, v)
	return b.String()
}

func renderTo(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case *omap:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			renderTo(b, x.vals[k])
		}
		b.WriteByte('}')
	case list:
		renderTo(b, []any(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			renderTo(b, e)
		}
		b.WriteByte(']')
	default:
		vb, err := json.Marshal(x)
		if err != nil {
			panic(err)
		}
		b.Write(vb)
	}
}

const store = `{
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10
}`

const (
	book0 = `{"category":"reference","author":"Nigel Rees","title":"Sayings of the Century","price":8.95}`
	book1 = `{"category":"fiction","author":"Evelyn Waugh","title":"Sword of Honour","price":12.99}`
	book2 = `{"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553-21311-3","price":8.99}`
	book3 = `{"category":"fiction","author":"J. R. R. Tolkien","title":"The Lord of the Rings","isbn":"0-395-19395-8","price":22.99}`
	bike  = `{"color":"red","price":19.95}`
)

func TestEval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		doc  string // store when empty
		want string // rendered result; "missing" for (nil, false)
	}{
		// definite paths
		{expr: `$`, doc: `[1,2]`, want: `[1,2]`},
		{expr: `$.store.book[0].title`, want: `"Sayings of the Century"`},
		{expr: `$['store']['book'][0]['title']`, want: `"Sayings of the Century"`},
		{expr: `$["store"]["bicycle"]["color"]`, want: `"red"`},
		{expr: `$.store.book[-1].author`, want: `"J. R. R. Tolkien"`},
		{expr: `$.store.book[-4].author`, want: `"Nigel Rees"`},
		{expr: `$.store.book[-5].author`, want: `missing`},
		{expr: `$.store.book[4]`, want: `missing`},
		{expr: `$.store.bicycle`, want: bike},
		{expr: `$.expensive`, want: `10`},
		{expr: `$.nope`, want: `missing`},
		{expr: `$.store.nope.deeper`, want: `missing`},
		{expr: `$.store.book.title`, want: `missing`},  // a name on an array matches nothing
		{expr: `$.store.bicycle[0]`, want: `missing`},  // an index on an object matches nothing
		{expr: `$.expensive.x`, want: `missing`},       // a name on a leaf
		{expr: `$.a`, doc: `{"a":null}`, want: `null`}, // present null is found
		{expr: `$[0]`, doc: `[]`, want: `missing`},
		{expr: `$[-1]`, doc: `[]`, want: `missing`},
		{expr: `$.content-type`, doc: `{"content-type":"json"}`, want: `"json"`},
		{expr: `$.ünïcødé`, doc: `{"ünïcødé":1}`, want: `1`},
		{expr: `$.a:b`, doc: `{"a:b":1}`, want: `1`},
		{expr: `$.1`, doc: `{"1":"one"}`, want: `"one"`},
		{expr: `$['a b']`, doc: `{"a b":1}`, want: `1`},
		{expr: `$['it\'s']`, doc: `{"it's":1}`, want: `1`},
		{expr: `$["say \"hi\""]`, doc: `{"say \"hi\"":1}`, want: `1`},
		{expr: `$['\u00e9']`, doc: `{"é":1}`, want: `1`},
		{expr: `$['\ud83d\ude00']`, doc: `{"😀":1}`, want: `1`},
		{expr: `$['']`, doc: `{"":1}`, want: `1`},
		{expr: `$[ 'a' ]`, doc: `{"a":1}`, want: `1`},
		{expr: `$.['a']`, doc: `{"a":1}`, want: `1`}, // Jayway accepts a '[' after '.'
		{expr: `  $.a  `, doc: `{"a":1}`, want: `1`},

		// relative paths: Jayway reads them as "$." + path
		{expr: `store.bicycle.color`, want: `"red"`},
		{expr: `expensive`, want: `10`},
		{expr: `[0]`, doc: `[7,8]`, want: `7`},
		{expr: `@.a`, doc: `{"a":1}`, want: `1`},
		{expr: `.a`, doc: `{"a":1,"b":{"a":2}}`, want: `[1,2]`}, // "$..a"
		{expr: `*`, doc: `{"a":1,"b":2}`, want: `[1,2]`},

		// wildcards
		{expr: `$.store.book[*].author`, want: `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{expr: `$.store.book[ * ].author`, want: `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{expr: `$.store.*`, want: `[[` + book0 + `,` + book1 + `,` + book2 + `,` + book3 + `],` + bike + `]`},
		{expr: `$.store.bicycle.*`, want: `["red",19.95]`},
		{expr: `$.*`, doc: `[1,[2]]`, want: `[1,[2]]`},
		{expr: `$.*.*`, doc: `{"a":1,"b":{"c":2}}`, want: `[2]`},
		{expr: `$.store.book[*].isbn`, want: `["0-553-21311-3","0-395-19395-8"]`},
		{expr: `$.store.book[*].nope`, want: `[]`},
		{expr: `$.nope[*]`, want: `[]`},
		{expr: `$[*]`, doc: `"leaf"`, want: `[]`},

		// unions: in the order written, duplicates kept
		{expr: `$.store.book[0,2].title`, want: `["Sayings of the Century","Moby Dick"]`},
		{expr: `$.store.book[2,0].title`, want: `["Moby Dick","Sayings of the Century"]`},
		{expr: `$[0,0,-1]`, doc: `[1,2,3]`, want: `[1,1,3]`},
		{expr: `$[0, 9]`, doc: `[1,2,3]`, want: `[1]`},
		{expr: `$.store.bicycle['price','color']`, want: `[19.95,"red"]`},
		{expr: `$['a',"b",'z']`, doc: `{"a":1,"b":2}`, want: `[1,2]`},
		{expr: `$['a','b'].c`, doc: `{"a":{"c":1},"b":{"c":2}}`, want: `[1,2]`},

		// slices
		{expr: `$.store.book[1:3].author`, want: `["Evelyn Waugh","Herman Melville"]`},
		{expr: `$.store.book[:2].author`, want: `["Nigel Rees","Evelyn Waugh"]`},
		{expr: `$.store.book[-2:].author`, want: `["Herman Melville","J. R. R. Tolkien"]`},
		{expr: `$.store.book[2:].author`, want: `["Herman Melville","J. R. R. Tolkien"]`},
		{expr: `$[:-1]`, doc: `[1,2,3]`, want: `[1,2]`},
		{expr: `$[-2:-1]`, doc: `[1,2,3]`, want: `[2]`},
		{expr: `$[-9:2]`, doc: `[1,2,3]`, want: `[1,2]`},
		{expr: `$[1:99]`, doc: `[1,2,3]`, want: `[2,3]`},
		{expr: `$[2:1]`, doc: `[1,2,3]`, want: `[]`},
		{expr: `$[5:]`, doc: `[1,2,3]`, want: `[]`},
		{expr: `$[-99:]`, doc: `[1,2,3]`, want: `[1,2,3]`},
		{expr: `$[ 0 : 1 ]`, doc: `[1,2,3]`, want: `[1]`},
		{expr: `$[0:1]`, doc: `{"0":1}`, want: `[]`},

		// recursive descent
		{expr: `$..author`, want: `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{expr: `$.store..price`, want: `[8.95,12.99,8.99,22.99,19.95]`},
		{expr: `$..book[2].title`, want: `["Moby Dick"]`},
		{expr: `$..book[-1:].title`, want: `["The Lord of the Rings"]`},
		{expr: `$..['color']`, want: `["red"]`},
		{expr: `$..[0]`, doc: `{"a":[1,[2,3]],"b":[[4]]}`, want: `[1,2,[4],4]`},
		{expr: `$..*`, doc: `{"a":{"b":1},"c":[2,{"d":3}]}`, want: `[{"b":1},[2,{"d":3}],1,2,{"d":3},3]`},
		{expr: `$..[*]`, doc: `{"a":{"b":1}}`, want: `[{"b":1},1]`},
		{expr: `$..a..b`, doc: `{"a":{"x":{"b":1}},"y":{"a":{"b":2}}}`, want: `[1,2]`},
		{expr: `$..x`, doc: `5`, want: `[]`},
		{expr: `$.store.bicycle..color`, want: `["red"]`},

		// filters
		{expr: `$.store.book[?(@.isbn)].title`, want: `["Moby Dick","The Lord of the Rings"]`},
		{expr: `$.store.book[?(!@.isbn)].title`, want: `["Sayings of the Century","Sword of Honour"]`},
		{expr: `$.store.book[?(@.price < 10)].title`, want: `["Sayings of the Century","Moby Dick"]`},
		{expr: `$.store.book[?(@.price<10)].title`, want: `["Sayings of the Century","Moby Dick"]`},
		{expr: `$.store.book[?(@.price <= $.expensive)].price`, want: `[8.95,8.99]`},
		{expr: `$.store.book[?(@.price > $['expensive'])].price`, want: `[12.99,22.99]`},
		{expr: `$.store.book[?(@.price >= 12.99)].price`, want: `[12.99,22.99]`},
		{expr: `$.store.book[?(@.category == 'reference')].author`, want: `["Nigel Rees"]`},
		{expr: `$.store.book[?(@.category == "reference")].author`, want: `["Nigel Rees"]`},
		{expr: `$.store.book[?(@.category != 'fiction')].author`, want: `["Nigel Rees"]`},
		{expr: `$.store.book[?(@['category'] == 'reference')].author`, want: `["Nigel Rees"]`},
		{expr: `$.store.book[?(@.category == 'fiction' && @.price > 10 || !(@.isbn))].price`, want: `[8.95,12.99,22.99]`},
		{expr: `$.store.book[?(@.category == 'fiction' && (@.price > 20 || @.price < 9))].price`, want: `[8.99,22.99]`},
		{expr: `$.store.book[?(!(@.category == 'fiction'))].price`, want: `[8.95]`},
		{expr: `$.store.book[?(!!@.isbn)].price`, want: `[8.99,22.99]`},
		{expr: `$.store.book[ ?( @.price < 9 ) ].price`, want: `[8.95,8.99]`},
		{expr: `$..book[?(@.author == 'Herman Melville')].isbn`, want: `["0-553-21311-3"]`},
		{expr: `$..[?(@.price < 10)].title`, want: `["Sayings of the Century","Moby Dick"]`},
		{expr: `$..[?(@.color)]`, want: `[` + bike + `]`},
		{expr: `$.store.bicycle[?(@.color == 'red')].price`, want: `[19.95]`}, // filter on an object tests it
		{expr: `$.store.bicycle[?(@.color == 'blue')]`, want: `[]`},
		{expr: `$[?(@ > 2)]`, doc: `[1,2,3,4]`, want: `[3,4]`},
		{expr: `$[?(@ == 'b')]`, doc: `["a","b"]`, want: `["b"]`},
		{expr: `$[?(@ < 'b')]`, doc: `["a","b","c"]`, want: `["a"]`},
		{expr: `$[?(@ >= 'b')]`, doc: `["a","b","c"]`, want: `["b","c"]`},
		{expr: `$[?(@ < 2)]`, doc: `["1",1,true,null]`, want: `[1]`}, // < needs two numbers or two strings
		{expr: `$[?(@.a == 1)]`, doc: `[{"a":1.0},{"a":1},{"a":"1"},{"a":"1.0"},{"a":"x"},{"a":true}]`, want: `[{"a":1},{"a":1},{"a":"1"},{"a":"1.0"}]`},
		{expr: `$[?(@.a == '1')]`, doc: `[{"a":1},{"a":"1"},{"a":2}]`, want: `[{"a":1},{"a":"1"}]`},
		{expr: `$[?(@.a == 9007199254740993)]`, doc: `[{"a":9007199254740993},{"a":9007199254740992}]`, want: `[{"a":9007199254740993}]`},
		{expr: `$[?(@.a < 1.5)]`, doc: `[{"a":1},{"a":2},{"a":1.25}]`, want: `[{"a":1},{"a":1.25}]`},
		{expr: `$[?(@.a > -1e1)]`, doc: `[{"a":-11},{"a":-10},{"a":-9}]`, want: `[{"a":-9}]`},
		{expr: `$[?(@.a == true)]`, doc: `[{"a":true},{"a":false},{"a":"true"}]`, want: `[{"a":true}]`},
		{expr: `$[?(@.a == false)]`, doc: `[{"a":true},{"a":false}]`, want: `[{"a":false}]`},
		{expr: `$[?(@.a == null)]`, doc: `[{"a":null},{"b":1},{"a":0}]`, want: `[{"a":null}]`},
		{expr: `$[?(@.a != null)]`, doc: `[{"a":null},{"b":1},{"a":0}]`, want: `[{"b":1},{"a":0}]`}, // missing != anything
		{expr: `$[?(@.a != 'x')]`, doc: `[{"a":"x"},{"b":1},{"a":"y"}]`, want: `[{"b":1},{"a":"y"}]`},
		{expr: `$[?(@.a)]`, doc: `[{"a":null},{"b":1},{"a":false}]`, want: `[{"a":null},{"a":false}]`}, // existence, not truth
		{expr: `$[?(@.a.b == 2)]`, doc: `[{"a":{"b":2}},{"a":{"b":3}},{"a":2}]`, want: `[{"a":{"b":2}}]`},
		{expr: `$[?(@.a[0] == 2)]`, doc: `[{"a":[2]},{"a":[3]}]`, want: `[{"a":[2]}]`},
		{expr: `$[?(@.a == @.b)]`, doc: `[{"a":1,"b":1},{"a":1,"b":2},{"a":[1,{"x":2}],"b":[1,{"x":2}]}]`, want: `[{"a":1,"b":1},{"a":[1,{"x":2}],"b":[1,{"x":2}]}]`},
		{expr: `$[?(@.a[*])]`, doc: `[{"a":[]},{"a":[1]}]`, want: `[{"a":[1]}]`}, // indefinite existence: something matched
		{expr: `$[?(@..x)]`, doc: `[{"a":{"x":1}},{"a":{"y":1}}]`, want: `[{"a":{"x":1}}]`},
		{expr: `$[?(@.items[?(@.ok)])]`, doc: `[{"items":[{"ok":1}]},{"items":[{"no":1}]}]`, want: `[{"items":[{"ok":1}]}]`},
		{expr: `$[?(@.a == 'it\'s')]`, doc: `[{"a":"it's"},{"a":"its"}]`, want: `[{"a":"it's"}]`},
		{expr: `$[?(!@.a == 1)]`, doc: `[{"a":1},{"a":2},{"b":1}]`, want: `[{"a":2},{"b":1}]`},
		{expr: `$[?(@.x == @.y)]`, doc: `[{"a":1}]`, want: `[]`}, // missing equals nothing, not even missing
		{expr: `$[?(@.a == 1 || @.a == 2 && @.b)]`, doc: `[{"a":1},{"a":2},{"a":2,"b":0}]`, want: `[{"a":1},{"a":2,"b":0}]`},
		{expr: `$[?(@.a=='x'&&@.b>1||!(@.c))]`, doc: `[{"a":"x","b":2,"c":1},{"a":"x","b":1,"c":1},{"a":"y"}]`, want: `[{"a":"x","b":2,"c":1},{"a":"y"}]`},
		{expr: `$[?(@ == 1)]`, doc: `{"a":1}`, want: `[]`},
		{expr: `$[?(@.a)]`, doc: `"leaf"`, want: `[]`},
		{expr: `$[?(@.a)]`, doc: `{"a":1}`, want: `[{"a":1}]`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			doc := tt.doc
			if doc == "" {
				doc = store
			}
			p, err := Compile(tt.expr)
			if err != nil {
				t.Fatalf("Compile(%q) = %v", tt.expr, err)
			}
			got, ok := p.Eval(parseDoc(t, doc))
			gotS := "missing"
			if ok {
				gotS = render(got)
			}
			if gotS != tt.want {
				t.Errorf("Compile(%q).Eval(%s) = %s; want %s", tt.expr, doc, gotS, tt.want)
			}
			if !p.Definite() {
				if l, isList := got.([]any); !ok || !isList || l == nil {
					t.Errorf("Compile(%q).Eval = %#v, %v; want a non-nil []any and true", tt.expr, got, ok)
				}
			}
		})
	}
}

func TestDefinite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want bool
	}{
		{`$`, true},
		{`$.a.b`, true},
		{`$['a'][0]`, true},
		{`$[-1]`, true},
		{`a.b`, true},
		{`$.*`, false},
		{`$[*]`, false},
		{`$..a`, false},
		{`.a`, false},
		{`$[?(@.a)]`, false},
		{`$['a','b']`, false},
		{`$[0,1]`, false},
		{`$[0:1]`, false},
		{`$[:1]`, false},
		{`$.a[0].b[?(@.c)].d`, false},
	}
	for _, tt := range tests {
		p, err := Compile(tt.expr)
		if err != nil {
			t.Fatalf("Compile(%q) = %v", tt.expr, err)
		}
		if got := p.Definite(); got != tt.want {
			t.Errorf("Compile(%q).Definite() = %v; want %v", tt.expr, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr   string
		offset int
		msg    string // substring of the message
	}{
		{``, 0, "empty path"},
		{`   `, 0, "empty path"},
		{`$.`, 2, "must not end with"},
		{`$..`, 3, "must not end with"},
		{`$.a.`, 4, "must not end with"},
		{`$...a`, 3, "unexpected '.'"},
		{`$a`, 1, `unexpected 'a'`},
		{`$.a b`, 3, "bracket notation"},
		{`a b`, 1, "bracket notation"},
		{`$.length()`, 8, "functions such as length() are not supported"},
		{`$.a.*b`, 5, `unexpected 'b'`},
		{`$[`, 1, "unclosed '['"},
		{`$[]`, 2, "expected a quoted name"},
		{`$[a]`, 2, "expected a quoted name"},
		{`$['a'`, 5, "expected ',' or ']', found end of path"},
		{`$['a`, 2, "unclosed string"},
		{`$['a' 'b']`, 6, "expected ',' or ']'"},
		{`$['a',]`, 6, "expected a quoted name after ','"},
		{`$['a',0]`, 6, "expected a quoted name after ','"},
		{`$[*`, 3, "expected ']' after '*'"},
		{`$[0`, 3, "expected ',' or ']'"},
		{`$[0,]`, 4, "expected an index after ','"},
		{`$[-]`, 3, "expected digits after '-'"},
		{`$[:]`, 3, "a slice needs a start or an end"},
		{`$[1:2:3]`, 5, "slice steps"},
		{`$[::2]`, 3, "slice steps"},
		{`$[1:2`, 5, "expected ']' after the slice"},
		{`$[9999999999]`, 2, "index out of range"},
		{`$[2147483648]`, 2, "index out of range"},
		{`$[?(@.a]`, 7, "expected ')' to close the filter"},
		{`$[?@.a)]`, 3, "expected '(' after '?'"},
		{`$[?(@.a)`, 8, "expected ']' after the filter"},
		{`$[?()]`, 4, "expected a value"},
		{`$[?(1)]`, 4, "a literal must be compared"},
		{`$[?('a')]`, 4, "a literal must be compared"},
		{`$[?(@.a = 1)]`, 8, "use '=='"},
		{`$[?(@.a =~ /x/)]`, 8, "regular expressions"},
		{`$[?(@.a === 1)]`, 8, "operator === is not supported"},
		{`$[?(@.a in ['x'])]`, 8, `operator "in" is not supported`},
		{`$[?(@.a == [1])]`, 11, "JSON literals"},
		{`$[?(@.a == x)]`, 11, "expected a value"},
		{`$[?(@.a == truex)]`, 11, "expected a value"},
		{`$[?(@.a == 1.)]`, 13, "expected digits after '.'"},
		{`$[?(@.a == 1e)]`, 13, "expected digits in the exponent"},
		{`$[?(@.a && )]`, 11, "expected a value"},
		{`$[?(@.a == 'x)]`, 11, "unclosed string"},
		{`$[?((@.a)]`, 9, "expected ')' to close the filter, found ']'"},
		{`$[?((@.a]`, 8, "expected ')', found ']'"},
		{`$[?(@.)]`, 6, "expected a name after '.'"},
		{`$[?(@.a.length() > 1)]`, 14, "functions such as length() are not supported"},
		{`$[?(@.a)]x`, 9, `unexpected 'x'`},
		{`$.a.ü b`, 6, "bracket notation"},
		{`  $x`, 3, `unexpected 'x'`},
	}
	for _, tt := range tests {
		p, err := Compile(tt.expr)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Compile(%q) = %v, %v; want a *SyntaxError", tt.expr, p, err)
			continue
		}
		if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Compile(%q) = %v; want %q at offset %d", tt.expr, err, tt.msg, tt.offset)
		}
	}
}

func TestCompileDepthLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
	}{
		{"nested filters", "$" + strings.Repeat("[?(@", 200) + strings.Repeat(")]", 200)},
		{"parentheses", "$[?(" + strings.Repeat("(", 10000) + "@.a" + strings.Repeat(")", 10000) + ")]"},
		{"negations", "$[?(" + strings.Repeat("!", 10000) + "@.a)]"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.expr)
		if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("Compile(%s) = %v; want a nesting error", tt.name, err)
		}
	}
	// Just within the limit compiles: the filter and the sub-path count too.
	ok := "$[?(" + strings.Repeat("!", MaxDepth-2) + "@.a)]"
	if _, err := Compile(ok); err != nil {
		t.Errorf("Compile(%d negations) = %v; want nil", MaxDepth-2, err)
	}
}

func TestEvalDeepData(t *testing.T) {
	t.Parallel()
	// 100 000 levels of nesting: recursive descent must not recurse.
	const depth = 100_000
	var v any = &omap{keys: []string{"x"}, vals: map[string]any{"x": int64(1)}}
	for range depth {
		v = list{v}
	}
	got, ok := MustCompile(`$..x`).Eval(v)
	if s := render(got); !ok || s != `[1]` {
		t.Errorf("Compile(`$..x`).Eval(deep) = %s, %v; want [1], true", s, ok)
	}
	// The same through a filter on the deep structure.
	got, _ = MustCompile(`$..[?(@.x == 1)].x`).Eval(v)
	if s := render(got); s != `[1]` {
		t.Errorf("Compile(`$..[?(@.x == 1)].x`).Eval(deep) = %s; want [1]", s)
	}
}

func TestEvalBudget(t *testing.T) {
	t.Parallel()
	// 200 elements and six deep scans would be 200^6 values; the budget stops it.
	l := make(list, 200)
	for i := range l {
		l[i] = list{int64(i)}
	}
	got, ok := MustCompile(`$..*..*..*..*..*..*`).Eval(l)
	if _, isList := got.([]any); !ok || !isList {
		t.Fatalf("Eval = %T, %v; want []any, true", got, ok)
	}
	if n := len(got.([]any)); n > MaxVisits {
		t.Errorf("len(Eval) = %d; want at most %d", n, MaxVisits)
	}
}

// TestEvalGoValues checks the plain Go containers Eval also accepts.
func TestEvalGoValues(t *testing.T) {
	t.Parallel()
	doc := map[string]any{
		"b": []any{1, int32(2), 3.5, uint64(1 << 63)},
		"a": map[string]any{"x": "y"},
	}
	tests := []struct {
		expr string
		want string
	}{
		{`$.b[1]`, `2`},
		{`$.a.x`, `"y"`},
		{`$.*`, `[{"x":"y"},[1,2,3.5,9223372036854775808]]`}, // map keys in sorted order
		{`$.b[?(@ >= 2)]`, `[2,3.5,9223372036854775808]`},
		{`$.b[?(@ == 9223372036854775808)]`, `[9223372036854775808]`},
		{`$..x`, `["y"]`},
	}
	for _, tt := range tests {
		got, ok := MustCompile(tt.expr).Eval(doc)
		if s := render(got); !ok || s != tt.want {
			t.Errorf("Compile(%q).Eval(goValues) = %s, %v; want %s", tt.expr, s, ok, tt.want)
		}
	}
}

func TestCompileConcurrentEval(t *testing.T) {
	t.Parallel()
	p := MustCompile(`$.store.book[?(@.price < $.expensive)].title`)
	doc := parseDoc(t, store)
	done := make(chan string)
	for range 8 {
		go func() {
			got, _ := p.Eval(doc)
			done <- render(got)
		}()
	}
	for range 8 {
		if got := testwait.Recv(t, done, testwait.Patient, "a concurrent Eval's answer"); got != `["Sayings of the Century","Moby Dick"]` {
			t.Errorf("concurrent Eval = %s", got)
		}
	}
}

func TestSyntaxErrorString(t *testing.T) {
	t.Parallel()
	_, err := Compile(`$.a b`)
	if got, want := err.Error(), `jsonpath "$.a b": use bracket notation ['my name'] for a name with blanks at offset 3`; got != want {
		t.Errorf("Compile(`$.a b`).Error() = %q; want %q", got, want)
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`$`, `$.a.b`, `$['a','b']`, `$[0,-1]`, `$[1:3]`, `$[:2]`, `$[-2:]`, `$.*`, `$[*]`,
		`$..a`, `$..*`, `$..[0]`, `$[?(@.price < 10)]`, `$[?(@.isbn)]`,
		`$[?(@.a == 'x' && @.b > 1 || !(@.c))]`, `a.b`, `.a`, `$['\u00e9\'']`,
		`$[?(@.a == "x\"y")]`, `$[?(@.a[?(@.b != null)])]`, `$[?(@ >= -1.5e3)]`, `$.content-type`,
	} {
		f.Add(s)
	}
	doc, err := decodeDoc(store)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		p, err := Compile(expr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(expr) {
				t.Fatalf("Compile(%q) = %v; want a *SyntaxError with an offset in range", expr, err)
			}
			return
		}
		got, ok := p.Eval(doc)
		if !p.Definite() {
			if l, isList := got.([]any); !ok || !isList || l == nil {
				t.Fatalf("Compile(%q).Eval = %#v, %v; want []any, true", expr, got, ok)
			}
		} else if _, isList := got.([]any); isList {
			t.Fatalf("Compile(%q) is definite but Eval = %#v", expr, got)
		}
	})
}

func FuzzEval(f *testing.F) {
	seeds := []struct{ expr, doc string }{
		{`$..price`, store},
		{`$.store.book[?(@.price < 10)].title`, store},
		{`$..*`, `{"a":[1,{"b":[2,3]}],"c":null}`},
		{`$[?(@ > 1)]`, `[1,2.5,"3",true,null]`},
		{`$[-2:]`, `[1,2,3]`},
		{`$[?(@.a == @.b)]`, `[{"a":[1],"b":[1]}]`},
		{`$..[?(@.x)]`, `[[[[{"x":1}]]]]`},
	}
	for _, s := range seeds {
		f.Add(s.expr, s.doc)
	}
	f.Fuzz(func(t *testing.T, expr, doc string) {
		p, err := Compile(expr)
		if err != nil {
			return
		}
		v, err := decodeDoc(doc)
		if err != nil {
			return
		}
		start := time.Now()
		got, ok := p.Eval(v)
		// A runaway evaluation (exponential in the input), not a slow machine: fuzz inputs
		// evaluate in microseconds.
		if el := time.Since(start); el > testwait.Patient {
			t.Fatalf("Compile(%q).Eval(%s) took %v; want it bounded", expr, doc, el)
		}
		if !p.Definite() {
			if l, isList := got.([]any); !ok || !isList || l == nil {
				t.Fatalf("Compile(%q).Eval(%s) = %#v, %v; want []any, true", expr, doc, got, ok)
			}
		}
		if !ok && got != nil {
			t.Fatalf("Compile(%q).Eval(%s) = %#v, false; want nil", expr, doc, got)
		}
	})
}

// benchDoc is about 2 KB: {"items":[{"name":"item-00","price":0,"tags":["a","b"]},...]}.
func benchDoc(b *testing.B) any {
	var sb strings.Builder
	sb.WriteString(`{"items":[`)
	for i := 0; sb.Len() < 2000; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"name":"item-%02d","price":%d.5,"tags":["a","b"],"ok":true}`, i, i)
	}
	sb.WriteString(`]}`)
	return parseDoc(b, sb.String())
}

func BenchmarkCompileEval(b *testing.B) {
	doc := benchDoc(b)
	b.ReportAllocs()
	for b.Loop() {
		p, err := Compile(`$.items[*].name`)
		if err != nil {
			b.Fatal(err)
		}
		if got, _ := p.Eval(doc); len(got.([]any)) == 0 {
			b.Fatal("no match")
		}
	}
}

func BenchmarkEval(b *testing.B) {
	doc := benchDoc(b)
	for _, expr := range []string{`$.items[3].name`, `$.items[*].name`, `$.items[?(@.price > 10)].name`, `$..name`} {
		p := MustCompile(expr)
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Eval(doc)
			}
		})
	}
}
