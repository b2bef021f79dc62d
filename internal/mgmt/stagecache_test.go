package mgmt

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
)

// fakeStageCache records the stages FlushStageCache asks the data plane to flush.
type fakeStageCache struct {
	mu      sync.Mutex
	flushed []string
	err     error
}

var _ StageCacheRuntime = (*fakeStageCache)(nil)

func (f *fakeStageCache) FlushStageCache(_ context.Context, apiID, stage string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushed = append(f.flushed, apiID+"/"+stage)
	return f.err
}

func (f *fakeStageCache) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.flushed)
}

// TestFlushStageCache: the SDK's FlushStageCache reaches the data plane for an existing
// stage (202, no body), and an unknown API or stage is AWS's NotFoundException, flushing
// nothing.
func TestFlushStageCache(t *testing.T) {
	t.Parallel()
	rt := &fakeStageCache{}
	e := newConfigEnv(t, func(c *Config) { c.StageCache = rt })
	c := e.client
	apiID := e.stagedAPI(t, "prod", "test")

	if _, err := c.FlushStageCache(ctx(t), &apigateway.FlushStageCacheInput{RestApiId: &apiID, StageName: aws.String("prod")}); err != nil {
		t.Fatalf("FlushStageCache(prod): %v", err)
	}
	status, _, body := raw(t, e, http.MethodDelete, "/restapis/"+apiID+"/stages/test/cache/data", "")
	if status != http.StatusAccepted || body != nil {
		t.Errorf("DELETE .../stages/test/cache/data = %d %v; want 202 and no body", status, body)
	}
	if got, want := rt.got(), []string{apiID + "/prod", apiID + "/test"}; !slices.Equal(got, want) {
		t.Errorf("flushed = %v; want %v", got, want)
	}

	for _, tc := range []struct {
		name, api, stage, msg string
	}{
		{"unknown stage", apiID, "nope", "Invalid stage identifier specified"},
		{"unknown API", "nope000000", "prod", "Invalid API identifier specified " + testAccount + ":nope000000"},
	} {
		_, err := c.FlushStageCache(ctx(t), &apigateway.FlushStageCacheInput{RestApiId: &tc.api, StageName: &tc.stage})
		if code, msg := apiErr(t, err); code != "NotFoundException" || msg != tc.msg {
			t.Errorf("FlushStageCache(%s) = %s %q; want NotFoundException %q", tc.name, code, msg, tc.msg)
		}
	}
	if got := rt.got(); len(got) != 2 {
		t.Errorf("flushed = %v after the refusals; want the two flushes only", got)
	}

	// The runtime's failure is a 500, logged; never a 202.
	rt.mu.Lock()
	rt.err = errors.New("redis down")
	rt.mu.Unlock()
	if status, _, _ := raw(t, e, http.MethodDelete, "/restapis/"+apiID+"/stages/prod/cache/data", ""); status != http.StatusInternalServerError {
		t.Errorf("FlushStageCache with a failing runtime = %d; want 500", status)
	}
}

func TestFlushStageCacheUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.stagedAPI(t, "prod")
	_, err := e.client.FlushStageCache(ctx(t), &apigateway.FlushStageCacheInput{RestApiId: &apiID, StageName: aws.String("prod")})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != ErrStageCacheUnavailable.Message {
		t.Errorf("FlushStageCache without a runtime = %s %q; want BadRequestException %q", code, msg, ErrStageCacheUnavailable.Message)
	}
}
