// Command gwprof serves gatehouse's data plane exactly as `gatehouse serve` wires it
// (gateway.Server behind an h1server.Server with the same settings), over an in-memory store
// holding the benchmark API, and records CPU and allocation profiles while a load generator
// drives it. gatehouse itself has no profiling switch; this harness exists so that its hot
// path can be profiled under real HTTP load without changing it.
//
//	gwprof -listen 127.0.0.1:8001 -backend http://127.0.0.1:9000 \
//	    -cpuprofile cpu.pprof -memprofile mem.pprof -profile-delay 2s -profile-for 10s
//
// It prints "url http://.../restapis/{id}/bench/_user_request_/" once it serves, writes the
// profiles after the window, and serves until it is interrupted. The gateway has the
// in-process throttle state, as serve has by default (on the in-memory store); with -api-key
// the method requires an API key of a metered usage plan (apisetup.CreateWithAPIKey) and a
// line "key {value}" comes before the url.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/bench/apisetup"
	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway"
	"github.com/gatehouse/gatehouse/internal/gateway/integration"
	"github.com/gatehouse/gatehouse/internal/h1server"
	"github.com/gatehouse/gatehouse/internal/localstate"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store/memory"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8001", "data plane address")
	backend := flag.String("backend", "http://127.0.0.1:9000", "backend base URL for the HTTP_PROXY integration")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the window to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile (allocations in the window) to this file")
	delay := flag.Duration("profile-delay", 2*time.Second, "wait this long after serving starts before profiling (warm-up)")
	window := flag.Duration("profile-for", 10*time.Second, "length of the profiling window")
	withKey := flag.Bool("api-key", false, "require an API key of a usage plan with a throttle and a quota")
	flag.Parse()
	if err := run(*listen, *backend, *cpuProfile, *memProfile, *delay, *window, *withKey); err != nil {
		log.Fatal(err)
	}
}

func run(listen, backend, cpuProfile, memProfile string, delay, window time.Duration, withKey bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	st := memory.New()
	defer st.Close()
	scope := apigateway.Scope{AccountID: "000000000000", Region: "us-east-1"}
	admin := mgmt.New(mgmt.Config{Store: st, Scope: scope, Logger: logger})
	var apiID, key string
	var err error
	if withKey {
		apiID, key, err = apisetup.CreateWithAPIKey(apisetup.InProcess(admin), backend)
	} else {
		apiID, err = apisetup.Create(apisetup.InProcess(admin), backend)
	}
	if err != nil {
		return fmt.Errorf("create the benchmark API: %w", err)
	}
	state, err := localstate.Open(ctx, localstate.Options{Store: st, Prefix: scope.QuotaCountPrefix(), Logger: logger})
	if err != nil {
		return err
	}
	defer state.Close()
	go func() { _ = state.Run(ctx) }()

	// The account throttle is checked on every request, with limits no run reaches (as
	// bench/run.sh sets them).
	gw := gateway.New(gateway.Config{Store: st, Scope: scope, Logger: logger, State: state,
		AccountThrottle: apigateway.ThrottleSettings{RateLimit: 1e9, BurstLimit: 1e9}})
	go func() { _ = gw.Run(ctx) }()
	for deadline := time.Now().Add(5 * time.Second); !gw.Ready(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("gateway not ready after 5s")
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	// As cmd/gatehouse serves the data plane.
	// serve's defaults (cmd/gatehouse/config.go), so that the profile pays the deadlines and
	// limits a real data plane pays.
	srv := &h1server.Server{Handler: gw,
		ReadHeaderTimeout: 10 * time.Second, ReadBodyTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 5 * time.Minute, MaxHeaderBytes: 10240, MaxChunkSize: integration.MaxPayload,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	// The stage compiles asynchronously after the deployment: wait until it answers.
	url := fmt.Sprintf("http://%s/restapis/%s/%s/_user_request_/", ln.Addr(), apiID, apisetup.Stage)
	if err := waitServing(ctx, url+"ready", key); err != nil {
		return err
	}
	if key != "" {
		fmt.Println("key", key) // before the url line, which profile.sh waits for
	}
	fmt.Println("url", url)

	if cpuProfile != "" || memProfile != "" {
		go func() {
			if err := profile(ctx, cpuProfile, memProfile, delay, window); err != nil {
				log.Print(err)
			}
		}()
	}
	<-ctx.Done()
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

func waitServing(ctx context.Context, url, key string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return err
		}
		if key != "" {
			req.Header.Set("x-api-key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s did not answer 200 within 10s (last: %v)", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// profile records the CPU profile of the window, and the allocations made in it (the heap
// profile's alloc_* samples, taken at both ends; compare with `go tool pprof -base`).
func profile(ctx context.Context, cpuProfile, memProfile string, delay, window time.Duration) error {
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(delay):
	}
	if memProfile != "" {
		if err := writeHeap(memProfile + ".base"); err != nil {
			return err
		}
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
	case <-time.After(window):
	}
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if memProfile != "" {
		if err := writeHeap(memProfile); err != nil {
			return err
		}
	}
	fmt.Fprintln(os.Stderr, "gwprof: profiles written")
	return nil
}

func writeHeap(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}
