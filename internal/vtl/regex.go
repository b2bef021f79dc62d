package vtl

import (
	"regexp"
	"strings"
	"sync"
)

// Java's regular expressions (String.replaceAll, replaceFirst, matches, split) run on Go's
// RE2 engine. The syntax both share passes through; compileJavaRegexp translates the Java
// spellings templates use that RE2 spells differently: POSIX classes \p{Alpha} ([[:alpha:]]),
// \p{javaLowerCase}, \p{IsAlphabetic}, possessive quantifiers (a++ runs as a+), \e and \Z.
// Lookaround and backreferences have no RE2 equivalent: such a pattern is an error when the
// method runs, as an invalid pattern is in Java (PatternSyntaxException).

var posixClasses = map[string]string{
	"Lower": "lower", "Upper": "upper", "ASCII": "ascii", "Alpha": "alpha", "Digit": "digit",
	"Alnum": "alnum", "Punct": "punct", "Graph": "graph", "Print": "print", "Blank": "blank",
	"Cntrl": "cntrl", "XDigit": "xdigit", "Space": "space",
}

var javaUnicodeClasses = map[string]string{
	"javaLowerCase": "Ll", "javaUpperCase": "Lu", "javaWhitespace": "Z", "IsAlphabetic": "L",
	"IsLetter": "L", "IsDigit": "Nd", "IsUppercase": "Lu", "IsLowercase": "Ll", "IsWhite_Space": "Z",
	"IsPunctuation": "P", "IsLatin": "Latin", "IsGreek": "Greek", "IsCyrillic": "Cyrillic",
	"IsHan": "Han",
}

// translateJavaRegexp rewrites Java-only syntax into RE2 syntax.
func translateJavaRegexp(p string) string {
	if !strings.ContainsAny(p, `\+`) {
		return p
	}
	var b strings.Builder
	inClass := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			e := p[i+1]
			if (e == 'p' || e == 'P') && i+2 < len(p) && p[i+2] == '{' {
				end := strings.IndexByte(p[i+3:], '}')
				if end >= 0 {
					name := p[i+3 : i+3+end]
					if posix, ok := posixClasses[name]; ok {
						neg := ""
						if e == 'P' {
							neg = "^"
						}
						if inClass > 0 {
							b.WriteString("[:" + neg + posix + ":]")
						} else {
							b.WriteString("[[:" + neg + posix + ":]]")
						}
						i += 3 + end
						continue
					}
					if u, ok := javaUnicodeClasses[name]; ok {
						b.WriteString(`\` + string(e) + "{" + u + "}")
						i += 3 + end
						continue
					}
					name = strings.TrimPrefix(name, "Is")
					b.WriteString(`\` + string(e) + "{" + name + "}")
					i += 3 + end
					continue
				}
			}
			switch e {
			case 'e':
				b.WriteString(`\x1b`)
			case 'Z':
				b.WriteString(`(?:\n?\z)`)
			case 'Q':
				// \Q...\E quotes literally; copy it whole so nothing inside is rewritten.
				end := strings.Index(p[i+2:], `\E`)
				if end < 0 {
					b.WriteString(p[i:])
					return b.String()
				}
				b.WriteString(p[i : i+2+end+2])
				i += 2 + end + 1
				continue
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			i++
		case c == '[':
			inClass++
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is a literal member.
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == ']' && inClass > 0:
			inClass--
			b.WriteByte(c)
		case c == '+' && inClass == 0 && i > 0 && strings.IndexByte("*+?}", p[i-1]) >= 0 && (i < 2 || p[i-2] != '\\'):
			// Possessive quantifier: RE2 has none; run it greedy.
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// compileJavaRegexp compiles a Java pattern; anchored patterns must match the whole input
// (String.matches).
func compileJavaRegexp(pattern string, anchored bool) (*regexp.Regexp, error) {
	expr := translateJavaRegexp(pattern)
	if anchored {
		expr = `\A(?:` + expr + `)\z`
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, javaException("util.regex.PatternSyntaxException", "%v", err)
	}
	return re, nil
}

// regexpCacheSize bounds the per-template cache of patterns that are not constants.
const regexpCacheSize = 64

type regexpResult struct {
	re  *regexp.Regexp
	err error
}

// regexpCache holds patterns computed at render time ($s.split($sep)); constant patterns
// are compiled at parse time instead. It is cleared when full.
type regexpCache struct {
	mu sync.Mutex
	m  map[string]regexpResult
}

func (c *regexpCache) get(pattern string, anchored bool) (*regexp.Regexp, error) {
	key := pattern
	if anchored {
		key = "\x00" + pattern // not a valid start of a pattern text in practice
	}
	c.mu.Lock()
	r, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return r.re, r.err
	}
	// The pattern may be a string of a reused Arena: keep a copy of our own.
	pattern = strings.Clone(pattern)
	key = strings.Clone(key)
	re, err := compileJavaRegexp(pattern, anchored)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= regexpCacheSize {
		c.m = make(map[string]regexpResult)
	}
	c.m[key] = regexpResult{re, err}
	c.mu.Unlock()
	return re, err
}

// replPart is a piece of a Java replacement string: literal text or a group reference.
type replPart struct {
	lit   string
	group int // -1 for literal text
}

// parseJavaReplacement reads a java.util.regex.Matcher replacement: $n and ${name} refer
// to groups (the longest group number that exists), \x is a literal x.
func parseJavaReplacement(repl string, re *regexp.Regexp) ([]replPart, error) {
	if !strings.ContainsAny(repl, `$\`) {
		return []replPart{{lit: repl, group: -1}}, nil
	}
	var parts []replPart
	var lit []byte
	ngroups := re.NumSubexp()
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i >= len(repl) {
				return nil, javaException("IllegalArgumentException", "character to be escaped is missing")
			}
			lit = append(lit, repl[i])
		case '$':
			i++
			if i >= len(repl) {
				return nil, javaException("IllegalArgumentException", "Illegal group reference: group index is missing")
			}
			g := -1
			if repl[i] == '{' {
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return nil, javaException("IllegalArgumentException", "named capturing group is missing trailing '}'")
				}
				name := repl[i+1 : i+end]
				g = re.SubexpIndex(name)
				if g < 0 {
					return nil, javaException("IllegalArgumentException", "No group with name {%s}", name)
				}
				i += end
			} else if repl[i] >= '0' && repl[i] <= '9' {
				g = int(repl[i] - '0')
				if g > ngroups {
					return nil, javaException("IndexOutOfBoundsException", "No group %d", g)
				}
				for i+1 < len(repl) && repl[i+1] >= '0' && repl[i+1] <= '9' {
					ng := g*10 + int(repl[i+1]-'0')
					if ng > ngroups {
						break
					}
					g = ng
					i++
				}
			} else {
				return nil, javaException("IllegalArgumentException", "Illegal group reference")
			}
			if len(lit) > 0 {
				parts = append(parts, replPart{lit: string(lit), group: -1})
				lit = lit[:0]
			}
			parts = append(parts, replPart{group: g})
		default:
			lit = append(lit, c)
		}
	}
	if len(lit) > 0 {
		parts = append(parts, replPart{lit: string(lit), group: -1})
	}
	return parts, nil
}

// javaReplace replaces the first match (all=false) or every match of re in s, as Java's
// replaceFirst/replaceAll. maxLen bounds the result and maxMatches the matches (each is an
// evaluation step); ok is false past either.
func javaReplace(s string, re *regexp.Regexp, repl string, all bool, maxLen, maxMatches int) (out string, matched int, ok bool, err error) {
	parts, err := parseJavaReplacement(repl, re)
	if err != nil {
		return "", 0, true, err
	}
	n := maxMatches + 1
	if !all {
		n = 1
	}
	matches := re.FindAllStringSubmatchIndex(s, n)
	if len(matches) > maxMatches {
		return "", len(matches), false, nil
	}
	if len(matches) == 0 {
		return s, 0, true, nil
	}
	var b []byte
	last := 0
	for _, m := range matches {
		b = append(b, s[last:m[0]]...)
		for _, part := range parts {
			if part.group < 0 {
				b = append(b, part.lit...)
			} else if m[2*part.group] >= 0 {
				b = append(b, s[m[2*part.group]:m[2*part.group+1]]...)
			}
		}
		last = m[1]
		if len(b) > maxLen {
			return "", len(matches), false, nil
		}
	}
	b = append(b, s[last:]...)
	if len(b) > maxLen {
		return "", len(matches), false, nil
	}
	return string(b), len(matches), true, nil
}

// javaSplit is String.split(regex, limit): a zero-width match at the start yields no
// leading empty string; limit 0 drops trailing empty strings; limit > 0 caps the count.
// At most maxMatches matches are used; ok is false when there are more.
func javaSplit(s string, re *regexp.Regexp, limit, maxMatches int) (parts []any, ok bool) {
	if s == "" {
		return []any{""}, true
	}
	matches := re.FindAllStringIndex(s, maxMatches+1)
	if len(matches) > maxMatches {
		return nil, false
	}
	var out []any
	last := 0
	for _, m := range matches {
		if m[1] == 0 {
			continue // zero-width match at the beginning
		}
		if limit > 0 && len(out) == limit-1 {
			break
		}
		out = append(out, s[last:m[0]])
		last = m[1]
	}
	if len(out) == 0 {
		return []any{s}, true
	}
	out = append(out, s[last:])
	if limit == 0 {
		for len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
	}
	return out, true
}
