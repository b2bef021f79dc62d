package authorizer

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// TestResult is what TestInvokeAuthorizer reports of one run of the authorizer.
type TestResult struct {
	// Status is the clientStatus: 200 when the function answered a valid output, 401 for a
	// missing identity source, a failed identityValidationExpression or the function's
	// "Unauthorized", 500 for any other failure.
	Status int
	// Result is the function's answer (Status 200); Policy its policyDocument's JSON text.
	Result *invoke.AuthorizerResult
	Policy string
	// Latency is the call's duration, zero when the function was not called.
	Latency time.Duration
	// Err is the failure (Status other than 200), for the log.
	Err error
	// Event is the event the function was sent, nil when it was not called.
	Event []byte
}

// Test runs the authorizer once for inv as TestInvokeAuthorizer does: no cache, and the
// policy is returned rather than evaluated (there is no method to evaluate it on).
func (z *Authorizer) Test(ctx context.Context, inv *invoke.Invocation) TestResult {
	if z.cfg.ConfigErr != nil {
		return TestResult{Status: http.StatusInternalServerError, Err: z.cfg.ConfigErr}
	}
	ids, ok := z.identity(inv, nil)
	if !ok {
		return TestResult{Status: http.StatusUnauthorized, Err: unauthorized}
	}
	methodARN := z.MethodARN(inv)
	start := time.Now()
	ans, _, event, err := z.callEvent(ctx, inv, methodARN, ids)
	tr := TestResult{Latency: time.Since(start), Event: event}
	if err != nil {
		tr.Status, tr.Err = http.StatusInternalServerError, err
		if e, ok := invoke.AsError(err); ok && e == unauthorized {
			tr.Status = http.StatusUnauthorized
		}
		return tr
	}
	tr.Status, tr.Result, tr.Policy = http.StatusOK, &ans.fresh, ans.doc
	return tr
}
