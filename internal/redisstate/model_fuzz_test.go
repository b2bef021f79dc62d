package redisstate

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
)

// model is the reference the script is held to: meter.Tokens.Refill per bucket and a count
// per quota period, with meter's all-or-nothing rule, in Go.
type model struct {
	tokens map[string]meter.Tokens
	counts map[string]int64
}

func (m *model) admit(now time.Time, c *meter.Check) meter.Outcome {
	next := make([]meter.Tokens, len(c.Buckets))
	for i, b := range c.Buckets {
		t := m.tokens[b.Key].Refill(b, now)
		if !t.Has() {
			return meter.Throttled
		}
		next[i] = t
	}
	if q := c.Quota; q != nil && m.counts[q.Key] >= q.Limit {
		return meter.QuotaExceeded
	}
	for i, b := range c.Buckets {
		next[i].Level--
		m.tokens[b.Key] = next[i]
	}
	if q := c.Quota; q != nil {
		m.counts[q.Key]++
	}
	return meter.Admitted
}

var (
	fuzzRates  = []float64{0, 0.3, 1, 2.5, 10, 1.0 / 3}
	fuzzBursts = []int64{0, 1, 2, 5}
)

// FuzzAdmitModel runs a sequence of checks over three buckets and a quota, with time
// moving by arbitrary microseconds (back too), on Redis and on the model, and requires the
// same outcome at every step. data: 3 bytes of bucket settings, 1 of the quota's limit,
// then 3 bytes a step (the check's members, and a signed time step).
//
//	go test -run '^$' -fuzz FuzzAdmitModel -fuzztime 10s ./internal/redisstate/
func FuzzAdmitModel(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 0x0f, 0, 10, 0x0f, 0, 10, 0x0f, 0x80, 10, 0x07, 1, 0})
	f.Add([]byte{0x12, 0x23, 0x31, 2, 0x03, 0, 0, 0x03, 0, 0, 0x01, 0x10, 0, 0x02, 0x7f, 0xff})
	f.Add([]byte{0x02, 0x11, 0x23, 9, 0x0c, 0x03, 0x33, 0x0e, 0x00, 0x01, 0x0f, 0xf0, 0x00})
	s := newTestState(f)
	var run atomic.Int64
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		id := fmt.Sprintf("f%d/", run.Add(1)) // every run its own buckets and quota
		buckets := make([]meter.Bucket, 3)
		for i := range buckets {
			buckets[i] = meter.Bucket{
				Key:   fmt.Sprintf("%sb%d", id, i),
				Rate:  fuzzRates[int(data[i]>>4)%len(fuzzRates)],
				Burst: fuzzBursts[int(data[i]&0x0f)%len(fuzzBursts)],
			}
		}
		q := &meter.Quota{Key: id + "q", Limit: int64(data[3] % 16), Start: t0, End: t0.Add(24 * time.Hour)}
		m := &model{tokens: map[string]meter.Tokens{}, counts: map[string]int64{}}
		now := t0
		steps := data[4:]
		for i := 0; i+3 <= len(steps) && i < 3*200; i += 3 {
			members := steps[i]
			delta := time.Duration(int16(uint16(steps[i+1])<<8|uint16(steps[i+2]))) * 997 * time.Microsecond
			now = now.Add(delta)
			c := &meter.Check{}
			for j, b := range buckets {
				if members&(1<<j) != 0 {
					c.Buckets = append(c.Buckets, b)
				}
			}
			if members&8 != 0 {
				c.Quota = q
			}
			want := m.admit(now, c)
			got, err := s.Admit(context.Background(), now, c)
			if err != nil {
				t.Fatalf("step %d: %v", i/3, err)
			}
			if got != want {
				t.Fatalf("step %d at %v (check %+v): Redis says %d, the model %d", i/3, now.Sub(t0), c, got, want)
			}
		}
	})
}
