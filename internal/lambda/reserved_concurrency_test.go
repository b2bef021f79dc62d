package lambda

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestReservedConcurrencyAcrossVersions: reserved concurrency is the function's, shared by
// $LATEST and every published version (AWS: "Reserved concurrency ... applies to the
// function as a whole, including its versions and aliases"). With reserved concurrency 1, a
// call of version 1 while $LATEST runs must be throttled, although each version has its own
// ARN and pool (Invoker.Spec): the Runtime counts the function's invocations across them.
func TestReservedConcurrencyAcrossVersions(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	latest := newSpec(t, "multi")
	latest.Concurrency, latest.Throttle = 1, true
	v1 := *latest
	v1.ARN, v1.Version, v1.Revision = latest.ARN+":1", "1", "r-v1" // as Invoker.Spec makes it
	first := make(chan *Result)
	go func() {
		res, _ := r.Invoke(context.Background(), latest, []byte(`{"do":"sleep","ms":1500}`))
		first <- res
	}()
	waitFor(t, r.running)
	res, err := r.Invoke(context.Background(), &v1, []byte(`{}`))
	var te *ThrottledError
	if !errors.As(err, &te) {
		t.Errorf("Invoke of version 1 while $LATEST holds the function's only reserved place = %v, %v; want a ThrottledError", res, err)
	}
	testwait.Recv(t, first, invokeDeadline, "the answer of the first invocation")
}
