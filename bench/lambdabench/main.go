// Command lambdabench measures gatehouse's share of a warm local Lambda proxy call: a real
// function behind an AWS_PROXY method, called by concurrent keep-alive clients. The function
// is an aws-lambda-go one (-runtime go, provided.al2023), or the same answer from a Node.js
// (nodejs20.x) or Python (python3.12) handler on the machine's interpreter, through
// gatehouse's managed runtimes; it also reports cold starts (-cold).
//
// It wires the data plane, the Lambda runtime and both management APIs in process exactly
// as `gatehouse serve` does (over the in-memory store), builds the function in bench/lambdabench/fn,
// creates it through the Lambda API and the REST API through the apigateway API, and then
// runs the clients. For every request it takes the client's round trip and the function's own
// time (lambda.Result.Duration: from the event handed to the process to its answer
// arriving, AWS's REPORT Duration), matched by the request id; gatehouse's share is the
// difference: routing, the event, the pool, the Runtime API exchange, the answer's
// validation and the response, plus the client's own HTTP work (so it errs high).
//
//	go run ./bench/lambdabench -clients 32 -duration 10s [-runtime go|node|python] [-cold 5]
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/bench/apisetup"
	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway"
	"github.com/gatehouse/gatehouse/internal/h1server"
	"github.com/gatehouse/gatehouse/internal/lambda"
	"github.com/gatehouse/gatehouse/internal/lambdaapi"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store/memory"
)

const (
	account  = "000000000000"
	region   = "us-east-1"
	function = "bench"
	stage    = "bench"
)

func main() {
	clients := flag.Int("clients", 32, "concurrent clients, each on its own keep-alive connection")
	duration := flag.Duration("duration", 10*time.Second, "measured time")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured time first (cold starts happen here)")
	concurrency := flag.Int("function-concurrency", 0, "the function's process limit; 0 means the runtime's default (10)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of this process (gatehouse and the clients) over the measured time")
	interval := flag.Duration("interval", 0, "each client starts a request this often (an open loop: 32 clients at 64ms is 500 req/s); 0 sends the next request as soon as the last is answered (a closed loop)")
	runtime := flag.String("runtime", "go", "the function: go (aws-lambda-go, provided.al2023), node (nodejs20.x) or python (python3.12)")
	cold := flag.Int("cold", 5, "cold starts measured before the load: each evicts the function's processes, then calls it once")
	flag.Parse()
	fn, ok := functions[*runtime]
	if !ok {
		log.Fatalf("-runtime %q: want go, node or python", *runtime)
	}
	if err := run(fn, *clients, *duration, *warmup, *concurrency, *interval, *cold, *cpuProfile); err != nil {
		log.Fatal(err)
	}
}

// benchFunction is the function under test in one runtime.
type benchFunction struct {
	runtime, handler string
	// pack returns the deployment package.
	pack func(dir string) ([]byte, error)
}

var functions = map[string]benchFunction{
	"go": {"provided.al2023", "bootstrap", buildFunction},
	"node": {"nodejs20.x", "index.handler", zipSource("index.js",
		`exports.handler = async () => ({statusCode:200, body:"ok"})`+"\n")},
	"python": {"python3.12", "lambda_function.handler", zipSource("lambda_function.py",
		`def handler(e, c): return {"statusCode":200,"body":"ok"}`+"\n")},
}

// zipSource returns a pack of one source file.
func zipSource(name, src string) func(string) ([]byte, error) {
	return func(string) ([]byte, error) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.Create(name)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(w, src); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
}

// timingRunner records each invocation's own time by the API Gateway request id in its event.
type timingRunner struct {
	lambda.Runner
	durations sync.Map     // request id → time.Duration
	arn       atomic.Value // the function's Spec.ARN, the runtime's pool key (for Evict)
}

func (t *timingRunner) InvokeWith(ctx context.Context, spec *lambda.Spec, payload []byte, opts *lambda.InvokeOptions) (*lambda.Result, error) {
	t.arn.Store(spec.ARN)
	res, err := t.Runner.InvokeWith(ctx, spec, payload, opts)
	if err == nil {
		if id := requestID(payload); id != "" {
			t.durations.Store(id, res.Duration)
		}
	}
	return res, err
}

// requestID finds requestContext.requestId in a proxy event without decoding it whole.
func requestID(event []byte) string {
	i := bytes.Index(event, []byte(`"requestId":"`))
	if i < 0 {
		return ""
	}
	rest := event[i+len(`"requestId":"`):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

func run(fn benchFunction, clients int, duration, warmup time.Duration, concurrency int, interval time.Duration, cold int, cpuProfile string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir, err := os.MkdirTemp("", "lambdabench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	zipFile, err := fn.pack(dir)
	if err != nil {
		return err
	}

	// As cmd/gatehouse wires the planes.
	st := memory.New()
	defer st.Close()
	code, err := lambda.NewCodeStore(filepath.Join(dir, "code"))
	if err != nil {
		return err
	}
	rt, err := lambda.NewRuntime(lambda.RuntimeConfig{Region: region, AccountID: account, Logger: logger, DefaultConcurrency: concurrency})
	if err != nil {
		return err
	}
	defer rt.Close(context.Background())
	timing := &timingRunner{Runner: rt}
	registry := lambda.NewRegistry(st, lambda.Scope{AccountID: account, Region: region}, nil)
	invoker := lambda.NewInvoker(lambda.InvokerConfig{Registry: registry, Code: code, Runner: timing, Logger: logger})
	defer invoker.Close(context.Background())
	lambdaAPI := lambdaapi.New(lambdaapi.Config{Registry: registry, Code: code, Invoker: invoker, Logger: logger})
	scope := apigateway.Scope{AccountID: account, Region: region}
	admin := mgmt.New(mgmt.Config{Store: st, Scope: scope, Logger: logger})

	if err := call(lambdaAPI, "POST", "/2015-03-31/functions", map[string]any{
		"FunctionName": function, "Runtime": fn.runtime, "Handler": fn.handler,
		"Role": "arn:aws:iam::" + account + ":role/bench", "Code": map[string]any{"ZipFile": base64.StdEncoding.EncodeToString(zipFile)},
	}, nil); err != nil {
		return fmt.Errorf("create the function: %w", err)
	}
	apiID, err := createAPI(admin)
	if err != nil {
		return fmt.Errorf("create the API: %w", err)
	}

	gw := gateway.New(gateway.Config{Store: st, Scope: scope, Logger: logger, Lambda: invoker})
	go func() { _ = gw.Run(ctx) }()
	defer cancel() // before the store closes (defers run last first), so the gateway stops quietly
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &h1server.Server{Handler: gw, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 5 * time.Minute, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Shutdown(context.Background())
	url := fmt.Sprintf("http://%s/restapis/%s/%s/_user_request_/", ln.Addr(), apiID, stage)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}}
	// The first call that succeeds is the function's first invocation ever: its cold start
	// plus the code store's unpacking of the package. (Earlier attempts are answered by the
	// gateway before the stage is compiled, without calling the function.)
	var first time.Duration
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		t0 := time.Now()
		if _, err := get(client, url); err == nil {
			first = time.Since(t0)
			break
		} else if time.Now().After(deadline) {
			return fmt.Errorf("the API did not answer within 10s: %w", err)
		}
	}
	// Cold starts: with no process left, one call starts one (its round trip, and the
	// function's own time, which excludes the start).
	colds := make([]time.Duration, 0, cold)
	for range cold {
		arn, _ := timing.arn.Load().(string)
		rt.Evict(arn)
		t0 := time.Now()
		if _, err := get(client, url); err != nil {
			return fmt.Errorf("cold call: %w", err)
		}
		colds = append(colds, time.Since(t0))
	}

	type sample struct{ total, fn time.Duration }
	var (
		mu       sync.Mutex
		samples  []sample
		failures atomic.Int64
		measure  atomic.Bool
		wg       sync.WaitGroup
	)
	stop := time.Now().Add(warmup + duration)
	time.AfterFunc(warmup, func() {
		measure.Store(true)
		if cpuProfile != "" {
			if f, err := os.Create(cpuProfile); err == nil {
				if err := pprof.StartCPUProfile(f); err == nil {
					time.AfterFunc(duration, func() { pprof.StopCPUProfile(); f.Close() })
				}
			}
		}
	})
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []sample
			next := time.Now().Add(interval * time.Duration(c) / time.Duration(clients)) // spread the clients' starts
			for time.Now().Before(stop) {
				if interval > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(interval)
				}
				t0 := time.Now()
				id, err := get(client, url)
				total := time.Since(t0)
				if !measure.Load() {
					continue
				}
				if err != nil {
					failures.Add(1)
					continue
				}
				d, ok := timing.durations.LoadAndDelete(id)
				if !ok {
					failures.Add(1)
					continue
				}
				mine = append(mine, sample{total, d.(time.Duration)})
			}
			mu.Lock()
			samples = append(samples, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(samples) == 0 {
		return fmt.Errorf("no successful request (%d failures)", failures.Load())
	}

	totals := make([]time.Duration, len(samples))
	fns := make([]time.Duration, len(samples))
	shares := make([]time.Duration, len(samples))
	for i, s := range samples {
		totals[i], fns[i], shares[i] = s.total, s.fn, s.total-s.fn
	}
	loop := "closed loop"
	if interval > 0 {
		loop = fmt.Sprintf("open loop, one request per client every %v", interval)
	}
	fmt.Printf("runtime %s (%s), clients %d (%s), function concurrency %s, %v measured: %d requests (%.0f req/s), %d failures\n",
		fn.runtime, fn.handler, clients, loop, limitText(concurrency), duration, len(samples), float64(len(samples))/duration.Seconds(), failures.Load())
	fmt.Printf("cold start (round trip of a call that starts a process): first ever %s", ms(first))
	if len(colds) > 0 {
		slices.Sort(colds)
		fmt.Printf("; %d after eviction: min %s, median %s, max %s", len(colds), ms(colds[0]), ms(colds[len(colds)/2]), ms(colds[len(colds)-1]))
	}
	fmt.Println()
	fmt.Printf("%-34s %9s %9s %9s\n", "", "p50", "p90", "p99")
	for _, row := range []struct {
		name string
		d    []time.Duration
	}{{"round trip (client)", totals}, {"function's own time (Duration)", fns}, {"gatehouse's share (difference)", shares}} {
		slices.Sort(row.d)
		fmt.Printf("%-34s %9s %9s %9s\n", row.name, ms(pct(row.d, 50)), ms(pct(row.d, 90)), ms(pct(row.d, 99)))
	}
	return nil
}

func limitText(n int) string {
	if n == 0 {
		return "default"
	}
	return fmt.Sprint(n)
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(i, len(sorted))-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond)) }

// get calls url and returns the response's request id; a non-200 answer is an error.
func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return resp.Header.Get("x-amzn-RequestId"), nil
}

// buildFunction builds bench/lambdabench/fn as a custom-runtime bootstrap and zips it.
func buildFunction(dir string) ([]byte, error) {
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./bench/lambdabench/fn")
	cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the function (run from the repository root): %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	return apisetup.ZipBootstrap(data)
}

// createAPI creates GET / with an AWS_PROXY integration to the function, deployed to stage
// "bench", through the apigateway API as `aws apigateway` would.
func createAPI(admin http.Handler) (string, error) {
	var api struct{ ID, RootResourceID string }
	if err := call(admin, "POST", "/restapis", map[string]any{"name": "lambdabench"}, &struct {
		ID             *string `json:"id"`
		RootResourceID *string `json:"rootResourceId"`
	}{&api.ID, &api.RootResourceID}); err != nil {
		return "", err
	}
	base := "/restapis/" + api.ID + "/resources/" + api.RootResourceID + "/methods/GET"
	fnARN := "arn:aws:lambda:" + region + ":" + account + ":function:" + function
	steps := []struct {
		method, path string
		body         any
	}{
		{"PUT", base, map[string]any{"authorizationType": "NONE"}},
		{"PUT", base + "/integration", map[string]any{"type": "AWS_PROXY", "httpMethod": "POST",
			"uri": "arn:aws:apigateway:" + region + ":lambda:path/2015-03-31/functions/" + fnARN + "/invocations"}},
		{"POST", "/restapis/" + api.ID + "/deployments", map[string]any{"stageName": stage}},
	}
	for _, s := range steps {
		if err := call(admin, s.method, s.path, s.body, nil); err != nil {
			return "", err
		}
	}
	return api.ID, nil
}

// call sends one management request to h in process and decodes a 2xx answer into out.
func call(h http.Handler, method, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	if out != nil {
		return json.Unmarshal(rec.Body.Bytes(), out)
	}
	return nil
}
