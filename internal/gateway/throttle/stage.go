package throttle

import (
	"context"
	"errors"
	"log/slog"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/meter"
)

// Stage is the throttle stage of one method of one stage. AWS applies its limits in this
// order, and the first empty bucket answers: the API key's bucket for the method (the usage
// plan's per-method throttle), the key's bucket in the plan (the plan's throttle), the
// stage's method throttling (methodSettings), the account's bucket; then the key's quota.
type Stage struct {
	// State decides; nil applies nothing (the stage is left out of the pipeline).
	State   State
	Failure FailurePolicy
	// Method is the stage's bucket for this method (methodSettings "{resource}/{METHOD}",
	// else "*/*"); Account the account's. Nil: none at that level.
	Method, Account *meter.Bucket
	Logger          *slog.Logger
}

// Precomputed answers: the stage allocates nothing per request.
var (
	errThrottled     = invoke.Throttled.Because(nil)
	errQuotaExceeded = invoke.QuotaExceeded.Because(nil)
	errBadQuota      = invoke.ConfigurationError.Because(errors.New("usage plan quota has a period or offset meter.Window refuses"))
)

// Middleware applies the stage to requests; inv.Metering (set by the API key stage) adds
// the key's bucket and quota.
func (s Stage) Middleware() invoke.Middleware {
	return func(next invoke.Handler) invoke.Handler {
		if s.State == nil {
			return next
		}
		return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
			m := inv.Metering
			if m == nil && s.Method == nil && s.Account == nil {
				return next.Invoke(ctx, inv)
			}
			now := inv.RequestTime // the gateway's (injectable) clock, read once at the edge
			ck := &inv.Meter
			b := ck.Buckets[:0]
			if m != nil && m.MethodThrottle != nil {
				b = append(b, *m.MethodThrottle)
			}
			if m != nil && m.Throttle != nil {
				b = append(b, *m.Throttle)
			}
			if s.Method != nil {
				b = append(b, *s.Method)
			}
			if s.Account != nil {
				b = append(b, *s.Account)
			}
			ck.Check = meter.Check{Buckets: b}
			if m != nil && m.Quota != nil {
				start, end, ok := meter.Window(m.Quota.Period, m.Quota.Offset, now)
				if !ok {
					return nil, errBadQuota
				}
				ck.Quota = meter.Quota{Key: m.QuotaKey, Limit: int64(m.Quota.Limit), Start: start, End: end}
				ck.Check.Quota = &ck.Quota
			}
			if len(b) == 0 && ck.Check.Quota == nil {
				return next.Invoke(ctx, inv)
			}
			out, err := s.State.Admit(ctx, now, &ck.Check)
			hasQuota, hasBuckets := ck.Check.Quota != nil, len(b) > 0
			if err != nil {
				return s.failed(ctx, inv, next, err, hasQuota, hasBuckets)
			}
			switch out {
			case meter.Throttled:
				return nil, errThrottled
			case meter.QuotaExceeded:
				return nil, errQuotaExceeded
			}
			return next.Invoke(ctx, inv)
		})
	}
}

// failed applies the failure policy to a request the state could not decide: a quota
// fails closed unless QuotaOpen, buckets fail open unless ThrottleClosed. A refused request
// gets DEFAULT_5XX, 500 {"message":"Internal server error"}, the cause logged.
func (s Stage) failed(ctx context.Context, inv *invoke.Invocation, next invoke.Handler, err error, hasQuota, hasBuckets bool) (*invoke.Response, error) {
	refuse := (hasQuota && !s.Failure.QuotaOpen) || (hasBuckets && s.Failure.ThrottleClosed)
	if s.Logger != nil {
		s.Logger.Warn("throttle state unavailable", "requestId", inv.RequestID, "refused", refuse, "err", err)
	}
	if refuse {
		return nil, invoke.Internal.Because(err)
	}
	return next.Invoke(ctx, inv)
}
