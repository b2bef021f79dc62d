package jwtauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// claims are the parts of a token's payload the authorizer decides on, and every claim as
// API Gateway shows it to templates and Lambda proxy events.
type claims struct {
	Issuer   string
	TokenUse string // "id" or "access" for Cognito's tokens
	ClientID string // access tokens
	Audience []string
	Scopes   []string // the space-separated scope claim, split
	// Expires and NotBefore are zero when the token has none.
	Expires, NotBefore time.Time
	// All are every claim in the payload's order, rendered as API Gateway renders them
	// (renderClaim).
	All []invoke.AuthorizerValue
}

// maxPayload bounds a token's decoded payload, in bytes: the token comes from a request
// header, and AWS holds a request's headers to 10,240 bytes.
const maxPayload = 16 << 10

// parseClaims reads a JWT payload: one JSON object whose members are the claims. Duplicate
// names are refused (which one would the gateway check?), as is anything but an object.
func parseClaims(payload []byte) (*claims, error) {
	if len(payload) > maxPayload {
		return nil, fmt.Errorf("payload of %d bytes is larger than %d", len(payload), maxPayload)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("payload is not a JSON object")
	}
	c := &claims{}
	seen := make(map[string]bool, 16)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		name, _ := tok.(string) // object keys are strings
		if seen[name] {
			return nil, fmt.Errorf("claim %q appears twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("claim %q: %w", name, err)
		}
		if err := c.set(name, raw); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("payload: %w", err)
	}
	// JSON's whitespace only (RFC 8259: space, tab, LF, CR), not bytes.TrimSpace's \f, \v
	// and Unicode spaces, which encoding/json refuses after a value.
	if len(bytes.Trim(payload[dec.InputOffset():], " \t\n\r")) > 0 {
		return nil, errors.New("payload has data after its object")
	}
	return c, nil
}

// set records one claim: the registered and Cognito claims the authorizer checks must have
// their type (a token whose exp is a string is no token), and every claim is rendered.
func (c *claims) set(name string, raw json.RawMessage) error {
	var err error
	switch name {
	case "iss":
		err = json.Unmarshal(raw, &c.Issuer)
	case "token_use":
		err = json.Unmarshal(raw, &c.TokenUse)
	case "client_id":
		err = json.Unmarshal(raw, &c.ClientID)
	case "scope":
		var s string
		if err = json.Unmarshal(raw, &s); err == nil {
			c.Scopes = strings.Fields(s)
		}
	case "aud":
		var one string
		if json.Unmarshal(raw, &one) == nil {
			c.Audience = []string{one}
		} else {
			err = json.Unmarshal(raw, &c.Audience)
		}
	case "exp":
		c.Expires, err = numericDate(raw)
	case "nbf":
		c.NotBefore, err = numericDate(raw)
	}
	if err != nil {
		return fmt.Errorf("claim %q: %w", name, err)
	}
	c.All = append(c.All, invoke.AuthorizerValue{Key: name, Value: renderClaim(name, raw)})
	return nil
}

// numericDate is RFC 7519's NumericDate: seconds since the epoch, possibly fractional.
func numericDate(raw json.RawMessage) (time.Time, error) {
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1<<40 {
		return time.Time{}, fmt.Errorf("%s is not a NumericDate", raw)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// javaDateLayout is java.util.Date's toString in UTC, the form API Gateway gives a Cognito
// token's exp and iat in $context.authorizer.claims and requestContext.authorizer.claims:
// "Wed Dec 06 17:22:52 UTC 2023" beside "auth_time": "1701796972" (recorded events of REST
// APIs with Cognito authorizers, 2018 to 2023, quoted in public repositories' tests).
const javaDateLayout = "Mon Jan 02 15:04:05 MST 2006"

// renderClaim is a claim's value as API Gateway shows it: every claim is a string there. A
// string is itself; a number or boolean its JSON text ("1701796972", "true"); exp and iat
// the Java date; an array its elements in brackets separated by spaces, strings bare
// ("[admins operators]", as recorded events show cognito:groups); an object (and an object
// or array inside an array) its compact JSON text.
func renderClaim(name string, raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) == nil {
			var b strings.Builder
			b.WriteByte('[')
			for i, e := range elems {
				if i > 0 {
					b.WriteByte(' ')
				}
				if e = bytes.TrimSpace(e); len(e) > 0 && e[0] == '"' {
					var s string
					_ = json.Unmarshal(e, &s)
					b.WriteString(s)
				} else {
					b.WriteString(compactJSON(e))
				}
			}
			b.WriteByte(']')
			return b.String()
		}
	case '{':
		return compactJSON(raw)
	default:
		if name == "exp" || name == "iat" {
			if t, err := numericDate(raw); err == nil {
				return t.UTC().Format(javaDateLayout)
			}
		}
	}
	return compactJSON(raw)
}

// compactJSON is raw without insignificant whitespace.
func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
