package mapping

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The $util functions of API Gateway mapping templates, as pure functions. AWS runs them on
// Java strings (UTF-16, decoded from UTF-8 with malformed bytes replaced by U+FFFD), so a Go
// string that is not valid UTF-8 is first read the way Java's UTF-8 decoder reads bytes: each
// malformed sequence becomes one U+FFFD (see javaRune). Valid input is never copied for that.

// EscapeJavaScript is $util.escapeJavaScript: Apache Commons Lang 2.x
// StringEscapeUtils.escapeJavaScript (escapeJavaStyleString with escapeSingleQuote and
// escapeForwardSlash, Lang 2.4+). ' becomes \' (invalid in JSON; AWS's docs suggest
// .replaceAll("\\'","'")), " becomes \", \ becomes \\, / becomes \/; \b \f \n \r \t are
// escaped by name, other chars below 0x20 and every char above 0x7F (DEL stays raw) as \uXXXX
// with upper-case hex, and a char beyond U+FFFF as its two UTF-16 surrogates
// ("😀" becomes \uD83D\uDE00). Commons Lang 3's escapeEcmaScript gives the same output.
func EscapeJavaScript(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < 0x20 || c > 0x7F || c == '\'' || c == '"' || c == '\\' || c == '/' {
			break
		}
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/4 + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := javaRune(s, i)
		i += size
		switch {
		case r == '\'' || r == '"' || r == '\\' || r == '/':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || (r > 0x7F && r <= 0xFFFF):
			writeUEscape(&b, r)
		case r > 0xFFFF:
			r -= 0x10000
			writeUEscape(&b, 0xD800+(r>>10))
			writeUEscape(&b, 0xDC00+(r&0x3FF))
		default:
			b.WriteByte(byte(r))
		}
	}
	return b.String()
}

const upperHexDigits = "0123456789ABCDEF"

func writeUEscape(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	b.WriteByte(upperHexDigits[r>>12&0xF])
	b.WriteByte(upperHexDigits[r>>8&0xF])
	b.WriteByte(upperHexDigits[r>>4&0xF])
	b.WriteByte(upperHexDigits[r&0xF])
}

// URLEncode is $util.urlEncode: java.net.URLEncoder.encode(s, "UTF-8"). ASCII letters, digits
// and . - * _ stay, a space becomes '+', and every other byte of the UTF-8 encoding becomes
// %XX with upper-case hex (so ~ is %7E, unlike RFC 3986 encoders).
func URLEncode(s string) string {
	i := 0
	for i < len(s) && urlEncodeSafe(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*(len(s)-i) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		switch {
		case urlEncodeSafe(c):
			b.WriteByte(c)
			i++
		case c == ' ':
			b.WriteByte('+')
			i++
		case c < utf8.RuneSelf:
			writePercentByte(&b, c)
			i++
		default:
			r, size := javaRune(s, i)
			var buf [utf8.UTFMax]byte
			for _, e := range buf[:utf8.EncodeRune(buf[:], r)] {
				writePercentByte(&b, e)
			}
			i += size
		}
	}
	return b.String()
}

func urlEncodeSafe(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '-' || c == '*' || c == '_'
}

func writePercentByte(b *strings.Builder, c byte) {
	b.WriteByte('%')
	b.WriteByte(upperHexDigits[c>>4])
	b.WriteByte(upperHexDigits[c&0xF])
}

// URLDecode is $util.urlDecode: java.net.URLDecoder.decode(s, "UTF-8"). '+' becomes a space
// and each run of %XX escapes is decoded as UTF-8 (malformed bytes become U+FFFD, as
// new String(bytes, UTF_8) does). A '%' without two hex digits after it is an error, where
// Java throws IllegalArgumentException. Like Java's Integer.parseInt(.., 16), the two chars
// may be a sign and one hex digit: "%+5" is byte 5 and "%-0" byte 0, while "%-5" is an error
// (negative). Java would also take non-ASCII Unicode digits as hex digits; those are errors
// here.
func URLDecode(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 && utf8.ValidString(s) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	var buf [64]byte
	run := buf[:0] // the bytes of one run of %XX escapes
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '+':
			b.WriteByte(' ')
			i++
		case '%':
			run = run[:0]
			for i+2 < len(s) && s[i] == '%' {
				v, ok := parsePercentEscape(s[i+1], s[i+2])
				if !ok {
					return "", fmt.Errorf("urldecode: illegal hex characters in escape (%%) pattern %q at offset %d", s[i:i+3], i)
				}
				run = append(run, v)
				i += 3
			}
			if i < len(s) && s[i] == '%' {
				return "", fmt.Errorf("urldecode: incomplete trailing escape (%%) pattern at offset %d", i)
			}
			writeJavaString(&b, run)
		default:
			if c < utf8.RuneSelf {
				b.WriteByte(c)
				i++
				continue
			}
			r, size := javaRune(s, i)
			b.WriteRune(r)
			i += size
		}
	}
	return b.String(), nil
}

// parsePercentEscape reads the two chars after '%' as Java's Integer.parseInt(.., 16) does, and
// rejects a negative value as URLDecoder does.
func parsePercentEscape(c1, c2 byte) (byte, bool) {
	d2, ok := percentHexDigit(c2)
	if !ok {
		return 0, false
	}
	switch c1 {
	case '+':
		return d2, true
	case '-':
		return 0, d2 == 0
	}
	d1, ok := percentHexDigit(c1)
	if !ok {
		return 0, false
	}
	return d1<<4 | d2, true
}

func percentHexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Base64Encode is $util.base64Encode: the UTF-8 bytes of s in standard base64 with padding
// (java.util.Base64.getEncoder(), the same as base64.StdEncoding).
func Base64Encode(s string) string {
	return base64.StdEncoding.EncodeToString([]byte(javaString(s)))
}

// Base64Decode is $util.base64Decode: java.util.Base64.getDecoder().decode(s) read as UTF-8
// (malformed bytes become U+FFFD). AWS does not publish its implementation; this follows the
// JDK's basic decoder, which the open-source emulators use too. It is lenient only where the
// JDK is: padding may be left out ("Zg" is "f") and unused trailing bits need not be zero
// ("QR==" is "A"). It is strict elsewhere, each an error: a char outside A-Z a-z 0-9 + /
// (including blanks, line breaks and the URL-safe - _), wrong padding ("Zg=", "Zm9v="), a
// lone final char ("Z"), and anything after the padding.
func Base64Decode(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s) / 4 * 3)
	var bits uint32
	shift := 18 // where the next 6 bits go; 18, 12, 6 or 0
	i := 0
	for i < len(s) {
		c := s[i]
		i++
		v := base64DecodeValue(c)
		if v < 0 {
			if c != '=' {
				return "", fmt.Errorf("base64decode: illegal base64 character %q at offset %d", c, i-1)
			}
			// "=" at the start of a unit, or "xx=" not followed by a second "=".
			if shift == 18 || shift == 6 && (i == len(s) || s[i] != '=') {
				return "", fmt.Errorf("base64decode: wrong 4-byte ending unit at offset %d", i-1)
			}
			if shift == 6 {
				i++
			}
			break
		}
		bits |= uint32(v) << shift
		shift -= 6
		if shift < 0 {
			b.WriteByte(byte(bits >> 16))
			b.WriteByte(byte(bits >> 8))
			b.WriteByte(byte(bits))
			bits, shift = 0, 18
		}
	}
	switch shift {
	case 6:
		b.WriteByte(byte(bits >> 16))
	case 0:
		b.WriteByte(byte(bits >> 16))
		b.WriteByte(byte(bits >> 8))
	case 12:
		return "", fmt.Errorf("base64decode: last unit does not have enough valid bits")
	}
	if i < len(s) {
		return "", fmt.Errorf("base64decode: unexpected %q after the padding at offset %d", s[i], i)
	}
	return javaString(b.String()), nil
}

func base64DecodeValue(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// javaRune decodes the rune at s[i] as Java's UTF-8 decoder does: a valid sequence is its
// rune; a malformed one is U+FFFD with the length Java consumes for it, the "maximal subpart"
// of the Unicode standard, except that a complete three-byte encoding of a surrogate
// (ED A0..BF xx) is one U+FFFD rather than three.
func javaRune(s string, i int) (rune, int) {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r != utf8.RuneError || size > 1 {
		return r, size
	}
	return utf8.RuneError, malformedLen(s[i:])
}

// malformedLen is how many bytes of s, which starts with a malformed sequence, Java replaces
// with one U+FFFD.
func malformedLen(s string) int {
	lo, hi := byte(0x80), byte(0xBF)
	var n int
	switch b := s[0]; {
	case 0xC2 <= b && b <= 0xDF:
		n = 2
	case b == 0xE0:
		n, lo = 3, 0xA0
	case 0xE1 <= b && b <= 0xEF:
		n = 3 // including ED: Java decodes a surrogate's three bytes, then rejects them as one
	case b == 0xF0:
		n, lo = 4, 0x90
	case 0xF1 <= b && b <= 0xF3:
		n = 4
	case b == 0xF4:
		n, hi = 4, 0x8F
	default:
		return 1
	}
	if len(s) < 2 || s[1] < lo || s[1] > hi {
		return 1
	}
	i := 2
	for i < n && i < len(s) && s[i]&0xC0 == 0x80 {
		i++
	}
	return i
}

// javaString is s as a Java string decoded from its bytes would hold it, in UTF-8.
func javaString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	writeJavaString(&b, s)
	return b.String()
}

func writeJavaString[T string | []byte](b *strings.Builder, s T) {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			b.WriteByte(s[i])
			i++
			continue
		}
		r, size := javaRune(string(s[i:min(i+utf8.UTFMax, len(s))]), 0)
		b.WriteRune(r)
		i += size
	}
}
