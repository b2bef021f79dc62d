package mapping

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"
)

// The expected outputs below are what Commons Lang 2.6 StringEscapeUtils.escapeJavaScript,
// java.net.URLEncoder/URLDecoder and java.util.Base64 produce for the same Java strings.

func TestEscapeJavaScript(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text 123", "plain text 123"},
		{`He didn't say, "Stop!"`, `He didn\'t say, \"Stop!\"`},
		{`a/b\c`, `a\/b\\c`},
		{"</script>", `<\/script>`},
		{"\b\f\n\r\t", `\b\f\n\r\t`},
		{"\x00\x01\x0b\x0e\x1f", `\u0000\u0001\u000B\u000E\u001F`},
		{"\x7f", "\x7f"}, // DEL is not escaped
		{" ~", " ~"},
		{"é", `\u00E9`},
		{"\u0080\u00ff", `\u0080\u00FF`},
		{"Ā", `\u0100`},
		{"ሴ", `\u1234`},
		{"\ufeff\uffff", `\uFEFF\uFFFF`},
		{"😀", `\uD83D\uDE00`},
		{"\U0010FFFF", `\uDBFF\uDFFF`},
		{"a😀b'", `a\uD83D\uDE00b\'`},
		// Invalid UTF-8 is read as Java reads bytes: one U+FFFD per malformed sequence.
		{"\xff", `\uFFFD`},
		{"a\xe2\x82b", `a\uFFFDb`},
		{"\xed\xa0\x80", `\uFFFD`},
		{"\xc0\x80", `\uFFFD\uFFFD`},
		{"\xf0\x9f\x98", `\uFFFD`},
	}
	for _, tt := range tests {
		if got := EscapeJavaScript(tt.in); got != tt.want {
			t.Errorf("EscapeJavaScript(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestURLEncode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"abcXYZ019.-*_", "abcXYZ019.-*_"},
		{"a b", "a+b"},
		{"~!'()", "%7E%21%27%28%29"},
		{"/?=&#+%:@", "%2F%3F%3D%26%23%2B%25%3A%40"},
		{"\x00\n\x7f", "%00%0A%7F"},
		{"é", "%C3%A9"},
		{"€ 5", "%E2%82%AC+5"},
		{"😀", "%F0%9F%98%80"},
		{"\xff", "%EF%BF%BD"}, // Java never sees the raw byte, only U+FFFD
		{"a\xe2\x82b", "a%EF%BF%BDb"},
	}
	for _, tt := range tests {
		if got := URLEncode(tt.in); got != tt.want {
			t.Errorf("URLEncode(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestURLDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      string // substring of the error; empty for none
	}{
		{in: "", want: ""},
		{in: "plain", want: "plain"},
		{in: "a+b%20c", want: "a b c"},
		{in: "%2B+%2b", want: "+ +"},
		{in: "%C3%A9", want: "é"},
		{in: "%c3%a9", want: "é"},
		{in: "%E2%82%AC", want: "€"},
		{in: "%F0%9F%98%80", want: "😀"},
		{in: "é~*", want: "é~*"}, // literal chars pass through
		{in: "100%25", want: "100%"},
		{in: "%FF", want: "\uFFFD"},
		{in: "%E2%82", want: "\uFFFD"},
		{in: "%E2%82%41", want: "\uFFFDA"},
		{in: "%E2%82x", want: "\uFFFDx"},
		{in: "%ED%A0%80", want: "\uFFFD"},
		{in: "%C0%80", want: "\uFFFD\uFFFD"},
		{in: "%F4%90%80%80", want: "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{in: "%E2%82" + "%AC", want: "€"},          // one run of escapes decodes together
		{in: "%E2%82+%AC", want: "\uFFFD \uFFFD"},  // two runs do not
		{in: "a\xffb", want: "a\uFFFDb"},           // raw invalid UTF-8, as Java would hold it
		{in: "%+5", want: "\x05"},                  // Integer.parseInt("+5", 16)
		{in: "%-0", want: "\x00"},                  // Integer.parseInt("-0", 16)
		{in: "%-5", err: "illegal hex characters"}, // negative
		{in: "%", err: "incomplete trailing escape"},
		{in: "%4", err: "incomplete trailing escape"},
		{in: "100%", err: "incomplete trailing escape"},
		{in: "%41%4", err: "incomplete trailing escape"},
		{in: "%4G", err: "illegal hex characters"},
		{in: "%G1", err: "illegal hex characters"},
		{in: "%%41", err: "illegal hex characters"},
		{in: "%é", err: "illegal hex characters"},
		{in: "%++5", err: "illegal hex characters"},
	}
	for _, tt := range tests {
		got, err := URLDecode(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("URLDecode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("URLDecode(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
		}
	}
}

func TestBase64Encode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"f", "Zg=="},
		{"fo", "Zm8="},
		{"foo", "Zm9v"},
		{"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
		{"é", "w6k="},
		{"\x00\xef\xbf\xbf", "AO+/vw=="}, // U+FFFF: uses + and /
		{"\xff", "77+9"},                 // U+FFFD's bytes, as Java holds it
	}
	for _, tt := range tests {
		if got := Base64Encode(tt.in); got != tt.want {
			t.Errorf("Base64Encode(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestBase64Decode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      string
	}{
		{in: "", want: ""},
		{in: "Zg==", want: "f"},
		{in: "Zm8=", want: "fo"},
		{in: "Zm9v", want: "foo"},
		{in: "Zm9vYmFy", want: "foobar"},
		{in: "Zg", want: "f"},   // padding may be left out
		{in: "Zm8", want: "fo"}, // padding may be left out
		{in: "QR==", want: "A"}, // unused bits need not be zero
		{in: "w6k=", want: "é"},
		{in: "AO+/vw==", want: "\x00\uffff"},
		{in: "/w==", want: "\uFFFD"}, // byte FF read as UTF-8
		{in: "7aCA", want: "\uFFFD"}, // ED A0 80, an encoded surrogate
		{in: "Z", err: "not have enough valid bits"},
		{in: "Zm9vY", err: "not have enough valid bits"},
		{in: "Z===", err: "not have enough valid bits"},
		{in: "Zg=", err: "wrong 4-byte ending unit"},
		{in: "Zg=x", err: "wrong 4-byte ending unit"},
		{in: "=", err: "wrong 4-byte ending unit"},
		{in: "Zm9v=", err: "wrong 4-byte ending unit"},
		{in: "Zg===", err: `unexpected '='`},
		{in: "Zg==Zg==", err: `unexpected 'Z'`},
		{in: "Zm8=x", err: `unexpected 'x'`},
		{in: "Zm9v\n", err: "illegal base64 character"},
		{in: "Zm 9v", err: "illegal base64 character"},
		{in: "Zm9v-_", err: "illegal base64 character"},
		{in: "Zm9v\xc3\xa9", err: "illegal base64 character"},
	}
	for _, tt := range tests {
		got, err := Base64Decode(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("Base64Decode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Base64Decode(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
		}
	}
}

func TestJavaString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ok é 😀", "ok é 😀"},
		{"\x80", "\uFFFD"},
		{"\xc2", "\uFFFD"},
		{"\xc2A", "\uFFFDA"},
		{"\xe0\x80\x80", "\uFFFD\uFFFD\uFFFD"}, // overlong: E0 needs A0..BF next
		{"\xe0\xa0", "\uFFFD"},
		{"\xf0\x80", "\uFFFD\uFFFD"},
		{"\xf0\x90\x80", "\uFFFD"},
		{"\xf0\x90\x80A", "\uFFFDA"},
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // beyond U+10FFFF
		{"\xf5\x80", "\uFFFD\uFFFD"},
		{"\xed\x9f\xbf", "\ud7ff"},
		{"\xed\xbf\xbf", "\uFFFD"},
		{"\xed\xa0A", "\uFFFDA"},
	}
	for _, tt := range tests {
		if got := javaString(tt.in); got != tt.want {
			t.Errorf("javaString(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestUtilAllocations(t *testing.T) {
	tests := []struct {
		name string
		f    func()
		want float64
	}{
		{"EscapeJavaScript(clean)", func() { _ = EscapeJavaScript("nothing to escape here") }, 0},
		{"EscapeJavaScript(quotes)", func() { _ = EscapeJavaScript(`say "hi" / 'bye'`) }, 1},
		{"URLEncode(clean)", func() { _ = URLEncode("abc.def") }, 0},
		{"URLEncode", func() { _ = URLEncode("a b/c?é") }, 1},
		{"URLDecode(clean)", func() { _, _ = URLDecode("abc") }, 0},
		{"URLDecode", func() { _, _ = URLDecode("a+b%2Fc%C3%A9") }, 1},
		{"Base64Encode", func() { _ = Base64Encode("hello world") }, 1},
		{"Base64Decode", func() { _, _ = Base64Decode("aGVsbG8gd29ybGQ=") }, 1},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.f); got > tt.want {
			t.Errorf("%s allocates %v times; want at most %v", tt.name, got, tt.want)
		}
	}
}

// FuzzURLDecode checks that URLDecode never panics, returns valid UTF-8, and undoes URLEncode
// for any string (as Java holds it).
func FuzzURLDecode(f *testing.F) {
	for _, s := range []string{"", "a b", "%C3%A9", "%+5", "%", "é😀", "\xff\xed\xa0\x80", "~!*'()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := URLDecode(s); err == nil && !utf8.ValidString(got) {
			t.Fatalf("URLDecode(%q) = %q; want valid UTF-8", s, got)
		}
		enc := URLEncode(s)
		got, err := URLDecode(enc)
		if err != nil || got != javaString(s) {
			t.Fatalf("URLDecode(URLEncode(%q)) = %q, %v; want %q", s, got, err, javaString(s))
		}
	})
}

// FuzzBase64Decode checks that Base64Decode never panics, undoes Base64Encode, and agrees with
// encoding/base64 on whatever it accepts.
func FuzzBase64Decode(f *testing.F) {
	for _, s := range []string{"", "Zg==", "Zg", "QR==", "Z", "Zg=", "Zm9v\n", "é😀", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := Base64Decode(s); err == nil {
			if !utf8.ValidString(got) {
				t.Fatalf("Base64Decode(%q) = %q; want valid UTF-8", s, got)
			}
			ref, rerr := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
			if rerr != nil || javaString(string(ref)) != got {
				t.Fatalf("Base64Decode(%q) = %q; encoding/base64 gives %q, %v", s, got, ref, rerr)
			}
		}
		enc := Base64Encode(s)
		got, err := Base64Decode(enc)
		if err != nil || got != javaString(s) {
			t.Fatalf("Base64Decode(Base64Encode(%q)) = %q, %v; want %q", s, got, err, javaString(s))
		}
	})
}
