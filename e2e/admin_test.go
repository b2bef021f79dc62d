package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The keys of the admin credentials file of TestAdminCredentials: two profiles, both allowed.
const (
	adminKeyID1, adminSecret1 = "AKIAE2EADMIN00000001", "e2e-admin-secret-one"
	adminKeyID2, adminSecret2 = "AKIAE2EADMIN00000002", "e2e-admin-secret-two"
)

// TestAdminCredentials checks the management API's protection: with --admin-credentials (an
// AWS shared-credentials file) it may listen on every interface and verifies SigV4 with the
// file's keys; without, gatehouse refuses to start on a non-loopback address.
func TestAdminCredentials(t *testing.T) {
	t.Parallel()

	t.Run("keys from the file sign, others are refused", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "credentials")
		writeFile(t, file, "# gatehouse administrators\n"+
			"[default]\naws_access_key_id = "+adminKeyID1+"\naws_secret_access_key = "+adminSecret1+"\n\n"+
			"[ci]\naws_access_key_id="+adminKeyID2+"\naws_secret_access_key="+adminSecret2+"\n")
		g := startGatehouse(t, options{adminHost: "0.0.0.0", credentials: file})

		admin := newAWSCLI(t, g.AdminURL, adminKeyID1, adminSecret1)
		stdout, stderr, code := admin.run(t.Context(), "create-rest-api", "--name", "e2e-admin")
		if code != 0 {
			t.Fatalf("create-rest-api with the [default] keys: exit status %d\n%s%s", code, stdout, stderr)
		}
		var api struct{ ID string }
		if err := json.Unmarshal([]byte(stdout), &api); err != nil || api.ID == "" {
			t.Fatalf("create-rest-api answer %q: %v", stdout, err)
		}
		stdout, stderr, code = newAWSCLI(t, g.AdminURL, adminKeyID2, adminSecret2).run(t.Context(), "get-rest-api", "--rest-api-id", api.ID)
		if code != 0 || !strings.Contains(stdout, `"e2e-admin"`) {
			t.Errorf("get-rest-api with the [ci] keys: exit status %d\n%s%s; want the API", code, stdout, stderr)
		}

		refused := []struct {
			name, keyID, secret, errCode string
		}{
			{"wrong secret", adminKeyID1, "not-the-secret", "InvalidSignatureException"},
			{"the other profile's secret", adminKeyID1, adminSecret2, "InvalidSignatureException"},
			{"unknown key", "AKIAE2EUNKNOWN000001", adminSecret1, "UnrecognizedClientException"},
		}
		for _, r := range refused {
			cli := newAWSCLI(t, g.AdminURL, r.keyID, r.secret)
			for _, args := range [][]string{{"get-rest-apis"}, {"create-rest-api", "--name", "intruder"}, {"delete-rest-api", "--rest-api-id", api.ID}} {
				stdout, stderr, code := cli.run(t.Context(), args...)
				if code != 254 && code != 255 || !strings.Contains(stderr, "("+r.errCode+")") {
					t.Errorf("%s: aws apigateway %s: exit status %d, stderr %q; want 254/255 and (%s)", r.name, strings.Join(args, " "), code, stderr, r.errCode)
					t.Logf("stdout: %s", stdout)
				}
			}
		}

		// An unsigned request is refused the way AWS refuses it.
		r := mustCall(t, "GET", g.AdminURL+"/restapis", "", nil, "")
		if r.Status != 403 || r.Header.Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" {
			t.Errorf("unsigned GET /restapis = %d %s %q; want 403 MissingAuthenticationTokenException", r.Status, r.Header.Get("X-Amzn-Errortype"), r.Body)
		}

		// Nothing the refused calls asked for happened.
		stdout, stderr, code = admin.run(t.Context(), "get-rest-apis")
		var apis struct{ Items []struct{ ID, Name string } }
		if code != 0 || json.Unmarshal([]byte(stdout), &apis) != nil {
			t.Fatalf("get-rest-apis: exit status %d\n%s%s", code, stdout, stderr)
		}
		if len(apis.Items) != 1 || apis.Items[0].ID != api.ID {
			t.Errorf("get-rest-apis after the refused calls = %+v; want only %s", apis.Items, api.ID)
		}
		g.stop()
	})

	t.Run("credentials are verified on loopback too", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "credentials")
		writeFile(t, file, "[default]\naws_access_key_id = "+adminKeyID1+"\naws_secret_access_key = "+adminSecret1+"\n")
		g := startGatehouse(t, options{credentials: file})
		stdout, stderr, code := newAWSCLI(t, g.AdminURL, "AKIAE2EUNKNOWN000001", adminSecret1).run(t.Context(), "get-rest-apis")
		if code != 254 && code != 255 || !strings.Contains(stderr, "(UnrecognizedClientException)") {
			t.Errorf("get-rest-apis with an unknown key on a loopback admin address: exit status %d\n%s%s; want (UnrecognizedClientException)", code, stdout, stderr)
		}
		if stdout, stderr, code := newAWSCLI(t, g.AdminURL, adminKeyID1, adminSecret1).run(t.Context(), "get-rest-apis"); code != 0 {
			t.Errorf("get-rest-apis with the file's keys: exit status %d\n%s%s", code, stdout, stderr)
		}
		g.stop()
	})

	t.Run("non-loopback admin address without credentials is refused", func(t *testing.T) {
		t.Parallel()
		port := strconv.Itoa(freePort(t))
		for _, c := range []struct {
			name string
			args []string
			env  []string
		}{
			{"flag", []string{"--admin-listen", "0.0.0.0:" + port}, nil},
			{"environment", nil, []string{"GATEHOUSE_ADMIN_LISTEN=0.0.0.0:" + port}},
			{"all interfaces", []string{"--admin-listen", ":" + port}, nil},
		} {
			ctx, cancel := context.WithTimeout(t.Context(), startDeadline)
			args := append([]string{"serve", "--listen", "127.0.0.1:" + strconv.Itoa(freePort(t)), "--data-dir", t.TempDir()}, c.args...)
			cmd := exec.CommandContext(ctx, gatehouseBin, args...)
			cmd.Env = append(cleanEnv(), c.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			timedOut := ctx.Err() != nil
			cancel()
			if timedOut {
				t.Errorf("%s: gatehouse %s still ran after %v; want it to refuse to start", c.name, strings.Join(args, " "), startDeadline)
				continue
			}
			if code := exitCode(err); code <= 0 {
				t.Errorf("%s: gatehouse %s: exit status %d; want non-zero", c.name, strings.Join(args, " "), code)
			}
			if msg := out.String(); !strings.Contains(msg, "admin-listen") || !strings.Contains(msg, "admin-credentials") {
				t.Errorf("%s: gatehouse said %q; want a message naming admin-listen and admin-credentials", c.name, msg)
			}
		}
	})
}
