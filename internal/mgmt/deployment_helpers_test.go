package mgmt

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/memory"
)

// clock is a settable test clock for Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() model.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return model.Timestamp(c.now)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newClockEnv is newEnv with a clock the test moves.
func newClockEnv(t *testing.T) (*env, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2025, 5, 30, 16, 0, 0, 0, time.UTC)}
	st := memory.New()
	scope := model.Scope{AccountID: testAccount, Region: "us-east-1"}
	srv := httptest.NewServer(New(Config{Store: st, Scope: scope, Now: clk.Now}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { st.Close() })
	client := apigateway.New(apigateway.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
	return &env{client: client, store: st, scope: scope, url: srv.URL}, clk
}

// createAPI creates an empty REST API through the SDK and returns its id.
func (e *env) createAPI(t *testing.T) string {
	t.Helper()
	out, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("pets")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	return *out.Id
}

// editAPI changes the stored REST API document directly: the resource, method and
// integration operations belong to another file, and these tests need methods. It writes
// through a Server of its own, as another gatehouse sharing the store would.
func (e *env) editAPI(t *testing.T, apiID string, fn func(doc *model.RestAPIDocument)) {
	t.Helper()
	other := &Server{store: e.store, scope: e.scope}
	_, err := other.updateAPI(ctx(t), apiID, func(doc *model.RestAPIDocument) error {
		for id := range doc.Resources { // fn may change any of them in place
			if _, err := doc.MutableResource(id); err != nil {
				return err
			}
		}
		fn(doc)
		return nil
	})
	if err != nil {
		t.Fatalf("edit API %s: %v", apiID, err)
	}
}

// storedAPI reads the stored REST API document whole (as the data plane would find it in a
// deployment), and the revision of its head.
func storedAPI(t *testing.T, e *env, apiID string) (*model.RestAPIDocument, int64) {
	t.Helper()
	other := &Server{store: e.store, scope: e.scope}
	l, err := other.readAPI(ctx(t), apiID)
	if err != nil {
		t.Fatalf("read API %s: %v", apiID, err)
	}
	b, err := json.Marshal(l.doc)
	if err != nil {
		t.Fatal(err)
	}
	var doc model.RestAPIDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return &doc, l.headRev
}

// mockMethod is a method with a MOCK integration.
func mockMethod(httpMethod, auth string, apiKey bool) *model.Method {
	return &model.Method{
		HTTPMethod:        httpMethod,
		AuthorizationType: auth,
		APIKeyRequired:    apiKey,
		MethodIntegration: &model.Integration{Type: model.IntegrationMock, TimeoutInMillis: model.DefaultTimeoutInMillis, CacheKeyParameters: []string{}},
	}
}

// deployableAPI creates an API with GET / (NONE) and a /pets resource with GET (AWS_IAM,
// API key) and POST, all with MOCK integrations.
func (e *env) deployableAPI(t *testing.T) string {
	t.Helper()
	apiID := e.createAPI(t)
	e.editAPI(t, apiID, func(doc *model.RestAPIDocument) {
		doc.Resources[doc.RootResourceID].ResourceMethods = map[string]*model.Method{"GET": mockMethod("GET", "NONE", false)}
		doc.Resources["pets01"] = &model.Resource{ID: "pets01", ParentID: doc.RootResourceID, PathPart: "pets", Path: "/pets",
			ResourceMethods: map[string]*model.Method{
				"GET":  mockMethod("GET", "AWS_IAM", true),
				"POST": mockMethod("POST", "NONE", false),
			}}
	})
	return apiID
}

// deploy creates a deployment (and the stage, when named) and returns its id.
func (e *env) deploy(t *testing.T, apiID, stageName string) string {
	t.Helper()
	in := &apigateway.CreateDeploymentInput{RestApiId: aws.String(apiID)}
	if stageName != "" {
		in.StageName = aws.String(stageName)
	}
	out, err := e.client.CreateDeployment(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	return *out.Id
}

// rawGet sends an unsigned GET to the management API and decodes the JSON answer, so tests
// see field presence the SDK would hide.
func (e *env) rawGet(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	resp, err := testClient.Get(e.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, b)
	}
	return resp.StatusCode, out
}

// storedJSON reads a stored document.
func storedJSON[T any](t *testing.T, e *env, key string) (*T, int64) {
	t.Helper()
	var v T
	rev, err := store.GetJSON(ctx(t), e.store, key, &v)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return &v, rev
}

// wantAPIError checks an AWS error's code and exact message.
func wantAPIError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s = nil error; want %s %q", what, code, msg)
		return
	}
	gotCode, gotMsg := apiErr(t, err)
	if gotCode != code || gotMsg != msg {
		t.Errorf("%s = %s %q; want %s %q", what, gotCode, gotMsg, code, msg)
	}
}
