package gateway

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// lambdaAuthorizer compiles a CUSTOM method's stage: its TOKEN or REQUEST authorizer.
// Not yet: it fails closed.
func (s *Server) lambdaAuthorizer(ref methodRef) (invoke.Middleware, error) {
	return denyAll(invoke.Errorf(apigateway.ResponseUnauthorized, "Unauthorized")), nil
}

// AuthorizerCache keeps Lambda authorizer results between requests. Keys start with the
// API id and stage name ("{apiId}/{stage}/..."), so that a stage's entries flush together.
// Times are the gateway's clock (Config.Now), so expiry follows an injected clock.
type AuthorizerCache interface {
	// Get returns the value stored under key unless it expired by now.
	Get(ctx context.Context, key string, now time.Time) (value []byte, ok bool, err error)
	// Set stores value under key until expires.
	Set(ctx context.Context, key string, value []byte, now, expires time.Time) error
	// FlushStage drops every entry of the stage (FlushStageAuthorizersCache).
	FlushStage(ctx context.Context, apiID, stage string) error
}
