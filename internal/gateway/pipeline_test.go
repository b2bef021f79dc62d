package gateway

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// firstRead is a request body that records the size of the buffer its first Read was
// given: what readBody committed to before a single byte arrived.
type firstRead struct {
	r     io.Reader
	first int
}

func (f *firstRead) Read(p []byte) (int, error) {
	if f.first == 0 {
		f.first = len(p)
	}
	return f.r.Read(p)
}

func TestReadBody(t *testing.T) {
	t.Parallel()
	const limit = 10 << 20
	tests := []struct {
		name          string
		contentLength int64 // -1: chunked
		body          string
		wantBody      string
		wantType      apigateway.GatewayResponseType // "" for no error
		maxFirstRead  int                            // 0: not checked
	}{
		{"exact length", 5, "hello", "hello", "", 0},
		{"chunked", -1, "hello", "hello", "", 0},
		{"empty", 0, "", "", "", 0},
		{"over the limit", limit + 1, "x", "", apigateway.ResponseRequestTooLarge, 0},
		{"short small body", 10, "hello", "", apigateway.ResponseDefault4XX, 0},
		// A client announcing 10 MB and sending 5 bytes must not make the gateway commit
		// 10 MB before they arrive.
		{"short body claiming 10 MB", limit, "hello", "", apigateway.ResponseDefault4XX, 1 << 20},
		{"large body", 3 << 20, strings.Repeat("a", 3<<20), strings.Repeat("a", 3<<20), "", 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := &firstRead{r: strings.NewReader(tt.body)}
			inv := &invoke.Invocation{Request: invoke.Request{BodyReader: src, ContentLength: tt.contentLength}}
			var got []byte
			h := readBody(limit)(invoke.HandlerFunc(func(_ context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
				got = inv.Request.Body
				return &invoke.Response{StatusCode: 200}, nil
			}))
			_, err := h.Invoke(context.Background(), inv)
			var gotType apigateway.GatewayResponseType
			if e, ok := invoke.AsError(err); ok {
				gotType = e.Type
			} else if err != nil {
				t.Fatalf("readBody(%d bytes, Content-Length %d) = %v; want an *invoke.Error", len(tt.body), tt.contentLength, err)
			}
			if gotType != tt.wantType || string(got) != tt.wantBody {
				t.Errorf("readBody(%d bytes, Content-Length %d) = %d bytes, %q; want %d bytes, %q", len(tt.body), tt.contentLength, len(got), gotType, len(tt.wantBody), tt.wantType)
			}
			if tt.maxFirstRead > 0 && src.first > tt.maxFirstRead {
				t.Errorf("readBody(Content-Length %d) first read into %d bytes; want at most %d", tt.contentLength, src.first, tt.maxFirstRead)
			}
		})
	}
}

// TestReadBodyAllocs: a chunked body that reads without error costs readBody nothing for
// the error paths it did not take.
func TestReadBodyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector; .ci/run checks them without it")
	}
	h := readBody(10 << 20)(invoke.HandlerFunc(func(_ context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
		return nil, nil
	}))
	src := strings.NewReader("hello")
	inv := &invoke.Invocation{}
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset("hello")
		inv.Request = invoke.Request{BodyReader: src, ContentLength: -1}
		h.Invoke(context.Background(), inv)
	})
	// The buffer, its growth to bytes.MinRead and the LimitReader; a fourth was the
	// *http.MaxBytesError target of the chunk-limit check, moved to the heap on every call.
	if allocs > 3 {
		t.Errorf("readBody of a 5-byte chunked body: %v allocations; want at most 3", allocs)
	}
}
