package iampolicy

import "strings"

// Match reports whether s matches the IAM wildcard pattern: * is any run of characters
// (none too, across "/" and ":"), ? exactly one byte, everything else itself. With fold,
// ASCII letters match without regard to case (pattern and s both folded).
//
// It allocates nothing and never backtracks: the pattern is cut at its stars into segments,
// the first anchored at the start of s, the last at its end, and each one between found at
// its leftmost place after the one before (leftmost is always right for globs). The work is
// at most len(s) times the length of the longest segment.
func Match(pattern, s string, fold bool) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return len(pattern) == len(s) && segEqual(pattern, s, fold)
	}
	// Anchored head.
	head := pattern[:star]
	if len(head) > len(s) || !segEqual(head, s[:len(head)], fold) {
		return false
	}
	s = s[len(head):]
	pattern = pattern[star+1:]
	// Anchored tail: what follows the last star.
	last := strings.LastIndexByte(pattern, '*')
	tail := pattern[last+1:] // last == -1: the whole rest
	if len(tail) > len(s) || !segEqual(tail, s[len(s)-len(tail):], fold) {
		return false
	}
	s = s[:len(s)-len(tail)]
	if last < 0 {
		return true
	}
	// Middle segments, each found leftmost.
	pattern = pattern[:last]
	for pattern != "" {
		var seg string
		if i := strings.IndexByte(pattern, '*'); i >= 0 {
			seg, pattern = pattern[:i], pattern[i+1:]
		} else {
			seg, pattern = pattern, ""
		}
		if seg == "" {
			continue
		}
		at := segIndex(s, seg, fold)
		if at < 0 {
			return false
		}
		s = s[at+len(seg):]
	}
	return true
}

// segEqual compares a star-free segment with s of the same length: ? matches any byte.
func segEqual(seg, s string, fold bool) bool {
	if seg == s {
		return true // the common case, compared a word at a time
	}
	if !fold && strings.IndexByte(seg, '?') < 0 {
		return false
	}
	for i := 0; i < len(seg); i++ {
		c, d := seg[i], s[i]
		if c == d || c == '?' {
			continue
		}
		if fold && lower(c) == lower(d) {
			continue
		}
		return false
	}
	return true
}

// segIndex is the first index of a star-free segment in s, or -1.
func segIndex(s, seg string, fold bool) int {
	if !fold && strings.IndexByte(seg, '?') < 0 {
		return strings.Index(s, seg)
	}
	for i := 0; i+len(seg) <= len(s); i++ {
		if segEqual(seg, s[i:i+len(seg)], fold) {
			return i
		}
	}
	return -1
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasWildcard reports whether s has a * or ?.
func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }
