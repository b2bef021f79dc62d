package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestAWSCLI drives the management API with the real aws CLI, step by step as a user would
// build an API (a MOCK method, a {param} resource, a {proxy+} HTTP_PROXY to a backend), and
// calls the deployed stage over HTTP. The script doubles as documentation of what works.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	backend := newEchoBackend(t)
	cli := newAWSCLI(t, g.AdminURL, "AKIAE2ETESTCLI000001", "e2e-cli-secret")
	v := vars{"backend": backend.URL}

	const mockTemplate = `{"hello": "from mock"}`
	steps := []cliStep{
		// The REST API.
		{name: "create-rest-api",
			args: []string{"create-rest-api", "--name", "e2e-cli", "--description", "created by the e2e test"},
			want: fields{"name": "e2e-cli", "description": "created by the e2e test", "apiKeySource": "HEADER",
				"endpointConfiguration.types": []string{"EDGE"}, "disableExecuteApiEndpoint": false,
				"createdDate": present, "rootResourceId": present},
			save: map[string]string{"api": "id", "root": "rootResourceId"},
			check: func(t *testing.T, answer any, v vars) {
				if !regexp.MustCompile(`^[a-z0-9]{10}$`).MatchString(v["api"]) {
					t.Errorf("id = %q; want 10 lower-case alphanumerics as AWS's", v["api"])
				}
			}},
		{name: "get-rest-api",
			args: []string{"get-rest-api", "--rest-api-id", "<api>"},
			want: fields{"id": "<api>", "name": "e2e-cli", "rootResourceId": "<root>"}},
		{name: "get-rest-apis lists it",
			args: []string{"get-rest-apis"},
			check: func(t *testing.T, answer any, v vars) {
				if itemWith(t, answer, "items", "id", v["api"]) == nil {
					t.Errorf("items has no API %s", v["api"])
				}
			}},
		{name: "update-rest-api with patch operations",
			args: []string{"update-rest-api", "--rest-api-id", "<api>", "--patch-operations",
				"op=replace,path=/name,value=e2e-cli-renamed", "op=replace,path=/description,value=renamed"},
			want: fields{"id": "<api>", "name": "e2e-cli-renamed", "description": "renamed"}},
		{name: "get-rest-api sees the update",
			args: []string{"get-rest-api", "--rest-api-id", "<api>"},
			want: fields{"name": "e2e-cli-renamed", "description": "renamed"}},
		{name: "get-rest-api of an unknown id",
			args:    []string{"get-rest-api", "--rest-api-id", "nosuchapi0"},
			wantErr: "NotFoundException", wantMsg: "Invalid API identifier specified " + testAccount + ":nosuchapi0"},
		{name: "update-rest-api of an unknown path",
			args:    []string{"update-rest-api", "--rest-api-id", "<api>", "--patch-operations", "op=replace,path=/nosuchfield,value=x"},
			wantErr: "BadRequestException"},

		// Resources: a literal, a {param} and a {proxy+}.
		{name: "get-resources of a new API is the root",
			args: []string{"get-resources", "--rest-api-id", "<api>"},
			want: fields{"items.#": 1, "items.0.id": "<root>", "items.0.path": "/"}},
		{name: "create-resource /mock",
			args: []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<root>", "--path-part", "mock"},
			want: fields{"parentId": "<root>", "pathPart": "mock", "path": "/mock"},
			save: map[string]string{"mock": "id"}},
		{name: "create-resource /mock again conflicts",
			args:    []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<root>", "--path-part", "mock"},
			wantErr: "ConflictException", wantMsg: "Another resource with the same parent already has this name: mock"},
		{name: "create-resource under an unknown parent",
			args:    []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "nosuch", "--path-part", "x"},
			wantErr: "NotFoundException"},
		{name: "create-resource /items",
			args: []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<root>", "--path-part", "items"},
			want: fields{"path": "/items"},
			save: map[string]string{"items": "id"}},
		{name: "create-resource /items/{itemId}",
			args: []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<items>", "--path-part", "{itemId}"},
			want: fields{"parentId": "<items>", "pathPart": "{itemId}", "path": "/items/{itemId}"},
			save: map[string]string{"item": "id"}},
		{name: "create-resource /backend",
			args: []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<root>", "--path-part", "backend"},
			save: map[string]string{"backendRes": "id"}},
		{name: "create-resource /backend/{proxy+}",
			args: []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<backendRes>", "--path-part", "{proxy+}"},
			want: fields{"path": "/backend/{proxy+}"},
			save: map[string]string{"proxy": "id"}},
		{name: "get-resources lists all six",
			args: []string{"get-resources", "--rest-api-id", "<api>"},
			want: fields{"items.#": 6},
			check: func(t *testing.T, answer any, v vars) {
				var paths []string
				for _, it := range items(t, answer, "items") {
					p, _ := it["path"].(string)
					paths = append(paths, p)
				}
				sort.Strings(paths)
				want := []string{"/", "/backend", "/backend/{proxy+}", "/items", "/items/{itemId}", "/mock"}
				if !slices.Equal(paths, want) {
					t.Errorf("paths = %q; want %q", paths, want)
				}
			}},

		// GET /mock: a MOCK integration.
		{name: "put-method GET /mock",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET", "--authorization-type", "NONE"},
			want: fields{"httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": false}},
		{name: "put-method-response GET /mock 200",
			args: []string{"put-method-response", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET",
				"--status-code", "200", "--response-models", `{"application/json":"Empty"}`},
			want: fields{"statusCode": "200", "responseModels[application/json]": "Empty"}},
		{name: "put-integration on a method that does not exist",
			args:    []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "POST", "--type", "MOCK"},
			wantErr: "NotFoundException"},
		{name: "put-integration MOCK",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET",
				"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`},
			want: fields{"type": "MOCK", "passthroughBehavior": "WHEN_NO_MATCH", "timeoutInMillis": 29000,
				"requestTemplates[application/json]": `{"statusCode": 200}`}},
		{name: "put-integration-response GET /mock 200",
			args: []string{"put-integration-response", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET",
				"--status-code", "200", "--selection-pattern", "",
				"--response-templates", mustJSON(map[string]string{"application/json": mockTemplate})},
			want: fields{"statusCode": "200", "responseTemplates[application/json]": mockTemplate}},
		{name: "get-method shows the integration",
			args: []string{"get-method", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET"},
			want: fields{"httpMethod": "GET", "methodResponses.200.statusCode": "200", "methodIntegration.type": "MOCK",
				"methodIntegration.integrationResponses.200.statusCode": "200"}},

		// GET /items/{itemId}: a MOCK behind a path parameter, answering a static body (mapping
		// templates with $input arrive with the VTL engine).
		{name: "put-method GET /items/{itemId}",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<item>", "--http-method", "GET",
				"--authorization-type", "NONE", "--request-parameters", "method.request.path.itemId=true"},
			want: fields{"requestParameters[method.request.path.itemId]": true}},
		{name: "put-method-response GET /items/{itemId} 200",
			args: []string{"put-method-response", "--rest-api-id", "<api>", "--resource-id", "<item>", "--http-method", "GET", "--status-code", "200"}},
		{name: "put-integration MOCK for /items/{itemId}",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<item>", "--http-method", "GET",
				"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`}},
		{name: "put-integration-response /items/{itemId}",
			args: []string{"put-integration-response", "--rest-api-id", "<api>", "--resource-id", "<item>", "--http-method", "GET",
				"--status-code", "200", "--response-templates", `{"application/json":"{\"kind\": \"item\"}"}`}},

		// ANY /backend/{proxy+}: HTTP_PROXY to the test's backend.
		{name: "put-method ANY /backend/{proxy+}",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<proxy>", "--http-method", "ANY",
				"--authorization-type", "NONE", "--request-parameters", "method.request.path.proxy=true"},
			want: fields{"httpMethod": "ANY"}},
		{name: "put-integration HTTP_PROXY",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<proxy>", "--http-method", "ANY",
				"--type", "HTTP_PROXY", "--integration-http-method", "ANY", "--uri", "<backend>/{proxy}",
				"--request-parameters", `{"integration.request.path.proxy":"method.request.path.proxy"}`},
			want: fields{"type": "HTTP_PROXY", "httpMethod": "ANY", "uri": "<backend>/{proxy}",
				"passthroughBehavior": "WHEN_NO_MATCH", "timeoutInMillis": 29000,
				"requestParameters[integration.request.path.proxy]": "method.request.path.proxy"}},
		{name: "get-integration",
			args: []string{"get-integration", "--rest-api-id", "<api>", "--resource-id", "<proxy>", "--http-method", "ANY"},
			want: fields{"type": "HTTP_PROXY", "uri": "<backend>/{proxy}"}},

		// Deploy to stage dev.
		{name: "create-deployment --stage-name dev",
			args: []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "dev", "--description", "first"},
			want: fields{"description": "first", "createdDate": present},
			save: map[string]string{"dep1": "id"}},
		{name: "get-stage dev",
			args: []string{"get-stage", "--rest-api-id", "<api>", "--stage-name", "dev"},
			want: fields{"stageName": "dev", "deploymentId": "<dep1>", "createdDate": present, "lastUpdatedDate": present}},
		{name: "get-stage of an unknown stage",
			args:    []string{"get-stage", "--rest-api-id", "<api>", "--stage-name", "nosuchstage"},
			wantErr: "NotFoundException", wantMsg: "Invalid stage identifier specified"},
		{name: "get-stages",
			args: []string{"get-stages", "--rest-api-id", "<api>"},
			want: fields{"item.#": 1, "item.0.stageName": "dev", "item.0.deploymentId": "<dep1>"}},
		{name: "update-stage variables",
			args: []string{"update-stage", "--rest-api-id", "<api>", "--stage-name", "dev", "--patch-operations",
				"op=replace,path=/variables/color,value=blue", "op=replace,path=/description,value=development"},
			want: fields{"stageName": "dev", "variables.color": "blue", "description": "development", "deploymentId": "<dep1>"}},
		{name: "get-deployments",
			args: []string{"get-deployments", "--rest-api-id", "<api>"},
			want: fields{"items.#": 1, "items.0.id": "<dep1>"}},

		// The deployed stage over HTTP.
		{name: "data plane: MOCK, host-based and path-based", do: func(t *testing.T, v vars) {
			base, host := g.hostURL(v["api"])
			for _, c := range []struct{ url, host string }{
				{base + "/dev/mock", host},
				{g.pathURL(v["api"], "dev") + "/mock", ""},
			} {
				r := mustCall(t, "GET", c.url, c.host, nil, "")
				if r.Status != 200 || r.Body != mockTemplate {
					t.Errorf("GET %s (Host %q) = %d %q; want 200 %q", c.url, c.host, r.Status, r.Body, mockTemplate)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("GET %s: Content-Type = %q; want application/json", c.url, ct)
				}
				checkRequestID(t, r)
			}
		}},
		{name: "data plane: MOCK with a path parameter", do: func(t *testing.T, v vars) {
			r := mustCall(t, "GET", g.pathURL(v["api"], "dev")+"/items/42", "", nil, "")
			if r.Status != 200 || r.Body != `{"kind": "item"}` {
				t.Errorf("GET /dev/items/42 = %d %q; want 200 %q", r.Status, r.Body, `{"kind": "item"}`)
			}
		}},
		{name: "data plane: HTTP_PROXY passthrough", do: func(t *testing.T, v vars) {
			base, host := g.hostURL(v["api"])
			for _, c := range []struct{ url, host string }{
				{base + "/dev/backend/echo/a/b?x=1&x=2&y=z", host},
				{g.pathURL(v["api"], "dev") + "/backend/echo/a/b?x=1&x=2&y=z", ""},
			} {
				checkProxy(t, backend, c.url, c.host)
			}
		}},
		{name: "data plane: unknown routes are 403 Missing Authentication Token", do: func(t *testing.T, v vars) {
			base, host := g.hostURL(v["api"])
			pathBase := g.pathURL(v["api"], "dev")
			for _, c := range []struct{ method, url, host string }{
				{"GET", base + "/dev/nothing-here", host},
				{"GET", pathBase + "/nothing-here", ""},
				{"GET", base + "/dev/mock/deeper", host},
				{"DELETE", base + "/dev/mock", host},      // a method the resource does not have
				{"GET", base + "/nosuchstage/mock", host}, // an unknown stage
				{"GET", g.pathURL(v["api"], "nosuchstage") + "/mock", ""},
				{"GET", g.pathURL("nosuchapi0", "dev") + "/mock", ""}, // an unknown API
			} {
				r := mustCall(t, c.method, c.url, c.host, nil, "")
				checkGatewayError(t, c.method+" "+c.url, r, 403, "MissingAuthenticationTokenException", `{"message":"Missing Authentication Token"}`)
			}
		}},

		// Gateway responses: AWS's 21 defaults, a customized one after redeploying.
		{name: "get-gateway-responses has AWS's 21 defaults",
			args: []string{"get-gateway-responses", "--rest-api-id", "<api>"},
			want: fields{"items.#": 21},
			check: func(t *testing.T, answer any, v vars) {
				m := itemWith(t, answer, "items", "responseType", "MISSING_AUTHENTICATION_TOKEN")
				if m == nil || m["statusCode"] != "403" || m["defaultResponse"] != true {
					t.Errorf("MISSING_AUTHENTICATION_TOKEN = %v; want statusCode 403, defaultResponse true", m)
				}
				for _, it := range items(t, answer, "items") {
					if it["defaultResponse"] != true {
						t.Errorf("%v: defaultResponse is not true", it["responseType"])
					}
					tmpl, _ := it["responseTemplates"].(map[string]any)
					if tmpl["application/json"] != `{"message":$context.error.messageString}` {
						t.Errorf("%v: responseTemplates = %v; want AWS's default template", it["responseType"], it["responseTemplates"])
					}
				}
			}},
		{name: "put-gateway-response MISSING_AUTHENTICATION_TOKEN",
			args: []string{"put-gateway-response", "--rest-api-id", "<api>", "--response-type", "MISSING_AUTHENTICATION_TOKEN",
				"--status-code", "404",
				"--response-parameters", `{"gatewayresponse.header.X-E2E":"'custom'"}`,
				"--response-templates", `{"application/json":"{\"message\":\"no such route\",\"type\":\"$context.error.responseType\"}"}`},
			want: fields{"responseType": "MISSING_AUTHENTICATION_TOKEN", "statusCode": "404", "defaultResponse": false,
				"responseParameters[gatewayresponse.header.X-E2E]": "'custom'"}},
		{name: "get-gateway-response",
			args: []string{"get-gateway-response", "--rest-api-id", "<api>", "--response-type", "MISSING_AUTHENTICATION_TOKEN"},
			want: fields{"statusCode": "404", "defaultResponse": false}},
		{name: "create-deployment again moves dev",
			args: []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "dev", "--description", "second"},
			save: map[string]string{"dep2": "id"}},
		{name: "get-stage dev points at the new deployment and kept its variables",
			args: []string{"get-stage", "--rest-api-id", "<api>", "--stage-name", "dev"},
			want: fields{"deploymentId": "<dep2>", "variables.color": "blue"}},
		{name: "data plane: the customized gateway response", do: func(t *testing.T, v vars) {
			base, host := g.hostURL(v["api"])
			want := `{"message":"no such route","type":"MISSING_AUTHENTICATION_TOKEN"}`
			var r httpResult
			if !waitFor(propagateDeadline, func() bool {
				r = mustCall(t, "GET", base+"/dev/nothing-here", host, nil, "")
				return r.Status == 404
			}) {
				t.Errorf("GET /dev/nothing-here = %d %q after the deployment; want 404", r.Status, r.Body)
			}
			checkGatewayError(t, "GET /dev/nothing-here", r, 404, "MissingAuthenticationTokenException", want)
			if got := r.Header.Get("X-E2E"); got != "custom" {
				t.Errorf("X-E2E = %q; want custom (gatewayresponse.header.X-E2E = 'custom')", got)
			}
		}},

		{name: "get-account",
			args: []string{"get-account"},
			want: fields{"throttleSettings.burstLimit": 5000, "throttleSettings.rateLimit": 10000}},

		// Deletes, innermost first.
		{name: "delete-integration-response",
			args: []string{"delete-integration-response", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET", "--status-code", "200"}},
		{name: "get-integration-response after delete",
			args:    []string{"get-integration-response", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET", "--status-code", "200"},
			wantErr: "NotFoundException"},
		{name: "delete-integration",
			args: []string{"delete-integration", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET"}},
		{name: "get-integration after delete",
			args:    []string{"get-integration", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET"},
			wantErr: "NotFoundException"},
		{name: "delete-method-response",
			args: []string{"delete-method-response", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET", "--status-code", "200"}},
		{name: "delete-method",
			args: []string{"delete-method", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET"}},
		{name: "get-method after delete",
			args:    []string{"get-method", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET"},
			wantErr: "NotFoundException"},
		{name: "delete-resource /items deletes its children",
			args: []string{"delete-resource", "--rest-api-id", "<api>", "--resource-id", "<items>"}},
		{name: "get-resources after delete",
			args: []string{"get-resources", "--rest-api-id", "<api>"},
			want: fields{"items.#": 4},
			check: func(t *testing.T, answer any, v vars) {
				if itemWith(t, answer, "items", "id", v["item"]) != nil {
					t.Errorf("/items/{itemId} %s is still there after deleting /items", v["item"])
				}
			}},
		{name: "data plane: the stage still serves its deployment", do: func(t *testing.T, v vars) {
			r := mustCall(t, "GET", g.pathURL(v["api"], "dev")+"/items/7", "", nil, "")
			if r.Status != 200 {
				t.Errorf("GET /dev/items/7 = %d %q; want 200: a deployment is a snapshot, later edits do not change it", r.Status, r.Body)
			}
		}},
		{name: "delete-gateway-response restores the default",
			args: []string{"delete-gateway-response", "--rest-api-id", "<api>", "--response-type", "MISSING_AUTHENTICATION_TOKEN"}},
		{name: "get-gateway-response after delete",
			args: []string{"get-gateway-response", "--rest-api-id", "<api>", "--response-type", "MISSING_AUTHENTICATION_TOKEN"},
			want: fields{"statusCode": "403", "defaultResponse": true}},
		{name: "delete-deployment in use by a stage",
			args:    []string{"delete-deployment", "--rest-api-id", "<api>", "--deployment-id", "<dep2>"},
			wantErr: "BadRequestException", wantMsg: "Active stages pointing to this deployment must be moved or deleted"},
		{name: "delete-deployment no longer in use",
			args: []string{"delete-deployment", "--rest-api-id", "<api>", "--deployment-id", "<dep1>"}},
		{name: "delete-stage",
			args: []string{"delete-stage", "--rest-api-id", "<api>", "--stage-name", "dev"}},
		{name: "get-stages after delete",
			args: []string{"get-stages", "--rest-api-id", "<api>"},
			want: fields{"item.#": 0}},
		{name: "data plane: a deleted stage no longer serves", do: func(t *testing.T, v vars) {
			var r httpResult
			if !waitFor(propagateDeadline, func() bool {
				r = mustCall(t, "GET", g.pathURL(v["api"], "dev")+"/items/7", "", nil, "")
				return r.Status == 403
			}) {
				t.Errorf("GET /dev/items/7 = %d %q after delete-stage; want 403", r.Status, r.Body)
			}
		}},
		{name: "delete-deployment",
			args: []string{"delete-deployment", "--rest-api-id", "<api>", "--deployment-id", "<dep2>"}},
		{name: "delete-rest-api",
			args: []string{"delete-rest-api", "--rest-api-id", "<api>"}},
		{name: "get-rest-api after delete",
			args:    []string{"get-rest-api", "--rest-api-id", "<api>"},
			wantErr: "NotFoundException"},
		{name: "get-rest-apis after delete",
			args: []string{"get-rest-apis"},
			want: fields{"items.#": 0}},
	}
	runScript(t, cli, v, steps)
	g.stop()
	g.expectNoErrorLogs()
}

// checkProxy sends a request with a body, a query and headers through the HTTP_PROXY
// integration at url and checks both directions: what the backend got and what the client got.
func checkProxy(t *testing.T, backend *echoBackend, url, host string) {
	t.Helper()
	header := http.Header{"X-E2e": {"yes"}, "Content-Type": {"text/plain"}, "X-Echo-Status": {"201"}}
	r := mustCall(t, "POST", url, host, header, "ping")
	where := "POST " + url
	if r.Status != 201 {
		t.Fatalf("%s = %d %q; want the backend's 201", where, r.Status, r.Body)
	}
	var got echoed
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatalf("%s: body %q is not the backend's echo: %v", where, r.Body, err)
	}
	if got.Method != "POST" || got.Path != "/echo/a/b" || got.RawQuery != "x=1&x=2&y=z" || got.Body != "ping" {
		t.Errorf("%s: backend got %s %s?%s body %q; want POST /echo/a/b?x=1&x=2&y=z body \"ping\"", where, got.Method, got.Path, got.RawQuery, got.Body)
	}
	if h := got.Header.Get("X-E2e"); h != "yes" {
		t.Errorf("%s: backend got X-E2E %q; want yes", where, h)
	}
	if h := got.Header.Get("Content-Type"); h != "text/plain" {
		t.Errorf("%s: backend got Content-Type %q; want text/plain", where, h)
	}
	if !strings.HasPrefix(got.Host, "127.0.0.1:") {
		t.Errorf("%s: backend got Host %q; want the integration URI's host", where, got.Host)
	}
	checks := []struct{ name, want string }{
		{"X-Backend", "echo"},
		{"Content-Type", "application/json; charset=utf-8"},
		// AWS renames the backend's Server and Date instead of passing them.
		{"X-Amzn-Remapped-Server", "e2e-backend/1.0"},
	}
	for _, c := range checks {
		if h := r.Header.Get(c.name); h != c.want {
			t.Errorf("%s: response header %s = %q; want %q", where, c.name, h, c.want)
		}
	}
	if _, err := http.ParseTime(r.Header.Get("X-Amzn-Remapped-Date")); err != nil {
		t.Errorf("%s: x-amzn-Remapped-Date = %q; want the backend's Date", where, r.Header.Get("X-Amzn-Remapped-Date"))
	}
	checkRequestID(t, r)
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// checkRequestID checks the answer carries an x-amzn-RequestId UUID, as every AWS answer does.
func checkRequestID(t *testing.T, r httpResult) {
	t.Helper()
	if id := r.Header.Get("X-Amzn-Requestid"); !uuidPattern.MatchString(id) {
		t.Errorf("x-amzn-RequestId = %q; want a UUID", id)
	}
}

// checkGatewayError checks a gateway response: status, x-amzn-ErrorType, body, request id.
func checkGatewayError(t *testing.T, what string, r httpResult, status int, errType, body string) {
	t.Helper()
	if r.Status != status || r.Body != body {
		t.Errorf("%s = %d %q; want %d %q", what, r.Status, r.Body, status, body)
	}
	if got := r.Header.Get("X-Amzn-Errortype"); got != errType {
		t.Errorf("%s: x-amzn-ErrorType = %q; want %q", what, got, errType)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type = %q; want application/json", what, ct)
	}
	checkRequestID(t, r)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
