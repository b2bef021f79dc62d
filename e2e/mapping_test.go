package e2e

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
)

// TestMappingTemplates builds, with the real aws CLI, an API whose HTTP integration turns a
// query string into a JSON body with a request template and reshapes the backend's JSON with
// a response template, plus a MOCK method whose status comes from VTL; then calls both.
func TestMappingTemplates(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	backend := newEchoBackend(t)
	cli := newAWSCLI(t, g.AdminURL, "AKIAE2ETESTVTL000001", "e2e-vtl-secret")
	v := vars{"backend": backend.URL}

	// The request template: query string → JSON body, with $input.params, $util and #foreach.
	const requestTemplate = `#set($limit = $input.params('limit'))
{
  "query": "$util.escapeJavaScript($input.params('q'))",
  "limit": #if($limit == "")10#else$limit#end,
  "tags": [#foreach($tag in $input.params('tags').split(','))"$tag"#if($foreach.hasNext),#end#end],
  "stage": "$context.stage",
  "color": "$stageVariables.color"
}`
	// The response template: the backend's echo → a smaller document, with $input.path and
	// $util.parseJson on a field holding JSON text.
	const responseTemplate = `#set($echo = $input.path('$'))
#set($sent = $util.parseJson($echo.body))
{"backendSaw": "$echo.method $echo.path", "query": "$util.escapeJavaScript($sent.query)", "limit": $sent.limit, "tagCount": $sent.tags.size(), "firstTag": "$sent.tags[0]", "apiId": "$input.path('$.header.X-Amzn-Apigateway-Api-Id[0]')"}`
	// The MOCK: status from VTL, and a response template that overrides status and headers.
	const mockRequest = `{"statusCode": #if($input.params('fail') == "yes")500#{else}200#end}`
	const mockResponse = `#set($context.responseOverride.header['X-Mock'] = "vtl")
#if($input.params('created') == "yes")#set($context.responseOverride.status = 201)#end
{"ok": true, "requestId": "$context.requestId"}`

	steps := []cliStep{
		{name: "create-rest-api", args: []string{"create-rest-api", "--name", "e2e-vtl"},
			save: map[string]string{"api": "id", "root": "rootResourceId"}},
		{name: "create-resource /search",
			args: []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<root>", "--path-part", "search"},
			save: map[string]string{"search": "id"}},
		{name: "put-method GET /search",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<search>", "--http-method", "GET",
				"--authorization-type", "NONE", "--request-parameters",
				"method.request.querystring.q=true,method.request.querystring.limit=false,method.request.querystring.tags=false"}},
		{name: "put-integration with a template that does not parse",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<search>", "--http-method", "GET",
				"--type", "HTTP", "--integration-http-method", "POST", "--uri", "<backend>/search",
				"--request-templates", mustJSON(map[string]string{"application/json": "{\n  #if($x == 1\n}"})},
			wantErr: "BadRequestException", wantMsg: "Invalid mapping template specified for content type application/json: line "},
		{name: "put-integration HTTP with a request template",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<search>", "--http-method", "GET",
				"--type", "HTTP", "--integration-http-method", "POST", "--uri", "<backend>/search",
				"--passthrough-behavior", "NEVER",
				"--request-templates", mustJSON(map[string]string{"application/json": requestTemplate})},
			want: fields{"type": "HTTP", "passthroughBehavior": "NEVER", "requestTemplates[application/json]": requestTemplate}},
		{name: "put-method-response 200",
			args: []string{"put-method-response", "--rest-api-id", "<api>", "--resource-id", "<search>", "--http-method", "GET", "--status-code", "200",
				"--response-parameters", "method.response.header.X-Backend-Path=false"}},
		{name: "put-integration-response with a response template",
			args: []string{"put-integration-response", "--rest-api-id", "<api>", "--resource-id", "<search>", "--http-method", "GET",
				"--status-code", "200", "--selection-pattern", "",
				"--response-parameters", mustJSON(map[string]string{"method.response.header.X-Backend-Path": "integration.response.body.path"}),
				"--response-templates", mustJSON(map[string]string{"application/json": responseTemplate})},
			want: fields{"statusCode": "200", "responseTemplates[application/json]": responseTemplate}},

		{name: "create-resource /mock",
			args: []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<root>", "--path-part", "mock"},
			save: map[string]string{"mock": "id"}},
		{name: "put-method GET /mock",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET", "--authorization-type", "NONE"}},
		{name: "put-integration MOCK with a VTL status",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET", "--type", "MOCK",
				"--request-templates", mustJSON(map[string]string{"application/json": mockRequest})}},
		{name: "put-integration-response 200",
			args: []string{"put-integration-response", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET",
				"--status-code", "200", "--selection-pattern", "",
				"--response-templates", mustJSON(map[string]string{"application/json": mockResponse})}},
		{name: "put-integration-response 500",
			args: []string{"put-integration-response", "--rest-api-id", "<api>", "--resource-id", "<mock>", "--http-method", "GET",
				"--status-code", "500", "--selection-pattern", `5\d{2}`,
				"--response-templates", mustJSON(map[string]string{"application/json": `{"ok": false}`})}},

		{name: "create-deployment", args: []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "dev",
			"--variables", "color=teal"}},

		{name: "data plane: the request template builds the backend's body", do: func(t *testing.T, v vars) {
			u := g.pathURL(v["api"], "dev") + "/search?" + url.Values{"q": {`say "hi"`}, "limit": {"5"}, "tags": {"a,b,c"}}.Encode()
			var r httpResult
			waitFor(propagateDeadline, func() bool { r = mustCall(t, "GET", u, "", nil, ""); return r.Status == 200 })
			if r.Status != 200 {
				t.Fatalf("GET /search = %d %q; want 200", r.Status, r.Body)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
				t.Fatalf("answer is not JSON: %v\n%s", err, r.Body)
			}
			want := map[string]any{"backendSaw": "POST /search", "query": `say "hi"`, "limit": 5.0, "tagCount": 3.0,
				"firstTag": "a", "apiId": v["api"]}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("answer = %v; want %v", got, want)
			}
			if p := r.Header.Get("X-Backend-Path"); p != "/search" {
				t.Errorf("X-Backend-Path = %q; want /search (integration.response.body.path)", p)
			}
			backend.mu.Lock()
			seen := backend.seen[len(backend.seen)-1]
			backend.mu.Unlock()
			var body map[string]any
			if err := json.Unmarshal([]byte(seen.Body), &body); err != nil {
				t.Fatalf("the backend's body is not JSON: %v\n%s", err, seen.Body)
			}
			wantBody := map[string]any{"query": `say "hi"`, "limit": 5.0, "tags": []any{"a", "b", "c"}, "stage": "dev", "color": "teal"}
			if !reflect.DeepEqual(body, wantBody) {
				t.Errorf("backend body = %v; want %v", body, wantBody)
			}
		}},
		{name: "data plane: defaults when parameters are absent", do: func(t *testing.T, v vars) {
			r := mustCall(t, "GET", g.pathURL(v["api"], "dev")+"/search?q=x", "", nil, "")
			if r.Status != 200 {
				t.Fatalf("GET /search?q=x = %d %q; want 200", r.Status, r.Body)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
				t.Fatalf("answer is not JSON: %v\n%s", err, r.Body)
			}
			if got["limit"] != 10.0 || got["tagCount"] != 1.0 {
				t.Errorf("answer = %v; want limit 10 (the template's default) and one (empty) tag", got)
			}
		}},
		{name: "data plane: NEVER passthrough refuses an unmapped content type", do: func(t *testing.T, v vars) {
			r := mustCall(t, "GET", g.pathURL(v["api"], "dev")+"/search?q=x", "", map[string][]string{"Content-Type": {"text/plain"}}, "")
			checkGatewayError(t, "GET /search as text/plain", r, 415, "BadRequestException", `{"message":"Unsupported Media Type"}`)
		}},
		{name: "data plane: MOCK status and response overrides from VTL", do: func(t *testing.T, v vars) {
			base := g.pathURL(v["api"], "dev") + "/mock"
			r := mustCall(t, "GET", base, "", nil, "")
			if r.Status != 200 || r.Header.Get("X-Mock") != "vtl" {
				t.Errorf("GET /mock = %d X-Mock=%q %q; want 200 with X-Mock: vtl", r.Status, r.Header.Get("X-Mock"), r.Body)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil || got["requestId"] != r.Header.Get("x-amzn-RequestId") {
				t.Errorf("GET /mock body = %q (%v); want requestId = the x-amzn-RequestId header %q", r.Body, err, r.Header.Get("x-amzn-RequestId"))
			}
			if r := mustCall(t, "GET", base+"?created=yes", "", nil, ""); r.Status != 201 {
				t.Errorf("GET /mock?created=yes = %d %q; want 201 ($context.responseOverride.status)", r.Status, r.Body)
			}
			if r := mustCall(t, "GET", base+"?fail=yes", "", nil, ""); r.Status != 500 || r.Body != `{"ok": false}` {
				t.Errorf("GET /mock?fail=yes = %d %q; want 500 {\"ok\": false} (statusCode 500 selects the 5\\d{2} response)", r.Status, r.Body)
			}
		}},
	}
	runScript(t, cli, v, steps)
	g.stop()
	g.expectNoErrorLogs()
}
