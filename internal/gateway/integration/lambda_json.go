package integration

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The Lambda proxy path writes its events and reads its answers with the small JSON
// routines below rather than encoding/json: the event has a fixed shape written in AWS's
// key order with no reflection, and AWS's validation of the answer (exact key names, no
// unknown keys, statusCode as number or numeric string) is not what encoding/json's
// case-insensitive, lenient decoding does.

// scanner reads JSON from b.
type scanner struct {
	b []byte
	i int
}

// maxSkipDepth bounds the nesting skip follows.
const maxSkipDepth = 1000

var (
	errSyntax = errors.New("invalid JSON")
	errDepth  = errors.New("JSON nested too deeply")
)

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek is the next byte, 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) end() bool { return s.i >= len(s.b) }

// word reads the literal w (true, false, null).
func (s *scanner) word(w string) bool {
	if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return true
	}
	return false
}

// str reads a string and returns its decoded bytes: a view of the input when it has no
// escapes, else a new slice.
func (s *scanner) str() ([]byte, error) {
	if !s.eat('"') {
		return nil, errSyntax
	}
	start := s.i
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return validUTF8(s.b[start:j]), nil
		case c == '\\':
			return s.strEscaped(start, j)
		case c < 0x20:
			return nil, errSyntax
		}
	}
	return nil, errSyntax
}

// strEscaped decodes a string with escapes; b[start:j] has none, b[j] is the first '\'.
func (s *scanner) strEscaped(start, j int) ([]byte, error) {
	out := make([]byte, 0, j-start+16)
	out = append(out, s.b[start:j]...)
	for j < len(s.b) {
		c := s.b[j]
		switch {
		case c == '"':
			s.i = j + 1
			return validUTF8(out), nil
		case c < 0x20:
			return nil, errSyntax
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(s.b) {
			return nil, errSyntax
		}
		e := s.b[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s.b, j)
			if !ok {
				return nil, errSyntax
			}
			j += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if j+6 <= len(s.b) && s.b[j] == '\\' && s.b[j+1] == 'u' {
					r2, ok = hex4(s.b, j+2)
				}
				if ok {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						j += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, errSyntax
		}
	}
	return nil, errSyntax
}

// validUTF8 is b with each byte of an invalid UTF-8 sequence replaced by U+FFFD, as
// encoding/json reads strings; b itself when it is valid.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		out = utf8.AppendRune(out, r)
		i += size
	}
	return out
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a number and returns its text, and whether it is an integer (no fraction,
// no exponent).
func (s *scanner) number() (text []byte, integer bool, err error) {
	start := s.i
	s.eat('-')
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return nil, false, errSyntax
	}
	integer = true
	if s.eat('.') {
		integer = false
		if !s.digits() {
			return nil, false, errSyntax
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		integer = false
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return nil, false, errSyntax
		}
	}
	return s.b[start:s.i], integer, nil
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// skip reads any value.
func (s *scanner) skip(depth int) error {
	if depth > maxSkipDepth {
		return errDepth
	}
	switch c := s.peek(); {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{' || c == '[':
		s.i++
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		s.ws()
		if s.eat(closing) {
			return nil
		}
		for {
			s.ws()
			if c == '{' {
				if _, err := s.str(); err != nil {
					return err
				}
				s.ws()
				if !s.eat(':') {
					return errSyntax
				}
				s.ws()
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			s.ws()
			if s.eat(closing) {
				return nil
			}
			if !s.eat(',') {
				return errSyntax
			}
		}
	case c == 't':
		if s.word("true") {
			return nil
		}
	case c == 'f':
		if s.word("false") {
			return nil
		}
	case c == 'n':
		if s.word("null") {
			return nil
		}
	case c == '-' || '0' <= c && c <= '9':
		_, _, err := s.number()
		return err
	}
	return errSyntax
}

// atoiStatus parses a status code's digits: an optional sign and decimal digits, as Java's
// Integer.parseInt reads a numeric string.
func atoiStatus(b []byte) (int, bool) {
	n, err := strconv.Atoi(string(b))
	return n, err == nil
}
