package vtl

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

func TestAppendString(t *testing.T) {
	t.Parallel()
	m := NewMap()
	m.Set("a", 1)
	m.Set("l", NewList(NewMap(), "x"))
	tests := []struct {
		v    any
		want string
	}{
		{nil, ""},
		{"s", "s"},
		{int64(-3), "-3"},
		{7, "7"},
		{true, "true"},
		{1.0, "1.0"},
		{1e10, "1.0E10"},
		{1.234e-5, "1.234E-5"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{float32(0.5), "0.5"},
		{m, `{a=1, l=[{},"x"]}`},
		{NewList(1, nil, "a"), `[1,null,"a"]`},
		{newJavaList([]any{int64(1), nil, "a"}), `[1, null, a]`},
	}
	for _, tt := range tests {
		if got := string(AppendString([]byte("<"), tt.v)); got != "<"+tt.want {
			t.Errorf("AppendString(%#v) = %q; want %q", tt.v, got, "<"+tt.want)
		}
	}
}

func TestAppendJSON(t *testing.T) {
	t.Parallel()
	m := NewMap()
	m.Set("k\"", "line\nbreak\x01")
	m.Set("n", nil)
	self := NewMap()
	self.Set("self", self)
	selfList := NewList(int64(1))
	selfList.Append(selfList)
	tests := []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{"é\t", `"é\t"`},
		{"\xff", `"` + "\ufffd" + `"`},
		{int64(5), "5"},
		{2.5, "2.5"},
		{math.NaN(), "null"},
		{m, `{"k\"":"line\nbreak\u0001","n":null}`},
		{newJavaList([]any{"a", int64(1)}), `["a",1]`},
		{&testObject{}, `"testobj"`},
		{struct{}{}, "null"},
		{self, `{"self":null}`}, // a container inside itself is null in JSON
		{selfList, `[1,null]`},
	}
	for _, tt := range tests {
		if got := string(AppendJSON(nil, tt.v)); got != tt.want {
			t.Errorf("AppendJSON(%#v) = %s; want %s", tt.v, got, tt.want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string // AppendJSON of the result
		wantErr bool
	}{
		{in: `{"b":1,"a":2,"b":3}`, want: `{"b":3,"a":2}`},
		{in: ` [1, -2, 3.0, 1e2, 9223372036854775808] `, want: `[1,-2,3.0,100.0,9.223372036854776E18]`},
		{in: `"\u00e9\ud83d\ude00\n\/"`, want: `"é😀\n/"`},
		{in: `"\ud800x"`, want: `"` + "\ufffd" + `x"`},
		{in: `{"a":{"b":[true,false,null]}}`, want: `{"a":{"b":[true,false,null]}}`},
		{in: `{"a":1,}`, wantErr: true},
		{in: `[1 2]`, wantErr: true},
		{in: `01`, wantErr: true},
		{in: `1.`, wantErr: true},
		{in: `"a`, wantErr: true},
		{in: "\"\x01\"", wantErr: true},
		{in: `nul`, wantErr: true},
		{in: `{} x`, wantErr: true},
		{in: strings.Repeat("[", 2000) + strings.Repeat("]", 2000), wantErr: true},
	}
	for _, tt := range tests {
		v, err := ParseJSON([]byte(tt.in))
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseJSON(%.40q) = %v; want an error", tt.in, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseJSON(%q) = %v", tt.in, err)
			continue
		}
		if got := string(AppendJSON(nil, v)); got != tt.want {
			t.Errorf("ParseJSON(%q) = %s; want %s", tt.in, got, tt.want)
		}
	}
	v, _ := ParseJSON([]byte(`{"i":1,"f":1.5}`))
	m := v.(*Map)
	if i, _ := m.Get("i"); i != int64(1) {
		t.Errorf("ParseJSON integer = %T; want int64", i)
	}
	if f, _ := m.Get("f"); f != 1.5 {
		t.Errorf("ParseJSON float = %T; want float64", f)
	}
}

func TestExecute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		globals   map[string]any
		want      string
	}{
		{"crlf gobbling", "#set($a = 1)\r\n#if(true)\r\nx\r\n#end\r\ny", nil, "x\r\ny"},
		{"go int globals", "$n $l", map[string]any{"n": 5, "l": NewList(1, 2)}, "5 [1,2]"},
		{"host map", "$m.a", map[string]any{"m": func() *Map { m := NewMap(); m.Set("a", "b"); return m }()}, "b"},
		{"unknown global type", "[$x]", map[string]any{"x": struct{}{}}, "[]"},
		{"define in string", `#define($d)D#end#set($s = "<$d>")$s`, nil, "<D>"},
		{"define compared", `#define($d)x#end#if($d == "x")eq#end`, nil, "eq"},
		{"define in list", `#define($d)x#end#set($l = [$d])$l`, nil, "[x]"},
		{"define passed to host", `#define($d)x#end$o.echo($d)`, map[string]any{"o": &testObject{}}, `["x"]`},
	}
	for _, tt := range tests {
		tmpl, err := Parse(tt.src)
		if err != nil {
			t.Errorf("%s: Parse(%q) = %v", tt.name, tt.src, err)
			continue
		}
		got, err := tmpl.Execute(nil, tt.globals, Limits{})
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: Execute(%q) = %q, %v; want %q", tt.name, tt.src, got, err, tt.want)
		}
	}
}

// TestExecuteGlobalsUntouched: #set never writes to globals, and parallel renderings of
// one Template do not see each other's variables.
func TestExecuteGlobalsUntouched(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse(`#set($input = "shadow")#set($n = $n + 1)$input $n`)
	if err != nil {
		t.Fatal(err)
	}
	globals := map[string]any{"input": "orig", "n": int64(1)}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				out, err := tmpl.Execute(nil, globals, Limits{})
				if err != nil || string(out) != "shadow 2" {
					t.Errorf("Execute = %q, %v; want %q", out, err, "shadow 2")
					return
				}
			}
		})
	}
	testwait.Group(t, &wg, testwait.Patient, "the concurrent Executes")
	if globals["input"] != "orig" || globals["n"] != int64(1) || len(globals) != 2 {
		t.Errorf("globals = %v; want them unchanged", globals)
	}
}

type panicObject struct{}

func (panicObject) Property(string) (any, bool)     { panic("boom") }
func (panicObject) Call(string, []any) (any, error) { panic("boom") }

// TestExecuteRecoversPanics: a panicking host Object turns into an error.
func TestExecuteRecoversPanics(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse(`a$p.x`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Execute([]byte("dst"), map[string]any{"p": panicObject{}}, Limits{})
	if err == nil || !strings.Contains(err.Error(), "boom") || string(out) != "dst" {
		t.Errorf("Execute = %q, %v; want dst and an internal error", out, err)
	}
	// The template stays usable.
	if out, err := tmpl.Execute(nil, map[string]any{"p": map[string]any{}}, Limits{}); err != nil || string(out) != "a" {
		t.Errorf("Execute after a panic = %q, %v; want %q", out, err, "a")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	_, err := Parse("ok\n  #if(")
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || err.Error() != "line 2, column 7: unexpected end of template in expression" {
		t.Errorf("Parse error = %v; want line 2, column 7", err)
	}
	tmpl, _ := Parse("x\n $o.fail()")
	_, err = tmpl.Execute(nil, map[string]any{"o": &testObject{}}, Limits{})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Line != 2 || ee.Column != 5 || ee.Err.Error() != "host failure" {
		t.Errorf("Execute error = %#v; want an ExecError at line 2, column 5", err)
	}
	tmpl, _ = Parse("#foreach($i in [1..10])x#end")
	_, err = tmpl.Execute(nil, nil, Limits{MaxOutput: 5})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "output" || le.Max != 5 {
		t.Errorf("Execute error = %v; want an output LimitError", err)
	}
}

// TestExecuteAllocs: rendering a template over JSON values allocates nothing per Execute
// beyond what the template creates.
func TestExecuteAllocs(t *testing.T) {
	tmpl, err := Parse(benchTemplate)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := ParseJSON([]byte(benchBody()))
	ctx := NewMap()
	ctx.Set("requestId", "r")
	globals := map[string]any{"input": body, "context": ctx}
	buf := make([]byte, 0, 8192)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := tmpl.Execute(buf[:0], globals, Limits{}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 25 {
		t.Errorf("Execute allocates %v times; want at most 25 (the toLowerCase result and int boxing)", allocs)
	}
}
