package lambda

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestRunEventDuringClose: asynchronous invocations started while the invoker closes are
// either waited for or refused; none races Close's wait (a sync.WaitGroup misuse panics).
func TestRunEventDuringClose(t *testing.T) {
	t.Parallel()
	fn := &Function{Configuration: FunctionConfiguration{FunctionName: "x", Runtime: "provided.al2023", Timeout: 1}}
	for range 200 {
		inv := NewInvoker(InvokerConfig{Logger: slog.New(slog.DiscardHandler)})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				inv.RunEvent(fn, "", nil) // no Runner: each fails at once and is logged
			}
		}()
		if err := inv.Close(context.Background()); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		testwait.Group(t, &wg, testwait.Patient, "the RunEvent calls racing Close")
		if err := inv.Close(context.Background()); err != nil {
			t.Fatalf("Close() again = %v", err)
		}
	}
}

// TestLoadCredentialsFile: the [default] profile's keys, read with sigv4.ParseProfiles.
func TestLoadCredentialsFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		wantKey    string // "" means an error containing wantErr
		wantErr    string
	}{
		{name: "default", file: "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = s1\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s2\naws_session_token = tok\n", wantKey: "AKIDDEFAULT"},
		{name: "no default", file: "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = s1\n", wantErr: "profile default has no aws_access_key_id"},
		{name: "half a pair", file: "[default]\naws_access_key_id = AKIDDEFAULT\n", wantErr: "line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "credentials")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := LoadCredentialsFile(path)
			if tt.wantKey == "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadCredentialsFile() = %v; want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadCredentialsFile() = %v", err)
			}
			c, err := p.Retrieve(context.Background())
			if err != nil || c.AccessKeyID != tt.wantKey || c.SecretAccessKey != "s2" || c.SessionToken != "tok" {
				t.Errorf("Retrieve() = %+v, %v; want %s/s2/tok", c, err, tt.wantKey)
			}
		})
	}
	if _, err := LoadCredentialsFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("LoadCredentialsFile(missing) = nil error; want one")
	}
}
