package sigv4

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Profile is one profile of an AWS shared-credentials file that holds keys.
type Profile struct {
	Name                                       string
	Line                                       int // of its [name] header
	KeyLine                                    int // of its aws_access_key_id
	AccessKeyID, SecretAccessKey, SessionToken string
}

// ParseProfiles reads an AWS shared-credentials file (~/.aws/credentials) and returns, in
// file order, every profile that holds keys:
//
//	# comment            ; comment
//	[default]
//	aws_access_key_id = AKIAIOSFODNN7EXAMPLE
//	aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
//	aws_session_token = optional, for temporary keys
//
// Key names are case-insensitive; other keys (region, ...) and indented sub-settings
// ("s3 =" followed by indented lines) are ignored. A '#' or ';' after whitespace starts an
// inline comment (AWS secrets never contain either). A profile with no key is skipped (it
// may configure a role); every other problem is reported with its line number, all at
// once: a profile with only one half of a key pair, a repeated profile or key, a key
// outside a profile, a line that is none of these, and a file with no complete pair.
func ParseProfiles(r io.Reader) ([]Profile, error) {
	profiles, problems, err := parseProfiles(r)
	if err != nil {
		return nil, err
	}
	if err := joinProblems(problems); err != nil {
		return nil, err
	}
	return profiles, nil
}

// parseProfiles is ParseProfiles returning its problems for the caller to add to.
func parseProfiles(r io.Reader) ([]Profile, []lineError, error) {
	type profile struct {
		Profile
		lines map[string]int // key → line it was set on
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
			cur = &profile{Profile: Profile{Name: name, Line: n}, lines: map[string]int{}}
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
		var dst *string
		switch key {
		case "aws_access_key_id":
			dst = &cur.AccessKeyID
			cur.KeyLine = n
		case "aws_secret_access_key":
			dst = &cur.SecretAccessKey
		case "aws_session_token":
			dst = &cur.SessionToken
		default:
			continue
		}
		if first, dup := cur.lines[key]; dup {
			problem(n, "profile %q: %s repeated (first at line %d)", cur.Name, key, first)
		}
		cur.lines[key] = n
		*dst = value
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("parse credentials file: %w", err)
	}

	var out []Profile
	for _, p := range profiles {
		_, hasKey := p.lines["aws_access_key_id"]
		_, hasSecret := p.lines["aws_secret_access_key"]
		switch {
		case !hasKey && !hasSecret:
			continue
		case p.AccessKeyID == "":
			problem(p.Line, "profile %q: missing aws_access_key_id", p.Name)
			continue
		case p.SecretAccessKey == "":
			problem(p.Line, "profile %q: missing aws_secret_access_key", p.Name)
			continue
		}
		out = append(out, p.Profile)
	}
	if len(out) == 0 && len(problems) == 0 {
		return nil, nil, errors.New("parse credentials file: no profile has both aws_access_key_id and aws_secret_access_key")
	}
	return out, problems, nil
}

// ParseCredentialsFile reads an AWS shared-credentials file (see ParseProfiles) and returns
// access key id → secret access key for every profile with keys; one key id with two
// secrets is a problem too.
func ParseCredentialsFile(r io.Reader) (map[string]string, error) {
	profiles, problems, err := parseProfiles(r)
	if err != nil {
		return nil, err
	}
	creds := map[string]string{}
	from := map[string]string{} // key id → profile it came from
	for _, p := range profiles {
		if prev, dup := creds[p.AccessKeyID]; dup && prev != p.SecretAccessKey {
			problems = append(problems, lineError{p.KeyLine, fmt.Sprintf("profile %q: access key id %s has another secret in profile %q", p.Name, p.AccessKeyID, from[p.AccessKeyID])})
			continue
		}
		creds[p.AccessKeyID], from[p.AccessKeyID] = p.SecretAccessKey, p.Name
	}
	if err := joinProblems(problems); err != nil {
		return nil, err
	}
	return creds, nil
}

// joinProblems reports problems in line order as one error; nil when there are none.
func joinProblems(problems []lineError) error {
	if len(problems) == 0 {
		return nil
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].line < problems[j].line })
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p
	}
	return fmt.Errorf("parse credentials file: %w", errors.Join(errs...))
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
