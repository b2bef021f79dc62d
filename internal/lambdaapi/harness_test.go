package lambdaapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/gatehouse/gatehouse/internal/lambda"
	"github.com/gatehouse/gatehouse/internal/lambdaapi"
	"github.com/gatehouse/gatehouse/internal/sigv4"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/memory"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// clientTimeout bounds every HTTP call of the tests (the SDK client's and http.Get's, whose
// DefaultClient TestMain sets it on): a call that gets no answer fails the test instead of
// hanging it. Longer than testwait.Patient: a function package of megabytes is zipped, sent,
// hashed and unpacked under the race detector, which takes tens of seconds on a busy machine.
const clientTimeout = 4 * testwait.Patient

// fnZip is testdata/fn built with aws-lambda-go as a custom runtime's bootstrap, zipped as
// users deploy it. smallZip is a package of a few bytes, for tests that never run it (a
// 5 MB package costs seconds per upload under the race detector).
var fnZip, smallZip []byte

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "gatehouse-lambdaapi-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		bootstrap := filepath.Join(dir, "bootstrap")
		build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", bootstrap, "./testdata/fn")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build the test function: %v\n%s", err, out)
			return 1
		}
		fnZip, err = zipFiles(map[string]string{"bootstrap": bootstrap})
		if err == nil {
			script := filepath.Join(dir, "script")
			os.WriteFile(script, []byte("#!/bin/sh\nexit 1\n"), 0o755)
			smallZip, err = zipFiles(map[string]string{"bootstrap": script})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		http.DefaultClient.Timeout = clientTimeout
		return m.Run()
	}())
}

// zipFiles zips files (zip name → path on disk) as the zip tool does, with Unix modes.
func zipFiles(files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, p := range files {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		h, err := zip.FileInfoHeader(fi)
		if err != nil {
			return nil, err
		}
		h.Name, h.Method = name, zip.Deflate
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// withExtraFile is fnZip with one more file: a different package of the same function.
func withExtraFile(t *testing.T, name, body string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(fnZip), int64(len(fnZip)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := zw.Create(name)
	w.Write([]byte(body))
	zw.Close()
	return buf.Bytes()
}

const (
	testAccount = "123456789012"
	testRegion  = "eu-west-1"
	testKeyID   = "AKIDLAMBDATEST000001"
	testSecret  = "lambda-test-secret"
)

// env is one gatehouse's Lambda API on a test server, with a real runtime.
type env struct {
	url      string
	registry *lambda.Registry
	invoker  *lambda.Invoker
	client   *lambdasdk.Client
	dataDir  string
	store    store.Store
}

type envOptions struct {
	region         string
	strict         bool
	auth           bool
	remoteEndpoint string
	localCodeRoot  string
	// rand is the Invoker's draw for routing aliases; nil is math/rand's.
	rand func() float64
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	if o.region == "" {
		o.region = testRegion
	}
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	scope := lambda.Scope{AccountID: testAccount, Region: o.region}
	st := memory.New()
	reg := lambda.NewRegistry(st, scope, nil)
	code, err := lambda.NewCodeStore(filepath.Join(dir, "lambda", "code"))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := lambda.NewRuntime(lambda.RuntimeConfig{Region: o.region, AccountID: testAccount, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	inv := lambda.NewInvoker(lambda.InvokerConfig{
		Registry: reg, Code: code, Runner: rt, Logger: log, StrictPermissions: o.strict, Rand: o.rand,
		RemoteEndpoint:    o.remoteEndpoint,
		RemoteCredentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
	})
	cfg := lambdaapi.Config{Registry: reg, Code: code, Invoker: inv, Logger: log, LocalCodeRoot: o.localCodeRoot}
	if o.auth {
		v := &sigv4.Verifier{Credentials: func(id string) (string, bool) { return testSecret, id == testKeyID }, Region: o.region}
		cfg.Auth = lambdaapi.AuthFunc(func(r *http.Request, body []byte) error { _, err := v.Verify(r, body); return err })
	}
	srv := httptest.NewServer(lambdaapi.New(cfg))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		inv.Close(ctx)
		rt.Close(ctx)
	})
	return &env{url: srv.URL, registry: reg, invoker: inv, client: newClient(srv.URL, o.region, testSecret), dataDir: dir, store: st}
}

// newClient is the real aws-sdk-go-v2 Lambda client pointed at url.
func newClient(url, region, secret string) *lambdasdk.Client {
	return lambdasdk.New(lambdasdk.Options{
		Region:           region,
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(testKeyID, secret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: clientTimeout},
	})
}

// unzipTo extracts a test zip into dir, keeping modes.
func unzipTo(t *testing.T, z []byte, dir string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if err := os.WriteFile(filepath.Join(dir, f.Name), b, f.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}
