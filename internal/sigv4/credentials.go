package sigv4

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ParseCredentialsFile reads an AWS shared-credentials file
// (~/.aws/credentials) and returns access key id → secret access key for
// every profile that has both:
//
//	# comment            ; comment
//	[default]
//	aws_access_key_id = AKIAIOSFODNN7EXAMPLE
//	aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
//
// Key names are case-insensitive; other keys (aws_session_token, region, ...)
// and indented sub-settings ("s3 =" followed by indented lines) are ignored.
// A '#' or ';' after whitespace starts an inline comment (AWS secrets never
// contain either). A profile with neither key is skipped (it may configure a
// role); every other problem is reported with its line number, all at once:
// a profile with only one half, a repeated profile or key, a key outside a
// profile, a line that is none of these, one key id with two secrets, and a
// file with no complete pair.
func ParseCredentialsFile(r io.Reader) (map[string]string, error) {
	type profile struct {
		name             string
		line             int
		keyID, secret    string
		keyLine, secLine int
	}
	var (
		profiles []*profile
		seen     = map[string]int{} // profile name → line
		cur      *profile
		nested   bool // the previous key had an empty value: indented lines belong to it
		problems []lineError
	)
	problem := func(line int, format string, args ...any) {
		problems = append(problems, lineError{line, fmt.Sprintf(format, args...)})
	}

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		if n == 1 {
			raw = strings.TrimPrefix(raw, "\ufeff") // UTF-8 byte order mark
		}
		line := strings.TrimSpace(stripComment(raw))
		if line == "" {
			continue
		}
		indented := raw[0] == ' ' || raw[0] == '\t'
		if indented && nested {
			continue
		}
		nested = false

		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				problem(n, "malformed profile header %q", line)
				cur = nil
				continue
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if name == "" {
				problem(n, "empty profile name")
				cur = nil
				continue
			}
			if first, dup := seen[name]; dup {
				problem(n, "profile %q repeated (first at line %d)", name, first)
			} else {
				seen[name] = n
			}
			cur = &profile{name: name, line: n}
			profiles = append(profiles, cur)
			continue
		}

		key, value, ok := strings.Cut(line, "=")
		if !ok {
			problem(n, "expected [profile] or key = value, got %q", line)
			continue
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		if cur == nil {
			problem(n, "%s outside a profile", key)
			continue
		}
		if value == "" {
			nested = true
		}
		switch key {
		case "aws_access_key_id":
			if cur.keyLine != 0 {
				problem(n, "profile %q: aws_access_key_id repeated (first at line %d)", cur.name, cur.keyLine)
			}
			cur.keyID, cur.keyLine = value, n
		case "aws_secret_access_key":
			if cur.secLine != 0 {
				problem(n, "profile %q: aws_secret_access_key repeated (first at line %d)", cur.name, cur.secLine)
			}
			cur.secret, cur.secLine = value, n
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse credentials file: %w", err)
	}

	creds := map[string]string{}
	from := map[string]string{} // key id → profile it came from
	for _, p := range profiles {
		switch {
		case p.keyLine == 0 && p.secLine == 0:
			continue
		case p.keyID == "":
			problem(p.line, "profile %q: missing aws_access_key_id", p.name)
			continue
		case p.secret == "":
			problem(p.line, "profile %q: missing aws_secret_access_key", p.name)
			continue
		}
		if prev, dup := creds[p.keyID]; dup && prev != p.secret {
			problem(p.keyLine, "profile %q: access key id %s has another secret in profile %q", p.name, p.keyID, from[p.keyID])
			continue
		}
		creds[p.keyID], from[p.keyID] = p.secret, p.name
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].line < problems[j].line })
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = p
		}
		return nil, fmt.Errorf("parse credentials file: %w", errors.Join(errs...))
	}
	if len(creds) == 0 {
		return nil, errors.New("parse credentials file: no profile has both aws_access_key_id and aws_secret_access_key")
	}
	return creds, nil
}

// lineError is one problem in a credentials file.
type lineError struct {
	line int
	msg  string
}

func (e lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// stripComment cuts a line at a comment: a '#' or ';' that starts the line
// (after indentation) or follows whitespace.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] != '#' && line[i] != ';' {
			continue
		}
		if strings.TrimSpace(line[:i]) == "" || line[i-1] == ' ' || line[i-1] == '\t' {
			return line[:i]
		}
	}
	return line
}
