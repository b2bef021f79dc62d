package memory_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/memory"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return memory.New() })
}

func TestContractHistoryBytes(t *testing.T) {
	t.Parallel()
	storetest.RunHistoryBytes(t, func(t *testing.T, n int64) store.Store { return memory.New(memory.WithHistoryBytes(n)) })
}
