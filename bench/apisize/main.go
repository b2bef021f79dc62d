// Command apisize measures how the management API's costs grow with an API's size: for each
// size it builds APIs of that many resources through the real management API over HTTP (5
// operations per resource, as Terraform or the CLI make them: create-resource, put-method,
// put-method-response, put-integration, put-integration-response) on a bolt store in a
// temporary directory, the management API and data plane on it as `gatehouse serve` has them
// (without its Lambda API, admin credentials and listener limits), then deploys and reports:
//
//   - per-operation latency: p50, p99 and mean per operation type, and the mean of the first
//     and last 10% of the build ("early" and "late");
//   - the data file's size and the live data's size (the sum of the stored values);
//   - peak RSS (VmHWM) of the process that serves;
//   - create-deployment latency, compile-on-deploy time (a fresh data plane decoding and
//     compiling the deployed stage) and data-plane propagation: from create-deployment
//     acknowledged until the data plane answers with the new deployment; each the median
//     of redeploys redeploys (compile: of as many fresh data planes).
//
// Each size runs in a child process of its own so that peak RSS is that size's alone.
//
//	go run ./bench/apisize                       # sizes 10,300,1000, 2 APIs each
//	go run ./bench/apisize -sizes 50,1000 -apis 1
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/bench/apisetup"
	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway"
	"github.com/gatehouse/gatehouse/internal/h1server"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/bolt"
	"github.com/gatehouse/gatehouse/internal/store/memory"
)

// opTypes are the operations of one resource, in the order they are made.
var opTypes = []string{"create-resource", "put-method", "put-method-response", "put-integration", "put-integration-response"}

// result is one size's measurements, as the child prints them.
type result struct {
	Resources      int
	APIs           int
	Ops            map[string][]float64 // latencies in ms, by op type, in build order
	FileBytes      int64                // the data file after the build and deployments
	LiveBytes      int64                // sum of the stored values
	PeakRSSKiB     int64
	DeployMs       float64 // create-deployment latency (median of redeploys)
	CompileMs      float64 // a fresh data plane's load + compile of the deployed stage (median)
	PropagationMs  float64 // create-deployment acknowledged → data plane serves it (median)
	BuildSeconds   float64
	DeployedStages int
}

func main() {
	sizes := flag.String("sizes", "10,300,1000", "comma-separated resource counts per API")
	apis := flag.Int("apis", 2, "APIs built per size")
	child := flag.Int("child", 0, "internal: run one size in this process and print its result as JSON")
	flag.Parse()
	if *child > 0 {
		r, err := runSize(*child, *apis)
		if err != nil {
			fmt.Fprintln(os.Stderr, "apisize:", err)
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "apisize:", err)
		os.Exit(1)
	}
	var results []result
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "apisize: bad size %q\n", f)
			os.Exit(2)
		}
		cmd := exec.Command(self, "-child", strconv.Itoa(n), "-apis", strconv.Itoa(*apis))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			fmt.Fprintf(os.Stderr, "apisize: size %d: %v\n", n, err)
			os.Exit(1)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			fmt.Fprintf(os.Stderr, "apisize: size %d: %v\n", n, err)
			os.Exit(1)
		}
		results = append(results, r)
	}
	report(os.Stdout, results)
}

// report prints the tables of docs/performance.md.
func report(w io.Writer, rs []result) {
	fmt.Fprintf(w, "| resources/API × APIs | op | p50 ms | p99 ms | mean ms | early mean | late mean |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		var all []float64
		for _, op := range opTypes {
			lat := r.Ops[op]
			all = append(all, lat...)
			fmt.Fprintf(w, "| %d × %d | %s | %s |\n", r.Resources, r.APIs, op, stats(lat))
		}
		fmt.Fprintf(w, "| %d × %d | **all** | %s |\n", r.Resources, r.APIs, statsUnordered(all, r.Ops))
	}
	fmt.Fprintf(w, "\n| resources/API × APIs | build s | data file MiB | live data MiB | peak RSS MiB | create-deployment ms | compile ms | propagation ms |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(w, "| %d × %d | %.1f | %.1f | %.2f | %.0f | %.1f | %.1f | %.1f |\n", r.Resources, r.APIs, r.BuildSeconds,
			float64(r.FileBytes)/(1<<20), float64(r.LiveBytes)/(1<<20), float64(r.PeakRSSKiB)/1024, r.DeployMs, r.CompileMs, r.PropagationMs)
	}
}

// stats formats p50, p99, mean and the early/late means of latencies in build order.
func stats(lat []float64) string {
	if len(lat) == 0 {
		return "- | - | - | - | -"
	}
	s := slices.Sorted(slices.Values(lat))
	tenth := max(len(lat)/10, 1)
	return fmt.Sprintf("%.2f | %.2f | %.2f | %.2f | %.2f", pct(s, 0.50), pct(s, 0.99), mean(lat), mean(lat[:tenth]), mean(lat[len(lat)-tenth:]))
}

// statsUnordered is stats over every op type: early and late are over each type's tenth.
func statsUnordered(all []float64, byOp map[string][]float64) string {
	s := slices.Sorted(slices.Values(all))
	var early, late []float64
	for _, lat := range byOp {
		tenth := max(len(lat)/10, 1)
		early = append(early, lat[:tenth]...)
		late = append(late, lat[len(lat)-tenth:]...)
	}
	return fmt.Sprintf("%.2f | %.2f | %.2f | %.2f | %.2f", pct(s, 0.50), pct(s, 0.99), mean(all), mean(early), mean(late))
}

func pct(sorted []float64, p float64) float64 {
	return sorted[min(int(p*float64(len(sorted))), len(sorted)-1)]
}

func median(v []float64) float64 { return pct(slices.Sorted(slices.Values(v)), 0.5) }

func mean(v []float64) float64 {
	var t float64
	for _, x := range v {
		t += x
	}
	return t / float64(len(v))
}

const domain = "execute-api.localhost"

// redeploys is how many deployments are timed per size.
const redeploys = 5

// runSize builds apis APIs of n resources each on a fresh store and measures them.
func runSize(n, apis int) (*result, error) {
	dir, err := os.MkdirTemp("", "apisize-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	dbPath := filepath.Join(dir, "gatehouse.db")
	st, err := bolt.Open(dbPath)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	scope := apigateway.Scope{AccountID: "000000000000", Region: "us-east-1"}
	admin := mgmt.New(mgmt.Config{Store: st, Scope: scope, Logger: log})
	gw := gateway.New(gateway.Config{Store: st, Scope: scope, Domain: domain, Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = gw.Run(ctx) }()

	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	dataLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	adminSrv := &http.Server{Handler: admin, ReadHeaderTimeout: 30 * time.Second}
	dataSrv := &h1server.Server{Handler: gw, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	go func() { _ = adminSrv.Serve(adminLn) }()
	go func() { _ = dataSrv.Serve(dataLn) }()
	defer adminSrv.Close()
	defer dataSrv.Shutdown(context.Background())

	c := &client{base: "http://" + adminLn.Addr().String(), hc: &http.Client{Timeout: time.Minute}}
	data := &http.Client{Timeout: 10 * time.Second}
	res := &result{Resources: n, APIs: apis, Ops: map[string][]float64{}}
	start := time.Now()
	type built struct{ id, firstResource string }
	var ids []built
	for a := range apis {
		var api struct{ ID, RootResourceID string }
		if _, err := c.call("POST", "/restapis", map[string]any{"name": fmt.Sprintf("apisize-%d", a)}, &api); err != nil {
			return nil, err
		}
		b := built{id: api.ID}
		base := "/restapis/" + api.ID
		for i := range n {
			var r struct{ ID string }
			d, err := c.call("POST", base+"/resources/"+api.RootResourceID, map[string]any{"pathPart": fmt.Sprintf("r%d", i)}, &r)
			if err != nil {
				return nil, err
			}
			res.Ops["create-resource"] = append(res.Ops["create-resource"], d)
			if i == 0 {
				b.firstResource = r.ID
			}
			m := base + "/resources/" + r.ID + "/methods/GET"
			steps := []struct {
				op, method, path string
				body             any
			}{
				{"put-method", "PUT", m, map[string]any{"authorizationType": "NONE", "requestParameters": map[string]bool{"method.request.querystring.q": false}}},
				{"put-method-response", "PUT", m + "/responses/200", map[string]any{"responseModels": map[string]string{"application/json": "Empty"}}},
				{"put-integration", "PUT", m + "/integration", map[string]any{"type": "MOCK", "requestTemplates": map[string]string{"application/json": `{"statusCode": 200}`}}},
				{"put-integration-response", "PUT", m + "/integration/responses/200", map[string]any{"responseTemplates": map[string]string{"application/json": fmt.Sprintf(`{"resource": %d, "deployment": "v1"}`, i)}}},
			}
			for _, s := range steps {
				d, err := c.call(s.method, s.path, s.body, nil)
				if err != nil {
					return nil, err
				}
				res.Ops[s.op] = append(res.Ops[s.op], d)
			}
		}
		ids = append(ids, b)
	}
	res.BuildSeconds = time.Since(start).Seconds()

	// Deploy the first API: the first deployment creates the stage; then each redeploy, after
	// changing one answer, is measured.
	api := ids[0]
	host := api.id + "." + domain
	get := func() (int, string, error) {
		req, _ := http.NewRequest("GET", "http://"+dataLn.Addr().String()+"/s/r0", nil)
		req.Host = host
		resp, err := data.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	if _, err := c.call("POST", "/restapis/"+api.id+"/deployments", map[string]any{"stageName": "s"}, nil); err != nil {
		return nil, err
	}
	if _, err := waitFor(get, `"v1"`); err != nil {
		return nil, err
	}
	var dep struct{ ID string }
	var deploys, propagations, compiles []float64
	for v := 2; v < 2+redeploys; v++ {
		if _, err := c.call("PUT", "/restapis/"+api.id+"/resources/"+api.firstResource+"/methods/GET/integration/responses/200",
			map[string]any{"responseTemplates": map[string]string{"application/json": fmt.Sprintf(`{"resource": 0, "deployment": "v%d"}`, v)}}, nil); err != nil {
			return nil, err
		}
		d, err := c.call("POST", "/restapis/"+api.id+"/deployments", map[string]any{"stageName": "s"}, &dep)
		if err != nil {
			return nil, err
		}
		acked := time.Now()
		if _, err := waitFor(get, fmt.Sprintf(`"v%d"`, v)); err != nil {
			return nil, err
		}
		propagations = append(propagations, float64(time.Since(acked).Microseconds())/1000)
		deploys = append(deploys, d)
		ms, err := compileTime(st, scope, api.id, dep.ID)
		if err != nil {
			return nil, err
		}
		compiles = append(compiles, ms)
	}
	res.DeployMs, res.PropagationMs, res.CompileMs = median(deploys), median(propagations), median(compiles)
	res.DeployedStages = 1
	kvs, _, err := st.List(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, kv := range kvs {
		res.LiveBytes += int64(len(kv.Key) + len(kv.Value))
	}
	fi, err := os.Stat(dbPath)
	if err != nil {
		return nil, err
	}
	res.FileBytes = fi.Size()
	res.PeakRSSKiB = peakRSS()
	return res, nil
}

// compileTime copies the stage and its deployment into a fresh memory store and times a new
// data plane's start until it is ready: decoding the deployment and compiling the stage.
func compileTime(src store.Store, scope apigateway.Scope, apiID, depID string) (float64, error) {
	ctx := context.Background()
	var ops []store.Op
	for _, key := range []string{scope.StageKey(apiID, "s"), scope.DeploymentKey(apiID, depID)} {
		kv, err := src.Get(ctx, key)
		if err != nil {
			return 0, fmt.Errorf("compile time: %w", err)
		}
		ops = append(ops, store.Op{Key: key, Value: kv.Value, IfRevision: store.AnyRevision})
	}
	mem := memory.New()
	defer mem.Close()
	if _, err := mem.Txn(ctx, ops...); err != nil {
		return 0, err
	}
	gw := gateway.New(gateway.Config{Store: mem, Scope: scope, Domain: domain, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	go func() { _ = gw.Run(runCtx) }()
	deadline := start.Add(30 * time.Second)
	for !gw.Ready() {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("compile time: data plane not ready after 30s")
		}
		time.Sleep(50 * time.Microsecond)
	}
	elapsed := time.Since(start)
	if errs := gw.StageErrors(); len(errs) > 0 {
		return 0, fmt.Errorf("compile time: %v", errs)
	}
	return float64(elapsed.Microseconds()) / 1000, nil
}

// waitFor polls get until the body contains want, for at most 30 s.
func waitFor(get func() (int, string, error), want string) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		code, body, err := get()
		if err == nil && code == 200 && strings.Contains(body, want) {
			return body, nil
		}
		last = fmt.Sprintf("%d %s %v", code, body, err)
		time.Sleep(200 * time.Microsecond)
	}
	return "", fmt.Errorf("data plane did not serve %s within 30s; last answer: %s", want, last)
}

// peakRSS is this process's peak resident set (VmHWM) in KiB, 0 where /proc is missing.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// client calls the management API as the CLI does (unsigned: no --admin-credentials on
// loopback accepts any caller).
type client struct {
	base string
	hc   *http.Client
}

// call sends one request and returns its latency in ms: the round trip, with the JSON
// encoding of in and decoding into out (microseconds beside it).
func (c *client) call(method, path string, in, out any) (float64, error) {
	start := time.Now()
	if err := apisetup.Call(c.hc.Do, method, c.base+path, in, out); err != nil {
		return 0, err
	}
	return float64(time.Since(start).Microseconds()) / 1000, nil
}
