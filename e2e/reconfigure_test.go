package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestLiveReconfiguration moves a stage to a new deployment and back while clients call it
// without pause: each switch becomes visible, once a client has seen the new answer every
// request started after that gets it too (the switch is atomic, never flapping back), and no
// request fails, before, during or after. How soon a switch is seen is logged, not asserted:
// docs/performance.md measures propagation on a quiet machine.
func TestLiveReconfiguration(t *testing.T) {
	t.Parallel()
	const v1, v2 = `{"version": "v1"}`, `{"version": "v2"}`
	// settled is how many requests must start after a switch was first seen before the next
	// switch: enough for a stale answer to show up if there were one.
	const settled = 50
	g := startGatehouse(t, options{})
	c := g.client("AKIAE2ELIVE000000001", "e2e-live-secret")
	api := createMockAPI(t, c, "e2e-live", "live", v1)
	dep1 := api.deploy(t, "dev")
	base, host := g.hostURL(api.ID)
	url := base + "/dev/live"
	expectServes(t, g, api.ID, "dev", "/live", v1)

	// A second deployment, made without a stage: dev keeps serving v1 until it is moved.
	api.setAnswer(t, v2)
	dep2 := api.deploy(t, "")

	load := startLoad(t, 4, url, host)
	load.waitUntil(t, "requests before the first switch", func(rs []loadResult) bool { return len(rs) >= settled })
	switches := []struct {
		deployment, want string
		called, at       time.Time // when UpdateStage was called and when it returned
		firstSeen        time.Time // when the first request started after at ended with want
	}{{deployment: dep2, want: v2}, {deployment: dep1, want: v1}}
	for i := range switches {
		s := &switches[i]
		s.called = time.Now()
		if _, err := c.UpdateStage(t.Context(), &apigateway.UpdateStageInput{RestApiId: &api.ID, StageName: aws.String("dev"),
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/deploymentId"), Value: &s.deployment}}}); err != nil {
			t.Fatalf("UpdateStage /deploymentId %s: %v", s.deployment, err)
		}
		s.at = time.Now()
		load.waitUntil(t, "the answer "+s.want+" after the switch to "+s.deployment, func(rs []loadResult) bool {
			for _, r := range rs {
				if !r.start.Before(s.at) && r.body == s.want && (s.firstSeen.IsZero() || r.end.Before(s.firstSeen)) {
					s.firstSeen = r.end
				}
			}
			return !s.firstSeen.IsZero()
		})
		load.waitUntil(t, "requests after the switch to "+s.deployment+" was seen", func(rs []loadResult) bool {
			n := 0
			for _, r := range rs {
				if r.start.After(s.firstSeen) {
					n++
				}
			}
			return n >= settled
		})
	}
	results := load.stop()

	var failures []string
	for _, r := range results {
		if r.err != nil || r.status != 200 || (r.body != v1 && r.body != v2) {
			failures = append(failures, fmt.Sprintf("%s: %d %q %v", r.start.Format("15:04:05.000"), r.status, r.body, r.err))
		}
	}
	t.Logf("%d requests during the switches", len(results))
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed during the switches; want none. First ones:\n%v", len(failures), len(results), failures[:min(len(failures), 10)])
	}
	for i, s := range switches {
		end := time.Now()
		if i+1 < len(switches) {
			end = switches[i+1].called
		}
		stale := 0
		for _, r := range results {
			if r.start.After(s.firstSeen) && r.start.Before(end) && r.body != s.want {
				stale++
			}
		}
		t.Logf("switch to %s: new answer seen %v after UpdateStage returned", s.deployment, s.firstSeen.Sub(s.at).Round(time.Millisecond))
		if stale > 0 {
			t.Errorf("switch to %s: %d requests started after a client had seen %s got the old answer", s.deployment, stale, s.want)
		}
	}
	g.stop()
	g.expectNoErrorLogs()
}

// loadResult is one request of the load loop.
type loadResult struct {
	start, end time.Time
	status     int
	body       string
	err        error
}

// loadLoop sends GET requests from several goroutines, one after the other, until stopped.
type loadLoop struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	results []loadResult
}

func startLoad(t *testing.T, workers int, url, host string) *loadLoop {
	ctx, cancel := context.WithCancel(context.Background())
	l := &loadLoop{cancel: cancel}
	client := &http.Client{Timeout: propagateDeadline, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	t.Cleanup(func() { l.stop(); client.CloseIdleConnections() })
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil {
				r := loadResult{start: time.Now()}
				req, err := http.NewRequest("GET", url, nil)
				if err != nil {
					panic(err)
				}
				req.Host = host
				resp, err := client.Do(req)
				if err == nil {
					var b []byte
					b, err = readAll(resp)
					r.status, r.body = resp.StatusCode, string(b)
				}
				r.err, r.end = err, time.Now()
				l.mu.Lock()
				l.results = append(l.results, r)
				l.mu.Unlock()
				// A short pause keeps the loop continuous but leaves the machine's two cores to
				// gatehouse and the tests running beside this one.
				time.Sleep(time.Millisecond)
			}
		}()
	}
	return l
}

// waitUntil polls the results so far until cond holds, or fails the test after a minute.
func (l *loadLoop) waitUntil(t *testing.T, what string, cond func([]loadResult) bool) {
	t.Helper()
	if !waitFor(time.Minute, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return cond(l.results)
	}) {
		t.Fatalf("%s: not within a minute of load", what)
	}
}

// stop ends the loop and returns every result.
func (l *loadLoop) stop() []loadResult {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.results
}
