package redisstate

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/redis/rueidis"
)

// BenchmarkAdmit measures one realistic Admit (the key's method bucket, the key's bucket,
// the quota, the stage's method bucket and the account bucket: 4 buckets and a quota, one
// script run) from concurrent callers, with rueidis's auto-pipelining (the State's
// setting) and with one pooled connection per call in flight. It reports requests a
// second and the CPU one Admit costs this process (client) and the Redis server (server),
// in µs. Callers spread over 1,000 API keys; every check is admitted.
//
//	go test -run '^$' -bench Admit -benchtime 2s -cpu 2 ./internal/redisstate/
//
// The server's CPU is the whole server's: on a Redis that others use too, point the
// benchmark at a private one with GATEHOUSE_REDISSTATE_BENCH_URL (redis://127.0.0.1:6391/0
// after `redis-server --port 6391 --save ”`).
func BenchmarkAdmit(b *testing.B) {
	for _, mode := range []struct {
		name  string
		tweak func(*rueidis.ClientOption)
	}{
		{"autopipeline", nil},
		{"pool", func(o *rueidis.ClientOption) { o.DisableAutoPipelining = true }},
	} {
		for _, par := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/callers=%dxGOMAXPROCS", mode.name, par), func(b *testing.B) {
				if redisDown != "" {
					b.Skip(redisDown)
				}
				url := testURL
				if u := os.Getenv("GATEHOUSE_REDISSTATE_BENCH_URL"); u != "" {
					url = u
				}
				s, err := newState(context.Background(), url, Options{Prefix: testPrefix(b)}, mode.tweak)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				start, end, _ := meter.Window("MONTH", 0, t0)
				var keySeq atomic.Int64
				client0, server0 := processCPU(), redisCPU(b, s)
				b.ReportAllocs()
				b.SetParallelism(par)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					k := strconv.FormatInt(keySeq.Add(1)%1000, 10)
					c := &meter.Check{Buckets: []meter.Bucket{
						{Key: "plan/p1/key/" + k + "/api1/prod/res/GET", Rate: 1e6, Burst: 1e9},
						{Key: "plan/p1/key/" + k, Rate: 1e6, Burst: 1e9},
						{Key: "stage/api1/prod/res/GET", Rate: 1e6, Burst: 1e9},
						{Key: "acct", Rate: 1e6, Burst: 1e9},
					}, Quota: &meter.Quota{Key: meter.QuotaKey("p1", k), Limit: 1 << 50, Start: start, End: end}}
					for pb.Next() {
						o, err := s.Admit(context.Background(), t0, c)
						if err != nil || o != meter.Admitted {
							b.Errorf("Admit: %d, %v", o, err)
							return
						}
					}
				})
				b.StopTimer()
				client, server := processCPU()-client0, redisCPU(b, s)-server0
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
				b.ReportMetric(float64(client.Microseconds())/float64(b.N), "client-µs-cpu/op")
				b.ReportMetric(float64(server.Microseconds())/float64(b.N), "server-µs-cpu/op")
			})
		}
	}
}

// processCPU is this process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is the Redis server's user+system CPU time so far (INFO cpu).
func redisCPU(b *testing.B, s *State) time.Duration {
	info, err := s.c.Do(context.Background(), s.c.B().Info().Section("cpu").Build()).ToString()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}
