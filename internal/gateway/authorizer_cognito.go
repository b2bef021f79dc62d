package gateway

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/jwtauth"
)

// cognitoPools is what COGNITO_USER_POOLS methods share across stages: the issuer standing
// for each user pool (Config.JWTIssuers) and one verifier, whose JWKS and verified-token
// caches outlive stage recompilations.
type cognitoPools struct {
	issuers  map[string]string // user pool ARN → issuer URL
	verifier *jwtauth.Verifier
}

func newCognitoPools(issuers map[string]string, client *http.Client, now func() time.Time) *cognitoPools {
	return &cognitoPools{issuers: issuers, verifier: jwtauth.NewVerifier(jwtauth.NewKeys(client, now))}
}

// cognitoAuthorizer compiles a COGNITO_USER_POOLS method's stage: the JWT verified against
// its user pool's issuer (Config.JWTIssuers) by internal/gateway/jwtauth.
func (s *Server) cognitoAuthorizer(ref methodRef) (invoke.Middleware, error) {
	az := ref.snap.Authorizers[ref.m.AuthorizerID]
	if az == nil || az.Type != apigateway.AuthorizerCognitoUserPools {
		// The management API refuses such a method; a document written otherwise fails
		// closed, as a misconfigured method does.
		return denyAll(invoke.ConfigurationError.Because(fmt.Errorf("authorizer %q is not a COGNITO_USER_POOLS authorizer of the API", ref.m.AuthorizerID))), nil
	}
	cfg, err := s.cognitoConfig(az, ref.m.AuthorizationScopes)
	if err != nil {
		return denyAll(invoke.ConfigurationError.Because(err)), nil
	}
	if len(cfg.Unconfigured) > 0 {
		s.log.Warn("COGNITO_USER_POOLS authorizer names user pools without an issuer: their tokens are refused (serve --jwt-issuer ARN=URL)",
			"apiId", ref.sd.RestAPIID, "stage", ref.sd.StageName, "authorizer", az.ID, "providerARNs", cfg.Unconfigured)
	}
	return jwtauth.NewAuthorizer(cfg, s.cognito.verifier).Middleware(), nil
}

// cognitoConfig is az's verification for a method with scopes.
func (s *Server) cognitoConfig(az *apigateway.Authorizer, scopes []string) (jwtauth.Config, error) {
	header, err := jwtauth.ParseIdentitySource(az.IdentitySource)
	if err != nil {
		return jwtauth.Config{}, fmt.Errorf("authorizer %s: %w", az.ID, err)
	}
	aud, err := jwtauth.CompileAudience(az.IdentityValidationExpression)
	if err != nil {
		return jwtauth.Config{}, fmt.Errorf("authorizer %s: %w", az.ID, err)
	}
	cfg := jwtauth.Config{Header: header, Scopes: scopes, Audience: aud, Now: s.now}
	for _, arn := range az.ProviderARNs {
		if iss, ok := s.cognito.issuers[arn]; ok {
			cfg.Issuers = append(cfg.Issuers, iss)
		} else {
			cfg.Unconfigured = append(cfg.Unconfigured, arn)
		}
	}
	sort.Strings(cfg.Unconfigured)
	return cfg, nil
}

// testInvokeCognito is TestInvokeAuthorizer for a COGNITO_USER_POOLS authorizer: the token
// of the request's identity source header checked as for a method without scopes (AWS's
// console tests ID tokens only: repost.aws knowledge-center api-gateway-cognito-401-unauthorized,
// "You can't use this feature to test access tokens"); clientStatus 200 with the claims,
// or 401.
func (s *Server) testInvokeCognito(ctx context.Context, az *apigateway.Authorizer, inv *invoke.Invocation) (*apigateway.TestInvokeAuthorizerResponse, error) {
	cfg, err := s.cognitoConfig(az, nil)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := jwtauth.NewAuthorizer(cfg, s.cognito.verifier).Authorize(ctx, &inv.Request)
	out := &apigateway.TestInvokeAuthorizerResponse{ClientStatus: http.StatusOK, Latency: time.Since(start).Milliseconds()}
	stamp := inv.RequestTime.UTC().Format(time.UnixDate)
	var log strings.Builder
	fmt.Fprintf(&log, "Execution log for request %s\n%s : Starting authorizer: %s for request: %s\n", inv.RequestID, stamp, az.ID, inv.RequestID)
	if err != nil {
		out.ClientStatus = http.StatusUnauthorized
		cause := err
		if e, ok := invoke.AsError(err); ok && e.Err != nil {
			cause = e.Err
		}
		fmt.Fprintf(&log, "%s : Unauthorized request: %s: %v\n", stamp, inv.RequestID, cause)
	} else {
		out.Claims = make(map[string]string, len(res.Claims))
		for _, c := range res.Claims {
			out.Claims[c.Key] = c.Value
		}
		fmt.Fprintf(&log, "%s : Authorized request: %s\n", stamp, inv.RequestID)
	}
	out.Log = log.String()
	return out, nil
}
