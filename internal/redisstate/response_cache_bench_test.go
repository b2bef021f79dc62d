package redisstate

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkResponseCache measures the response cache's Get (a hit: one read-only script
// run) and Set (one script run) from concurrent callers over 1,000 keys of one stage, with
// 1 KB and 64 KB values. It reports requests a second and the CPU one call costs this
// process (client) and the Redis server (server), in µs, as BenchmarkAdmit does.
//
//	go test -run '^$' -bench ResponseCache -benchtime 2s -cpu 2 ./internal/redisstate/
//
// GATEHOUSE_REDISSTATE_BENCH_URL points it at a private Redis (see BenchmarkAdmit).
func BenchmarkResponseCache(b *testing.B) {
	for _, op := range []string{"get", "set"} {
		for _, size := range []int{1 << 10, 64 << 10} {
			for _, par := range []int{1, 32} {
				b.Run(fmt.Sprintf("%s/value=%dKB/callers=%dxGOMAXPROCS", op, size>>10, par), func(b *testing.B) {
					benchResponseCache(b, op, size, par)
				})
			}
		}
	}
}

func benchResponseCache(b *testing.B, op string, size, par int) {
	if redisDown != "" {
		b.Skip(redisDown)
	}
	url := testURL
	if u := os.Getenv("GATEHOUSE_REDISSTATE_BENCH_URL"); u != "" {
		url = u
	}
	// 64 callers of 64 KB Sets queue for longer than the default 50 ms on a busy machine: the
	// benchmark measures throughput, not the deadline.
	s, err := New(context.Background(), url, Options{Prefix: testPrefix(b), Timeout: 2 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rc := s.ResponseCache()
	ctx := context.Background()
	const stage, keys = "api1/prod", 1000
	value := make([]byte, size)
	for i := range value {
		value[i] = byte(i)
	}
	expires := t0.Add(time.Hour)
	for k := range keys {
		if err := rc.Set(ctx, stage, "GET /pets/"+strconv.Itoa(k), value, 0, t0, expires); err != nil {
			b.Fatal(err)
		}
	}
	var seq atomic.Int64
	client0, server0 := processCPU(), redisCPU(b, s)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.SetParallelism(par)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := seq.Add(1)
		for pb.Next() {
			i++
			key := "GET /pets/" + strconv.FormatInt(i%keys, 10)
			if op == "get" {
				v, ok, err := rc.Get(ctx, stage, key, t0)
				if err != nil || !ok || len(v) != size {
					b.Errorf("Get(%q) = %d bytes, %v, %v; want a hit of %d bytes", key, len(v), ok, err, size)
					return
				}
			} else if err := rc.Set(ctx, stage, key, value, 0, t0, expires); err != nil {
				b.Errorf("Set(%q): %v", key, err)
				return
			}
		}
	})
	b.StopTimer()
	client, server := processCPU()-client0, redisCPU(b, s)-server0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(client.Microseconds())/float64(b.N), "client-µs-cpu/op")
	b.ReportMetric(float64(server.Microseconds())/float64(b.N), "server-µs-cpu/op")
}
