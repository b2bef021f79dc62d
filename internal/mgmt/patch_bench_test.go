package mgmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store/memory"
)

// patchServer is a management server over a memory store with one REST API whose root has a
// MOCK GET method, driven through ServeHTTP; it answers the API and root resource ids.
func patchServer(tb testing.TB) (s *Server, apiID, rootID string) {
	tb.Helper()
	st := memory.New()
	tb.Cleanup(func() { st.Close() })
	s = New(Config{Store: st, Scope: model.Scope{AccountID: testAccount, Region: "us-east-1"}})
	var api struct{ ID, RootResourceID string }
	serve(tb, s, "POST", "/restapis", `{"name":"patched"}`, http.StatusCreated, &api)
	root := "/restapis/" + api.ID + "/resources/" + api.RootResourceID
	serve(tb, s, "PUT", root+"/methods/GET", `{"authorizationType":"NONE"}`, http.StatusCreated, nil)
	serve(tb, s, "PUT", root+"/methods/GET/integration", `{"type":"MOCK"}`, http.StatusCreated, nil)
	return s, api.ID, api.RootResourceID
}

// serve sends one call to s and checks its status, decoding the answer into out when set.
func serve(tb testing.TB, s *Server, method, path, body string, want int, out any) {
	tb.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	if rec.Code != want {
		tb.Fatalf("%s %s = %d %s; want %d", method, path, rec.Code, rec.Body.String(), want)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			tb.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// patchBody is an Update call's body of n operations, op(i) giving the i-th.
func patchBody(n int, op func(i int) string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"patchOperations":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(op(i))
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// addThenRemove adds n/2 distinct values to the list at path, then removes them: the list
// ends as it began, but grows to n/2 on the way, which made a quadratic patcher spend
// seconds on 40,000 operations.
func addThenRemove(n int, path string) func(i int) string {
	return func(i int) string {
		if i < n/2 {
			return fmt.Sprintf(`{"op":"add","path":"%s/v%d"}`, path, i)
		}
		return fmt.Sprintf(`{"op":"remove","path":"%s/v%d"}`, path, i-n/2)
	}
}

// BenchmarkUpdatePatchOperations sends Update calls of N patch operations through the real
// handler, the bound on operations lifted, and reports the cost per operation, which must
// not grow with N.
func BenchmarkUpdatePatchOperations(b *testing.B) {
	cases := []struct {
		name string
		path func(apiID, rootID string) string
		op   func(n int) func(i int) string
	}{
		{"RestApi/binaryMediaTypes", func(api, _ string) string { return "/restapis/" + api },
			func(n int) func(int) string { return addThenRemove(n, "/binaryMediaTypes") }},
		{"RestApi/description", func(api, _ string) string { return "/restapis/" + api },
			func(int) func(int) string {
				return func(i int) string { return fmt.Sprintf(`{"op":"replace","path":"/description","value":"d%d"}`, i) }
			}},
		{"Method/authorizationScopes", func(api, root string) string { return "/restapis/" + api + "/resources/" + root + "/methods/GET" },
			func(n int) func(int) string { return addThenRemove(n, "/authorizationScopes") }},
		{"Integration/cacheKeyParameters", func(api, root string) string {
			return "/restapis/" + api + "/resources/" + root + "/methods/GET/integration"
		}, func(n int) func(int) string { return addThenRemove(n, "/cacheKeyParameters") }},
	}
	for _, tc := range cases {
		for _, n := range []int{10, 1000, 40000} {
			b.Run(fmt.Sprintf("%s/ops=%d", tc.name, n), func(b *testing.B) {
				s, apiID, rootID := patchServer(b)
				s.maxPatchOps = n
				path, body := tc.path(apiID, rootID), patchBody(n, tc.op(n))
				b.SetBytes(int64(len(body)))
				b.ResetTimer()
				for range b.N {
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, httptest.NewRequest("PATCH", path, bytes.NewReader(body)))
					if rec.Code != http.StatusOK {
						b.Fatalf("PATCH %s = %d %.200s", path, rec.Code, rec.Body.String())
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/patchop")
			})
		}
	}
}
