package gateway

import (
	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// cognitoAuthorizer compiles a COGNITO_USER_POOLS method's stage: the JWT verified against
// its user pool's issuer (Config.JWTIssuers). Not yet: it fails closed.
func (s *Server) cognitoAuthorizer(ref methodRef) (invoke.Middleware, error) {
	return denyAll(invoke.Errorf(apigateway.ResponseUnauthorized, "Unauthorized")), nil
}
