// Package jwtauth is the COGNITO_USER_POOLS authorizer: the JWT in a request header,
// verified against the JWKS of the user pool's issuer (gatehouse has no user pools: each
// pool ARN stands for an OIDC issuer, `serve --jwt-issuer ARN=URL`), its claims handed to
// the rest of the pipeline as $context.authorizer.claims.
//
// What AWS does, and so this package (each rule with its source in the code):
//   - the token is the identity source header's value, bare or after "Bearer ";
//   - its signature verifies with the issuer's key its kid names, by an asymmetric
//     algorithm the key is for; iss is the issuer of one of the authorizer's providerARNs;
//   - it has not expired and is not used before its nbf (Leeway either way);
//   - a method without authorizationScopes takes ID tokens (token_use "id"), one with them
//     access tokens (token_use "access") whose scope claim has one of the method's scopes;
//   - the authorizer's identityValidationExpression, when set, must match the token's aud;
//   - every failure is 401 UNAUTHORIZED {"message":"Unauthorized"}.
package jwtauth

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// Leeway is how far a token's exp and nbf may be off the gateway's clock: a token is taken
// until Leeway after its exp and from Leeway before its nbf, for clocks that differ a
// little between the issuer and the gateway. AWS documents none; 5 seconds is about what
// OIDC libraries allow by default, far below Cognito tokens' lifetimes (5 minutes to a day).
const Leeway = 5 * time.Second

// Config is one method's Cognito authorizer.
type Config struct {
	// Header is the request header carrying the token (the identitySource
	// method.request.header.{Header}).
	Header string
	// Issuers are the issuer URLs of the authorizer's providerARNs; Unconfigured the
	// providerARNs that have none (no --jwt-issuer): a token can come from no such pool.
	Issuers      []string
	Unconfigured []string
	// Scopes are the method's authorizationScopes; empty means ID tokens.
	Scopes []string
	// Audience, when not nil, must match the token's aud (identityValidationExpression).
	Audience *regexp.Regexp
	// Now is the gateway's clock for exp and nbf.
	Now func() time.Time
}

// Authorizer checks requests' tokens with a shared Verifier.
type Authorizer struct {
	cfg      Config
	header   invoke.HeaderKey // cfg.Header, resolved once
	verifier *Verifier
}

// NewAuthorizer returns the authorizer cfg describes, verifying with v.
func NewAuthorizer(cfg Config, v *Verifier) *Authorizer {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Authorizer{cfg: cfg, header: invoke.NewHeaderKey(cfg.Header), verifier: v}
}

// ParseIdentitySource returns the header a COGNITO_USER_POOLS authorizer's identitySource
// names: "method.request.header.Authorization" → "Authorization". AWS takes a header only
// for these authorizers (CreateAuthorizer: "For a TOKEN or COGNITO_USER_POOLS authorizer,
// this is required and specifies the request header mapping expression").
func ParseIdentitySource(s string) (string, error) {
	name, ok := strings.CutPrefix(strings.TrimSpace(s), "method.request.header.")
	if !ok || name == "" || strings.ContainsAny(name, ", \t") {
		return "", fmt.Errorf("identitySource %q is not method.request.header.{name}", s)
	}
	return name, nil
}

// unauthorized is what every refused token gets: 401 UNAUTHORIZED
// {"message":"Unauthorized"} (repost.aws knowledge-center api-gateway-cognito-401-unauthorized:
// a missing, expired or foreign token, and the wrong kind of token for the method's scopes).
func unauthorized(cause error) *invoke.Error {
	return &invoke.Error{Type: apigateway.ResponseUnauthorized, Message: "Unauthorized", Err: cause}
}

// Middleware returns the authorization stage: a request goes on with inv.Authorizer set
// to the token's claims, or is refused with 401.
func (a *Authorizer) Middleware() invoke.Middleware {
	return func(next invoke.Handler) invoke.Handler {
		return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
			res, err := a.Authorize(ctx, &inv.Request)
			if err != nil {
				return nil, err
			}
			inv.Authorizer = res
			return next.Invoke(ctx, inv)
		})
	}
}

// Authorize checks r's token and returns what it was admitted with, or an *invoke.Error.
func (a *Authorizer) Authorize(ctx context.Context, r *invoke.Request) (*invoke.AuthorizerResult, error) {
	value, _ := r.HeaderKeyValue(a.header)
	raw := bearer(value)
	if raw == "" {
		return nil, unauthorized(fmt.Errorf("no token in the %s header", a.cfg.Header))
	}
	if len(a.cfg.Issuers) == 0 {
		return nil, unauthorized(fmt.Errorf("no issuer is configured for the authorizer's user pools %q: serve --jwt-issuer ARN=URL", a.cfg.Unconfigured))
	}
	t, err := a.verifier.verify(ctx, raw, a.cfg.Issuers)
	if err != nil {
		return nil, unauthorized(err)
	}
	if err := a.admits(t, a.cfg.Now()); err != nil {
		return nil, unauthorized(err)
	}
	return t.result, nil
}

// bearer is the token in an identity source header's value. AWS takes the token bare, as
// its docs show it (Authorization: {id token}), and also after a "Bearer " scheme, which is
// how OAuth clients (Postman, Amplify's examples) send it and which AWS's console test
// accepts (Amplify docs aws-amplify/docs#1137; AWS workshop "Bearer" + space + token in the
// authorizer test). The scheme is case-insensitive (RFC 9110 §11.1).
func bearer(v string) string {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimLeft(v[7:], " ")
	}
	return v
}

// admits checks what depends on the time and the method.
func (a *Authorizer) admits(t *token, now time.Time) error {
	if t.Expires.IsZero() {
		return fmt.Errorf("token has no exp")
	}
	if !now.Before(t.Expires.Add(Leeway)) {
		return fmt.Errorf("token expired at %s", t.Expires.UTC().Format(time.RFC3339))
	}
	if !t.NotBefore.IsZero() && now.Before(t.NotBefore.Add(-Leeway)) {
		return fmt.Errorf("token is not valid before %s", t.NotBefore.UTC().Format(time.RFC3339))
	}
	// "With the COGNITO_USER_POOLS authorizer, if the OAuth Scopes option isn't specified,
	// API Gateway treats the supplied token as an identity token ... Otherwise, API Gateway
	// treats the supplied token as an access token and verifies the access scopes claimed
	// in the token against the authorization scopes declared on the method" (AWS,
	// apigateway-enable-cognito-user-pool; repost.aws api-gateway-cognito-401-unauthorized).
	if len(a.cfg.Scopes) == 0 {
		if t.TokenUse != "id" {
			return fmt.Errorf("token_use is %q; a method without authorizationScopes takes ID tokens", t.TokenUse)
		}
	} else {
		if t.TokenUse != "access" {
			return fmt.Errorf("token_use is %q; a method with authorizationScopes takes access tokens", t.TokenUse)
		}
		if !slices.ContainsFunc(a.cfg.Scopes, func(s string) bool { return slices.Contains(t.Scopes, s) }) {
			return fmt.Errorf("token scopes %q have none of the method's %q", t.Scopes, a.cfg.Scopes)
		}
	}
	// "For COGNITO_USER_POOLS authorizers, API Gateway will match the aud field of the
	// incoming token from the client against the specified regular expression" (the
	// Authorizer shape's identityValidationExpression); access tokens have no aud, so such
	// an authorizer refuses them (awsdocs/amazon-api-gateway-developer-guide#54).
	if a.cfg.Audience != nil && !slices.ContainsFunc(t.Audience, a.cfg.Audience.MatchString) {
		return fmt.Errorf("token aud %q does not match identityValidationExpression %q", t.Audience, a.cfg.Audience)
	}
	return nil
}

// CompileAudience compiles an identityValidationExpression, which must match an aud whole.
func CompileAudience(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		return nil, fmt.Errorf("identityValidationExpression: %w", err)
	}
	return re, nil
}
