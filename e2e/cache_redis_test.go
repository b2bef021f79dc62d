package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// cacheRedisDB is the Redis database of the shared response cache test, its own (the
// shared quota test uses sharedRedisDB, internal/redisstate's tests 9), flushed when the
// test starts.
const cacheRedisDB = 12

// cachedAPI is a REST API deployed to stage prod with its cache cluster on and caching on
// for every method (methodSettings */*, TTL 300 s): GET /items proxies (HTTP_PROXY) to a
// backend that counts its calls; GET /ready is a MOCK that tells a node serves the stage
// without reaching the backend.
type cachedAPI struct {
	ID string
}

// createCachedAPI creates a cachedAPI whose GET /items proxies to backendURL/items.
func createCachedAPI(t *testing.T, c *apigateway.Client, backendURL string) *cachedAPI {
	t.Helper()
	ctx := t.Context()
	restAPI, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("e2e-cached")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	a := &cachedAPI{ID: aws.ToString(restAPI.Id)}
	get := aws.String("GET")
	for _, part := range []string{"items", "ready"} {
		res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &a.ID, ParentId: restAPI.RootResourceId, PathPart: aws.String(part)})
		if err != nil {
			t.Fatalf("CreateResource %s: %v", part, err)
		}
		if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &a.ID, ResourceId: res.Id, HttpMethod: get, AuthorizationType: aws.String("NONE")}); err != nil {
			t.Fatalf("PutMethod GET /%s: %v", part, err)
		}
		if part == "items" {
			if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &a.ID, ResourceId: res.Id, HttpMethod: get,
				Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: get, Uri: aws.String(backendURL + "/items")}); err != nil {
				t.Fatalf("PutIntegration GET /items: %v", err)
			}
			continue
		}
		if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &a.ID, ResourceId: res.Id, HttpMethod: get, StatusCode: aws.String("200")}); err != nil {
			t.Fatalf("PutMethodResponse GET /ready: %v", err)
		}
		if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &a.ID, ResourceId: res.Id, HttpMethod: get,
			Type: types.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
			t.Fatalf("PutIntegration GET /ready: %v", err)
		}
		if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &a.ID, ResourceId: res.Id, HttpMethod: get,
			StatusCode: aws.String("200"), SelectionPattern: aws.String(""), ResponseTemplates: map[string]string{"application/json": `{"ready": true}`}}); err != nil {
			t.Fatalf("PutIntegrationResponse GET /ready: %v", err)
		}
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &a.ID, StageName: aws.String("prod"),
		CacheClusterEnabled: aws.Bool(true), CacheClusterSize: types.CacheClusterSizeSize0Point5Gb}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	if _, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &a.ID, StageName: aws.String("prod"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/*/*/caching/enabled"), Value: aws.String("true")},
		{Op: types.OpReplace, Path: aws.String("/*/*/caching/ttlInSeconds"), Value: aws.String("300")},
	}}); err != nil {
		t.Fatalf("UpdateStage (caching on for */*): %v", err)
	}
	return a
}

// TestResponseCacheSharedRedis: two gatehouse processes with the same configuration (one
// data dir, copied) and one Redis share the stage response cache: a GET one node answers
// from the backend is a cache hit on the other, and FlushStageCache through one node's
// management API (the aws CLI's flush-stage-cache) makes the other reach the backend again.
func TestResponseCacheSharedRedis(t *testing.T) {
	t.Parallel()
	if _, err := redisCommand(sharedRedis, cacheRedisDB, "FLUSHDB"); err != nil {
		t.Fatalf("flush Redis %s db %d (Redis must run on %s for this test; .ci/run starts it): %v", sharedRedis, cacheRedisDB, sharedRedis, err)
	}
	backend := newEchoBackend(t)
	seed := startGatehouse(t, options{})
	a := createCachedAPI(t, seed.client(e2eUsageKeyID, e2eUsageSecret), backend.URL)
	seed.stop()

	state := fmt.Sprintf("redis://%s/%d", sharedRedis, cacheRedisDB)
	var nodes []*gatehouse
	for range 2 {
		dir := t.TempDir()
		copyDir(t, seed.opts.dataDir, dir)
		// A generous --state-timeout: on a busy machine a fill slower than the default 50 ms
		// would be dropped (logged), and node B would miss for a reason not under test.
		g := startGatehouse(t, options{dataDir: dir, args: []string{"--state", state, "--state-timeout", "5s"}})
		waitForAnswer(t, g.pathURL(a.ID, "prod")+"/ready", nil, 200, "the copied data dir's stage")
		nodes = append(nodes, g)
	}
	nodeA, nodeB := nodes[0], nodes[1]
	items := func(g *gatehouse) string { return g.pathURL(a.ID, "prod") + "/items" }
	wantCalls := func(what string, n int) {
		t.Helper()
		if got := backend.requests(); got != n {
			t.Fatalf("%s: the backend served %d requests; want %d", what, got, n)
		}
	}

	// The entries in Redis: /ready's (the readiness polls are cached too) and, after the
	// first GET /items, one more.
	entries := func() string {
		t.Helper()
		n, err := redisCommand(sharedRedis, cacheRedisDB, "EVAL", "return #redis.call('KEYS', ARGV[1])", "0", "gatehouse:rce:*")
		if err != nil {
			t.Fatalf("count the response cache entries in Redis db %d: %v", cacheRedisDB, err)
		}
		return n
	}
	before := entries()

	first := mustCall(t, "GET", items(nodeA), "", nil, "")
	if first.Status != 200 || !strings.Contains(first.Body, `"path":"/items"`) {
		t.Fatalf("GET /items on node A = %d %q; want the backend's 200 echo of /items", first.Status, first.Body)
	}
	wantCalls("GET /items on node A", 1)
	if after, _ := strconv.Atoi(entries()); strconv.Itoa(after-1) != before {
		t.Errorf("response cache entries in Redis db %d: %s before GET /items on node A, %d after; want one more", cacheRedisDB, before, after)
	}
	hit := mustCall(t, "GET", items(nodeB), "", nil, "")
	if hit.Status != 200 || hit.Body != first.Body {
		t.Errorf("GET /items on node B = %d %q; want node A's cached answer %q", hit.Status, hit.Body, first.Body)
	}
	wantCalls("the same GET on node B (a hit of node A's entry)", 1)

	cli := newAWSCLI(t, nodeA.AdminURL, e2eUsageKeyID, e2eUsageSecret)
	if out, errOut, code := cli.run(t.Context(), "flush-stage-cache", "--rest-api-id", a.ID, "--stage-name", "prod"); code != 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("aws apigateway flush-stage-cache on node A = exit %d, stdout %q, stderr %q; want exit 0 and no output", code, out, errOut)
	}
	_, errOut, code := cli.run(t.Context(), "flush-stage-cache", "--rest-api-id", a.ID, "--stage-name", "nope")
	if code == 0 || !strings.Contains(errOut, "(NotFoundException)") || !strings.Contains(errOut, "Invalid stage identifier specified") {
		t.Errorf("aws apigateway flush-stage-cache of an unknown stage = exit %d, stderr %q; want NotFoundException: Invalid stage identifier specified", code, errOut)
	}

	if r := mustCall(t, "GET", items(nodeB), "", nil, ""); r.Status != 200 {
		t.Fatalf("GET /items on node B after the flush = %d %q; want 200", r.Status, r.Body)
	}
	wantCalls("GET /items on node B after node A's FlushStageCache (a miss)", 2)
	if r := mustCall(t, "GET", items(nodeA), "", nil, ""); r.Status != 200 {
		t.Fatalf("GET /items on node A after node B's refill = %d %q; want 200", r.Status, r.Body)
	}
	wantCalls("GET /items on node A after node B refilled the entry (a hit)", 2)

	for _, g := range nodes {
		g.stop()
		g.expectNoErrorLogs()
	}
}
