package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
)

// pluginDir holds the Terraform AWS provider on every machine of the project; nothing is
// downloaded.
const pluginDir = "/opt/tf-plugins"

// TestTerraform applies testdata/terraform with the real Terraform and AWS provider against
// gatehouse, calls the deployed API, checks that a second plan finds nothing to change (every
// attribute reads back as written), and destroys it all. Any attempt to reach the internet
// goes to a recording proxy and fails the test.
func TestTerraform(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	backend := newEchoBackend(t)
	internet := newRecordingProxy(t)
	tf := newTerraform(t, internet.URL, "terraform")
	vars := []string{"-var", "endpoint=" + g.AdminURL, "-var", "backend=" + backend.URL}
	client := g.client("AKIAE2ETERRAFORM0001", "e2e-terraform-secret")

	tf.run(t, append([]string{"apply", "-auto-approve", "-input=false"}, vars...)...)

	outputs := tf.outputs(t)
	apiID, deploymentID := outputs["api_id"], outputs["deployment_id"]
	if apiID == "" || deploymentID == "" || outputs["stage_name"] != "dev" {
		t.Fatalf("terraform outputs = %+v; want api_id, deployment_id and stage_name dev", outputs)
	}

	t.Run("management API shows what Terraform wrote", func(t *testing.T) {
		stage, err := client.GetStage(t.Context(), &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("dev")})
		if err != nil {
			t.Fatalf("GetStage: %v", err)
		}
		if aws.ToString(stage.DeploymentId) != deploymentID || stage.Variables["color"] != "blue" || aws.ToString(stage.Description) != "development" {
			t.Errorf("GetStage = deployment %q, variables %v, description %q; want %q, color=blue, development",
				aws.ToString(stage.DeploymentId), stage.Variables, aws.ToString(stage.Description), deploymentID)
		}
		res, err := client.GetResources(t.Context(), &apigateway.GetResourcesInput{RestApiId: &apiID, Embed: []string{"methods"}})
		if err != nil {
			t.Fatalf("GetResources: %v", err)
		}
		paths := map[string]bool{}
		for _, r := range res.Items {
			paths[aws.ToString(r.Path)] = true
		}
		for _, p := range []string{"/", "/hello", "/backend", "/backend/{proxy+}"} {
			if !paths[p] {
				t.Errorf("GetResources has no %s; got %v", p, paths)
			}
		}
	})

	t.Run("the deployed API answers", func(t *testing.T) {
		base, host := g.hostURL(apiID)
		for _, c := range []struct{ url, host string }{
			{base + "/dev/hello", host},
			{g.pathURL(apiID, "dev") + "/hello", ""},
		} {
			r := mustCall(t, "GET", c.url, c.host, nil, "")
			if want := `{"message": "hello from terraform"}`; r.Status != 200 || r.Body != want {
				t.Errorf("GET %s (Host %q) = %d %q; want 200 %q", c.url, c.host, r.Status, r.Body, want)
			}
		}
		checkProxy(t, backend, base+"/dev/backend/echo/a/b?x=1&x=2&y=z", host)

		// POST /orders: the request validator, the model and both mapping templates.
		tenant := http.Header{"Content-Type": {"application/json"}, "X-Tenant": {"acme"}}
		r := mustCall(t, "POST", base+"/dev/orders", host, tenant, `{"items": ["tea", "cups"]}`)
		if want := `{"tenant": "acme", "count": 2, "first": "tea", "backendPath": "/orders"}`; r.Status != 200 || strings.TrimSpace(r.Body) != want {
			t.Errorf("POST /dev/orders = %d %q; want 200 %q", r.Status, r.Body, want)
		}
		r = mustCall(t, "POST", base+"/dev/orders", host, tenant, `{"items": []}`)
		checkGatewayError(t, "POST /dev/orders with no items", r, 400, "BadRequestException", `{"message":"Invalid request body"}`)
		r = mustCall(t, "POST", base+"/dev/orders", host, http.Header{"Content-Type": {"application/json"}}, `{"items": ["tea"]}`)
		checkGatewayError(t, "POST /dev/orders without X-Tenant", r, 400, "BadRequestException", `{"message":"Missing required request parameters: [X-Tenant]"}`)

		r = mustCall(t, "GET", base+"/dev/no/such/route", host, nil, "")
		checkGatewayError(t, "GET /dev/no/such/route", r, 404, "MissingAuthenticationTokenException", `{"message":"no route here"}`)
		if got := r.Header.Get("X-E2E"); got != "terraform" {
			t.Errorf("X-E2E = %q; want terraform (the gateway response's header)", got)
		}
	})

	t.Run("a second plan has nothing to change", func(t *testing.T) {
		out, code := tf.exec(t, append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars...)...)
		if code != 0 {
			t.Errorf("terraform plan -detailed-exitcode: exit status %d; want 0 (no changes): what gatehouse reads back differs from what Terraform wrote:\n%s", code, planSummary(out))
		}
	})

	tf.run(t, append([]string{"destroy", "-auto-approve", "-input=false"}, vars...)...)
	apis, err := client.GetRestApis(t.Context(), &apigateway.GetRestApisInput{})
	if err != nil {
		t.Fatalf("GetRestApis after destroy: %v", err)
	}
	if len(apis.Items) != 0 {
		t.Errorf("GetRestApis after destroy has %d APIs; want none", len(apis.Items))
	}
	if hosts := internet.hosts(); len(hosts) > 0 {
		t.Errorf("Terraform tried to reach the internet: %v", hosts)
	}
	g.stop()
	g.expectNoErrorLogs()
}

// terraform runs the terraform command in a working copy of a testdata configuration, offline.
type terraform struct {
	dir     string
	logPath string
	env     []string
}

// requireTerraform fails the test unless terraform and the AWS provider are installed (they
// are on every machine of the project).
func requireTerraform(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatalf("terraform is required by the end-to-end tests (it is installed on every machine of the project): %v", err)
	}
	if _, err := os.Stat(filepath.Join(pluginDir, "registry.terraform.io/hashicorp/aws")); err != nil {
		t.Fatalf("the Terraform AWS provider is required in %s: %v", pluginDir, err)
	}
}

// newTerraform makes a working copy of testdata/{config}/main.tf whose calls outside
// loopback go to the proxy at proxyURL, and runs terraform init in it, offline.
func newTerraform(t *testing.T, proxyURL, config string) *terraform {
	t.Helper()
	requireTerraform(t)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", config, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "main.tf"), string(src))
	home := t.TempDir()
	cliConfig := filepath.Join(home, "terraform.rc")
	writeFile(t, cliConfig, "disable_checkpoint = true\n")
	tf := &terraform{dir: dir, logPath: filepath.Join(home, "terraform.log")}
	tf.env = append(cleanEnv(),
		"HOME="+home,
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
		"TF_LOG=DEBUG",
		"TF_LOG_PATH="+tf.logPath,
		// Anything but gatehouse and the backend (both on loopback, never proxied) goes to the
		// recording proxy, which refuses it.
		"HTTP_PROXY="+proxyURL, "HTTPS_PROXY="+proxyURL, "http_proxy="+proxyURL, "https_proxy="+proxyURL,
		"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
	)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("terraform's HTTP calls and errors (TF_LOG=DEBUG):\n%s", tf.logSummary())
		}
	})
	tf.run(t, "init", "-input=false", "-plugin-dir="+pluginDir)
	return tf
}

// outputs runs terraform output -json and returns each output's value.
func (tf *terraform) outputs(t *testing.T) map[string]string {
	t.Helper()
	var outputs map[string]struct{ Value string }
	if err := json.Unmarshal([]byte(tf.run(t, "output", "-json")), &outputs); err != nil {
		t.Fatalf("terraform output -json: %v", err)
	}
	values := make(map[string]string, len(outputs))
	for k, o := range outputs {
		values[k] = o.Value
	}
	return values
}

// exec runs terraform args... and returns its combined output and exit status.
func (tf *terraform) exec(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), commandDeadline)
	defer cancel()
	args = append(args[:1:1], append([]string{"-no-color"}, args[1:]...)...)
	cmd := exec.CommandContext(ctx, "terraform", args...)
	cmd.Dir = tf.dir
	cmd.Env = tf.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("terraform %s: %v (%s)", args[0], err, time.Since(start).Round(100*time.Millisecond))
	return out.String(), exitCode(err)
}

// run runs terraform and fails the test unless it exits 0; it returns the output.
func (tf *terraform) run(t *testing.T, args ...string) string {
	t.Helper()
	out, code := tf.exec(t, args...)
	if code != 0 {
		t.Fatalf("terraform %s: exit status %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// logSummary picks from the TF_LOG file the lines that tell which calls were made and what
// failed.
func (tf *terraform) logSummary() string {
	f, err := os.Open(tf.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "[ERROR]") || strings.Contains(line, "[WARN]") ||
			strings.Contains(line, "HTTP Request Sent") || strings.Contains(line, "HTTP Response Received") {
			if len(line) > 600 {
				line = line[:600] + "..."
			}
			out = append(out, line)
		}
	}
	if len(out) > 300 {
		out = out[len(out)-300:]
	}
	return strings.Join(out, "\n")
}

// planSummary keeps the plan's resource changes, the part that says what differs.
func planSummary(out string) string {
	if i := strings.Index(out, "Terraform will perform"); i >= 0 {
		return out[i:]
	}
	return out
}

// recordingProxy is an HTTP(S) proxy that refuses every request and records where it was
// going: the test's way of proving that nothing reaches the internet.
type recordingProxy struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newRecordingProxy(t *testing.T) *recordingProxy {
	p := &recordingProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.Host)
		p.mu.Unlock()
		http.Error(w, "the end-to-end tests run offline", http.StatusForbidden)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *recordingProxy) hosts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}
