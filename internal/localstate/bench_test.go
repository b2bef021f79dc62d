package localstate

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/bolt"
)

// BenchmarkAdmit is one request's check as the throttle stage makes it: four buckets (the
// account's and the stage's, shared by every request, and a key's and a key's method's)
// and the key's quota, from parallel goroutines over 1000 keys. Run with -cpu 2:
//
//	go test -run '^$' -bench BenchmarkAdmit -benchmem -cpu 2 ./internal/localstate/
func BenchmarkAdmit(b *testing.B) {
	b.Run("memory only", func(b *testing.B) { benchAdmit(b, nil) })
	b.Run("bolt store", func(b *testing.B) {
		st, err := bolt.Open(filepath.Join(b.TempDir(), "state.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchAdmit(b, &failingStore{Store: st})
	})
}

func benchAdmit(b *testing.B, st store.Store) {
	s, err := Open(context.Background(), Options{Store: st, Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const keys = 1000
	start, end, _ := meter.Window("MONTH", 0, t0)
	checks := make([]*meter.Check, keys)
	acct := meter.Bucket{Key: "acct", Rate: 1e12, Burst: 1 << 40}
	stage := meter.Bucket{Key: "stage/api/prod/*/*", Rate: 1e12, Burst: 1 << 40}
	for i := range checks {
		checks[i] = &meter.Check{
			Buckets: []meter.Bucket{
				{Key: fmt.Sprintf("plan/%d", i), Rate: 1e12, Burst: 1 << 40},
				{Key: fmt.Sprintf("plan/%d/res/GET", i), Rate: 1e12, Burst: 1 << 40},
				stage, acct,
			},
			Quota: &meter.Quota{Key: meter.QuotaKey("plan", fmt.Sprint(i)), Limit: 1 << 62, Start: start, End: end},
		}
	}
	var worker atomic.Int64
	ctx := context.Background()
	// Every key seen (and its first lease written) before timing, concurrently so that the
	// leases share transactions.
	var wg sync.WaitGroup
	for w := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, c := range checks[w*keys/50 : (w+1)*keys/50] {
				if _, err := s.Admit(ctx, t0, c); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	counting, _ := st.(*failingStore)
	var txns0 int64
	if counting != nil {
		txns0 = counting.txns.Load()
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(worker.Add(1)) * 7919
		now := t0
		for pb.Next() {
			i++
			now = now.Add(time.Microsecond)
			o, err := s.Admit(ctx, now, checks[i%keys])
			if err != nil || o != meter.Admitted {
				b.Errorf("Admit = %v, %v; want Admitted", o, err)
				return
			}
		}
	})
	if counting != nil {
		b.ReportMetric(float64(counting.txns.Load()-txns0)/float64(b.N), "txns/op")
	}
}
