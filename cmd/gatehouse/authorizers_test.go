package main

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt"
)

type flushOnly struct{ flushed string }

func (f *flushOnly) FlushStageAuthorizersCache(_ context.Context, apiID, stage string) error {
	f.flushed = apiID + "/" + stage
	return nil
}

func (f *flushOnly) TestInvokeAuthorizer(context.Context, string, *apigateway.Authorizer, map[string]string, *apigateway.TestInvokeAuthorizerRequest) (*apigateway.TestInvokeAuthorizerResponse, error) {
	return &apigateway.TestInvokeAuthorizerResponse{ClientStatus: 200}, nil
}

// TestLateAuthorizers: before the gateway is set the calls answer unavailable; once it is
// set they reach it.
func TestLateAuthorizers(t *testing.T) {
	t.Parallel()
	var l lateAuthorizers
	if err := l.FlushStageAuthorizersCache(t.Context(), "a", "s"); !errors.Is(err, mgmt.ErrAuthorizerRuntimeUnavailable) {
		t.Errorf("Flush before set = %v; want unavailable", err)
	}
	rt := &flushOnly{}
	l.set(rt)
	if err := l.FlushStageAuthorizersCache(t.Context(), "a", "s"); err != nil || rt.flushed != "a/s" {
		t.Errorf("Flush after set = %v, flushed %q", err, rt.flushed)
	}
	if out, err := l.TestInvokeAuthorizer(t.Context(), "a", &apigateway.Authorizer{}, nil, &apigateway.TestInvokeAuthorizerRequest{}); err != nil || out.ClientStatus != 200 {
		t.Errorf("TestInvoke after set = %+v, %v", out, err)
	}
}
