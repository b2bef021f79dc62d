package main

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// issuerList is the repeatable --jwt-issuer ARN=URL: the OIDC issuer standing for each
// Cognito user pool that COGNITO_USER_POOLS authorizers name in providerARNs.
type issuerList struct{ pairList }

// userPoolARNPattern is a Cognito user pool's ARN, as CreateAuthorizer takes it in
// providerARNs (internal/mgmt/authorizer.go): arn:aws:cognito-idp:{region}:{account}:userpool/{id},
// the id the region, an underscore and letters and digits (us-east-1_AbC123).
var userPoolARNPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):cognito-idp:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:userpool/[\w-]+_[0-9a-zA-Z]+$`)

// problems lists every malformed entry: ARN a user pool ARN, URL an http(s) URL without
// query or fragment (the issuer as tokens' iss names it; the JWKS is read below it), each
// ARN once.
func (l issuerList) problems() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range l.pairList {
		arn, raw, ok := strings.Cut(e, "=")
		arn, raw = strings.TrimSpace(arn), strings.TrimSpace(raw)
		if !ok || arn == "" || raw == "" {
			out = append(out, fmt.Sprintf("jwt-issuer: %q is not ARN=URL (e.g. arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_local=http://127.0.0.1:9000)", e))
			continue
		}
		if !userPoolARNPattern.MatchString(arn) {
			out = append(out, fmt.Sprintf("jwt-issuer: %q is not a user pool ARN like arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123", arn))
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			out = append(out, fmt.Sprintf("jwt-issuer: %s: %q is not an issuer URL like https://issuer.example or http://127.0.0.1:9000/pool", arn, raw))
		}
		if seen[arn] {
			out = append(out, fmt.Sprintf("jwt-issuer: %s given twice", arn))
		}
		seen[arn] = true
	}
	return out
}
