package cache_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/cache"
	"github.com/gatehouse/gatehouse/internal/gateway/cache/cachetest"
)

func TestMemoryStoreContract(t *testing.T) {
	t.Parallel()
	cachetest.Run(t, func(*testing.T) cache.Store { return cache.NewMemoryStore() })
}
