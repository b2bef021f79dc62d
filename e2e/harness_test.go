package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
)

// gatehouseBin is the gatehouse binary TestMain builds for this run.
var gatehouseBin string

// defaultParallel is how many tests run at once unless -parallel says otherwise. The tests
// spend most of their time waiting for other processes (the aws CLI, Terraform, moto,
// gatehouse itself), so go test's default of GOMAXPROCS (2 on the project's machines) leaves
// the CPU idle and runs the long scripts one after the other. Every test has its own
// gatehouse, data dir and ports, so they can run together; 8 overlaps the waits without
// starting so many CLI processes at once that each crawls (all 16 at once was slower on a
// busy machine, and timed out).
const defaultParallel = 8

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		if err := flag.Set("test.parallel", strconv.Itoa(defaultParallel)); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "gatehouse-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	gatehouseBin = filepath.Join(dir, "gatehouse")
	if err := buildGatehouse(gatehouseBin); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build the gatehouse binary:", err)
		return 1
	}
	return m.Run()
}

// buildGatehouse builds cmd/gatehouse into out with the go command that runs the tests.
func buildGatehouse(out string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goCmd, "build", "-o", out, "github.com/gatehouse/gatehouse/cmd/gatehouse")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v\n%s", err, buf.String())
	}
	return nil
}

// Deadlines of the suite's waits. They catch hangs, not slowness: each is many times what
// the wait takes on a 2-core machine busy with other work (a single aws CLI call has been
// seen to take 30 s there), so that reaching one means something is stuck.
const (
	commandDeadline   = 8 * time.Minute  // one aws CLI or Terraform command
	startDeadline     = 2 * time.Minute  // a process (gatehouse, moto) to listen, or to exit
	propagateDeadline = 30 * time.Second // a management change to show on the data plane
)

// Account and region every gatehouse of these tests presents itself as.
const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
)

// options configure one gatehouse process.
type options struct {
	dataDir     string   // "" means a new temporary directory
	adminHost   string   // host of --admin-listen; "" means 127.0.0.1
	credentials string   // --admin-credentials file, if any
	args        []string // more serve flags, appended after the ones above
}

// gatehouse is one running `gatehouse serve` process on free loopback ports.
type gatehouse struct {
	t        *testing.T
	opts     options
	cmd      *exec.Cmd
	stderr   *syncBuffer
	exited   chan struct{}
	waitErr  error // valid once exited is closed
	dataPort int
	// DataURL and AdminURL are http://127.0.0.1:port of the data plane and management API.
	DataURL  string
	AdminURL string
}

// startGatehouse starts gatehouse and waits until both its ports accept connections. The
// process is killed when the test ends if it still runs; its stderr is logged if the test
// failed.
func startGatehouse(t *testing.T, opts options) *gatehouse {
	t.Helper()
	if opts.dataDir == "" {
		opts.dataDir = t.TempDir()
	}
	if opts.adminHost == "" {
		opts.adminHost = "127.0.0.1"
	}
	var lastErr error
	// Free ports are picked by listening on :0 and closing, so another process may take one
	// before gatehouse binds it: retry with new ports then.
	for attempt := 0; attempt < 3; attempt++ {
		g, err := tryStart(t, opts)
		if err == nil {
			return g
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("start gatehouse: %v", lastErr)
	return nil
}

func tryStart(t *testing.T, opts options) (*gatehouse, error) {
	dataPort, adminPort := freePort(t), freePort(t)
	args := []string{"serve",
		"--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(dataPort)),
		"--admin-listen", net.JoinHostPort(opts.adminHost, strconv.Itoa(adminPort)),
		"--data-dir", opts.dataDir,
		"--region", testRegion,
		"--account-id", testAccount,
		"--shutdown-timeout", "10s",
	}
	if opts.credentials != "" {
		args = append(args, "--admin-credentials", opts.credentials)
	}
	args = append(args, opts.args...)
	g := &gatehouse{
		t:        t,
		opts:     opts,
		cmd:      exec.Command(gatehouseBin, args...),
		stderr:   &syncBuffer{},
		exited:   make(chan struct{}),
		dataPort: dataPort,
		DataURL:  "http://127.0.0.1:" + strconv.Itoa(dataPort),
		AdminURL: "http://127.0.0.1:" + strconv.Itoa(adminPort),
	}
	g.cmd.Env = cleanEnv()
	g.cmd.Stdout = g.stderr
	g.cmd.Stderr = g.stderr
	// Wait also waits for the output to be copied, which a leftover child (a Lambda function
	// process) holding the pipe could stop for ever once gatehouse is killed.
	g.cmd.WaitDelay = 10 * time.Second
	dieWithTests(g.cmd)
	if err := g.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		g.waitErr = g.cmd.Wait()
		close(g.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-g.exited:
		default:
			g.cmd.Process.Kill()
			<-g.exited
		}
		if t.Failed() {
			t.Logf("gatehouse %s stderr:\n%s", strings.Join(args, " "), g.stderr.String())
		}
	})
	deadline := time.Now().Add(startDeadline)
	for _, port := range []int{dataPort, adminPort} {
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-g.exited:
				return nil, fmt.Errorf("gatehouse exited before listening (%v):\n%s", g.waitErr, g.stderr.String())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				g.cmd.Process.Kill()
				<-g.exited
				return nil, fmt.Errorf("port %d does not answer after %v:\n%s", port, startDeadline, g.stderr.String())
			}
		}
	}
	return g, nil
}

// stop sends SIGTERM and checks that gatehouse shuts down cleanly: exit status 0 in time. If
// the process is already exiting from an earlier SIGTERM, stop only checks how it ends.
func (g *gatehouse) stop() {
	g.t.Helper()
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		g.t.Fatalf("SIGTERM gatehouse: %v", err)
	}
	select {
	case <-g.exited:
	case <-time.After(startDeadline):
		g.cmd.Process.Kill()
		<-g.exited
		g.t.Fatalf("gatehouse did not exit within %v of SIGTERM", startDeadline)
	}
	if g.waitErr != nil {
		g.t.Fatalf("gatehouse after SIGTERM: %v; want exit status 0", g.waitErr)
	}
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (g *gatehouse) kill() {
	g.t.Helper()
	if err := g.cmd.Process.Kill(); err != nil {
		g.t.Fatalf("SIGKILL gatehouse: %v", err)
	}
	<-g.exited
}

// hostURL is the host-based base URL of an API's stage: the request goes to the data plane's
// loopback port with Host {apiID}.execute-api.localhost:port, as a browser sends it.
func (g *gatehouse) hostURL(apiID string) (baseURL, host string) {
	return g.DataURL, apiID + ".execute-api.localhost:" + strconv.Itoa(g.dataPort)
}

// pathURL is the path-based URL of a stage: /restapis/{api-id}/{stage}/_user_request_.
func (g *gatehouse) pathURL(apiID, stage string) string {
	return g.DataURL + "/restapis/" + apiID + "/" + stage + "/_user_request_"
}

// client returns an aws-sdk-go-v2 apigateway client of the management API, signing with the
// given keys, with no retries (every call the tests make is counted).
func (g *gatehouse) client(accessKey, secretKey string) *apigateway.Client {
	return apigateway.New(apigateway.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(g.AdminURL),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: startDeadline}, // a hang, not a slow machine
	})
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// cleanEnv is the test process's environment without gatehouse settings and AWS credentials
// or profiles, so that only what a test sets applies.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GATEHOUSE_") || (strings.HasPrefix(name, "AWS_") && name != "AWS_CA_BUNDLE") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// syncBuffer is a bytes.Buffer safe for a process's output and the test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// httpResult is one data-plane answer.
type httpResult struct {
	Status int
	Header http.Header
	Body   string
}

// dataClient calls the data plane; keep-alive on, as real clients have it.
var dataClient = &http.Client{Timeout: propagateDeadline}

// call sends one request and reads the whole answer. host, when set, replaces the Host header.
func call(ctx context.Context, method, url, host string, header http.Header, body string) (httpResult, error) {
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return httpResult{}, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if host != "" {
		req.Host = host
	}
	resp, err := dataClient.Do(req)
	if err != nil {
		return httpResult{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return httpResult{}, fmt.Errorf("read answer of %s %s: %w", method, url, err)
	}
	return httpResult{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
}

// mustCall is call that fails the test on a transport error.
func mustCall(t *testing.T, method, url, host string, header http.Header, body string) httpResult {
	t.Helper()
	r, err := call(t.Context(), method, url, host, header, body)
	if err != nil {
		t.Fatalf("%s %s (Host %q): %v", method, url, host, err)
	}
	return r
}

// waitFor polls cond every 20ms until it is true or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exitCode is the exit status of a finished command's error (0 for nil, -1 if not an exit).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// readAll reads and closes an answer's body.
func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// expectNoErrorLogs fails the test if gatehouse logged at level ERROR: in a run where every
// request is valid, an error log is a bug (or a false alarm an operator would chase).
func (g *gatehouse) expectNoErrorLogs() {
	g.t.Helper()
	for _, line := range strings.Split(g.stderr.String(), "\n") {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, `"level":"ERROR"`) {
			g.t.Errorf("gatehouse logged an error: %s", line)
		}
	}
}
