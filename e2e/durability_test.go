package e2e

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestRestartDurability checks that the embedded store keeps what the management API
// acknowledged: across a clean restart (SIGTERM), and across kill -9 in the middle of a burst
// of writes, where every write answered 2xx must be there afterwards.
func TestRestartDurability(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	const keyID, secret = "AKIAE2EDURABLE000001", "e2e-durable-secret"
	const body = `{"durable": true}`

	g := startGatehouse(t, options{dataDir: dataDir})
	api := createMockAPI(t, g.client(keyID, secret), "e2e-durable", "hello", body)
	depID := api.deploy(t, "prod")
	if _, err := g.client(keyID, secret).UpdateStage(t.Context(), &apigateway.UpdateStageInput{RestApiId: &api.ID, StageName: aws.String("prod"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/variables/color"), Value: aws.String("green")}}}); err != nil {
		t.Fatalf("UpdateStage: %v", err)
	}
	expectServes(t, g, api.ID, "prod", "/hello", body)
	g.stop()

	t.Run("clean restart keeps everything", func(t *testing.T) {
		g := startGatehouse(t, options{dataDir: dataDir})
		c := g.client(keyID, secret)
		got, err := c.GetRestApi(t.Context(), &apigateway.GetRestApiInput{RestApiId: &api.ID})
		if err != nil || aws.ToString(got.Name) != "e2e-durable" {
			t.Errorf("GetRestApi after restart = %v, %v; want e2e-durable", got, err)
		}
		paths := resourcePaths(t, c, api.ID)
		if paths["/hello"] != api.ResourceID || paths["/"] != api.RootID {
			t.Errorf("resources after restart = %v; want / = %s and /hello = %s", paths, api.RootID, api.ResourceID)
		}
		integ, err := c.GetIntegration(t.Context(), &apigateway.GetIntegrationInput{RestApiId: &api.ID, ResourceId: &api.ResourceID, HttpMethod: aws.String("GET")})
		if err != nil || integ.Type != "MOCK" || integ.IntegrationResponses["200"].ResponseTemplates["application/json"] != body {
			t.Errorf("GetIntegration after restart = %+v, %v; want the MOCK with its response template", integ, err)
		}
		stage, err := c.GetStage(t.Context(), &apigateway.GetStageInput{RestApiId: &api.ID, StageName: aws.String("prod")})
		if err != nil || aws.ToString(stage.DeploymentId) != depID || stage.Variables["color"] != "green" {
			t.Errorf("GetStage after restart = %+v, %v; want deployment %s and color=green", stage, err, depID)
		}
		expectServes(t, g, api.ID, "prod", "/hello", body)
		g.stop()
	})

	t.Run("kill -9 loses no acknowledged write", func(t *testing.T) {
		g := startGatehouse(t, options{dataDir: dataDir})
		c := g.client(keyID, secret)
		const workers, killAfter = 4, 40
		var (
			mu        sync.Mutex
			acked     []string
			apiErrors []string
			wg        sync.WaitGroup
		)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		enough := make(chan struct{})
		var once sync.Once
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// At most 4×60 resources: under AWS's limit of 300 per API.
				for i := 0; ctx.Err() == nil && i < 60; i++ {
					part := fmt.Sprintf("w%d-%03d", w, i)
					_, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &api.ID, ParentId: &api.RootID, PathPart: &part})
					var ae smithy.APIError
					mu.Lock()
					switch {
					case err == nil:
						acked = append(acked, part)
						if len(acked) >= killAfter {
							once.Do(func() { close(enough) })
						}
					case errors.As(err, &ae):
						apiErrors = append(apiErrors, part+": "+err.Error())
					}
					mu.Unlock()
					if err != nil && !errors.As(err, &ae) {
						return // the process is gone
					}
				}
			}()
		}
		testwait.Recv(t, enough, startDeadline, fmt.Sprintf("%d answered CreateResource calls", killAfter))
		g.kill()
		mu.Lock()
		killedAt := len(acked)
		mu.Unlock()
		testwait.Group(t, &wg, startDeadline, "the writers' end after the kill")
		cancel()
		mu.Lock()
		defer mu.Unlock()
		if len(apiErrors) > 0 {
			t.Errorf("concurrent CreateResource of distinct path parts failed before the kill (AWS accepts them):\n%v", apiErrors)
		}

		g = startGatehouse(t, options{dataDir: dataDir})
		c = g.client(keyID, secret)
		paths := resourcePaths(t, c, api.ID)
		var lost []string
		for _, part := range acked {
			if paths["/"+part] == "" {
				lost = append(lost, part)
			}
		}
		sort.Strings(lost)
		t.Logf("%d writes acknowledged (%d when killed), %d resources after restart", len(acked), killedAt, len(paths))
		if len(lost) > 0 {
			t.Errorf("after kill -9 and restart, %d acknowledged CreateResource writes are gone: %v", len(lost), lost)
		}
		// The store is still writable and the deployed stage still serves.
		if _, err := c.CreateResource(t.Context(), &apigateway.CreateResourceInput{RestApiId: &api.ID, ParentId: &api.RootID, PathPart: aws.String("after-crash")}); err != nil {
			t.Errorf("CreateResource after the crash: %v", err)
		}
		expectServes(t, g, api.ID, "prod", "/hello", body)
		g.stop()
	})
}

// resourcePaths returns path → id of every resource of an API, reading all pages.
func resourcePaths(t *testing.T, c *apigateway.Client, apiID string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	p := apigateway.NewGetResourcesPaginator(c, &apigateway.GetResourcesInput{RestApiId: &apiID})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 100 {
			t.Fatalf("GetResources: more than 100 pages; the position token does not advance")
		}
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("GetResources: %v", err)
		}
		for _, r := range page.Items {
			paths[aws.ToString(r.Path)] = aws.ToString(r.Id)
		}
	}
	return paths
}

// expectServes checks that GET path on a stage answers 200 body, host-based and path-based;
// a restarted gatehouse gets propagateDeadline to load its stages.
func expectServes(t *testing.T, g *gatehouse, apiID, stage, path, body string) {
	t.Helper()
	base, host := g.hostURL(apiID)
	for _, c := range []struct{ url, host string }{
		{base + "/" + stage + path, host},
		{g.pathURL(apiID, stage) + path, ""},
	} {
		var r httpResult
		if !waitFor(propagateDeadline, func() bool {
			r = mustCall(t, "GET", c.url, c.host, nil, "")
			return r.Status == 200 && r.Body == body
		}) {
			t.Errorf("GET %s (Host %q) = %d %q; want 200 %q", c.url, c.host, r.Status, r.Body, body)
		}
	}
}
