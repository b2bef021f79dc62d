package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// awsCLI runs the real aws CLI (v1 or v2) against one management endpoint with fixed keys and
// no user configuration.
type awsCLI struct {
	bin      string // the aws executable, from awsExecutable
	endpoint string
	env      []string
	// service is the aws CLI command (iam, sts); empty means apigateway.
	service string
}

// awsExecutable finds the aws CLI once per test binary. A pyenv shim (a bash script that
// asks pyenv which Python to run, on every call) is resolved to the script it would run:
// the shim costs about half a second of CPU per call, and the suite makes over a hundred.
var awsExecutable = sync.OnceValues(func() (string, error) {
	path, err := exec.LookPath("aws")
	if err != nil {
		return "", err
	}
	if shims := filepath.Dir(path); filepath.Base(shims) == "shims" {
		root := filepath.Dir(shims)
		which := exec.Command(filepath.Join(root, "libexec", "pyenv"), "which", "aws")
		which.Env = append(os.Environ(), "PYENV_ROOT="+root)
		if out, err := which.Output(); err == nil {
			if real := strings.TrimSpace(string(out)); real != "" {
				return real, nil
			}
		}
	}
	return path, nil
})

func newAWSCLI(t *testing.T, endpoint, accessKey, secretKey string) *awsCLI {
	t.Helper()
	bin, err := awsExecutable()
	if err != nil {
		t.Fatalf("the aws CLI is required by the end-to-end tests (it is installed on every machine of the project): %v", err)
	}
	home := t.TempDir()
	env := append(cleanEnv(),
		"HOME="+home,
		"AWS_ACCESS_KEY_ID="+accessKey,
		"AWS_SECRET_ACCESS_KEY="+secretKey,
		"AWS_DEFAULT_REGION="+testRegion,
		"AWS_CONFIG_FILE="+filepath.Join(home, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_RETRY_MODE=standard",
		"AWS_PAGER=",
	)
	return &awsCLI{bin: bin, endpoint: endpoint, env: env}
}

// serviceName is the aws CLI command the calls go to: service, or apigateway when empty.
func (c *awsCLI) serviceName() string {
	if c.service == "" {
		return "apigateway"
	}
	return c.service
}

// run runs `aws --endpoint-url E --output json {service} args...`.
func (c *awsCLI) run(ctx context.Context, args ...string) (stdout, stderr string, code int) {
	ctx, cancel := context.WithTimeout(ctx, commandDeadline)
	defer cancel()
	full := append([]string{"--endpoint-url", c.endpoint, "--output", "json", c.serviceName()}, args...)
	cmd := exec.CommandContext(ctx, c.bin, full...)
	cmd.Env = c.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), exitCode(err)
}

// vars are the values a script saved from earlier answers, used as <name> in later steps.
type vars map[string]string

func (v vars) expand(s string) string {
	for k, val := range v {
		s = strings.ReplaceAll(s, "<"+k+">", val)
	}
	return s
}

// cliStep is one step of a script: an aws CLI call with expectations on its JSON answer, or a
// Go function (calls to the data plane).
type cliStep struct {
	name    string
	args    []string          // aws apigateway args; <name> is replaced by a saved value
	want    fields            // expectations on the JSON answer
	save    map[string]string // name → path of a value of the answer to keep
	check   func(t *testing.T, answer any, v vars)
	wantErr string // the AWS error code the call must fail with (exit status 254 or 255)
	wantMsg string // with wantErr: AWS's wording of the message, <name> expanded
	do      func(t *testing.T, v vars)
}

// runScript runs the steps in order, each as a subtest; it stops at the first step that
// could not save what later steps need.
func runScript(t *testing.T, cli *awsCLI, v vars, steps []cliStep) {
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			if s.do != nil {
				s.do(t, v)
				return
			}
			args := make([]string, len(s.args))
			for i, a := range s.args {
				args[i] = v.expand(a)
			}
			cmdline := "aws " + cli.serviceName() + " " + strings.Join(args, " ")
			stdout, stderr, code := cli.run(t.Context(), args...)
			if s.wantErr != "" {
				if code != 254 && code != 255 {
					t.Fatalf("%s: exit status %d; want 254 or 255 (%s)\nstdout: %s\nstderr: %s", cmdline, code, s.wantErr, stdout, stderr)
				}
				if !strings.Contains(stderr, "("+s.wantErr+")") {
					t.Errorf("%s: stderr = %q; want the error code (%s)", cmdline, stderr, s.wantErr)
				}
				if msg := v.expand(s.wantMsg); !strings.Contains(stderr, msg) {
					t.Errorf("%s: stderr = %q; want AWS's message %q", cmdline, stderr, msg)
				}
				return
			}
			if code != 0 {
				t.Fatalf("%s: exit status %d\nstdout: %s\nstderr: %s", cmdline, code, stdout, stderr)
			}
			var answer any
			if strings.TrimSpace(stdout) != "" {
				if err := json.Unmarshal([]byte(stdout), &answer); err != nil {
					t.Fatalf("%s: answer is not JSON: %v\n%s", cmdline, err, stdout)
				}
			}
			for _, m := range s.want.mismatches(answer, v.expand) {
				t.Errorf("%s: %s", cmdline, m)
			}
			for name, path := range s.save {
				got, ok, err := lookup(answer, path)
				str, isStr := got.(string)
				if err != nil || !ok || !isStr || str == "" {
					t.Fatalf("%s: no string at %s to save as <%s> (%v)\n%s", cmdline, path, name, err, stdout)
				}
				v[name] = str
			}
			if s.check != nil {
				s.check(t, answer, v)
			}
			if t.Failed() {
				t.Logf("answer of %s:\n%s", cmdline, stdout)
			}
		})
		if !ok && s.save != nil {
			t.Fatalf("step %q failed; the steps after it need its result", s.name)
		}
	}
}

// items returns the list at key of a decoded answer.
func items(t *testing.T, answer any, key string) []map[string]any {
	t.Helper()
	got, ok, err := lookup(answer, key)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || got == nil {
		return nil
	}
	list, isList := got.([]any)
	if !isList {
		t.Fatalf("%s is %T; want a list", key, got)
	}
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out
}

// itemWith returns the element of the list at key whose field equals value, or nil.
func itemWith(t *testing.T, answer any, key, field, value string) map[string]any {
	t.Helper()
	for _, it := range items(t, answer, key) {
		if it[field] == value {
			return it
		}
	}
	return nil
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
