package main

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/mgmt"
)

type stageFlusher struct{ flushed string }

func (f *stageFlusher) FlushStageCache(_ context.Context, apiID, stage string) error {
	f.flushed = apiID + "/" + stage
	return nil
}

// TestLateStageCache: before the gateway is set FlushStageCache answers unavailable; once
// it is set the call reaches it.
func TestLateStageCache(t *testing.T) {
	t.Parallel()
	var l lateStageCache
	if err := l.FlushStageCache(t.Context(), "a", "s"); !errors.Is(err, mgmt.ErrStageCacheUnavailable) {
		t.Errorf("FlushStageCache before set = %v; want unavailable", err)
	}
	rt := &stageFlusher{}
	l.set(rt)
	if err := l.FlushStageCache(t.Context(), "a", "s"); err != nil || rt.flushed != "a/s" {
		t.Errorf("FlushStageCache after set = %v, flushed %q; want a/s", err, rt.flushed)
	}
}
