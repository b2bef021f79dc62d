package lambda

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbeFailureIsNotNotFound: a python3 that is on PATH but whose probe fails (a shim
// that errors, or one too slow under load: the probe's 10 s timeout) is not reported as
// "python3 was not found on PATH": the message says what happened (the probe's error).
func TestProbeFailureIsNotNotFound(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "python3"), []byte("#!/bin/sh\necho broken shim >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	r, err := NewRuntime(RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(t.Context())
	err = r.RuntimeAvailable("python3.12")
	if err == nil {
		t.Fatal("RuntimeAvailable(python3.12) = nil with a failing python3")
	}
	if strings.Contains(err.Error(), "not found on PATH") {
		t.Errorf("RuntimeAvailable(python3.12) = %q; python3 is on PATH, its probe failed (exit status 3): want that said", err)
	}
}
