package mgmt

import (
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

func TestIntegrationDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, rootID := newAPI(t, e)
	mustMethod(t, e, apiID, rootID, "GET", nil)
	mustMethod(t, e, apiID, rootID, "POST", nil)
	base := "/restapis/" + apiID + "/resources/" + rootID + "/methods/"

	// MOCK: no connectionType (localstack test_lifecycle_integration_response "get-method").
	status, _, body := raw(t, e, http.MethodPut, base+"GET/integration", `{"type":"MOCK","requestTemplates":{"application/json":"{\"statusCode\": 200}"}}`)
	want := map[string]any{
		"type": "MOCK", "cacheKeyParameters": []any{}, "cacheNamespace": rootID, "passthroughBehavior": "WHEN_NO_MATCH",
		"timeoutInMillis": float64(29000), "requestTemplates": map[string]any{"application/json": `{"statusCode": 200}`},
	}
	if status != http.StatusCreated || !sameJSON(body, want) {
		t.Errorf("PutIntegration MOCK = %d %v; want 201 %v", status, body, want)
	}

	// HTTP: connectionType INTERNET (test_put_integration_responses "put-integration-get").
	out, err := e.client.PutIntegration(ctx(t), &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("POST"),
		Type: types.IntegrationTypeHttp, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("https://example.com/pets/{id}"),
		RequestParameters: map[string]string{"integration.request.header.x": "'static'"}, TimeoutInMillis: aws.Int32(50)})
	if err != nil {
		t.Fatalf("PutIntegration HTTP: %v", err)
	}
	if out.ConnectionType != types.ConnectionTypeInternet || *out.HttpMethod != "POST" || out.TimeoutInMillis != 50 || *out.CacheNamespace != rootID || out.CacheKeyParameters == nil {
		t.Errorf("PutIntegration HTTP = %+v", out)
	}
	got, err := e.client.GetIntegration(ctx(t), &apigateway.GetIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("POST")})
	if err != nil || *got.Uri != "https://example.com/pets/{id}" || got.RequestParameters["integration.request.header.x"] != "'static'" {
		t.Errorf("GetIntegration = %+v, %v", got, err)
	}
}

// sameJSON compares a decoded JSON object with want exactly: same keys, same values.
func sameJSON(got, want map[string]any) bool {
	if len(got) != len(want) {
		return false
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			return false
		}
		switch w := w.(type) {
		case map[string]any:
			gm, ok := g.(map[string]any)
			if !ok || !sameJSON(gm, w) {
				return false
			}
		case []any:
			ga, ok := g.([]any)
			if !ok || !slices.Equal(ga, w) {
				return false
			}
		default:
			if g != w {
				return false
			}
		}
	}
	return true
}

func TestPutIntegrationErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, rootID := newAPI(t, e)
	mustMethod(t, e, apiID, rootID, "GET", map[string]bool{"method.request.path.id": true})
	tests := []struct {
		name, api, resource, verb string
		in                        apigateway.PutIntegrationInput
		code, msg                 string
	}{
		{name: "unknown api", api: "nope000000", resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeMock},
			code: "NotFoundException", msg: "Invalid Resource identifier specified"},
		{name: "unknown resource", api: apiID, resource: "badres", verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeMock},
			code: "NotFoundException", msg: "Invalid Resource identifier specified"},
		{name: "unknown method", api: apiID, resource: rootID, verb: "POST", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeMock},
			code: "NotFoundException", msg: "Invalid Method identifier specified"},
		{name: "type enum", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: "HTTPS_PROXY"},
			code: "ValidationException", msg: "1 validation error detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]"},
		{name: "http without method", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeHttp, Uri: aws.String("http://example.com")},
			code: "BadRequestException", msg: "Enumeration value for HttpMethod must be non-empty"},
		{name: "http bad uri", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("ANY"), Uri: aws.String("example.com/x")},
			code: "BadRequestException", msg: "Invalid HTTP endpoint specified for URI"},
		{name: "http stage variable with a bad name", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeHttp, IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("http://${stageVariables.bad-name}/x")},
			code: "BadRequestException", msg: "Invalid HTTP endpoint specified for URI"},
		// Found by FuzzUpdateIntegration: placeholders the data plane cannot compile.
		{name: "http unclosed placeholder", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeHttp, IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("http://example.com/{id")},
			code: "BadRequestException", msg: "Invalid HTTP endpoint specified for URI"},
		{name: "http empty placeholder", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeHttp, IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("http://example.com/{}")},
			code: "BadRequestException", msg: "Invalid HTTP endpoint specified for URI"},
		{name: "http empty greedy placeholder", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("ANY"), Uri: aws.String("http://example.com/{proxy+}/{+}")},
			code: "BadRequestException", msg: "Invalid HTTP endpoint specified for URI"},
		// Recorded: test_put_integration_validation "invalid-uri-not-an-arn" and
		// "invalid-uri-invalid-arn" (an IAM role ARN); a Lambda function's own ARN is an ARN
		// without path or action too.
		{name: "aws not an arn", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeAws, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("non-valid-arn")},
			code: "BadRequestException", msg: "Invalid ARN specified in the request"},
		{name: "aws iam role arn", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeAws, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("arn:aws:iam::0000000000:role/service-role/asdf")},
			code: "BadRequestException", msg: "AWS ARN for integration must contain path or action"},
		{name: "aws lambda function arn", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeAws, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("arn:aws:lambda:us-east-1:123456789012:function:f")},
			code: "BadRequestException", msg: "AWS ARN for integration must contain path or action"},
		// Recorded: "required-integration-method-AWS": the missing method alone, though the
		// URI is no ARN.
		{name: "aws without method", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeAws, Uri: aws.String("http://example.com"), TimeoutInMillis: aws.Int32(10)},
			code: "BadRequestException", msg: "Enumeration value for HttpMethod must be non-empty"},
		{name: "aws no path or action", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeAws, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("arn:aws:apigateway:us-east-1:s3:bucket")},
			code: "BadRequestException", msg: "AWS ARN for integration must contain path or action"},
		{name: "aws proxy to s3", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("arn:aws:apigateway:us-east-1:s3:path/b/k")},
			code: "BadRequestException", msg: "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."},
		{name: "timeout", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeMock, TimeoutInMillis: aws.Int32(29001)},
			code: "BadRequestException", msg: "Timeout should be between 50 ms and 29000 ms"},
		{name: "mappings", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeMock, RequestParameters: map[string]string{
			"integration.request.path.id":       "method.request.path.id",
			"integration.request.header.a":      "method.request.header.undeclared",
			"integration.request.querystring.b": "nonsense",
			"integration.request.cookie.c":      "'x'",
		}}, code: "BadRequestException", msg: "Invalid mapping expression specified: Validation Result: warnings : [], errors : [" +
			"Invalid mapping expression specified: integration.request.cookie.c, Invalid mapping expression parameter specified: method.request.header.undeclared, Invalid mapping expression specified: nonsense]"},
		{name: "every problem listed", api: apiID, resource: rootID, verb: "GET", in: apigateway.PutIntegrationInput{Type: types.IntegrationTypeHttp, IntegrationHttpMethod: aws.String("GET"), TimeoutInMillis: aws.Int32(10), PassthroughBehavior: aws.String("SOMETIMES")},
			code: "BadRequestException", msg: "Invalid HTTP endpoint specified for URI Invalid passthrough behavior specified: SOMETIMES Timeout should be between 50 ms and 29000 ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.RestApiId, in.ResourceId, in.HttpMethod = aws.String(tt.api), aws.String(tt.resource), aws.String(tt.verb)
			_, err := e.client.PutIntegration(ctx(t), &in)
			if code, msg := apiErr(t, err); code != tt.code || msg != tt.msg {
				t.Errorf("PutIntegration = %s %q; want %s %q", code, msg, tt.code, tt.msg)
			}
		})
	}
	t.Run("type required", func(t *testing.T) {
		t.Parallel()
		status, typ, body := raw(t, e, http.MethodPut, "/restapis/"+apiID+"/resources/"+rootID+"/methods/GET/integration", `{}`)
		if status != 400 || typ != "ValidationException" || body["message"] != "1 validation error detected: Value null at 'putIntegrationInput.type' failed to satisfy constraint: Member must not be null" {
			t.Errorf("PutIntegration without type = %d %s %v", status, typ, body)
		}
	})
	t.Run("nothing stored", func(t *testing.T) {
		t.Parallel()
		_, err := e.client.GetIntegration(ctx(t), &apigateway.GetIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET")})
		if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid Integration identifier specified" {
			t.Errorf("GetIntegration after rejected puts = %s %q", code, msg)
		}
	})
}

func TestIntegrationUpdateReplaceDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client
	apiID, rootID := newAPI(t, e)
	mustMethod(t, e, apiID, rootID, "GET", map[string]bool{"method.request.querystring.q": false})
	in := &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeHttp,
		IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("http://a.example")}
	if _, err := c.PutIntegration(ctx(t), in); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutIntegrationResponse(ctx(t), &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}); err != nil {
		t.Fatal(err)
	}

	upd, err := c.UpdateIntegration(ctx(t), &apigateway.UpdateIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/uri"), Value: aws.String("https://b.example/x")},
		{Op: types.OpReplace, Path: aws.String("/timeoutInMillis"), Value: aws.String("1000")},
		{Op: types.OpAdd, Path: aws.String("/requestParameters/integration.request.querystring.q"), Value: aws.String("method.request.querystring.q")},
		{Op: types.OpAdd, Path: aws.String("/requestTemplates/application~1json"), Value: aws.String("{}")},
		{Op: types.OpAdd, Path: aws.String("/cacheKeyParameters/method.request.querystring.q")},
		{Op: types.OpReplace, Path: aws.String("/passthroughBehavior"), Value: aws.String("NEVER")},
	}})
	if err != nil {
		t.Fatalf("UpdateIntegration: %v", err)
	}
	if *upd.Uri != "https://b.example/x" || upd.TimeoutInMillis != 1000 || upd.RequestParameters["integration.request.querystring.q"] != "method.request.querystring.q" ||
		upd.RequestTemplates["application/json"] != "{}" || !slices.Equal(upd.CacheKeyParameters, []string{"method.request.querystring.q"}) || *upd.PassthroughBehavior != "NEVER" {
		t.Errorf("UpdateIntegration = %+v", upd)
	}
	if upd.IntegrationResponses["200"].StatusCode == nil {
		t.Errorf("UpdateIntegration lost the integration responses: %v", upd.IntegrationResponses)
	}

	// A rejected update lists every problem and changes nothing.
	_, err = c.UpdateIntegration(ctx(t), &apigateway.UpdateIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/uri"), Value: aws.String("not a url")},
		{Op: types.OpAdd, Path: aws.String("/type"), Value: aws.String("MOCK")},
		{Op: types.OpReplace, Path: aws.String("/timeoutInMillis"), Value: aws.String("30000")},
	}})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != "Invalid patch operation specified. Must be one of: [replace] Invalid HTTP endpoint specified for URI Timeout should be between 50 ms and 29000 ms" {
		t.Errorf("UpdateIntegration invalid = %s %q", code, msg)
	}
	got, _ := c.GetIntegration(ctx(t), &apigateway.GetIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET")})
	if *got.Uri != "https://b.example/x" || got.TimeoutInMillis != 1000 {
		t.Errorf("a rejected update changed the integration: %q %d", *got.Uri, got.TimeoutInMillis)
	}

	// Re-putting replaces the integration but keeps its responses.
	in.Type, in.Uri, in.IntegrationHttpMethod = types.IntegrationTypeMock, nil, nil
	replaced, err := c.PutIntegration(ctx(t), in)
	if err != nil {
		t.Fatalf("PutIntegration again: %v", err)
	}
	if replaced.Type != types.IntegrationTypeMock || replaced.Uri != nil || replaced.RequestParameters != nil || replaced.IntegrationResponses["200"].StatusCode == nil {
		t.Errorf("PutIntegration replace = %+v", replaced)
	}

	status, _, _ := raw(t, e, http.MethodDelete, "/restapis/"+apiID+"/resources/"+rootID+"/methods/GET/integration", "")
	if status != http.StatusNoContent {
		t.Errorf("DeleteIntegration status = %d; want 204", status)
	}
	for name, call := range map[string]func() error{
		"GetIntegration": func() error {
			_, err := c.GetIntegration(ctx(t), &apigateway.GetIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET")})
			return err
		},
		"DeleteIntegration": func() error {
			_, err := c.DeleteIntegration(ctx(t), &apigateway.DeleteIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET")})
			return err
		},
		"UpdateIntegration": func() error {
			_, err := c.UpdateIntegration(ctx(t), &apigateway.UpdateIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET")})
			return err
		},
		"GetIntegrationResponse": func() error {
			_, err := c.GetIntegrationResponse(ctx(t), &apigateway.GetIntegrationResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})
			return err
		},
	} {
		if code, msg := apiErr(t, call()); code != "NotFoundException" || msg != "Invalid Integration identifier specified" {
			t.Errorf("%s after DeleteIntegration = %s %q", name, code, msg)
		}
	}
}

func TestIntegrationResponseLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client
	apiID, rootID := newAPI(t, e)
	mustMethod(t, e, apiID, rootID, "GET", nil)
	if _, err := c.PutIntegration(ctx(t), &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock}); err != nil {
		t.Fatal(err)
	}
	base := "/restapis/" + apiID + "/resources/" + rootID + "/methods/GET/integration/responses/"

	// No method response needed without response parameters (test_lifecycle_integration_response).
	status, _, body := raw(t, e, http.MethodPut, base+"200", `{"selectionPattern":"2\\d{2}","responseTemplates":{}}`)
	if want := map[string]any{"statusCode": "200", "selectionPattern": `2\d{2}`, "responseTemplates": map[string]any{}}; status != http.StatusCreated || !sameJSON(body, want) {
		t.Errorf("PutIntegrationResponse = %d %v; want 201 %v", status, body, want)
	}
	// Put again replaces (recorded "overwrite-integration-response").
	over, err := c.PutIntegrationResponse(ctx(t), &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
		SelectionPattern: aws.String("overwrite"), ResponseTemplates: map[string]string{"application/json": "overwrite"}, ContentHandling: types.ContentHandlingStrategyConvertToText})
	if err != nil || *over.SelectionPattern != "overwrite" || over.ResponseTemplates["application/json"] != "overwrite" || over.ContentHandling != types.ContentHandlingStrategyConvertToText {
		t.Errorf("PutIntegrationResponse overwrite = %+v, %v", over, err)
	}

	// Response parameters need the method response to declare the header.
	putParams := func(code string, params map[string]string) error {
		_, err := c.PutIntegrationResponse(ctx(t), &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String(code),
			SelectionPattern: aws.String("4\\d{2}"), ResponseParameters: params})
		return err
	}
	hdr := map[string]string{"method.response.header.X-Id": "integration.response.header.id"}
	if code, msg := apiErr(t, putParams("400", hdr)); code != "BadRequestException" || msg != "Invalid mapping expression specified: Validation Result: warnings : [], errors : [No method response exists for method.]" {
		t.Errorf("PutIntegrationResponse without method response = %s %q", code, msg)
	}
	if _, err := c.PutMethodResponse(ctx(t), &apigateway.PutMethodResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("400"),
		ResponseParameters: map[string]bool{"method.response.header.X-Id": false}}); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{"method.response.header.X-Other": "'x'", "method.response.header.X-Id": "integration.request.header.id"}
	if code, msg := apiErr(t, putParams("400", bad)); code != "BadRequestException" ||
		msg != "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: integration.request.header.id, Invalid mapping expression parameter specified: method.response.header.X-Other]" {
		t.Errorf("PutIntegrationResponse bad mappings = %s %q", code, msg)
	}
	for _, src := range []string{"integration.response.header.id", "integration.response.body", "integration.response.body.a.b", "'static'", "stageVariables.v", "context.requestId"} {
		if err := putParams("400", map[string]string{"method.response.header.X-Id": src}); err != nil {
			t.Errorf("PutIntegrationResponse mapping from %q: %v", src, err)
		}
	}

	// Two responses may not share a selection pattern.
	err = putParams("500", nil)
	if code, msg := apiErr(t, err); code != "ConflictException" || msg != `Integration response with selection pattern 4\d{2} already exists` {
		t.Errorf("PutIntegrationResponse same pattern = %s %q", code, msg)
	}

	upd, err := c.UpdateIntegrationResponse(ctx(t), &apigateway.UpdateIntegrationResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/selectionPattern"), Value: aws.String("updated-pattern")},
			{Op: types.OpRemove, Path: aws.String("/responseTemplates/application~1json")},
			{Op: types.OpAdd, Path: aws.String("/responseTemplates/application~1xml"), Value: aws.String("<a/>")},
		}})
	if err != nil || *upd.SelectionPattern != "updated-pattern" || len(upd.ResponseTemplates) != 1 || upd.ResponseTemplates["application/xml"] != "<a/>" {
		t.Errorf("UpdateIntegrationResponse = %+v, %v", upd, err)
	}

	m, err := c.GetMethod(ctx(t), &apigateway.GetMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET")})
	if err != nil || len(m.MethodIntegration.IntegrationResponses) != 2 || len(m.MethodResponses) != 1 {
		t.Errorf("GetMethod = integration responses %v, method responses %v, %v", m.MethodIntegration.IntegrationResponses, m.MethodResponses, err)
	}

	errTests := []struct {
		name, method, path, body string
		status                   int
		typ, msg                 string
	}{
		{"get missing", http.MethodGet, base + "201", "", 404, "NotFoundException", "Invalid Response status code specified"},
		{"get invalid code", http.MethodGet, base + "wrong", "", 400, "ValidationException",
			"1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"},
		{"put template key", http.MethodPut, base + "201", `{"selectionPattern":"x","responseTemplates":{"123":"{}"}}`, 400, "BadRequestException",
			"Validation Result: warnings : [], errors : [Invalid content type specified: 123]"},
		{"put bad regexp", http.MethodPut, base + "201", `{"selectionPattern":"(?<=a)b"}`, 400, "BadRequestException", "Invalid selection pattern specified: (?<=a)b"},
		{"put wrong method", http.MethodPut, "/restapis/" + apiID + "/resources/" + rootID + "/methods/POST/integration/responses/200", `{}`, 404, "NotFoundException", "Invalid Method identifier specified"},
		{"put wrong api", http.MethodPut, "/restapis/nope000000/resources/" + rootID + "/methods/GET/integration/responses/200", `{}`, 404, "NotFoundException", "Invalid Resource identifier specified"},
		{"update wrong path", http.MethodPatch, base + "200", `{"patchOperations":[{"op":"replace","path":"/statusCode","value":"201"}]}`, 400, "BadRequestException", "Invalid patch path /statusCode"},
		{"update absent template", http.MethodPatch, base + "200", `{"patchOperations":[{"op":"remove","path":"/responseTemplates/text~1plain"}]}`, 404, "NotFoundException", "Content-Type specified was not found"},
		// AWS answers a missing method with the integration's message here (test_delete_integration_response_errors).
		{"delete wrong method", http.MethodDelete, "/restapis/" + apiID + "/resources/" + rootID + "/methods/POST/integration/responses/200", "", 404, "NotFoundException", "Invalid Integration identifier specified"},
		{"delete missing", http.MethodDelete, base + "404", "", 404, "NotFoundException", "Invalid Response status code specified"},
	}
	for _, tt := range errTests {
		status, typ, body := raw(t, e, tt.method, tt.path, tt.body)
		if status != tt.status || typ != tt.typ || body["message"] != tt.msg {
			t.Errorf("%s = %d %s %q; want %d %s %q", tt.name, status, typ, body["message"], tt.status, tt.typ, tt.msg)
		}
	}

	status, _, _ = raw(t, e, http.MethodDelete, base+"200", "")
	if status != http.StatusNoContent {
		t.Errorf("DeleteIntegrationResponse status = %d; want 204", status)
	}
	_, err = c.GetIntegrationResponse(ctx(t), &apigateway.GetIntegrationResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid Response status code specified" {
		t.Errorf("GetIntegrationResponse(deleted) = %s %q", code, msg)
	}
}

// FuzzPatchIntegration throws arbitrary patch operations at UpdateIntegration's patcher: it
// must not panic, and whatever it accepts must pass PutIntegration's validation.
func FuzzPatchIntegration(f *testing.F) {
	f.Add("replace", "/uri", "http://x.example")
	f.Add("replace", "/timeoutInMillis", "-1")
	f.Add("add", "/requestParameters/integration.request.header.a", "method.request.header.h")
	f.Add("remove", "/requestTemplates/application~1json", "")
	f.Add("add", "/cacheKeyParameters/x", "")
	f.Add("replace", "/tlsConfig/insecureSkipVerification", "TRUE")
	f.Fuzz(func(t *testing.T, op, path, value string) {
		m := &model.Method{HTTPMethod: "GET", AuthorizationType: "NONE", RequestParameters: map[string]bool{"method.request.header.h": true}}
		ig := &model.Integration{Type: "HTTP", HTTPMethod: "GET", URI: "https://a.example", PassthroughBehavior: "WHEN_NO_MATCH", TimeoutInMillis: 29000,
			RequestTemplates: map[string]string{"application/json": "{}"}, CacheKeyParameters: []string{}}
		if err := patchIntegration(m, ig, []awsjson.PatchOperation{{Op: op, Path: path, Value: &value}}); err != nil {
			return
		}
		if problems := checkIntegration(m, ig); problems != nil {
			t.Fatalf("accepted %s %q %q leaves an invalid integration: %v", op, path, value, problems)
		}
	})
}

// TestPutIntegrationStageVariableURI: a stage variable may stand for the host of an HTTP
// integration's URI, as on AWS (http://${stageVariables.host}/path).
func TestPutIntegrationStageVariableURI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, rootID := newAPI(t, e)
	mustMethod(t, e, apiID, rootID, "GET", nil)
	for _, uri := range []string{
		"http://${stageVariables.host}/pets",
		"https://${stageVariables.sub}.example.com:${stageVariables.port}/${stageVariables.ver}/pets",
	} {
		out, err := e.client.PutIntegration(ctx(t), &apigateway.PutIntegrationInput{RestApiId: aws.String(apiID), ResourceId: aws.String(rootID), HttpMethod: aws.String("GET"),
			Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("GET"), Uri: aws.String(uri)})
		if err != nil || aws.ToString(out.Uri) != uri {
			t.Errorf("PutIntegration(uri %s) = %v, %v; want it stored as is", uri, out, err)
		}
	}
}

// The SDK reads the per-type shapes AWS answers: a MOCK integration without the uri and
// method it was given, AWS_PROXY without a connectionType, an empty response template as
// null (read back as ""), a given selectionPattern "" and none when none was given.
func TestIntegrationShapesPerType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client
	apiID, rootID := newAPI(t, e)
	m, err := c.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("none")})
	if err != nil || *m.AuthorizationType != "NONE" {
		t.Fatalf("PutMethod authorizationType none = %v, %v; want NONE", m, err)
	}
	mock, err := c.PutIntegration(ctx(t), &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"),
		Type: types.IntegrationTypeMock, Uri: aws.String("http://example.com"), IntegrationHttpMethod: aws.String("POST")})
	if err != nil || mock.Uri != nil || mock.HttpMethod != nil || mock.ConnectionType != "" {
		t.Errorf("PutIntegration MOCK = uri %v, httpMethod %v, connectionType %q, %v; want none of them", mock.Uri, mock.HttpMethod, mock.ConnectionType, err)
	}
	proxy, err := c.PutIntegration(ctx(t), &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"),
		Type: types.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"),
		Uri: aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations")})
	if err != nil || proxy.ConnectionType != "" || *proxy.HttpMethod != "POST" {
		t.Errorf("PutIntegration AWS_PROXY = connectionType %q, %v; want none", proxy.ConnectionType, err)
	}
	ir, err := c.PutIntegrationResponse(ctx(t), &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
		SelectionPattern: aws.String(""), ResponseTemplates: map[string]string{"application/json": ""}})
	if err != nil || ir.SelectionPattern == nil || *ir.SelectionPattern != "" {
		t.Fatalf("PutIntegrationResponse = %+v, %v; want selectionPattern \"\"", ir, err)
	}
	if v, ok := ir.ResponseTemplates["application/json"]; !ok || v != "" {
		t.Errorf("PutIntegrationResponse templates = %v; want application/json read back empty", ir.ResponseTemplates)
	}
	// An absent pattern is the default too, so on another method.
	mustMethod(t, e, apiID, rootID, "POST", nil)
	if _, err := c.PutIntegration(ctx(t), &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("POST"), Type: types.IntegrationTypeMock}); err != nil {
		t.Fatal(err)
	}
	other, err := c.PutIntegrationResponse(ctx(t), &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("POST"), StatusCode: aws.String("200"),
		ContentHandling: types.ContentHandlingStrategyConvertToText})
	if err != nil {
		t.Fatal(err)
	}
	if other.SelectionPattern != nil {
		t.Errorf("PutIntegrationResponse without pattern = %q; want no selectionPattern", *other.SelectionPattern)
	}
	// The state survives the store: GetMethod reads it back the same.
	for verb, want := range map[string]*string{"GET": aws.String(""), "POST": nil} {
		got, err := c.GetMethod(ctx(t), &apigateway.GetMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String(verb)})
		if err != nil {
			t.Fatal(err)
		}
		sp := got.MethodIntegration.IntegrationResponses["200"].SelectionPattern
		if (sp == nil) != (want == nil) || (sp != nil && *sp != *want) {
			t.Errorf("GetMethod %s selectionPattern = %v; want %v", verb, aws.ToString(sp), aws.ToString(want))
		}
	}
}
