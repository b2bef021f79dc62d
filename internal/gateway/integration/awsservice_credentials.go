package integration

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// AWSCredentials are the keys AWS service integrations sign with, read from an AWS
// shared-credentials file. An integration whose credentials is a role ARN signs with the
// profile named after that ARN; any other integration (another role, or none) with
// [default]:
//
//	[arn:aws:iam::123456789012:role/apigateway-sqs]
//	aws_access_key_id = AKIAIOSFODNN7EXAMPLE
//	aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
//
//	[default]
//	aws_access_key_id = AKIAI44QH8DHBEXAMPLE
//	aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
//	aws_session_token = optional, for temporary keys
//
// gatehouse does not call STS: the keys are used as they are, whatever role they stand for.
type AWSCredentials struct {
	profiles map[string]aws.Credentials
}

// Lookup returns the keys for an integration's credentials role ARN ("" when it has none):
// the profile named after it, else [default]; ok is false when neither exists. A nil
// *AWSCredentials has none.
func (c *AWSCredentials) Lookup(role string) (creds aws.Credentials, ok bool) {
	if c == nil {
		return aws.Credentials{}, false
	}
	if role != "" {
		if creds, ok = c.profiles[role]; ok {
			return creds, true
		}
	}
	creds, ok = c.profiles["default"]
	return creds, ok
}

// Profiles returns how many profiles have keys.
func (c *AWSCredentials) Profiles() int {
	if c == nil {
		return 0
	}
	return len(c.profiles)
}

// ParseAWSCredentials reads a shared-credentials file: [profile] headers, then
// aws_access_key_id, aws_secret_access_key and (optionally) aws_session_token; key names are
// case-insensitive, other keys are ignored, '#' and ';' start comments (at the start of a
// line, or after whitespace). A profile with no key at all is skipped (it may configure
// something else). Every problem is reported with its line number, all at once: a profile
// with only one half of a key pair, a repeated profile or key, a key outside a profile, a
// line that is none of these, and a file with no complete profile.
func ParseAWSCredentials(r io.Reader) (*AWSCredentials, error) {
	type profile struct {
		name  string
		line  int
		creds aws.Credentials
		lines map[string]int // key → line it was set on
	}
	var (
		profiles []*profile
		seen     = map[string]int{}
		cur      *profile
		problems []string
	)
	problem := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	nested := false // the previous key had no value: indented lines belong to it
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		if n == 1 {
			raw = strings.TrimPrefix(raw, "\ufeff")
		}
		line := strings.TrimSpace(cutComment(raw))
		if line == "" {
			continue
		}
		if indented := raw[0] == ' ' || raw[0] == '\t'; indented && nested {
			continue
		}
		nested = false
		if line[0] == '[' {
			if line[len(line)-1] != ']' || strings.TrimSpace(line[1:len(line)-1]) == "" {
				problem(n, "malformed profile header %q", line)
				cur = nil
				continue
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if first, dup := seen[name]; dup {
				problem(n, "profile %q repeated (first at line %d)", name, first)
			}
			seen[name] = n
			cur = &profile{name: name, line: n, lines: map[string]int{}}
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
		nested = value == ""
		var dst *string
		switch key {
		case "aws_access_key_id":
			dst = &cur.creds.AccessKeyID
		case "aws_secret_access_key":
			dst = &cur.creds.SecretAccessKey
		case "aws_session_token":
			dst = &cur.creds.SessionToken
		default:
			continue
		}
		if first, dup := cur.lines[key]; dup {
			problem(n, "profile %q: %s repeated (first at line %d)", cur.name, key, first)
		}
		cur.lines[key] = n
		*dst = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse AWS credentials: %w", err)
	}
	out := &AWSCredentials{profiles: map[string]aws.Credentials{}}
	for _, p := range profiles {
		switch {
		case len(p.lines) == 0:
			continue
		case p.creds.AccessKeyID == "":
			problem(p.line, "profile %q: missing aws_access_key_id", p.name)
		case p.creds.SecretAccessKey == "":
			problem(p.line, "profile %q: missing aws_secret_access_key", p.name)
		default:
			p.creds.Source = "gatehouse --aws-credentials [" + p.name + "]"
			out.profiles[p.name] = p.creds
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("parse AWS credentials: %s", strings.Join(problems, "; "))
	}
	if len(out.profiles) == 0 {
		return nil, errors.New("parse AWS credentials: no profile has both aws_access_key_id and aws_secret_access_key")
	}
	return out, nil
}

// cutComment cuts a line at a '#' or ';' that starts it (after indentation) or follows
// whitespace.
func cutComment(line string) string {
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
