package gateway

import (
	"fmt"
	"net/http"
	"sort"
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
	header, err := jwtauth.ParseIdentitySource(az.IdentitySource)
	if err != nil {
		return denyAll(invoke.ConfigurationError.Because(fmt.Errorf("authorizer %s: %w", az.ID, err))), nil
	}
	aud, err := jwtauth.CompileAudience(az.IdentityValidationExpression)
	if err != nil {
		return denyAll(invoke.ConfigurationError.Because(fmt.Errorf("authorizer %s: %w", az.ID, err))), nil
	}
	cfg := jwtauth.Config{Header: header, Scopes: ref.m.AuthorizationScopes, Audience: aud, Now: s.now}
	for _, arn := range az.ProviderARNs {
		if iss, ok := s.cognito.issuers[arn]; ok {
			cfg.Issuers = append(cfg.Issuers, iss)
		} else {
			cfg.Unconfigured = append(cfg.Unconfigured, arn)
		}
	}
	sort.Strings(cfg.Unconfigured)
	if len(cfg.Unconfigured) > 0 {
		s.log.Warn("COGNITO_USER_POOLS authorizer names user pools without an issuer: their tokens are refused (serve --jwt-issuer ARN=URL)",
			"apiId", ref.sd.RestAPIID, "stage", ref.sd.StageName, "authorizer", az.ID, "providerARNs", cfg.Unconfigured)
	}
	return jwtauth.NewAuthorizer(cfg, s.cognito.verifier).Middleware(), nil
}
