package e2e

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestGracefulShutdown sends SIGTERM while a request waits on a slow backend: gatehouse stops
// accepting connections, the backend answers only then, the request completes with the
// backend's answer and gatehouse then exits 0.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-time.After(time.Minute): // the test failed before releasing it
		}
		w.Write([]byte("finished"))
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})

	g := startGatehouse(t, options{})
	c := g.client("AKIAE2ESHUTDOWN00001", "e2e-shutdown-secret")
	api := createMockAPI(t, c, "e2e-shutdown", "ready", `{"ready": true}`)
	res, err := c.CreateResource(t.Context(), &apigateway.CreateResourceInput{RestApiId: &api.ID, ParentId: &api.RootID, PathPart: aws.String("slow")})
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	if _, err := c.PutMethod(t.Context(), &apigateway.PutMethodInput{RestApiId: &api.ID, ResourceId: res.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatalf("PutMethod: %v", err)
	}
	if _, err := c.PutIntegration(t.Context(), &apigateway.PutIntegrationInput{RestApiId: &api.ID, ResourceId: res.Id, HttpMethod: aws.String("GET"),
		Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("GET"), Uri: aws.String(slow.URL + "/")}); err != nil {
		t.Fatalf("PutIntegration: %v", err)
	}
	api.deploy(t, "prod")
	expectServes(t, g, api.ID, "prod", "/ready", `{"ready": true}`)

	done := make(chan httpResult, 1)
	failed := make(chan error, 1)
	go func() {
		r, err := call(t.Context(), "GET", g.pathURL(api.ID, "prod")+"/slow", "", nil, "")
		if err != nil {
			failed <- err
			return
		}
		done <- r
	}()
	select {
	case <-arrived:
	case err := <-failed:
		t.Fatalf("GET /prod/slow: %v", err)
	case r := <-done:
		t.Fatalf("GET /prod/slow = %d %q before reaching the backend", r.Status, r.Body)
	case <-time.After(propagateDeadline):
		t.Fatalf("GET /prod/slow did not reach the backend within %v", propagateDeadline)
	}
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Shutdown closes the listeners first: once a new connection is refused, gatehouse is
	// draining, with the request still held by the backend.
	if !waitFor(propagateDeadline, func() bool {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(g.dataPort), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}) {
		t.Fatalf("the data plane still accepts connections %v after SIGTERM", propagateDeadline)
	}
	close(release)
	select {
	case r := <-done:
		if r.Status != 200 || r.Body != "finished" {
			t.Errorf("GET /prod/slow in flight during SIGTERM = %d %q; want 200 \"finished\"", r.Status, r.Body)
		}
	case err := <-failed:
		t.Errorf("GET /prod/slow in flight during SIGTERM: %v; want it to finish", err)
	case <-time.After(propagateDeadline):
		t.Fatalf("GET /prod/slow did not finish within %v of SIGTERM", propagateDeadline)
	}
	g.stop() // checks the exit status: 0
}
