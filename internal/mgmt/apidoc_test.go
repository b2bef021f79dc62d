package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/bolt"
	"github.com/gatehouse/gatehouse/internal/store/memory"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// newEnvOn starts a management server over st (which the caller closes).
func newEnvOn(t *testing.T, st store.Store) *env {
	t.Helper()
	scope := model.Scope{AccountID: testAccount, Region: "us-east-1"}
	srv := httptest.NewServer(New(Config{Store: st, Scope: scope}))
	t.Cleanup(srv.Close)
	client := apigateway.New(apigateway.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
	return &env{client: client, store: st, scope: scope, url: srv.URL}
}

// resourcePaths lists the API's resources as "path:VERB,VERB" through GetResources.
func resourcePaths(t *testing.T, e *env, apiID string) []string {
	t.Helper()
	out, err := e.client.GetResources(ctx(t), &apigateway.GetResourcesInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500), Embed: []string{"methods"}})
	if err != nil {
		t.Fatalf("GetResources(%s): %v", apiID, err)
	}
	var paths []string
	for _, r := range out.Items {
		var verbs []string
		for v := range r.ResourceMethods {
			verbs = append(verbs, v)
		}
		paths = append(paths, fmt.Sprintf("%s:%s", *r.Path, strings.Join(slices.Sorted(slices.Values(verbs)), ",")))
	}
	return paths
}

// legacyAPIID is the API in testdata/one-document-per-api.db, a data file written by
// gatehouse before the split layout (bench/apisetup's API: / and /{proxy+} with ANY and an
// HTTP_PROXY integration, deployed to stage "bench"), account 123456789012, us-east-1.
const legacyAPIID = "6bo9xr7iiw"

// TestLegacyDataDir: a data file of the layout with one document per API opens, its API
// reads as it was, the first change writes the split layout (head without resources, one
// document per resource), nothing is lost, and a deployment snapshots every resource.
func TestLegacyDataDir(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/one-document-per-api.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("Open of the earlier version's data file: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e := newEnvOn(t, st)
	head, err := st.Get(ctx(t), e.scope.RestAPIKey(legacyAPIID))
	if err != nil || !strings.Contains(string(head.Value), `"resources":{`) {
		t.Fatalf("fixture: head %s = %.80s, %v; want the one-document layout", legacyAPIID, head.Value, err)
	}

	want := []string{"/:", "/{proxy+}:ANY"}
	if got := resourcePaths(t, e, legacyAPIID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("GetResources of the earlier layout = %q; want %q", got, want)
	}
	root, err := e.client.GetRestApi(ctx(t), &apigateway.GetRestApiInput{RestApiId: aws.String(legacyAPIID)})
	if err != nil {
		t.Fatalf("GetRestApi: %v", err)
	}
	if _, err := e.client.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: aws.String(legacyAPIID), ResourceId: root.RootResourceId,
		HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatalf("PutMethod on the earlier layout: %v", err)
	}
	if _, err := e.client.PutIntegration(ctx(t), &apigateway.PutIntegrationInput{RestApiId: aws.String(legacyAPIID), ResourceId: root.RootResourceId,
		HttpMethod: aws.String("GET"), Type: "MOCK"}); err != nil {
		t.Fatalf("PutIntegration: %v", err)
	}

	head, err = st.Get(ctx(t), e.scope.RestAPIKey(legacyAPIID))
	if err != nil || !strings.Contains(string(head.Value), `"resources":null`) {
		t.Errorf("head after a change = %.80s, %v; want the split layout (no resources)", head.Value, err)
	}
	kvs, _, err := st.List(ctx(t), e.scope.ResourcePrefix(legacyAPIID))
	if err != nil || len(kvs) != 2 {
		t.Errorf("resource documents after a change = %d, %v; want 2", len(kvs), err)
	}
	want = []string{"/:GET", "/{proxy+}:ANY"}
	if got := resourcePaths(t, e, legacyAPIID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("GetResources after the change = %q; want %q", got, want)
	}
	integ, err := e.client.GetIntegration(ctx(t), &apigateway.GetIntegrationInput{RestApiId: aws.String(legacyAPIID), ResourceId: aws.String(resourceID(t, e, legacyAPIID, "/{proxy+}")), HttpMethod: aws.String("ANY")})
	if err != nil || integ.Type != "HTTP_PROXY" || !strings.HasSuffix(aws.ToString(integ.Uri), "/{proxy}") {
		t.Errorf("GetIntegration(/{proxy+} ANY) after the change = %+v, %v; want the HTTP_PROXY integration kept", integ, err)
	}

	dep, err := e.client.CreateDeployment(ctx(t), &apigateway.CreateDeploymentInput{RestApiId: aws.String(legacyAPIID), StageName: aws.String("bench")})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	snap, _ := storedJSON[model.DeploymentDocument](t, e, e.scope.DeploymentKey(legacyAPIID, *dep.Id))
	var got []string
	for _, r := range snap.Snapshot.Resources {
		got = append(got, fmt.Sprintf("%s:%d", r.Path, len(r.ResourceMethods)))
	}
	if fmt.Sprint(slices.Sorted(slices.Values(got))) != "[/:1 /{proxy+}:1]" {
		t.Errorf("deployment snapshot resources = %q; want / and /{proxy+} with a method each", got)
	}
}

// resourceID returns the id of the API's resource at path.
func resourceID(t *testing.T, e *env, apiID, path string) string {
	t.Helper()
	out, err := e.client.GetResources(ctx(t), &apigateway.GetResourcesInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)})
	if err != nil {
		t.Fatalf("GetResources: %v", err)
	}
	for _, r := range out.Items {
		if *r.Path == path {
			return *r.Id
		}
	}
	t.Fatalf("no resource %s in API %s", path, apiID)
	return ""
}

// countingStore counts what a store.Store is asked for: the bytes each Txn writes and the
// Lists, to show what one operation costs without timing it.
type countingStore struct {
	store.Store
	lists   atomic.Int64
	written atomic.Int64 // bytes of values of the last Txn
}

func (c *countingStore) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	c.lists.Add(1)
	return c.Store.List(ctx, prefix)
}

func (c *countingStore) Txn(ctx context.Context, ops ...store.Op) (int64, error) {
	var n int64
	for _, op := range ops {
		n += int64(len(op.Value))
	}
	c.written.Store(n)
	return c.Store.Txn(ctx, ops...)
}

// TestOperationCostIndependentOfSize: a management operation on an API of 200 resources
// writes as many bytes as on an API of 5 and reads no listing, where it used to rewrite the
// whole API document.
func TestOperationCostIndependentOfSize(t *testing.T) {
	t.Parallel()
	cost := func(resources int) (written, lists int64) {
		st := &countingStore{Store: memory.New()}
		t.Cleanup(func() { st.Close() })
		e := newEnvOn(t, st)
		api, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("size")})
		if err != nil {
			t.Fatal(err)
		}
		var last string
		for i := range resources {
			r, err := e.client.CreateResource(ctx(t), &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String(fmt.Sprintf("r%03d", i))})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.client.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
				t.Fatal(err)
			}
			last = *r.Id
		}
		before := st.lists.Load()
		if _, err := e.client.PutMethodResponse(ctx(t), &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: aws.String(last), HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}); err != nil {
			t.Fatal(err)
		}
		return st.written.Load(), st.lists.Load() - before
	}
	small, smallLists := cost(5)
	large, largeLists := cost(200)
	if large != small || smallLists != 0 || largeLists != 0 {
		t.Errorf("PutMethodResponse writes %d bytes and lists %d times on an API of 5 resources, %d bytes and %d lists on one of 200; want the same bytes and no listing", small, smallLists, large, largeLists)
	}
}

// TestServersShareStore: two management servers on one store, as two gatehouse nodes on one
// backend: each one's cached documents follow the other's writes, and concurrent changes
// through both lose nothing.
func TestServersShareStore(t *testing.T) {
	t.Parallel()
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	a, b := newEnvOn(t, st), newEnvOn(t, st)
	api, err := a.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("shared")})
	if err != nil {
		t.Fatal(err)
	}
	// Both read (and cache) the API, then b changes it: a sees the change.
	for _, e := range []*env{a, b} {
		if got := resourcePaths(t, e, *api.Id); fmt.Sprint(got) != "[/:]" {
			t.Fatalf("GetResources = %q; want [/:]", got)
		}
	}
	if _, err := b.client.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	if got := resourcePaths(t, a, *api.Id); fmt.Sprint(got) != "[/:GET]" {
		t.Fatalf("GetResources on a after b's PutMethod = %q; want [/:GET]", got)
	}

	const writers, each = 4, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		e := []*env{a, b}[w%2]
		wg.Go(func() {
			for i := range each {
				r, err := e.client.CreateResource(context.Background(), &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String(fmt.Sprintf("w%di%d", w, i))})
				if err != nil {
					errs <- err
					return
				}
				if _, err := e.client.PutMethod(context.Background(), &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("POST"), AuthorizationType: aws.String("NONE")}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	testwait.Group(t, &wg, testwait.Patient, "the concurrent CreateResource calls")
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent write: %v", err)
	}
	for _, e := range []*env{a, b} {
		got := resourcePaths(t, e, *api.Id)
		if len(got) != 1+writers*each {
			t.Fatalf("GetResources after concurrent writes = %d resources; want %d", len(got), 1+writers*each)
		}
		for _, p := range got[1:] {
			if !strings.HasSuffix(p, ":POST") {
				t.Errorf("resource %s lost its method", p)
			}
		}
	}
	// The stored form is the split one, and whole.
	kvs, _, err := st.List(ctx(t), a.scope.ResourcePrefix(*api.Id))
	if err != nil || len(kvs) != 1+writers*each {
		t.Errorf("resource documents = %d, %v; want %d", len(kvs), err, 1+writers*each)
	}
	for _, kv := range kvs {
		var r model.Resource
		if err := json.Unmarshal(kv.Value, &r); err != nil || r.ID == "" {
			t.Errorf("resource document %s = %s, %v", kv.Key, kv.Value, err)
		}
	}
}

// TestDeleteRestAPIDeletesResources: DeleteRestApi leaves none of the API's documents.
func TestDeleteRestAPIDeletesResources(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	api, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("gone")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateResource(ctx(t), &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteRestApi(ctx(t), &apigateway.DeleteRestApiInput{RestApiId: api.Id}); err != nil {
		t.Fatal(err)
	}
	kvs, _, err := e.store.List(ctx(t), "")
	if err != nil || len(kvs) != 0 {
		var keys []string
		for _, kv := range kvs {
			keys = append(keys, kv.Key)
		}
		t.Errorf("store after DeleteRestApi = %q, %v; want empty", keys, err)
	}
	if _, err := e.client.GetResources(ctx(t), &apigateway.GetResourcesInput{RestApiId: api.Id}); err == nil {
		t.Errorf("GetResources of a deleted API = nil error; want NotFound")
	}
}

// TestLegacyHeadBesideResourceDocuments: a head with inline resources next to resource
// documents (this version split the API, then an earlier version rewrote it whole) reads as
// the head says, and its first change deletes the documents the head does not name.
func TestLegacyHeadBesideResourceDocuments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	api, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("downgraded")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateResource(ctx(t), &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	// What an earlier version writes: the API whole, here without /gone.
	doc := model.RestAPIDocument{RestAPI: model.RestAPI{ID: *api.Id, Name: "downgraded", RootResourceID: *api.RootResourceId},
		Resources: map[string]*model.Resource{*api.RootResourceId: {ID: *api.RootResourceId, Path: "/"}}}
	op, err := store.PutJSON(e.scope.RestAPIKey(*api.Id), &doc, store.AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Txn(ctx(t), op); err != nil {
		t.Fatal(err)
	}
	if got := resourcePaths(t, e, *api.Id); fmt.Sprint(got) != "[/:]" {
		t.Fatalf("GetResources = %q; want [/:] as the whole document says", got)
	}
	if _, err := e.client.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	kvs, _, err := e.store.List(ctx(t), e.scope.ResourcePrefix(*api.Id))
	if err != nil || len(kvs) != 1 || kvs[0].Key != e.scope.ResourceKey(*api.Id, *api.RootResourceId) {
		t.Errorf("resource documents after the first change = %d, %v; want the root's only", len(kvs), err)
	}
	if got := resourcePaths(t, e, *api.Id); fmt.Sprint(got) != "[/:GET]" {
		t.Errorf("GetResources after the change = %q; want [/:GET]", got)
	}
}
