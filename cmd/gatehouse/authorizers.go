package main

import (
	"context"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway"
	"github.com/gatehouse/gatehouse/internal/mgmt"
)

// lateAuthorizers is the management plane's mgmt.AuthorizerRuntime: serve creates mgmt
// before the gateway that flushes and test-invokes authorizers, so the gateway is set
// once it exists. Until then calls answer mgmt.ErrAuthorizerRuntimeUnavailable.
type lateAuthorizers struct {
	rt atomic.Pointer[mgmt.AuthorizerRuntime]
}

var (
	_ mgmt.AuthorizerRuntime = (*lateAuthorizers)(nil)
	_ mgmt.AuthorizerRuntime = (*gateway.Server)(nil)
)

// set makes rt (the gateway) the runtime.
func (l *lateAuthorizers) set(rt mgmt.AuthorizerRuntime) { l.rt.Store(&rt) }

func (l *lateAuthorizers) get() mgmt.AuthorizerRuntime {
	if p := l.rt.Load(); p != nil {
		return *p
	}
	return nil
}

func (l *lateAuthorizers) FlushStageAuthorizersCache(ctx context.Context, apiID, stage string) error {
	rt := l.get()
	if rt == nil {
		return mgmt.ErrAuthorizerRuntimeUnavailable
	}
	return rt.FlushStageAuthorizersCache(ctx, apiID, stage)
}

func (l *lateAuthorizers) TestInvokeAuthorizer(ctx context.Context, apiID string, a *apigateway.Authorizer, stageVariables map[string]string, in *apigateway.TestInvokeAuthorizerRequest) (*apigateway.TestInvokeAuthorizerResponse, error) {
	rt := l.get()
	if rt == nil {
		return nil, mgmt.ErrAuthorizerRuntimeUnavailable
	}
	return rt.TestInvokeAuthorizer(ctx, apiID, a, stageVariables, in)
}
