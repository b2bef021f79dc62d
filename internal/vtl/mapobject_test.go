package vtl

import (
	"errors"
	"testing"
)

// lazyMap is a MapObject whose Map is built on first use; builds counts how often.
type lazyMap struct {
	m      *Map
	builds int
}

func (l *lazyMap) Property(name string) (any, bool) {
	switch name {
	case "a":
		return "x", true
	case "n":
		return nil, true
	}
	return nil, false
}

func (l *lazyMap) Call(method string, _ []any) (any, error) {
	if method == "host" {
		return "called", nil
	}
	return nil, errors.New("no method " + method)
}

func (l *lazyMap) AsMap() *Map {
	if l.m == nil {
		l.builds++
		l.m = NewMap()
		l.m.Set("a", "x")
		l.m.Set("n", nil)
	}
	return l.m
}

// TestMapObject: a MapObject answers a Java map's methods, iterates and prints as its Map,
// keeps its properties and host methods, and builds its Map only when a template needs it.
func TestMapObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src, want string
		builds    int
	}{
		{`$o.a|$o.get('a')|$o.getA()`, `x|x|x`, 0},
		{`$o.host()`, `called`, 0},
		{`$o.keySet()`, `[a, n]`, 1},
		{`#foreach($k in $o.keySet())$k=$o.get($k)#if($foreach.hasNext),#end#end`, `a=x,n=`, 1},
		{`#foreach($v in $o)[$v]#end`, `[x][]`, 1},
		{`#foreach($e in $o.entrySet())$e.key:$e.value;#end`, `a:x;n:;`, 1},
		{`$o.size() $o.isEmpty() $o.containsKey('n') $o.containsKey('z')`, `2 false true false`, 1},
		{`$o.values()`, `[x, null]`, 1},
		{`$o`, `{a=x, n=null}`, 1},
		{`"$o"`, `"{a=x, n=null}"`, 1},
		{`$o.toString()`, `{a=x, n=null}`, 1},
		{`$o.size()$o.size()`, `22`, 1},
		{`#set($o.b = 1)#set($o['c'] = 2)$o.keySet()`, `[a, n, b, c]`, 1},
	}
	for _, tt := range tests {
		tmpl, err := Parse(tt.src)
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		o := &lazyMap{}
		out, err := tmpl.Execute(nil, map[string]any{"o": o}, Limits{})
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if string(out) != tt.want || o.builds != tt.builds {
			t.Errorf("%s = %q with %d builds; want %q with %d", tt.src, out, o.builds, tt.want, tt.builds)
		}
	}
	// A method neither the Map nor the host has is the host's error.
	tmpl, _ := Parse(`$o.nope()`)
	if _, err := tmpl.Execute(nil, map[string]any{"o": &lazyMap{}}, Limits{}); err == nil {
		t.Error("$o.nope() rendered; want the host's error")
	}
	// AppendJSON writes it as a JSON object.
	if got := string(AppendJSON(nil, &lazyMap{})); got != `{"a":"x","n":null}` {
		t.Errorf("AppendJSON = %s", got)
	}
}

// TestMapObjectEquals: a MapObject equals a Map with the same entries, and itself.
func TestMapObjectEquals(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse(`#set($m = {"a": "x", "n": $null})$o.equals($o) #if($o == $o)true#end $o.equals($m) #if($o == $m)true#end $m.equals($o) #set($m.z = 1)#if($o != $m)false#end`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Execute(nil, map[string]any{"o": &lazyMap{}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "true true true true true false" {
		t.Errorf("got %q", out)
	}
}
