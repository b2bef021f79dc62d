package main

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway"
	"github.com/gatehouse/gatehouse/internal/mgmt"
)

// lateAuthorizers is the management plane's mgmt.AuthorizerRuntime: the gateway that flushes
// and test-invokes authorizers, once it exists (late.go). Until then calls answer
// mgmt.ErrAuthorizerRuntimeUnavailable.
type lateAuthorizers struct {
	late[mgmt.AuthorizerRuntime]
}

var (
	_ mgmt.AuthorizerRuntime = (*lateAuthorizers)(nil)
	_ mgmt.AuthorizerRuntime = (*gateway.Server)(nil)
)

func (l *lateAuthorizers) FlushStageAuthorizersCache(ctx context.Context, apiID, stage string) error {
	rt, ok := l.get()
	if !ok {
		return mgmt.ErrAuthorizerRuntimeUnavailable
	}
	return rt.FlushStageAuthorizersCache(ctx, apiID, stage)
}

func (l *lateAuthorizers) TestInvokeAuthorizer(ctx context.Context, apiID string, a *apigateway.Authorizer, stageVariables map[string]string, in *apigateway.TestInvokeAuthorizerRequest) (*apigateway.TestInvokeAuthorizerResponse, error) {
	rt, ok := l.get()
	if !ok {
		return nil, mgmt.ErrAuthorizerRuntimeUnavailable
	}
	return rt.TestInvokeAuthorizer(ctx, apiID, a, stageVariables, in)
}
