package integration

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// parseProxyResponse reads a Lambda proxy answer as AWS validates it (AWS_REFERENCE
// section 2):
//
//	{"statusCode": 200, "headers": {...}, "multiValueHeaders": {...}, "body": "...", "isBase64Encoded": false}
//
// Every key is optional and no other key is allowed (names match exactly). statusCode is an
// integer, or a string holding one, from 100 to 599 (200 when absent or null); header values
// are strings or booleans (written "true"/"false"); multiValueHeaders values are lists of
// them; body is a string; isBase64Encoded a boolean. headers and multiValueHeaders are
// merged: a name in both gets the multiValueHeaders values, then the headers value unless it
// is one of them. The body is base64-decoded only when isBase64Encoded is true and
// decodeBinary (the FIRST media type of the client's Accept is binary); otherwise the base64
// text is the body. Anything else is an error (502 for the caller). Header names are
// canonicalized; those the gateway sets itself are renamed x-amzn-Remapped-* or dropped,
// as for HTTP_PROXY.
func parseProxyResponse(out []byte, decodeBinary bool) (*invoke.Response, error) {
	s := scanner{b: out}
	s.ws()
	if !s.eat('{') {
		return nil, errors.New("not a JSON object")
	}
	status := http.StatusOK
	var singleArr, multiArr [16]eventHeader
	single := singleArr[:0] // from headers: one value each, in one
	multi := multiArr[:0]   // from multiValueHeaders
	var body []byte
	isBase64 := false
	s.ws()
	if !s.eat('}') {
		for {
			s.ws()
			key, err := s.str()
			if err != nil {
				return nil, err
			}
			s.ws()
			if !s.eat(':') {
				return nil, errSyntax
			}
			s.ws()
			switch string(key) {
			case "statusCode":
				if status, err = readStatus(&s); err != nil {
					return nil, err
				}
			case "headers":
				if single, err = readHeaders(&s, single, false); err != nil {
					return nil, err
				}
			case "multiValueHeaders":
				if multi, err = readHeaders(&s, multi, true); err != nil {
					return nil, err
				}
			case "body":
				switch {
				case s.word("null"):
					body = nil
				case s.peek() == '"':
					if body, err = s.str(); err != nil {
						return nil, err
					}
				default:
					return nil, errors.New("body is not a string")
				}
			case "isBase64Encoded":
				switch {
				case s.word("true"):
					isBase64 = true
				case s.word("false"), s.word("null"):
					isBase64 = false
				default:
					return nil, errors.New("isBase64Encoded is not a boolean")
				}
			default:
				return nil, fmt.Errorf("unknown key %q", key)
			}
			s.ws()
			if s.eat('}') {
				break
			}
			if !s.eat(',') {
				return nil, errSyntax
			}
		}
	}
	s.ws()
	if !s.end() {
		return nil, errors.New("data after the JSON object")
	}

	h := make(http.Header, len(single)+len(multi)+1)
	for _, m := range multi {
		h[m.name] = append(h[m.name], m.vals...)
	}
	var ones []string // the single values, sharing one allocation
	if len(single) > 0 {
		ones = make([]string, len(single))
	}
	for i, one := range single {
		vs, ok := h[one.name]
		switch {
		case !ok:
			ones[i] = one.one
			h[one.name] = ones[i : i+1 : i+1]
		case !slices.Contains(vs, one.one):
			h[one.name] = append(vs, one.one)
		}
	}
	// As an HTTP_PROXY backend's, and the other hop-by-hop headers a function may name.
	remapBackendHeaders(h)
	delete(h, "Te")
	delete(h, "Trailer")
	delete(h, "Upgrade")
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = []string{jsonType}
	}
	cleanHeader(h)
	if isBase64 && decodeBinary && len(body) > 0 {
		dec := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
		n, err := base64.StdEncoding.Decode(dec, body)
		if err != nil {
			return nil, fmt.Errorf("body is not base64: %w", err)
		}
		body = dec[:n]
	}
	return &invoke.Response{StatusCode: status, Header: h, Body: body}, nil
}

// readStatus reads statusCode: an integer, a string holding one, or null (200).
func readStatus(s *scanner) (int, error) {
	var n int
	var ok bool
	switch c := s.peek(); {
	case c == 'n' && s.word("null"):
		return http.StatusOK, nil
	case c == '"':
		text, err := s.str()
		if err != nil {
			return 0, err
		}
		n, ok = atoiStatus(text)
	default:
		text, integer, err := s.number()
		if err != nil {
			return 0, errors.New("statusCode is not a number")
		}
		if integer {
			n, ok = atoiStatus(text)
		}
	}
	if !ok || !apigateway.IsStatusCode(n) {
		return 0, errors.New("statusCode is not an HTTP status code")
	}
	return n, nil
}

// readHeaders reads headers (multi false: name → string or boolean) or multiValueHeaders
// (multi true: name → list of them), or null, appending to hs with canonical names.
func readHeaders(s *scanner, hs []eventHeader, multi bool) ([]eventHeader, error) {
	if s.word("null") {
		return hs, nil
	}
	if !s.eat('{') {
		return nil, errors.New("headers is not an object")
	}
	s.ws()
	if s.eat('}') {
		return hs, nil
	}
	for {
		s.ws()
		name, err := s.str()
		if err != nil {
			return nil, err
		}
		s.ws()
		if !s.eat(':') {
			return nil, errSyntax
		}
		s.ws()
		var vals []string
		var one string
		switch {
		case multi && s.word("null"):
			// no values
		case multi:
			if !s.eat('[') {
				return nil, fmt.Errorf("multiValueHeaders value of %q is not a list", name)
			}
			s.ws()
			if !s.eat(']') {
				for {
					s.ws()
					v, err := headerValue(s)
					if err != nil {
						return nil, fmt.Errorf("multiValueHeaders value of %q: %w", name, err)
					}
					vals = append(vals, v)
					s.ws()
					if s.eat(']') {
						break
					}
					if !s.eat(',') {
						return nil, errSyntax
					}
				}
			}
		default:
			v, err := headerValue(s)
			if err != nil {
				return nil, fmt.Errorf("headers value of %q: %w", name, err)
			}
			one = v
		}
		if !multi || len(vals) > 0 {
			hs = append(hs, eventHeader{name: http.CanonicalHeaderKey(string(name)), one: one, vals: vals})
		}
		s.ws()
		if s.eat('}') {
			return hs, nil
		}
		if !s.eat(',') {
			return nil, errSyntax
		}
	}
}

// headerValue reads a header value: a string, or a boolean written as "true"/"false".
func headerValue(s *scanner) (string, error) {
	switch {
	case s.peek() == '"':
		v, err := s.str()
		return string(v), err
	case s.word("true"):
		return "true", nil
	case s.word("false"):
		return "false", nil
	}
	return "", errors.New("not a string or boolean")
}
