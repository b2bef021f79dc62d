package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// Shape of TestCrashDuringWrites: rounds of kill -9 and restart, each after a random delay
// below crashMaxDelay of apiWorkers and lambdaWorkers writing at once.
const (
	crashRounds   = 16
	crashMaxDelay = 800 * time.Millisecond
	apiWorkers    = 2
	lambdaWorkers = 2
	// crashSeedEnv replays a run: the seed a failure logs.
	crashSeedEnv = "GATEHOUSE_CRASH_SEED"
)

// TestCrashDuringWrites kills gatehouse with SIGKILL at random points of a stream of
// concurrent management writes (APIs built method by method, deployments, stage updates,
// Lambda functions created, given new code, deleted), restarts it on the same data dir each
// time, and checks after every restart that the store opens, that every write acknowledged
// with a 2xx in any round so far is there (a write in flight at the kill may or may not be),
// that every deployed stage serves its MOCK answer on the data plane, that every function's
// package downloads whole, and that the code store holds exactly the packages functions
// name (what a kill between a delete and its collection left is swept at start).
func TestCrashDuringWrites(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, s, err)
		}
		seed = n
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("random kill delays from seed %d: rerun with %s=%d", seed, crashSeedEnv, seed)
		}
	})
	rng := rand.New(rand.NewPCG(seed, 0))
	dataDir := t.TempDir()
	l := &ledger{}
	g := startGatehouse(t, options{dataDir: dataDir})
	checked, rounds := 0, 0
	for round := range crashRounds {
		rounds++
		delay := time.Duration(rng.Int64N(int64(crashMaxDelay)))
		before := l.acks()
		l.stream(t, g, round, delay)
		g = startGatehouse(t, options{dataDir: dataDir}) // the store opens, or this fails
		n := l.verify(t, g)
		checkCodeStore(t, g, dataDir)
		checked += n
		t.Logf("round %d: killed after %v, %d writes acknowledged, %d checked after restart", round, delay.Round(time.Millisecond), l.acks()-before, n)
		if t.Failed() {
			break
		}
	}
	g.stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("%d rounds: %d writes acknowledged, %d in flight at a kill; %d checks of acknowledged state after restarts", rounds, l.acked, l.inflight, checked)
	if l.acked == 0 {
		t.Errorf("no write was acknowledged in %d rounds: the test checked nothing", crashRounds)
	}
}

// cell is one piece of state the writes change, as a read shows it: a resource's path, a
// stage's deployment, a function's CodeSha256 (notFound when the read finds nothing).
type cell struct {
	what string
	read func(ctx context.Context, r readers) (string, error)
	// acked is the value of the last acknowledged write, valid when hasAcked.
	acked    string
	hasAcked bool
	// maybe holds the value of a write in flight when gatehouse was killed: it may or may
	// not have committed. anyValue stands for a value the write's answer would have told
	// (a new deployment's id).
	maybe []string
}

// anyValue in cell.maybe allows any present value.
const anyValue = "*"

// notFound is what a cell's read answers when the thing does not exist.
const notFound = "<not found>"

// ledger records every write of the stream and what it should have left.
type ledger struct {
	mu       sync.Mutex
	cells    []*cell
	stages   []stageCheck // deployed stages that must serve
	acked    int
	inflight int
	failures []string // API errors during the stream: every write is valid
}

// stageCheck is a stage whose deployment was acknowledged: GET path on it answers body.
type stageCheck struct{ apiID, stage, path, body string }

// readers are the clients of the gatehouse running now, for the checks after a restart.
type readers struct {
	api *apigateway.Client
	fn  *lambda.Client
}

func (l *ledger) acks() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}

func (l *ledger) newCell(what string, read func(ctx context.Context, r readers) (string, error)) *cell {
	c := &cell{what: what, read: read}
	l.mu.Lock()
	l.cells = append(l.cells, c)
	l.mu.Unlock()
	return c
}

// write runs one write that leaves c reading value (for pending, the value if the write
// dies in flight) and records what happened. It returns false when the stream must stop:
// gatehouse is gone (the write is in flight), or the write failed, which is a test failure.
func (l *ledger) write(c *cell, pending string, do func() (string, error)) bool {
	value, err := do()
	l.mu.Lock()
	defer l.mu.Unlock()
	var ae smithy.APIError
	switch {
	case err == nil:
		c.acked, c.hasAcked = value, true
		l.acked++
		return true
	case errors.As(err, &ae):
		l.failures = append(l.failures, fmt.Sprintf("%s: %v", c.what, err))
	default:
		c.maybe = append(c.maybe, pending)
		l.inflight++
	}
	return false
}

// stream runs the writers against g, kills g after delay, and waits for the writers to see
// it gone.
func (l *ledger) stream(t *testing.T, g *gatehouse, round int, delay time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ag := g.client("AKIAE2ECRASH00000001", "e2e-crash-secret")
	lc := g.lambdaClient()
	var wg sync.WaitGroup
	for w := range apiWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := 0; ctx.Err() == nil; u++ {
				if !l.apiUnit(ctx, g, ag, fmt.Sprintf("crash-r%d-w%d-u%d", round, w, u)) {
					return
				}
			}
		}()
	}
	for w := range lambdaWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := 0; ctx.Err() == nil; u++ {
				if !l.lambdaUnit(ctx, lc, fmt.Sprintf("crash-r%d-w%d-u%d", round, w, u)) {
					return
				}
			}
		}()
	}
	select {
	case <-time.After(delay):
	case <-ctx.Done():
	}
	g.kill()
	testwait.Group(t, &wg, testwait.Patient, fmt.Sprintf("round %d: the writers' end after the kill", round))
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) > 0 {
		t.Fatalf("round %d: valid writes failed before the kill:\n%s", round, strings.Join(l.failures, "\n"))
	}
}

// apiUnit builds one API as the CLI does, one operation at a time: a resource, its GET
// method, a MOCK integration answering the API's name, a deployment to stage "s", two
// stage variable updates and a second deployment. It returns false when the stream must
// stop.
func (l *ledger) apiUnit(ctx context.Context, g *gatehouse, c *apigateway.Client, name string) bool {
	body := `{"api":"` + name + `"}`
	var apiID, rootID, resID string
	// A create's cell is known once its answer gives the id: one in flight is not checked.
	apiCell := &cell{what: "CreateRestApi " + name}
	if !l.write(apiCell, "", func() (string, error) {
		out, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(name)})
		if err != nil {
			return "", err
		}
		apiID, rootID = aws.ToString(out.Id), aws.ToString(out.RootResourceId)
		return name, nil
	}) {
		return false
	}
	l.track(apiCell, "RestApi "+name, func(ctx context.Context, r readers) (string, error) {
		out, err := r.api.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &apiID})
		if err != nil {
			return readOf("", err)
		}
		return aws.ToString(out.Name), nil
	})

	resCell := &cell{what: "CreateResource /hello of " + name}
	if !l.write(resCell, "", func() (string, error) {
		out, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: &rootID, PathPart: aws.String("hello")})
		if err != nil {
			return "", err
		}
		resID = aws.ToString(out.Id)
		return "/hello", nil
	}) {
		return false
	}
	l.track(resCell, "resource /hello of "+name, func(ctx context.Context, r readers) (string, error) {
		out, err := r.api.GetResource(ctx, &apigateway.GetResourceInput{RestApiId: &apiID, ResourceId: &resID})
		if err != nil {
			return readOf("", err)
		}
		return aws.ToString(out.Path), nil
	})

	get := aws.String("GET")
	steps := []struct {
		what, value string
		read        func(ctx context.Context, r readers) (string, error)
		do          func() error
	}{
		{"PutMethod GET", "GET", func(ctx context.Context, r readers) (string, error) {
			out, err := r.api.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: &apiID, ResourceId: &resID, HttpMethod: get})
			if err != nil {
				return readOf("", err)
			}
			return aws.ToString(out.HttpMethod), nil
		}, func() error {
			_, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: &resID, HttpMethod: get, AuthorizationType: aws.String("NONE")})
			return err
		}},
		{"PutMethodResponse 200", "200", func(ctx context.Context, r readers) (string, error) {
			out, err := r.api.GetMethodResponse(ctx, &apigateway.GetMethodResponseInput{RestApiId: &apiID, ResourceId: &resID, HttpMethod: get, StatusCode: aws.String("200")})
			if err != nil {
				return readOf("", err)
			}
			return aws.ToString(out.StatusCode), nil
		}, func() error {
			_, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &apiID, ResourceId: &resID, HttpMethod: get, StatusCode: aws.String("200")})
			return err
		}},
		{"PutIntegration MOCK", "MOCK", func(ctx context.Context, r readers) (string, error) {
			out, err := r.api.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: &apiID, ResourceId: &resID, HttpMethod: get})
			if err != nil {
				return readOf("", err)
			}
			return string(out.Type), nil
		}, func() error {
			_, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &resID, HttpMethod: get,
				Type: agtypes.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}})
			return err
		}},
		{"PutIntegrationResponse 200", body, func(ctx context.Context, r readers) (string, error) {
			out, err := r.api.GetIntegrationResponse(ctx, &apigateway.GetIntegrationResponseInput{RestApiId: &apiID, ResourceId: &resID, HttpMethod: get, StatusCode: aws.String("200")})
			if err != nil {
				return readOf("", err)
			}
			return out.ResponseTemplates["application/json"], nil
		}, func() error {
			_, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: &resID, HttpMethod: get,
				StatusCode: aws.String("200"), SelectionPattern: aws.String(""), ResponseTemplates: map[string]string{"application/json": body}})
			return err
		}},
	}
	for _, s := range steps {
		cl := l.newCell(s.what+" of "+name, s.read)
		if !l.write(cl, s.value, func() (string, error) { return s.value, s.do() }) {
			return false
		}
	}

	stage := func(ctx context.Context, r readers) (*apigateway.GetStageOutput, error) {
		return r.api.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("s")})
	}
	depCell := l.newCell("deployment of stage s of "+name, func(ctx context.Context, r readers) (string, error) {
		out, err := stage(ctx, r)
		if err != nil {
			return readOf("", err)
		}
		return aws.ToString(out.DeploymentId), nil
	})
	varCell := l.newCell("variable v of stage s of "+name, func(ctx context.Context, r readers) (string, error) {
		out, err := stage(ctx, r)
		if err != nil {
			return readOf("", err)
		}
		if v, ok := out.Variables["v"]; ok {
			return v, nil
		}
		return notFound, nil
	})
	deploy := func() (string, error) {
		out, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("s")})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Id), nil
	}
	if !l.write(depCell, anyValue, deploy) {
		return false
	}
	l.mu.Lock()
	l.stages = append(l.stages, stageCheck{apiID: apiID, stage: "s", path: "/hello", body: body})
	l.mu.Unlock()
	for _, v := range []string{"1", "2"} {
		if !l.write(varCell, v, func() (string, error) {
			_, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: aws.String("s"),
				PatchOperations: []agtypes.PatchOperation{{Op: agtypes.OpReplace, Path: aws.String("/variables/v"), Value: aws.String(v)}}})
			return v, err
		}) {
			return false
		}
	}
	return l.write(depCell, anyValue, deploy)
}

// track makes an acknowledged create's cell checked from now on.
func (l *ledger) track(c *cell, what string, read func(ctx context.Context, r readers) (string, error)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.what, c.read = what, read
	l.cells = append(l.cells, c)
}

// lambdaUnit creates two functions sharing one package x, gives the first package y (x stays:
// the second names it), deletes the second (x is collected), and gives the first package z (y
// is collected). It returns false when the stream must stop.
func (l *ledger) lambdaUnit(ctx context.Context, c *lambda.Client, name string) bool {
	a, b := name+"-a", name+"-b"
	pkgs := map[string][]byte{}
	for _, v := range []string{"x", "y", "z"} {
		pkgs[v] = crashZip(name + "-" + v)
	}
	cellA := l.newCell("function "+a, func(ctx context.Context, r readers) (string, error) { return functionCode(ctx, r.fn, a) })
	cellB := l.newCell("function "+b, func(ctx context.Context, r readers) (string, error) { return functionCode(ctx, r.fn, b) })
	create := func(fn string, z []byte) func() (string, error) {
		return func() (string, error) {
			_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
				FunctionName: aws.String(fn), Role: aws.String("arn:aws:iam::" + testAccount + ":role/crash"),
				Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: z},
			})
			return zipSha(z), err
		}
	}
	update := func(fn string, z []byte) func() (string, error) {
		return func() (string, error) {
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn), ZipFile: z})
			return zipSha(z), err
		}
	}
	return l.write(cellA, zipSha(pkgs["x"]), create(a, pkgs["x"])) &&
		l.write(cellB, zipSha(pkgs["x"]), create(b, pkgs["x"])) &&
		l.write(cellA, zipSha(pkgs["y"]), update(a, pkgs["y"])) &&
		l.write(cellB, notFound, func() (string, error) {
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(b)})
			return notFound, err
		}) &&
		l.write(cellA, zipSha(pkgs["z"]), update(a, pkgs["z"]))
}

// functionCode reads a function's CodeSha256, and checks that its Code.Location serves that
// package: a function whose package is lost is an error.
func functionCode(ctx context.Context, c *lambda.Client, fn string) (string, error) {
	out, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		return readOf("", err)
	}
	sha := aws.ToString(out.Configuration.CodeSha256)
	req, err := http.NewRequestWithContext(ctx, "GET", aws.ToString(out.Code.Location), nil)
	if err != nil {
		return "", err
	}
	resp, err := dataClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("download the package of %s: %w", fn, err)
	}
	b, err := readAll(resp)
	if err != nil || resp.StatusCode != 200 || zipSha(b) != sha {
		return "", fmt.Errorf("GET Code.Location of %s = %d, %d bytes of sha256 %s, %v; want 200 and the package of CodeSha256 %s", fn, resp.StatusCode, len(b), zipSha(b), err, sha)
	}
	return sha, nil
}

// readOf turns a read's not-found error into notFound.
func readOf(v string, err error) (string, error) {
	var nf *agtypes.NotFoundException
	var lnf *lambdatypes.ResourceNotFoundException
	if errors.As(err, &nf) || errors.As(err, &lnf) {
		return notFound, nil
	}
	return v, err
}

// verify checks every cell with an acknowledged write and every deployed stage against the
// restarted g, and returns the number of checks.
func (l *ledger) verify(t *testing.T, g *gatehouse) int {
	t.Helper()
	l.mu.Lock()
	var cells []*cell
	for _, c := range l.cells {
		if c.hasAcked {
			cells = append(cells, c)
		}
	}
	stages := slices.Clone(l.stages)
	l.mu.Unlock()

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	rd := readers{api: g.client("AKIAE2ECRASH00000001", "e2e-crash-secret"), fn: g.lambdaClient()}
	// A restarted gatehouse loads its stages in the background: wait for the first stage.
	if len(stages) > 0 {
		url := g.pathURL(stages[0].apiID, stages[0].stage) + stages[0].path
		if !waitFor(propagateDeadline, func() bool {
			r, err := call(ctx, "GET", url, "", nil, "")
			return err == nil && r.Status == 200
		}) {
			t.Errorf("GET %s does not answer 200 within %v of the restart", url, propagateDeadline)
		}
	}
	var (
		mu       sync.Mutex
		problems []string
		wg       sync.WaitGroup
	)
	report := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	work := make(chan func())
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				f()
			}
		}()
	}
	for _, c := range cells {
		work <- func() {
			got, err := c.read(ctx, rd)
			switch {
			case err != nil:
				report("%s: read after restart: %v", c.what, err)
			case got == c.acked || slices.Contains(c.maybe, got) || (got != notFound && slices.Contains(c.maybe, anyValue)):
			default:
				report("%s = %q after restart; want the acknowledged %q (or one of the in-flight %q)", c.what, got, c.acked, c.maybe)
			}
		}
	}
	for _, s := range stages {
		work <- func() {
			url := g.pathURL(s.apiID, s.stage) + s.path
			r, err := call(ctx, "GET", url, "", nil, "")
			if err != nil || r.Status != 200 || r.Body != s.body {
				report("GET %s after restart = %d %q, %v; want 200 %q", url, r.Status, r.Body, err, s.body)
			}
		}
	}
	close(work)
	wg.Wait()
	slices.Sort(problems)
	for _, p := range problems {
		t.Error(p)
	}
	return len(cells) + len(stages)
}

// checkCodeStore checks that g's code store holds exactly the packages its functions name,
// right after a start: a package a committed function names is there (else verify reports
// it), and one no function names was swept.
func checkCodeStore(t *testing.T, g *gatehouse, dataDir string) {
	t.Helper()
	c := g.lambdaClient()
	refs := map[string]bool{}
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 100 {
			t.Fatalf("ListFunctions: more than 100 pages; the marker does not advance")
		}
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListFunctions after restart: %v", err)
		}
		for _, f := range page.Functions {
			sum, _ := base64.StdEncoding.DecodeString(aws.ToString(f.CodeSha256))
			refs[hex.EncodeToString(sum)] = true
		}
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, "lambda", "code"))
	if err != nil {
		t.Fatalf("read the code store: %v", err)
	}
	for _, e := range entries {
		if h := strings.TrimSuffix(e.Name(), ".zip"); !refs[h] {
			t.Errorf("code store holds %s after restart, which no function names; want it swept", e.Name())
		}
	}
}

// crashZip is a small deployment package whose bootstrap names it: distinct names, distinct
// packages.
func crashZip(name string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, _ := zw.CreateHeader(h)
	io.WriteString(w, "#!/bin/sh\n# "+name+"\n")
	zw.Close()
	return buf.Bytes()
}

// zipSha is CodeSha256 of a package: the base64 of its SHA-256.
func zipSha(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}
