package redisstate

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/meter/metertest"
)

var _ metertest.State = (*State)(nil)

// TestContract holds the Redis state to meter's semantics: each subtest gets a State of
// its own under a fresh prefix on the test DB.
func TestContract(t *testing.T) {
	t.Parallel()
	metertest.Run(t, func(t *testing.T) metertest.State { return newTestState(t) })
}

func TestContractConcurrent(t *testing.T) {
	t.Parallel()
	metertest.RunConcurrent(t, func(t *testing.T) metertest.State { return newTestState(t) })
}
