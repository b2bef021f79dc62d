package vtl

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"unicode/utf8"
)

// FuzzParseJSONDifferential: ParseJSON accepts exactly the documents encoding/json accepts
// (nesting limit aside) and decodes the same values: objects with a repeated key keep the
// last value, and every number equals encoding/json's float64 (exactly, -0 included).
func FuzzParseJSONDifferential(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2.5,"x\u00e9\ud83d\ude00",null,true,{"b":{}}],"a":false}`,
		`[1e400, -0, -0.0, 12345678901234567890, 0.1, 1.5e-7, 9007199254740993, 1e22, 1e23, 123456789012345678]`,
		`{"k":"a\"b\\c\/d\b\f\n\r\t", "long":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"x"}`,
		`[0.000001, 4.9e-324, 1.7976931348623157e308, -12.99, 10.990, 3.14159265358979]`,
		` { "t" : true , "f" : false , "n" : null } `, `tru`, `[01]`, `"\u001f"`, "\"\x1f\"", `1.`, `-`, `[1,]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // encoding/json replaces invalid UTF-8; ParseJSON's handling is its own
		}
		var want any
		wantErr := json.Unmarshal(data, &want)
		got, gotErr := ParseJSON(data)
		var rangeErr *json.UnmarshalTypeError
		if errors.As(wantErr, &rangeErr) && gotErr == nil {
			return // a number beyond float64: ±Infinity here, as Java's Double.parseDouble gives
		}
		if (wantErr == nil) != (gotErr == nil) {
			if gotErr != nil && depthOf(data) >= maxJSONDepth {
				return // beyond ParseJSON's nesting limit
			}
			t.Fatalf("ParseJSON(%q) error = %v; encoding/json error = %v", data, gotErr, wantErr)
		}
		if wantErr != nil {
			return
		}
		if !sameJSON(got, want) {
			t.Fatalf("ParseJSON(%q) = %s; encoding/json decodes %#v", data, AppendJSON(nil, got), want)
		}
	})
}

func depthOf(data []byte) int {
	d, maxD := 0, 0
	for _, c := range data {
		switch c {
		case '[', '{':
			d++
			maxD = max(maxD, d)
		case ']', '}':
			d--
		}
	}
	return maxD
}

// sameJSON compares a template value with encoding/json's decoding of the same document.
func sameJSON(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case string:
		g, ok := got.(string)
		return ok && g == w
	case float64:
		switch x := got.(type) {
		case int64:
			return float64(x) == w // an integer -0 is 0, as a Java int
		case float64:
			return x == w && math.Signbit(x) == math.Signbit(w)
		}
		return false
	case []any:
		g, ok := got.(*List)
		if !ok || g.Len() != len(w) {
			return false
		}
		for i := range w {
			if !sameJSON(g.Index(i), w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(*Map)
		if !ok || g.Len() != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g.Get(k)
			if !ok || !sameJSON(gv, wv) {
				return false
			}
		}
		return true
	}
	return false
}

// TestParseJSONNumbersMatchStrconv: the decoder's fast paths for integers and short decimals
// give exactly strconv's values, over random numbers of the shapes they take.
func TestParseJSONNumbersMatchStrconv(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		var text string
		switch r.IntN(4) {
		case 0: // integers up to 18 digits
			text = strconv.FormatInt(r.Int64N(1_000_000_000_000_000_000)-500_000_000_000_000_000, 10)
		case 1: // prices and the like
			text = strconv.FormatInt(r.Int64N(1_000_000), 10) + "." + strconv.FormatInt(r.Int64N(1000), 10)
		case 2: // up to 15 significant digits, exponents around the exact range
			digits := strconv.FormatInt(1+r.Int64N(999_999_999_999_999), 10)
			cut := 1 + r.IntN(len(digits))
			text = digits[:cut]
			if cut < len(digits) {
				text += "." + digits[cut:]
			}
			text += "e" + strconv.Itoa(r.IntN(60)-30)
		default: // negative, with leading zeros in the fraction
			text = "-0.000" + strconv.FormatInt(r.Int64N(1e12), 10)
		}
		got, err := ParseJSON([]byte(text))
		if err != nil {
			t.Fatalf("ParseJSON(%s) = %v", text, err)
		}
		want, err := strconv.ParseFloat(text, 64)
		if err != nil {
			t.Fatalf("ParseFloat(%s) = %v", text, err)
		}
		var g float64
		switch x := got.(type) {
		case int64:
			g = float64(x)
			if n, _ := strconv.ParseInt(text, 10, 64); x != n {
				t.Fatalf("ParseJSON(%s) = %d; want %d", text, x, n)
			}
		case float64:
			g = x
		}
		if math.Float64bits(g) != math.Float64bits(want) && !(g == 0 && want == 0) {
			t.Fatalf("ParseJSON(%s) = %v; strconv.ParseFloat = %v", text, g, want)
		}
	}
}
