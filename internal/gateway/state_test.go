package gateway

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
)

// memState is an exact, mutex-guarded throttle.State for the gateway's tests: meter's rules,
// nothing else (no day records, no persistence).
type memState struct {
	mu      sync.Mutex
	buckets map[string]meter.Tokens
	counts  map[string]int64 // quota key + period start
}

func newTestState(testing.TB) *memState {
	return &memState{buckets: map[string]meter.Tokens{}, counts: map[string]int64{}}
}

func (s *memState) Admit(_ context.Context, now time.Time, c *meter.Check) (meter.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make([]meter.Tokens, len(c.Buckets))
	for i, b := range c.Buckets {
		next[i] = s.buckets[b.Key].Refill(b, now)
		if !next[i].Has() {
			return meter.Throttled, nil
		}
	}
	var qk string
	if c.Quota != nil {
		qk = c.Quota.Key + "@" + c.Quota.Start.String()
		if s.counts[qk] >= c.Quota.Limit {
			return meter.QuotaExceeded, nil
		}
		s.counts[qk]++
	}
	for i, b := range c.Buckets {
		next[i].Level--
		s.buckets[b.Key] = next[i]
	}
	return meter.Admitted, nil
}
