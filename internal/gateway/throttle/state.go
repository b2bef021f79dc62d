// Package throttle is the pipeline stage that applies AWS's throttles and quotas to a
// request: the usage plan's per-key (and per-key per-method) token buckets, the stage's
// method throttling, the account's bucket and the plan's quota, as one meter.Check asked of
// the runtime state (State).
package throttle

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
)

// State is what the throttle stage needs of the runtime state: one atomic decision per
// request (see meter's package comment for the semantics). internal/localstate keeps it in
// process; internal/redisstate in Redis, shared by every node.
type State interface {
	Admit(ctx context.Context, now time.Time, c *meter.Check) (meter.Outcome, error)
}

// FailurePolicy says what a request gets when the state cannot answer (Redis unreachable or
// slow past its deadline). The zero value is the default: throttles fail open (the request
// is not throttled) and quotas fail closed (a request under a quota is refused with 500).
type FailurePolicy struct {
	// ThrottleClosed refuses a request whose buckets could not be checked (500).
	ThrottleClosed bool
	// QuotaOpen admits a request whose quota could not be checked.
	QuotaOpen bool
}
