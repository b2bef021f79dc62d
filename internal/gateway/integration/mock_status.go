package integration

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// parseMockStatus reads the statusCode of a rendered MOCK request template such as
// {"statusCode": 200}. AWS does not require JSON there: it reads the template with a token
// reader that also takes unquoted or single-quoted keys, so the {statusCode: 200} that the
// CDK writes for its CORS preflight methods answers 200 (recorded against AWS by LocalStack,
// localstack/localstack#11967, test_integration_mock_with_path_param). A document that is
// JSON is read as JSON; anything else goes through looseMockStatus.
func parseMockStatus(text []byte) (int, error) {
	var v struct {
		StatusCode *json.Number `json:"statusCode"`
	}
	if err := json.Unmarshal(text, &v); err != nil {
		n, lerr := looseMockStatus(string(text))
		if lerr != nil {
			return 0, fmt.Errorf("parse mock request template: %w", err)
		}
		return mockStatusInRange(strconv.FormatInt(n, 10), n)
	}
	if v.StatusCode == nil {
		return 0, errors.New("parse mock request template: no statusCode")
	}
	n, err := v.StatusCode.Int64()
	if err != nil {
		return 0, fmt.Errorf("parse mock request template: bad statusCode %s", v.StatusCode.String())
	}
	return mockStatusInRange(v.StatusCode.String(), n)
}

func mockStatusInRange(text string, n int64) (int, error) {
	if !apigateway.IsStatusCode(n) {
		return 0, fmt.Errorf("parse mock request template: bad statusCode %s", text)
	}
	return int(n), nil
}

// looseMockStatus reads statusCode from an object written loosely: {statusCode: 200},
// {'statusCode': 200}, {"statusCode": 200, other: 'x'}. Members are split at the commas
// outside quotes and brackets; each is key ':' value, the key bare or quoted (the quotes must
// match), the statusCode's value a bare integer.
func looseMockStatus(s string) (int64, error) {
	s = strings.TrimSpace(s)
	inner, ok := strings.CutPrefix(s, "{")
	if !ok {
		return 0, errors.New("not an object")
	}
	if inner, ok = strings.CutSuffix(inner, "}"); !ok {
		return 0, errors.New("not an object")
	}
	for _, member := range splitTopLevel(inner) {
		key, value, ok := cutTopLevel(member, ':')
		if !ok {
			if strings.TrimSpace(member) == "" {
				continue // {} or a trailing comma
			}
			return 0, fmt.Errorf("member %q has no value", member)
		}
		key = strings.TrimSpace(key)
		if key == "" || strings.ContainsAny(key[:1], "{[") {
			return 0, fmt.Errorf("bad key %q", key)
		}
		if q := key[0]; q == '"' || q == '\'' {
			if len(key) < 2 || key[len(key)-1] != q {
				return 0, fmt.Errorf("bad key %q", key)
			}
			key = key[1 : len(key)-1]
		}
		if key != "statusCode" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bad statusCode %q", strings.TrimSpace(value))
		}
		return n, nil
	}
	return 0, errors.New("no statusCode")
}

// splitTopLevel splits s at the commas outside quotes and brackets.
func splitTopLevel(s string) []string {
	var out []string
	for {
		before, after, ok := cutTopLevel(s, ',')
		out = append(out, before)
		if !ok {
			return out
		}
		s = after
	}
}

// cutTopLevel cuts s around the first sep outside quotes ('...' or "...", with backslash
// escapes) and brackets ({} and []).
func cutTopLevel(s string, sep byte) (before, after string, found bool) {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == sep && depth == 0:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
