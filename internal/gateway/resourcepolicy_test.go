package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store"
)

// storedForm is a policy as the management plane stores it: the body of a JSON string with
// '/' escaped, as AWS answers it (internal/mgmt/policy.go).
func storedForm(t *testing.T, doc string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	compact, _ := json.Marshal(v)
	quoted, _ := json.Marshal(string(compact))
	return strings.ReplaceAll(string(quoted[1:len(quoted)-1]), "/", `\/`)
}

const policyAPI = "pol1"

// AWS's examples ([A] apigateway-resource-policies-examples), with the shorthand.
const (
	allowAll = `{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}`
	// Deny based on the source IP.
	denyIPs = `{"Version":"2012-10-17","Statement":[` + allowAll + `,
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
		 "Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}}]}`
	// Allow only these addresses.
	allowIPs = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:pol1/*",
		 "Condition":{"IpAddress":{"aws:SourceIp":["198.51.100.0/24","2001:db8:1::/48"]}}}]}`
	// Allow private API traffic only from one VPC endpoint.
	onlyVPCE = `{"Version":"2012-10-17","Statement":[` + allowAll + `,
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
		 "Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`
	// Stage and method wildcards: GET on prod's /pets tree, no POST anywhere.
	wildcards = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":["execute-api:/prod/GET/pets","execute-api:/prod/GET/pets/*","execute-api:/*/*/open"]},
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:*:pol1/*/POST/*"}]}`
)

func policyDoc(t *testing.T, doc string, endpointType string) *apigateway.RestAPIDocument {
	api := buildAPI(policyAPI, map[string]*apigateway.Method{
		"GET /pets":       mockMethod(`{"pets":true}`),
		"GET /pets/{id}":  mockMethod(`{"pet":true}`),
		"POST /pets":      mockMethod(`{"posted":true}`),
		"ANY /open":       mockMethod(`{"open":true}`),
		"GET /":           mockMethod(`{"root":true}`),
		"GET /elsewhere":  mockMethod(`{"elsewhere":true}`),
		"POST /open/deep": mockMethod(`{"deep":true}`),
	}, nil)
	if doc != "" {
		api.Policy = storedForm(t, doc)
	}
	if endpointType != "" {
		api.EndpointConfiguration = &apigateway.EndpointConfiguration{Types: []string{endpointType}}
	}
	return api
}

type policyCase struct {
	name     string
	vpce     string // the listener's VPC endpoint; "" is the public one
	remote   string // the client's address:port
	method   string
	path     string // below the stage
	status   int
	body     string // exact, when set
	contains string
}

func runPolicyCases(t *testing.T, srv *Server, stageName string, cases []policyCase) {
	t.Helper()
	for _, c := range cases {
		h := srv.Handler(c.vpce, "vpc-2f09a348")
		method := c.method
		if method == "" {
			method = "GET"
		}
		r := httptest.NewRequest(method, "/restapis/"+policyAPI+"/"+stageName+"/_user_request_"+c.path, nil)
		r.RemoteAddr = c.remote
		if r.RemoteAddr == "" {
			r.RemoteAddr = "203.0.113.9:4000"
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Body.String()
		if w.Code != c.status || (c.body != "" && got != c.body) || !strings.Contains(got, c.contains) {
			t.Errorf("%s: %s %s from %s on %q = %d %s; want %d %s%s", c.name, method, c.path, r.RemoteAddr, c.vpce, w.Code, got, c.status, c.body, c.contains)
		}
		if w.Code == 403 && strings.Contains(got, "not authorized") && hget(w.Header(), "x-amzn-ErrorType") != "AccessDeniedException" {
			t.Errorf("%s: x-amzn-ErrorType = %q; want AccessDeniedException", c.name, hget(w.Header(), "x-amzn-ErrorType"))
		}
	}
}

// serveDeployment deploys doc as deployment depID of stage prod and waits until srv serves
// it.
func serveDeployment(t *testing.T, s store.Store, srv *Server, doc *apigateway.RestAPIDocument, depID string) {
	t.Helper()
	deploy(t, s, doc, depID, "prod", nil)
	waitFor(t, servedStage(srv, doc.ID, "prod", depID))
}

// policyTest is one resource policy (the API's whole document, "" for none) and the
// requests tried against it.
type policyTest struct {
	name   string
	policy string
	cases  []policyCase
}

// runPolicyTests serves each test's policy on policyDoc's API, alone on a fresh server, and
// runs its cases; the tests run in parallel.
func runPolicyTests(t *testing.T, tests []policyTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			srv := startServer(t, s, Config{})
			serveDeployment(t, s, srv, policyDoc(t, tt.policy, ""), "d1")
			runPolicyCases(t, srv, "prod", tt.cases)
		})
	}
}

func denial(path string, explicit bool) string {
	msg := `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:pol1/` + path
	if explicit {
		msg += " with an explicit deny"
	}
	return msg + `"}`
}

const forbidden = `{"message":"Forbidden"}`

func TestResourcePolicyExamples(t *testing.T) {
	t.Parallel()
	tests := []policyTest{
		{"deny source IPs", denyIPs, []policyCase{
			{name: "other v4", remote: "203.0.113.9:1", path: "/pets", status: 200, body: `{"pets":true}`},
			{name: "denied v4", remote: "192.0.2.77:1", path: "/pets", status: 403, body: denial("prod/GET/pets", true)},
			{name: "denied v6", remote: "[2001:db8::5]:1", path: "/pets/7", status: 403, body: denial("prod/GET/pets/7", true)},
			{name: "other v6", remote: "[2001:db9::5]:1", path: "/pets/7", status: 200},
		}},
		{"allow source IPs", allowIPs, []policyCase{
			{name: "allowed v4", remote: "198.51.100.1:1", path: "/pets", status: 200},
			{name: "allowed v6", remote: "[2001:db8:1::9]:1", path: "/", status: 200, body: `{"root":true}`},
			{name: "implicit v4", remote: "198.51.101.1:1", path: "/pets", status: 403, body: denial("prod/GET/pets", false)},
			{name: "implicit root", remote: "203.0.113.1:1", path: "/", status: 403, body: denial("prod/GET/", false)},
		}},
		{"stage and method wildcards", wildcards, []policyCase{
			{name: "GET pets", path: "/pets", status: 200},
			{name: "GET pet", path: "/pets/3", status: 200},
			{name: "ANY open as PUT", method: "PUT", path: "/open", status: 200},
			{name: "POST pets denied", method: "POST", path: "/pets", status: 403, body: denial("prod/POST/pets", true)},
			{name: "POST deep denied", method: "POST", path: "/open/deep", status: 403, body: denial("prod/POST/open/deep", true)},
			{name: "not listed", path: "/elsewhere", status: 403, body: denial("prod/GET/elsewhere", false)},
		}},
		{"VPC endpoint only, public API", onlyVPCE, []policyCase{
			{name: "public listener", path: "/pets", status: 403, body: denial("prod/GET/pets", true)},
			{name: "public API on a VPC endpoint", vpce: "vpce-1a2b3c4d", path: "/pets", status: 403, body: forbidden},
		}},
	}
	runPolicyTests(t, tests)
}

// TestPrivateAPI: a private API is served on VPC endpoint listeners only, with the
// listener's endpoint and VPC as aws:SourceVpce and aws:SourceVpc.
func TestPrivateAPI(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	srv := startServer(t, s, Config{})
	serveDeployment(t, s, srv, policyDoc(t, onlyVPCE, "PRIVATE"), "d1")
	runPolicyCases(t, srv, "prod", []policyCase{
		{name: "public listener", path: "/pets", status: 403, body: forbidden},
		{name: "its endpoint", vpce: "vpce-1a2b3c4d", path: "/pets", status: 200, body: `{"pets":true}`},
		{name: "another endpoint", vpce: "vpce-99999999", path: "/pets", status: 403, body: denial("prod/GET/pets", true)},
	})

	// By VPC: AWS's cross-account example, aws:SourceVpc.
	byVPC := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-2f09a348"}}}]}`
	serveDeployment(t, s, srv, policyDoc(t, byVPC, "PRIVATE"), "d2")
	runPolicyCases(t, srv, "prod", []policyCase{{name: "by VPC", vpce: "vpce-77777777", path: "/pets/1", status: 200}})

	// Without a policy every request is denied.
	serveDeployment(t, s, srv, policyDoc(t, "", "PRIVATE"), "d3")
	runPolicyCases(t, srv, "prod", []policyCase{
		{name: "no policy", vpce: "vpce-1a2b3c4d", path: "/pets", status: 403, body: denial("prod/GET/pets", false)},
		{name: "no policy, public listener", path: "/pets", status: 403, body: forbidden},
	})
}

// TestPrivateAPIWithoutEngine holds whatever the policy engine: the endpoint type alone
// decides which listener serves an API.
func TestPrivateAPIWithoutEngine(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	srv := startServer(t, s, Config{})
	serveDeployment(t, s, srv, policyDoc(t, "", "PRIVATE"), "d1")
	runPolicyCases(t, srv, "prod", []policyCase{
		{name: "private on the public listener", path: "/pets", status: 403, body: forbidden},
		{name: "private without a policy", vpce: "vpce-1", path: "/pets", status: 403, body: denial("prod/GET/pets", false)},
	})
	serveDeployment(t, s, srv, policyDoc(t, "", "REGIONAL"), "d2")
	runPolicyCases(t, srv, "prod", []policyCase{
		{name: "regional on the public listener", path: "/pets", status: 200},
		{name: "regional on a VPC endpoint", vpce: "vpce-1", path: "/pets", status: 403, body: forbidden},
	})
}

// TestResourcePolicyNextDeployment: the policy is the deployment's; an update applies when
// the API is deployed again.
func TestResourcePolicyNextDeployment(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	srv := startServer(t, s, Config{})
	serveDeployment(t, s, srv, policyDoc(t, allowIPs, ""), "d1")
	runPolicyCases(t, srv, "prod", []policyCase{{name: "allowed", remote: "198.51.100.1:1", path: "/pets", status: 200}})
	denyThat := `{"Version":"2012-10-17","Statement":[` + allowAll + `,{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":"198.51.100.0/24"}}}]}`
	serveDeployment(t, s, srv, policyDoc(t, denyThat, ""), "d2")
	runPolicyCases(t, srv, "prod", []policyCase{
		{name: "denied now", remote: "198.51.100.1:1", path: "/pets", status: 403, body: denial("prod/GET/pets", true)},
		{name: "others now allowed", remote: "203.0.113.1:1", path: "/pets", status: 200},
	})
}

// TestResourcePolicyGatewayResponse: a customized ACCESS_DENIED renders the denial as any
// gateway response, with $context.error.message.
func TestResourcePolicyGatewayResponse(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	srv := startServer(t, s, Config{})
	doc := policyDoc(t, denyIPs, "")
	doc.GatewayResponses = map[apigateway.GatewayResponseType]*apigateway.GatewayResponse{
		apigateway.ResponseAccessDenied: {ResponseType: apigateway.ResponseAccessDenied, StatusCode: "451",
			ResponseTemplates: map[string]string{"application/json": `{"why":"$context.error.message"}`}},
	}
	serveDeployment(t, s, srv, doc, "d1")
	runPolicyCases(t, srv, "prod", []policyCase{{
		name: "customized", remote: "192.0.2.1:1", path: "/pets", status: 451,
		body: `{"why":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:pol1/prod/GET/pets with an explicit deny"}`,
	}})
}

// TestResourcePolicyIAM is Table A through the real AWS_IAM stage: a user without an IAM
// policy is let in by the resource policy alone, an IAM allow is enough where the policy is
// silent, and the policy's deny of a user wins over the user's allow.
func TestResourcePolicyIAM(t *testing.T) {
	t.Parallel()
	srv, ts, s := iamSetup(t)
	doc := buildAPI("iamapi", map[string]*apigateway.Method{
		"GET /pets/{id}":  iamMethod(`{"got":true}`),
		"POST /pets/{id}": iamMethod(`{"posted":true}`),
		"GET /open":       mockMethod(`{"open":true}`),
	}, nil)
	doc.Policy = storedForm(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/nobody"},"Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/*"},
		{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/open"},
		{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`)
	serveDeployment(t, s, srv, doc, "d2")

	arn := "arn:aws:execute-api:us-east-1:123456789012:iamapi/prod/"
	base := ts.URL + "/restapis/iamapi/prod/_user_request_"
	tests := []struct {
		name, method, path, key, secret string
		status                          int
		body                            string
	}{
		{"no IAM policy, resource policy allows", "GET", "/pets/1", iamNobodyKey, iamNobodySecret, 200, `{"got":true}`},
		{"no IAM policy, resource policy silent", "POST", "/pets/1", iamNobodyKey, iamNobodySecret, 403,
			`{"Message":"User: arn:aws:iam::123456789012:user/nobody is not authorized to perform: execute-api:Invoke on resource: ` + arn + `POST/pets/1"}`},
		{"IAM allows, resource policy silent", "GET", "/pets/2", iamCarolKey, iamCarolSecret, 200, `{"got":true}`},
		{"IAM allows, resource policy denies", "GET", "/pets/3", iamAliceKey, iamAliceSecret, 403,
			`{"Message":"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: execute-api:Invoke on resource: ` + arn + `GET/pets/3 with an explicit deny"}`},
	}
	for _, tt := range tests {
		status, _, body := send(t, signedRequest(t, tt.method, base+tt.path, "", tt.key, tt.secret, "us-east-1", "execute-api", iamTestNow))
		if status != tt.status || body != tt.body {
			t.Errorf("%s: %s %s = %d %s; want %d %s", tt.name, tt.method, tt.path, status, body, tt.status, tt.body)
		}
	}
	// NONE beside it: the policy must allow (anonymous).
	r, _ := http.NewRequest("GET", base+"/open", nil)
	if status, _, body := send(t, r); status != 200 || body != `{"open":true}` {
		t.Errorf("GET /open (NONE) = %d %s; want 200", status, body)
	}
}

// TestMethodARNLimit: a request whose execute-api ARN is longer than 1600 bytes is 414 on a
// method under a resource policy (as under any authorization), and served without one.
func TestMethodARNLimit(t *testing.T) {
	t.Parallel()
	const prefix = "arn:aws:execute-api:us-east-1:123456789012:pol1/prod/GET/pets/"
	fits := strings.Repeat("a", maxMethodARNBytes-len(prefix))
	runPolicyTests(t, []policyTest{
		{"under a policy", `{"Version":"2012-10-17","Statement":[` + allowAll + `]}`, []policyCase{
			{name: "1600 bytes", path: "/pets/" + fits, status: 200, body: `{"pet":true}`},
			{name: "1601 bytes", path: "/pets/" + fits + "a", status: 414, body: `{"message":"Request URI too long"}`},
		}},
		{"no authorization", "", []policyCase{
			{name: "1601 bytes", path: "/pets/" + fits + "a", status: 200, body: `{"pet":true}`},
		}},
	})
}
