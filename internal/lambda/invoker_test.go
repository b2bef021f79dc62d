package lambda

import (
	"context"
	"log/slog"
	"sync"
	"testing"
)

// TestRunEventDuringClose: asynchronous invocations started while the invoker closes are
// either waited for or refused; none races Close's wait (a sync.WaitGroup misuse panics).
func TestRunEventDuringClose(t *testing.T) {
	t.Parallel()
	fn := &Function{Configuration: FunctionConfiguration{FunctionName: "x", Runtime: "provided.al2023", Timeout: 1}}
	for range 200 {
		inv := NewInvoker(InvokerConfig{Logger: slog.New(slog.DiscardHandler)})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				inv.RunEvent(fn, nil) // no Runner: each fails at once and is logged
			}
		}()
		if err := inv.Close(context.Background()); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		wg.Wait()
		if err := inv.Close(context.Background()); err != nil {
			t.Fatalf("Close() again = %v", err)
		}
	}
}
