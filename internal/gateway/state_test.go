package gateway

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/localstate"
)

// newTestState is the gateway tests' throttle state: the in-process one cmd/gatehouse
// serves by default, in memory (no store), closed when the test ends.
func newTestState(t testing.TB) *localstate.State {
	t.Helper()
	st, err := localstate.Open(context.Background(), localstate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
