package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// browserDeadline bounds everything the browser does in one test: starting, loading the
// page and running its calls (each of which the page also bounds, at 10 s).
const browserDeadline = 60 * time.Second

// chromium returns the path of Debian's Chromium. Without it the test is skipped with how to
// install it, unless GATEHOUSE_REQUIRE_BROWSER=1 (CI sets it) makes that a failure.
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	msg := "Chromium is not installed (neither /usr/bin/chromium nor chromium on PATH): the browser test needs it; install it with apt-get install chromium"
	if os.Getenv("GATEHOUSE_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + " (GATEHOUSE_REQUIRE_BROWSER=1 requires it)")
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts headless Chromium with a new empty profile and the flags this machine's
// closed network needs (no background, component or sync connections, no QUIC, no proxy),
// and returns a tab's context, cancelled, and the browser stopped, when the test ends.
func newBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), browserDeadline)
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
	)
	tab, tabCancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { // before the profile is removed: the browser has exited then
		tabCancel()
		allocCancel()
		cancel()
	})
	return tab
}

// corsBackend is the integrations' backend: PUT /items records what it was sent and answers
// JSON with Access-Control-Allow-Origin; GET /items answers JSON (the gateway adds the
// header); GET /nocors answers JSON with no CORS header. It counts every request by
// "METHOD /path".
type corsBackend struct {
	origin string
	mu     sync.Mutex
	hits   map[string]int
	custom string // X-Custom of the last PUT
	body   string // body of the last PUT
}

func (b *corsBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	b.mu.Lock()
	b.hits[r.Method+" "+r.URL.Path]++
	if r.Method == http.MethodPut {
		b.custom, b.body = r.Header.Get("X-Custom"), string(body)
	}
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.Method + " " + r.URL.Path {
	case "PUT /items":
		w.Header().Set("Access-Control-Allow-Origin", b.origin)
		fmt.Fprintf(w, `{"stored":%s,"custom":%q}`, body, r.Header.Get("X-Custom"))
	case "GET /items":
		fmt.Fprint(w, `{"items":["a","b"]}`)
	case "GET /nocors":
		fmt.Fprint(w, `{"secret":"the browser must not hand this to the page"}`)
	default:
		http.NotFound(w, r)
	}
}

func (b *corsBackend) seen() (hits map[string]int, custom, body string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.hits), b.custom, b.body
}

// corsPage is the page on origin A. run() calls the API on origin B with fetch, each call
// bounded, and resolves to each call's outcome: status and body, or the error fetch rejected
// with. (Access-Control-Allow-Origin itself is no header a page can read: that the page reads
// an answer at all is the proof that it matched.)
const corsPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>gatehouse CORS</title></head><body>
<pre id="result">not run</pre>
<script>
const api = %q;
async function call(path, init) {
  try {
    const r = await fetch(api + path, Object.assign({signal: AbortSignal.timeout(10000)}, init));
    return {status: r.status, body: await r.text()};
  } catch (e) {
    return {error: e.name + ": " + e.message};
  }
}
async function run() {
  const out = {};
  out.put = await call("/items", {method: "PUT",
    headers: {"Content-Type": "application/json", "X-Custom": "from-the-page"},
    body: JSON.stringify({n: 42})});
  out.get = await call("/items");
  out.keyed = await call("/keyed");
  out.unknown = await call("/nope");
  out.nocorsGet = await call("/nocors");
  out.nocorsPut = await call("/nocors", {method: "PUT", headers: {"X-Custom": "x"}, body: "{}"});
  document.getElementById("result").textContent = JSON.stringify(out);
  return out;
}
</script></body></html>`

// fetchOutcome is one call's outcome as the page saw it.
type fetchOutcome struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error"`
}

// TestBrowserCORS builds CORS the AWS way with Terraform (an OPTIONS method with a MOCK
// integration whose integration response sets the Access-Control-Allow-* headers, the
// header on the real methods' responses, DEFAULT_4XX/5XX gateway responses with them) and
// checks it in headless Chromium: a page on one origin calls the API, host-based on another
// origin, with fetch and the test reads what the page got. A preflighted PUT with a custom
// header and a JSON body reaches the backend and the page reads the answer; a simple GET
// does too; the page reads the status and body of a 403 for a missing API key and of an
// unknown path's 403, since DEFAULT_4XX carries the headers; and the browser enforces CORS:
// an answer without the header, and a PUT whose preflight finds no OPTIONS method, reject
// with a TypeError.
func TestBrowserCORS(t *testing.T) {
	t.Parallel()
	browserPath := chromium(t)

	pageMux := http.NewServeMux()
	page := httptest.NewServer(pageMux)
	t.Cleanup(page.Close)
	backend := &corsBackend{origin: page.URL, hits: map[string]int{}}
	backendSrv := httptest.NewServer(backend)
	t.Cleanup(backendSrv.Close)

	g := startGatehouse(t, options{})
	internet := newRecordingProxy(t)
	tf := newTerraform(t, internet.URL, "terraform-cors")
	tf.run(t, "apply", "-auto-approve", "-input=false",
		"-var", "endpoint="+g.AdminURL, "-var", "backend="+backendSrv.URL, "-var", "page_origin="+page.URL)
	apiID := tf.outputs(t)["api_id"]
	if apiID == "" {
		t.Fatal("terraform output api_id is empty")
	}
	// Origin B: the host-based name, which Chromium resolves to loopback itself.
	apiBase := "http://" + apiID + ".execute-api.localhost:" + strconv.Itoa(g.dataPort) + "/prod"
	pageMux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, corsPage, apiBase)
	})
	_, host := g.hostURL(apiID)
	testwait.Until(t, testwait.Patient, "the deployed stage answering the preflight", func() bool {
		return mustCall(t, "OPTIONS", g.DataURL+"/prod/items", host, nil, "").Status == http.StatusOK
	})

	tab := newBrowser(t, browserPath)
	if _, err := chromedp.Run(tab, chromedp.Navigate(page.URL+"/")); err != nil {
		t.Fatalf("load the page in Chromium: %v", err)
	}
	raw, err := chromedp.Run(tab, chromedp.Evaluate[[]byte](`run()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run the page's calls in Chromium: %v", err)
	}
	var got map[string]fetchOutcome
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("the page's result %s: %v", raw, err)
	}
	t.Logf("the page saw: %s", raw)

	hits, custom, body := backend.seen()
	for _, c := range []struct {
		name       string
		status     int
		body       string
		typeError  bool
		backendHit string // a request the backend must have had
	}{
		{name: "put", status: 200, body: `{"stored":{"n":42},"custom":"from-the-page"}`, backendHit: "PUT /items"},
		{name: "get", status: 200, body: `{"items":["a","b"]}`, backendHit: "GET /items"},
		{name: "keyed", status: 403, body: `{"message":"Forbidden"}`},
		{name: "unknown", status: 403, body: `{"message":"Missing Authentication Token"}`},
		// The gateway answered 200 (the backend had the call), and the browser withheld it.
		{name: "nocorsGet", typeError: true, backendHit: "GET /nocors"},
		{name: "nocorsPut", typeError: true},
	} {
		o, ok := got[c.name]
		switch {
		case !ok:
			t.Errorf("%s: the page has no outcome", c.name)
		case c.typeError:
			if !strings.HasPrefix(o.Error, "TypeError") {
				t.Errorf("%s: the page got %+v; want fetch to reject with a TypeError (CORS)", c.name, o)
			}
		case o.Error != "" || o.Status != c.status || o.Body != c.body:
			t.Errorf("%s: the page got %+v; want %d %s", c.name, o, c.status, c.body)
		}
		if c.backendHit != "" && hits[c.backendHit] == 0 {
			t.Errorf("%s: the backend never had %s (it had %v)", c.name, c.backendHit, hits)
		}
	}
	if custom != "from-the-page" || body != `{"n":42}` {
		t.Errorf("the backend's PUT had X-Custom %q and body %q; want from-the-page and {\"n\":42}", custom, body)
	}
	// The preflights were the gateway's MOCK (or its 403): none reached the backend, and the
	// PUT whose preflight failed was never sent.
	for _, k := range []string{"OPTIONS /items", "OPTIONS /nocors", "PUT /nocors"} {
		if hits[k] != 0 {
			t.Errorf("the backend had %s %d times; want none", k, hits[k])
		}
	}
	if hosts := internet.hosts(); len(hosts) > 0 {
		t.Errorf("Terraform tried to reach the internet: %v", hosts)
	}
	g.stop()
	g.expectNoErrorLogs()
}
