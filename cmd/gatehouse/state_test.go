package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/throttle"
	"github.com/gatehouse/gatehouse/internal/redisstate"
	"github.com/gatehouse/gatehouse/internal/store/memory"
)

func TestFailurePolicy(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		throttle, quota string
		want            throttle.FailurePolicy
	}{
		{"allow", "deny", throttle.FailurePolicy{}}, // the defaults are the zero policy
		{"deny", "deny", throttle.FailurePolicy{ThrottleClosed: true}},
		{"allow", "allow", throttle.FailurePolicy{QuotaOpen: true}},
		{"deny", "allow", throttle.FailurePolicy{ThrottleClosed: true, QuotaOpen: true}},
	} {
		cfg := config{ThrottleOnStateError: tt.throttle, QuotaOnStateError: tt.quota}
		if got := cfg.failurePolicy(); got != tt.want {
			t.Errorf("failurePolicy(throttle %s, quota %s) = %+v; want %+v", tt.throttle, tt.quota, got, tt.want)
		}
	}
}

// TestOpenStateRedisUnreachable: a Redis that does not answer fails openState at once, with
// the URL (password hidden) and what to check.
func TestOpenStateRedisUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	cfg := config{State: fmt.Sprintf("redis://user:hunter2@%s/0", addr), StateTimeout: 50 * time.Millisecond}
	start := time.Now()
	_, err = openState(t.Context(), cfg, memory.New(), apigateway.Scope{AccountID: "123456789012", Region: "us-east-1"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		t.Fatalf("openState(%s) with nothing listening succeeded", addr)
	}
	want := fmt.Sprintf("state redis://user:xxxxx@%s/0: Redis does not answer", addr)
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("openState error = %q; want it to contain %q and not the password", err, want)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("openState took %v to give up on a closed port; want about the 1 s dial timeout at most", took)
	}
}

// TestOpenStateCaches: --state redis:// shares the Lambda authorizer cache and the stage
// response cache through Redis; the in-process state leaves both to the gateway (nil).
func TestOpenStateCaches(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	scope := apigateway.Scope{AccountID: "123456789012", Region: "us-east-1"}
	local, err := openState(t.Context(), config{DataDir: t.TempDir()}, memory.New(), scope, log)
	if err != nil {
		t.Fatal(err)
	}
	defer local.close()
	if local.authorizers != nil {
		t.Errorf("in-process state: authorizers = %T; want nil (the gateway's own)", local.authorizers)
	}
	if local.responses != nil {
		t.Errorf("in-process state: responses = %T; want nil (the gateway's MemoryStore)", local.responses)
	}
	rs, err := openState(t.Context(), config{State: "redis://127.0.0.1:6379/9", StateTimeout: time.Second}, memory.New(), scope, log)
	if err != nil {
		t.Skipf("no Redis at 127.0.0.1:6379: %v", err)
	}
	defer rs.close()
	if _, ok := rs.authorizers.(*redisstate.AuthorizerCache); !ok {
		t.Errorf("redis state: authorizers = %T; want *redisstate.AuthorizerCache", rs.authorizers)
	}
	if _, ok := rs.responses.(*redisstate.ResponseCache); !ok {
		t.Errorf("redis state: responses = %T; want *redisstate.ResponseCache", rs.responses)
	}
}
