package main

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/gateway"
	"github.com/gatehouse/gatehouse/internal/mgmt"
)

// lateStageCache is the management plane's mgmt.StageCacheRuntime: the gateway, whose
// response cache FlushStageCache flushes, once it exists (late.go). Until then it answers
// mgmt.ErrStageCacheUnavailable.
type lateStageCache struct {
	late[mgmt.StageCacheRuntime]
}

var (
	_ mgmt.StageCacheRuntime = (*lateStageCache)(nil)
	_ mgmt.StageCacheRuntime = (*gateway.Server)(nil)
)

func (l *lateStageCache) FlushStageCache(ctx context.Context, apiID, stage string) error {
	rt, ok := l.get()
	if !ok {
		return mgmt.ErrStageCacheUnavailable
	}
	return rt.FlushStageCache(ctx, apiID, stage)
}
