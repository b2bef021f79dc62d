// Package apisetup creates the benchmark's REST API through the management API's wire
// protocol, as `aws apigateway` would: a greedy {proxy+} resource under the root, method ANY
// with method.request.path.proxy, an HTTP_PROXY integration to {backend}/{proxy}, deployed to
// the stage "bench".
package apisetup

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// Stage is the stage the API is deployed to.
const Stage = "bench"

// Doer sends one management API request.
type Doer func(*http.Request) (*http.Response, error)

// Remote sends requests to a management API at baseURL (e.g. "http://127.0.0.1:9090").
func Remote(baseURL string) Doer {
	baseURL = strings.TrimSuffix(baseURL, "/")
	return func(r *http.Request) (*http.Response, error) {
		u := *r.URL
		r2 := r.Clone(r.Context())
		full, err := r.URL.Parse(baseURL + u.RequestURI())
		if err != nil {
			return nil, err
		}
		r2.URL, r2.Host, r2.RequestURI = full, full.Host, ""
		return http.DefaultClient.Do(r2)
	}
}

// InProcess serves requests with h directly.
func InProcess(h http.Handler) Doer {
	return func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result(), nil
	}
}

// Call sends one management API request through do, in (when not nil) as its JSON body,
// and decodes a 2xx answer's JSON into out (when not nil); any other status is an error
// carrying the answer's body.
func Call(do Doer, method, path string, in, out any) error {
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// Create creates and deploys the API and returns its id. backendURL is the integration's
// base, e.g. "http://127.0.0.1:9000"; requests to .../_user_request_/{path} go to
// {backendURL}/{path}.
func Create(do Doer, backendURL string) (string, error) { return create(do, backendURL, method{}) }

// Metered bounds the usage plan of CreateWithAPIKey: a throttle and a quota that every
// request is checked against and none reaches.
var (
	MeteredThrottle = map[string]any{"rateLimit": 1e9, "burstLimit": 1000000000}
	MeteredQuota    = map[string]any{"limit": 2000000000, "period": "MONTH", "offset": 0}
)

// CreateWithAPIKey creates the API with apiKeyRequired on its method, an API key, and a
// usage plan on the stage with MeteredThrottle and MeteredQuota that holds the key; it
// returns the API id and the key's value (sent as x-api-key).
func CreateWithAPIKey(do Doer, backendURL string) (apiID, keyValue string, err error) {
	apiID, err = create(do, backendURL, method{apiKeyRequired: true})
	if err != nil {
		return "", "", err
	}
	var key struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	}
	if err := Call(do, "POST", "/apikeys", map[string]any{"name": "bench", "enabled": true}, &key); err != nil {
		return "", "", err
	}
	var plan struct {
		ID string `json:"id"`
	}
	if err := Call(do, "POST", "/usageplans", map[string]any{"name": "bench",
		"apiStages": []map[string]any{{"apiId": apiID, "stage": Stage}},
		"throttle":  MeteredThrottle, "quota": MeteredQuota}, &plan); err != nil {
		return "", "", err
	}
	if err := Call(do, "POST", "/usageplans/"+plan.ID+"/keys", map[string]any{"keyId": key.ID, "keyType": "API_KEY"}, nil); err != nil {
		return "", "", err
	}
	return apiID, key.Value, nil
}

// AuthorizerFunction is the Lambda function CreateWithAuthorizer deploys.
const AuthorizerFunction = "bench-authorizer"

// CreateWithAuthorizer deploys zipFile (a custom runtime's bootstrap, zipped) as
// AuthorizerFunction through the Lambda API, and creates the API with its method behind a
// TOKEN authorizer of that function on the Authorization header, with the default TTL of
// 300 seconds: every request after the first is decided from the cache.
func CreateWithAuthorizer(do Doer, backendURL string, zipFile []byte, region, account string) (string, error) {
	if err := Call(do, "POST", "/2015-03-31/functions", map[string]any{
		"FunctionName": AuthorizerFunction, "Runtime": "provided.al2023", "Handler": "bootstrap",
		"Role": "arn:aws:iam::" + account + ":role/bench", "Code": map[string]any{"ZipFile": zipFile},
	}, nil); err != nil {
		return "", err
	}
	uri := "arn:aws:apigateway:" + region + ":lambda:path/2015-03-31/functions/arn:aws:lambda:" + region + ":" + account +
		":function:" + AuthorizerFunction + "/invocations"
	return create(do, backendURL, method{authorizerURI: uri})
}

// CreateWithCognito creates the API with its method behind a COGNITO_USER_POOLS authorizer
// of the user pool poolARN (which gatehouse's --jwt-issuer maps to an issuer) on the
// Authorization header.
func CreateWithCognito(do Doer, backendURL, poolARN string) (string, error) {
	return create(do, backendURL, method{poolARN: poolARN})
}

// CacheTTL is the time to live, in seconds, of CreateWithCache's entries: AWS's default.
const CacheTTL = 300

// CreateWithCache creates the API with the stage's cache cluster on (0.5 GB) and caching on
// for every method (methodSettings "*/*": cachingEnabled, cacheTtlInSeconds CacheTTL), the
// proxy path a cache key parameter so that every path has its own entry: every GET after
// the first of a path is answered from the cache. A method settings entry carries a
// throttle (AWS fills in the account's, 10,000 requests a second): it is lifted to a
// billion a second, which every request is checked against and none reaches.
func CreateWithCache(do Doer, backendURL string) (string, error) {
	id, err := create(do, backendURL, method{cacheKeyProxy: true})
	if err != nil {
		return "", err
	}
	op := func(path, value string) map[string]string {
		return map[string]string{"op": "replace", "path": path, "value": value}
	}
	if err := Call(do, "PATCH", "/restapis/"+id+"/stages/"+Stage, map[string]any{"patchOperations": []map[string]string{
		op("/cacheClusterEnabled", "true"),
		op("/cacheClusterSize", "0.5"),
		op("/*/*/caching/enabled", "true"),
		op("/*/*/caching/ttlInSeconds", fmt.Sprint(CacheTTL)),
		op("/*/*/throttling/rateLimit", "1000000000"),
		op("/*/*/throttling/burstLimit", "1000000000"),
	}}, nil); err != nil {
		return "", err
	}
	return id, nil
}

// method is how create's method is guarded: by an API key, by a TOKEN authorizer of the
// Lambda function authorizerURI invokes, or by a Cognito authorizer of poolARN; and whether
// its integration names the proxy path a cache key parameter.
type method struct {
	apiKeyRequired bool
	authorizerURI  string
	poolARN        string
	cacheKeyProxy  bool
}

func create(do Doer, backendURL string, guard method) (string, error) {
	call := func(method, path string, in, out any) error { return Call(do, method, path, in, out) }
	var api struct {
		ID             string `json:"id"`
		RootResourceID string `json:"rootResourceId"`
	}
	if err := call("POST", "/restapis", map[string]any{"name": "gatehouse-bench"}, &api); err != nil {
		return "", err
	}
	base := "/restapis/" + api.ID
	var proxy struct {
		ID string `json:"id"`
	}
	if err := call("POST", base+"/resources/"+api.RootResourceID, map[string]any{"pathPart": "{proxy+}"}, &proxy); err != nil {
		return "", err
	}
	put := map[string]any{
		"authorizationType": "NONE",
		"apiKeyRequired":    guard.apiKeyRequired,
		"requestParameters": map[string]bool{"method.request.path.proxy": true},
	}
	if guard.authorizerURI != "" || guard.poolARN != "" {
		az := map[string]any{"name": "bench", "type": "TOKEN", "authorizerUri": guard.authorizerURI,
			"identitySource": "method.request.header.Authorization"}
		put["authorizationType"] = "CUSTOM"
		if guard.poolARN != "" {
			az = map[string]any{"name": "bench", "type": "COGNITO_USER_POOLS", "providerARNs": []string{guard.poolARN},
				"identitySource": "method.request.header.Authorization"}
			put["authorizationType"] = "COGNITO_USER_POOLS"
		}
		var created struct {
			ID string `json:"id"`
		}
		if err := call("POST", base+"/authorizers", az, &created); err != nil {
			return "", err
		}
		put["authorizerId"] = created.ID
	}
	m := base + "/resources/" + proxy.ID + "/methods/ANY"
	if err := call("PUT", m, put, nil); err != nil {
		return "", err
	}
	integration := map[string]any{
		"type":              "HTTP_PROXY",
		"httpMethod":        "ANY",
		"uri":               strings.TrimSuffix(backendURL, "/") + "/{proxy}",
		"requestParameters": map[string]string{"integration.request.path.proxy": "method.request.path.proxy"},
	}
	if guard.cacheKeyProxy {
		integration["cacheKeyParameters"] = []string{"method.request.path.proxy"}
	}
	if err := call("PUT", m+"/integration", integration, nil); err != nil {
		return "", err
	}
	if err := call("POST", base+"/deployments", map[string]any{"stageName": Stage}, nil); err != nil {
		return "", err
	}
	return api.ID, nil
}

// ZipBootstrap is a custom runtime's deployment package: the executable bin as bootstrap,
// mode 0755.
func ZipBootstrap(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(bin); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
