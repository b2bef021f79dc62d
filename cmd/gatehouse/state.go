package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway"
	"github.com/gatehouse/gatehouse/internal/gateway/cache"
	"github.com/gatehouse/gatehouse/internal/gateway/throttle"
	"github.com/gatehouse/gatehouse/internal/localstate"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/redisstate"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Both states serve both planes: the data plane's throttle stage and the management API's
// GetUsage/UpdateUsage. Redis's also keeps the caches nodes share.
var (
	_ gateway.AuthorizerCache = (*redisstate.AuthorizerCache)(nil)
	_ cache.Store             = (*redisstate.ResponseCache)(nil)
	_ throttle.State          = (*localstate.State)(nil)
	_ mgmt.UsageCounter       = (*localstate.State)(nil)
	_ throttle.State          = (*redisstate.State)(nil)
	_ mgmt.UsageCounter       = (*redisstate.State)(nil)
)

// meteringState is the runtime state of throttles and quotas that serve runs: in process
// (--state "") or in Redis.
type meteringState interface {
	throttle.State
	mgmt.UsageCounter
}

// runtimeState is the opened --state with what serve does with it.
type runtimeState struct {
	state   meteringState
	failure throttle.FailurePolicy
	// authorizers is the Lambda authorizer cache: nil keeps it in process (the gateway's
	// default), Redis's shares it between nodes.
	authorizers gateway.AuthorizerCache
	// responses is the stage response cache: nil keeps it in process (the gateway's
	// MemoryStore), Redis's shares it between nodes, and FlushStageCache with it.
	responses cache.Store
	// run, when set, runs until ctx is done (the in-process state's flush loop).
	run func(ctx context.Context) error
	// close releases the state; the in-process state writes its last counts to the store,
	// so it is called after the listeners stop and before the store closes.
	close func() error
}

// openState opens the runtime state cfg names. The in-process state keeps its quota counts
// in st under scope's QuotaCountPrefix; a Redis state must answer now, or the start fails.
func openState(ctx context.Context, cfg config, st store.Store, scope apigateway.Scope, log *slog.Logger) (*runtimeState, error) {
	failure := cfg.failurePolicy()
	if cfg.State == "" {
		ls, err := localstate.Open(ctx, localstate.Options{Store: st, Prefix: scope.QuotaCountPrefix(), Logger: log})
		if err != nil {
			return nil, fmt.Errorf("open the in-process state: %w", err)
		}
		log.Info("throttle and quota state in process", "quota_counts", "embedded store", "data_dir", cfg.DataDir)
		return &runtimeState{state: ls, failure: failure, run: ls.Run, close: ls.Close}, nil
	}
	u, err := redisURL(cfg.State)
	if err != nil { // validate has refused it already
		return nil, fmt.Errorf("state: %w", err)
	}
	rs, err := redisstate.New(ctx, cfg.State, redisstate.Options{Timeout: cfg.StateTimeout})
	if err != nil {
		return nil, fmt.Errorf("state %s: Redis does not answer (is it running, and is the URL right?): %w", u.Redacted(), err)
	}
	log.Info("throttle and quota state, authorizer and response caches in Redis", "redis", u.Redacted(), "timeout", cfg.StateTimeout,
		"throttle_on_state_error", cfg.ThrottleOnStateError, "quota_on_state_error", cfg.QuotaOnStateError)
	return &runtimeState{state: rs, failure: failure, authorizers: rs.AuthorizerCache(), responses: rs.ResponseCache(),
		close: func() error { rs.Close(); return nil }}, nil
}

// failurePolicy is what --throttle-on-state-error and --quota-on-state-error ask for; the
// defaults (allow, deny) are the zero policy.
func (cfg config) failurePolicy() throttle.FailurePolicy {
	return throttle.FailurePolicy{
		ThrottleClosed: cfg.ThrottleOnStateError == "deny",
		QuotaOpen:      cfg.QuotaOnStateError == "allow",
	}
}

// start runs rs's loop, if it has one, until ctx is done; wait returns once it has ended. A
// loop that ends with an error before then is reported on errc, which stops serve.
func (rs *runtimeState) start(ctx context.Context, errc chan<- error) (wait func()) {
	if rs.run == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := rs.run(ctx); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			errc <- fmt.Errorf("runtime state: %w", err)
		}
	}()
	return func() { <-done }
}
