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
// without pause: each switch is visible within a second of UpdateStage returning, and no
// request fails, before, during or after.
func TestLiveReconfiguration(t *testing.T) {
	t.Parallel()
	const v1, v2 = `{"version": "v1"}`, `{"version": "v2"}`
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
	time.Sleep(300 * time.Millisecond)
	switches := []struct {
		deployment, want string
		called, at       time.Time // when UpdateStage was called and when it returned
	}{{deployment: dep2, want: v2}, {deployment: dep1, want: v1}}
	for i := range switches {
		s := &switches[i]
		s.called = time.Now()
		if _, err := c.UpdateStage(t.Context(), &apigateway.UpdateStageInput{RestApiId: &api.ID, StageName: aws.String("dev"),
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/deploymentId"), Value: &s.deployment}}}); err != nil {
			t.Fatalf("UpdateStage /deploymentId %s: %v", s.deployment, err)
		}
		s.at = time.Now()
		time.Sleep(1500 * time.Millisecond)
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
	if len(results) < 100 {
		t.Errorf("only %d requests in 3.3s: the load loop did not run", len(results))
	}
	for i, s := range switches {
		end := time.Now()
		if i+1 < len(switches) {
			end = switches[i+1].called
		}
		want := s.want
		var firstSeen time.Time
		stale := 0
		for _, r := range results {
			if r.start.Before(s.at) || !r.start.Before(end) {
				continue
			}
			if r.body == want && firstSeen.IsZero() {
				firstSeen = r.end
			}
			if r.body != want && r.start.After(s.at.Add(time.Second)) {
				stale++
			}
		}
		switch {
		case firstSeen.IsZero():
			t.Errorf("switch to %s: %q never seen", s.deployment, want)
		case firstSeen.Sub(s.at) > time.Second:
			t.Errorf("switch to %s: %q first seen %v after UpdateStage returned; want within 1s", s.deployment, want, firstSeen.Sub(s.at))
		default:
			t.Logf("switch to %s: new answer seen %v after UpdateStage returned", s.deployment, firstSeen.Sub(s.at).Round(time.Millisecond))
		}
		if stale > 0 {
			t.Errorf("switch to %s: %d requests started more than 1s after UpdateStage returned got the old answer", s.deployment, stale)
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
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
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

// stop ends the loop and returns every result.
func (l *loadLoop) stop() []loadResult {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.results
}
