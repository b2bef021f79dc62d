package throttle

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/meter"
)

// recorder is a State that answers out (or err) and records the checks it was asked,
// copied: the stage reuses its Check.
type recorder struct {
	out    meter.Outcome
	err    error
	checks []meter.Check
	quotas []meter.Quota
}

func (r *recorder) Admit(_ context.Context, _ time.Time, c *meter.Check) (meter.Outcome, error) {
	cp := meter.Check{Buckets: slices.Clone(c.Buckets)}
	if c.Quota != nil {
		r.quotas = append(r.quotas, *c.Quota)
		cp.Quota = &r.quotas[len(r.quotas)-1]
	}
	r.checks = append(r.checks, cp)
	return r.out, r.err
}

type ok struct{ called int }

func (n *ok) Invoke(context.Context, *invoke.Invocation) (*invoke.Response, error) {
	n.called++
	return &invoke.Response{StatusCode: 200}, nil
}

var (
	// Wednesday 2 December 2026, 13:00 UTC.
	t0          = time.Date(2026, 12, 2, 13, 0, 0, 0, time.UTC)
	keyBucket   = &meter.Bucket{Key: "k/p1/k1", Rate: 10, Burst: 5}
	stageBucket = &meter.Bucket{Key: "s/api1/prod/pets/GET", Rate: 100, Burst: 50}
	acctBucket  = &meter.Bucket{Key: "a", Rate: 10000, Burst: 5000}
	methodBkt   = &meter.Bucket{Key: "k/p1/k1/api1/prod/pets/GET", Rate: 5, Burst: 2}
	weekly      = &invoke.Metering{PlanID: "p1", MethodThrottle: methodBkt, Throttle: keyBucket,
		Quota: &apigateway.QuotaSettings{Limit: 100, Period: "WEEK", Offset: 1}, QuotaKey: "p1/k1"}
)

func TestStageCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		metering        *invoke.Metering
		method, account *meter.Bucket
		wantBuckets     []string
		wantQuota       *meter.Quota
	}{
		{"every level, in AWS's order", weekly, stageBucket, acctBucket,
			[]string{"k/p1/k1/api1/prod/pets/GET", "k/p1/k1", "s/api1/prod/pets/GET", "a"},
			// WEEK offset 1: Monday to Monday.
			&meter.Quota{Key: "p1/k1", Limit: 100, Start: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}},
		{"no key: the stage's and the account's", nil, stageBucket, acctBucket, []string{"s/api1/prod/pets/GET", "a"}, nil},
		{"key without throttle, quota only", &invoke.Metering{PlanID: "p1", Quota: &apigateway.QuotaSettings{Limit: 3, Period: "DAY"}, QuotaKey: "p1/k1"}, nil, nil,
			nil, &meter.Quota{Key: "p1/k1", Limit: 3, Start: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &recorder{}
			n := &ok{}
			h := Stage{State: r, Method: tt.method, Account: tt.account}.Middleware()(n)
			if _, err := h.Invoke(context.Background(), &invoke.Invocation{Metering: tt.metering, RequestTime: t0}); err != nil || n.called != 1 {
				t.Fatalf("Invoke = %v (next called %d times); want admitted", err, n.called)
			}
			if len(r.checks) != 1 {
				t.Fatalf("State asked %d checks; want 1", len(r.checks))
			}
			c := r.checks[0]
			var keys []string
			for _, b := range c.Buckets {
				keys = append(keys, b.Key)
			}
			if !slices.Equal(keys, tt.wantBuckets) {
				t.Errorf("check buckets = %q; want %q", keys, tt.wantBuckets)
			}
			switch {
			case (c.Quota == nil) != (tt.wantQuota == nil):
				t.Errorf("check quota = %+v; want %+v", c.Quota, tt.wantQuota)
			case c.Quota != nil && *c.Quota != *tt.wantQuota:
				t.Errorf("check quota = %+v; want %+v", *c.Quota, *tt.wantQuota)
			}
		})
	}
}

func TestStageNothingToCheck(t *testing.T) {
	t.Parallel()
	r := &recorder{out: meter.Throttled}
	for _, s := range []Stage{
		{State: r},                        // no level applies: the state is not asked
		{State: nil, Account: acctBucket}, // no state: nothing applies
	} {
		n := &ok{}
		if _, err := s.Middleware()(n).Invoke(context.Background(), &invoke.Invocation{}); err != nil || n.called != 1 {
			t.Errorf("Invoke with %+v = %v; want admitted", s, err)
		}
	}
	if len(r.checks) != 0 {
		t.Errorf("State asked %d checks; want none", len(r.checks))
	}
}

func TestStageOutcomes(t *testing.T) {
	t.Parallel()
	down := errors.New("redis: i/o timeout")
	tests := []struct {
		name     string
		out      meter.Outcome
		err      error
		policy   FailurePolicy
		metering *invoke.Metering
		// want is the gateway response type, "" for admitted.
		want       apigateway.GatewayResponseType
		wantStatus string
	}{
		{"admitted", meter.Admitted, nil, FailurePolicy{}, weekly, "", ""},
		{"throttled", meter.Throttled, nil, FailurePolicy{}, weekly, apigateway.ResponseThrottled, "Too Many Requests"},
		{"quota exceeded", meter.QuotaExceeded, nil, FailurePolicy{}, weekly, apigateway.ResponseQuotaExceeded, "Limit Exceeded"},
		// Default policy: quotas fail closed, throttles open.
		{"state down, quota: closed by default", 0, down, FailurePolicy{}, weekly, apigateway.ResponseDefault5XX, "Internal server error"},
		{"state down, buckets only: open by default", 0, down, FailurePolicy{}, nil, "", ""},
		{"state down, quota open", 0, down, FailurePolicy{QuotaOpen: true}, weekly, "", ""},
		{"state down, throttle closed", 0, down, FailurePolicy{ThrottleClosed: true}, nil, apigateway.ResponseDefault5XX, "Internal server error"},
		{"state down, quota open, throttle closed", 0, down, FailurePolicy{QuotaOpen: true, ThrottleClosed: true}, weekly, apigateway.ResponseDefault5XX, "Internal server error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := &ok{}
			h := Stage{State: &recorder{out: tt.out, err: tt.err}, Failure: tt.policy,
				Account: acctBucket}.Middleware()(n)
			_, err := h.Invoke(context.Background(), &invoke.Invocation{Metering: tt.metering, RequestTime: t0})
			if tt.want == "" {
				if err != nil || n.called != 1 {
					t.Fatalf("Invoke = %v (next called %d times); want admitted", err, n.called)
				}
				return
			}
			e, isErr := invoke.AsError(err)
			if !isErr || e.Type != tt.want || e.Message != tt.wantStatus || n.called != 0 {
				t.Fatalf("Invoke = %v (next called %d times); want %s %q", err, n.called, tt.want, tt.wantStatus)
			}
			if tt.err != nil && !errors.Is(e.Err, tt.err) {
				t.Errorf("refusal's cause = %v; want the state's error (logged)", e.Err)
			}
		})
	}
}

func TestStageBadQuota(t *testing.T) {
	t.Parallel()
	m := &invoke.Metering{PlanID: "p1", Quota: &apigateway.QuotaSettings{Limit: 1, Period: "YEAR"}, QuotaKey: "p1/k1"}
	r := &recorder{}
	_, err := Stage{State: r}.Middleware()(&ok{}).Invoke(context.Background(), &invoke.Invocation{Metering: m})
	if e, isErr := invoke.AsError(err); !isErr || e.Type != apigateway.ResponseAPIConfigurationError || len(r.checks) != 0 {
		t.Errorf("Invoke with period YEAR = %v (%d checks); want API_CONFIGURATION_ERROR without a check", err, len(r.checks))
	}
}

// admitAll is a State that admits everything and keeps nothing.
type admitAll struct{}

func (admitAll) Admit(context.Context, time.Time, *meter.Check) (meter.Outcome, error) {
	return meter.Admitted, nil
}

func TestStageAllocs(t *testing.T) {
	h := Stage{State: admitAll{}, Method: stageBucket, Account: acctBucket}.Middleware()(&ok{})
	inv := &invoke.Invocation{Metering: weekly, RequestTime: t0}
	ctx := context.Background()
	// ok's Response is the one allocation of the call.
	if n := testing.AllocsPerRun(200, func() { _, _ = h.Invoke(ctx, inv) }); n > 1 {
		t.Errorf("Invoke allocates %v times a request; want at most 1 (next's response)", n)
	}
}

func BenchmarkStage(b *testing.B) {
	h := Stage{State: admitAll{}, Method: stageBucket, Account: acctBucket}.Middleware()(&ok{})
	inv := &invoke.Invocation{Metering: weekly, RequestTime: t0}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _ = h.Invoke(ctx, inv)
		}
	})
}
