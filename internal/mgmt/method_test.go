package mgmt

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// mustMethod puts a NONE method and returns nothing; it fails the test on error.
func mustMethod(t *testing.T, e *env, apiID, resourceID, verb string, params map[string]bool) {
	t.Helper()
	_, err := e.client.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: &resourceID, HttpMethod: &verb, AuthorizationType: aws.String("NONE"), RequestParameters: params})
	if err != nil {
		t.Fatalf("PutMethod(%s): %v", verb, err)
	}
}

func TestMethodLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client
	apiID, rootID := newAPI(t, e)

	// The wire shape of a bare method: apiKeyRequired present though false, nothing else
	// (localstack test_method_lifecycle "put-base-method-response").
	status, _, body := raw(t, e, http.MethodPut, "/restapis/"+apiID+"/resources/"+rootID+"/methods/ANY", `{"authorizationType":"NONE"}`)
	if status != http.StatusCreated || len(body) != 3 || body["httpMethod"] != "ANY" || body["authorizationType"] != "NONE" || body["apiKeyRequired"] != false {
		t.Errorf("PutMethod = %d %v; want 201 {apiKeyRequired:false, authorizationType:NONE, httpMethod:ANY}", status, body)
	}

	put, err := c.PutMethod(ctx(t), &apigateway.PutMethodInput{
		RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"),
		AuthorizationType: aws.String("AWS_IAM"), AuthorizerId: aws.String("ignored"), ApiKeyRequired: true, OperationName: aws.String("ListPets"),
		RequestParameters: map[string]bool{"method.request.querystring.q": true, "method.request.header.h": false},
		RequestModels:     map[string]string{"application/json": "Empty"},
	})
	if err != nil {
		t.Fatalf("PutMethod: %v", err)
	}
	if put.AuthorizerId != nil || !*put.ApiKeyRequired || *put.OperationName != "ListPets" || !put.RequestParameters["method.request.querystring.q"] || put.RequestModels["application/json"] != "Empty" {
		t.Errorf("PutMethod = %+v", put)
	}

	_, err = c.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")})
	if code, msg := apiErr(t, err); code != "ConflictException" || msg != "Method already exists for this resource" {
		t.Errorf("PutMethod again = %s %q", code, msg)
	}

	authID := tokenAuthorizer(t, e, apiID)
	upd, err := c.UpdateMethod(ctx(t), &apigateway.UpdateMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), PatchOperations: []types.PatchOperation{
		{Op: types.OpAdd, Path: aws.String("/requestParameters/method.request.querystring.optional"), Value: aws.String("true")},
		{Op: types.OpReplace, Path: aws.String("/requestParameters/method.request.querystring.q"), Value: aws.String("false")},
		{Op: types.OpRemove, Path: aws.String("/requestParameters/method.request.header.h")},
		{Op: types.OpRemove, Path: aws.String("/requestModels/application~1json")},
		{Op: types.OpReplace, Path: aws.String("/apiKeyRequired"), Value: aws.String("whatever")},
		{Op: types.OpReplace, Path: aws.String("/operationName"), Value: aws.String("Renamed")},
		{Op: types.OpReplace, Path: aws.String("/authorizationType"), Value: aws.String("CUSTOM")},
		{Op: types.OpReplace, Path: aws.String("/authorizerId"), Value: aws.String(authID)},
	}})
	if err != nil {
		t.Fatalf("UpdateMethod: %v", err)
	}
	wantParams := map[string]bool{"method.request.querystring.optional": true, "method.request.querystring.q": false}
	if len(upd.RequestParameters) != 2 || upd.RequestParameters["method.request.querystring.optional"] != wantParams["method.request.querystring.optional"] || upd.RequestParameters["method.request.querystring.q"] {
		t.Errorf("UpdateMethod requestParameters = %v; want %v", upd.RequestParameters, wantParams)
	}
	if upd.RequestModels != nil || *upd.ApiKeyRequired || *upd.OperationName != "Renamed" || *upd.AuthorizationType != "CUSTOM" || *upd.AuthorizerId != authID {
		t.Errorf("UpdateMethod = models %v key %v op %q auth %q/%v", upd.RequestModels, *upd.ApiKeyRequired, *upd.OperationName, *upd.AuthorizationType, upd.AuthorizerId)
	}

	got, err := c.GetMethod(ctx(t), &apigateway.GetMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET")})
	if err != nil || *got.OperationName != "Renamed" {
		t.Fatalf("GetMethod = %+v, %v", got, err)
	}

	status, _, body = raw(t, e, http.MethodDelete, "/restapis/"+apiID+"/resources/"+rootID+"/methods/GET", "")
	if status != http.StatusNoContent || body != nil {
		t.Errorf("DeleteMethod = %d %v; want 204 and no body", status, body)
	}
	_, err = c.GetMethod(ctx(t), &apigateway.GetMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid Method identifier specified" {
		t.Errorf("GetMethod(deleted) = %s %q", code, msg)
	}
	_, err = c.DeleteMethod(ctx(t), &apigateway.DeleteMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid Method identifier specified" {
		t.Errorf("DeleteMethod(deleted) = %s %q", code, msg)
	}
}

func TestPutMethodErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, rootID := newAPI(t, e)
	tests := []struct {
		name, api, resource, verb, auth string
		params                          map[string]bool
		models                          map[string]string
		code, msg                       string
	}{
		{name: "unknown api", api: "nope000000", resource: rootID, verb: "WRONG", auth: "NONE", code: "NotFoundException", msg: "Invalid Resource identifier specified"},
		{name: "unknown resource", api: apiID, resource: "nope00", verb: "WRONG", auth: "NONE", code: "NotFoundException", msg: "Invalid Resource identifier specified"},
		{name: "verb", api: apiID, resource: rootID, verb: "WRONG", auth: "NONE", code: "BadRequestException", msg: "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"},
		{name: "custom without authorizer", api: apiID, resource: rootID, verb: "ANY", auth: "CUSTOM", code: "BadRequestException",
			msg: "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."},
		{name: "model", api: apiID, resource: rootID, verb: "ANY", auth: "NONE", models: map[string]string{"application/json": "petModel"}, code: "BadRequestException", msg: "Invalid model identifier specified: petModel"},
		{name: "parameter names", api: apiID, resource: rootID, verb: "ANY", auth: "NONE", params: map[string]bool{"method.request.querystring.x": true, "method.request.header.x": false},
			code: "BadRequestException", msg: "Parameter names must be unique across querystring, header and path"},
		{name: "every problem listed", api: apiID, resource: rootID, verb: "ANY", auth: "CUSTOM",
			params: map[string]bool{"true": true, "method.request.cookie.c": true}, models: map[string]string{"application/json": "Nope"},
			code: "BadRequestException",
			msg: "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer. " +
				"Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: method.request.cookie.c, Invalid mapping expression specified: true] " +
				"Invalid model identifier specified: Nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.client.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: aws.String(tt.api), ResourceId: aws.String(tt.resource), HttpMethod: aws.String(tt.verb),
				AuthorizationType: aws.String(tt.auth), RequestParameters: tt.params, RequestModels: tt.models})
			if code, msg := apiErr(t, err); code != tt.code || msg != tt.msg {
				t.Errorf("PutMethod = %s %q; want %s %q", code, msg, tt.code, tt.msg)
			}
		})
	}
	t.Run("authorizationType required", func(t *testing.T) {
		t.Parallel()
		status, typ, body := raw(t, e, http.MethodPut, "/restapis/"+apiID+"/resources/"+rootID+"/methods/GET", `{}`)
		if status != http.StatusBadRequest || typ != "ValidationException" || body["message"] != "1 validation error detected: Value null at 'putMethodInput.authorizationType' failed to satisfy constraint: Member must not be null" {
			t.Errorf("PutMethod without authorizationType = %d %s %v", status, typ, body)
		}
	})
}

func TestUpdateMethodErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, rootID := newAPI(t, e)
	mustMethod(t, e, apiID, rootID, "ANY", map[string]bool{"method.request.querystring.q": true})
	op := func(o types.Op, path, v string) types.PatchOperation {
		return types.PatchOperation{Op: o, Path: aws.String(path), Value: aws.String(v)}
	}
	tests := []struct {
		name, verb string
		ops        []types.PatchOperation
		code, msg  string
	}{
		{"missing method", "GET", []types.PatchOperation{op(types.OpReplace, "/operationName", "x")}, "NotFoundException", "Invalid Method identifier specified"},
		{"add scalar", "ANY", []types.PatchOperation{op(types.OpAdd, "/operationName", "x")}, "BadRequestException", "Invalid patch operation specified. Must be one of: [replace]"},
		{"http method", "ANY", []types.PatchOperation{op(types.OpAdd, "/httpMethod", "PUT")}, "BadRequestException", "Invalid patch path /httpMethod"},
		{"whole map", "ANY", []types.PatchOperation{op(types.OpReplace, "/requestParameters", "x")}, "BadRequestException", "Invalid patch path /requestParameters"},
		{"unescaped content type", "ANY", []types.PatchOperation{op(types.OpAdd, "/requestModels/application/json", "Empty")}, "BadRequestException", "Invalid patch path /requestModels/application/json"},
		{"custom without authorizer", "ANY", []types.PatchOperation{op(types.OpReplace, "/authorizationType", "CUSTOM")}, "BadRequestException",
			"Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."},
		{"replace absent parameter", "ANY", []types.PatchOperation{op(types.OpReplace, "/requestParameters/method.request.header.nope", "true")}, "NotFoundException", "Invalid parameter name specified"},
		{"remove absent model", "ANY", []types.PatchOperation{op(types.OpRemove, "/requestModels/application~1json", "")}, "NotFoundException", "Content-Type specified was not found"},
		{"bad parameter name", "ANY", []types.PatchOperation{op(types.OpAdd, "/requestParameters/method.request.body.x", "true")}, "BadRequestException",
			"Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: method.request.body.x]"},
		{"two problems", "ANY", []types.PatchOperation{op(types.OpAdd, "/operationName", "x"), op(types.OpAdd, "/nope", "x")}, "BadRequestException",
			"Invalid patch operation specified. Must be one of: [replace] Invalid patch path /nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.client.UpdateMethod(ctx(t), &apigateway.UpdateMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String(tt.verb), PatchOperations: tt.ops})
			if code, msg := apiErr(t, err); code != tt.code || msg != tt.msg {
				t.Errorf("UpdateMethod = %s %q; want %s %q", code, msg, tt.code, tt.msg)
			}
		})
	}
	// The NONE method with authorizerId: AWS drops the id (test_update_method_validation
	// "skip-auth-id-with-wrong-type").
	t.Run("authorizer id without custom type", func(t *testing.T) {
		t.Parallel()
		status, _, body := raw(t, e, http.MethodPatch, "/restapis/"+apiID+"/resources/"+rootID+"/methods/ANY",
			`{"patchOperations":[{"op":"replace","path":"/authorizerId","value":"abc123"}]}`)
		if _, has := body["authorizerId"]; status != http.StatusOK || has {
			t.Errorf("UpdateMethod authorizerId on NONE = %d %v; want 200 without authorizerId", status, body)
		}
	})
}

func TestMethodResponseLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client
	apiID, rootID := newAPI(t, e)
	mustMethod(t, e, apiID, rootID, "GET", nil)
	base := "/restapis/" + apiID + "/resources/" + rootID + "/methods/GET/responses/"

	// Empty maps given are echoed (test_lifecycle_method_response "put-method-response").
	status, _, body := raw(t, e, http.MethodPut, base+"200", `{"responseParameters":{},"responseModels":{}}`)
	if status != http.StatusCreated || len(body) != 3 || body["statusCode"] != "200" || body["responseParameters"] == nil || body["responseModels"] == nil {
		t.Errorf("PutMethodResponse = %d %v; want 201 with empty maps", status, body)
	}
	_, err := c.PutMethodResponse(ctx(t), &apigateway.PutMethodResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})
	if code, _ := apiErr(t, err); code != "ConflictException" {
		t.Errorf("PutMethodResponse again = %s; want ConflictException", code)
	}

	// UpdateMethodResponse answers 201, as the service model says.
	status, _, body = raw(t, e, http.MethodPatch, base+"200", `{"patchOperations":[
		{"op":"add","path":"/responseParameters/method.response.header.my-header","value":"true"},
		{"op":"add","path":"/responseModels/application~1json","value":"Empty"}]}`)
	if status != http.StatusCreated || body["responseParameters"].(map[string]any)["method.response.header.my-header"] != true || body["responseModels"].(map[string]any)["application/json"] != "Empty" {
		t.Errorf("UpdateMethodResponse add = %d %v", status, body)
	}
	// Removing the last entries drops the maps (test_update_method_response "remove-update-method-response").
	upd, err := c.UpdateMethodResponse(ctx(t), &apigateway.UpdateMethodResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpRemove, Path: aws.String("/responseParameters/method.response.header.my-header")},
			{Op: types.OpRemove, Path: aws.String("/responseModels/application~1json")},
		}})
	if err != nil || upd.ResponseParameters != nil || upd.ResponseModels != nil {
		t.Errorf("UpdateMethodResponse remove = %+v, %v", upd, err)
	}

	m, err := c.GetMethod(ctx(t), &apigateway.GetMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET")})
	if err != nil || m.MethodResponses["200"].StatusCode == nil || *m.MethodResponses["200"].StatusCode != "200" {
		t.Errorf("GetMethod methodResponses = %+v, %v", m.MethodResponses, err)
	}

	errTests := []struct {
		name, method, path, body string
		status                   int
		typ, msg                 string
	}{
		{"get missing", http.MethodGet, base + "404", "", 404, "NotFoundException", "Invalid Response status code specified"},
		{"get invalid code", http.MethodGet, base + "wrong", "", 400, "ValidationException",
			"1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"},
		{"update op and code", http.MethodPatch, base + "wrong", `{"patchOperations":[{"op":"wrong_op","path":"/responseParameters/x"}]}`, 400, "ValidationException",
			"2 validation errors detected: Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]; " +
				"Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"},
		{"update absent parameter", http.MethodPatch, base + "200", `{"patchOperations":[{"op":"remove","path":"/responseParameters/method.response.header.my-header"}]}`, 404, "NotFoundException", "Invalid parameter name specified"},
		{"update absent model", http.MethodPatch, base + "200", `{"patchOperations":[{"op":"replace","path":"/responseModels/wrong","value":"Empty"}]}`, 404, "NotFoundException", "Content-Type specified was not found"},
		{"update wrong path", http.MethodPatch, base + "200", `{"patchOperations":[{"op":"remove","path":"/wrong/method.response.header.my-header"}]}`, 400, "BadRequestException", "Invalid patch path /wrong/method.response.header.my-header"},
		{"put bad header key", http.MethodPut, base + "201", `{"responseParameters":{"method.response.body":true}}`, 400, "BadRequestException",
			"Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: method.response.body]"},
		{"wrong method", http.MethodPatch, "/restapis/" + apiID + "/resources/" + rootID + "/methods/POST/responses/200", `{"patchOperations":[]}`, 404, "NotFoundException", "Invalid Method identifier specified"},
	}
	for _, tt := range errTests {
		status, typ, body := raw(t, e, tt.method, tt.path, tt.body)
		if status != tt.status || typ != tt.typ || body["message"] != tt.msg {
			t.Errorf("%s = %d %s %q; want %d %s %q", tt.name, status, typ, body["message"], tt.status, tt.typ, tt.msg)
		}
	}

	status, _, _ = raw(t, e, http.MethodDelete, base+"200", "")
	if status != http.StatusNoContent {
		t.Errorf("DeleteMethodResponse status = %d; want 204", status)
	}
	_, err = c.GetMethodResponse(ctx(t), &apigateway.GetMethodResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid Response status code specified" {
		t.Errorf("GetMethodResponse(deleted) = %s %q", code, msg)
	}
}

// TestPatchMethodScopes: a Cognito method's scopes are added and removed both as Terraform's
// aws_api_gateway_method patches them ({"path": "/authorizationScopes", "value": scope})
// and with the scope in the path; an add or remove naming no scope is refused.
func TestPatchMethodScopes(t *testing.T) {
	t.Parallel()
	doc := &model.RestAPIDocument{Authorizers: map[string]*model.Authorizer{
		"pool": {ID: "pool", Name: "pool", Type: model.AuthorizerCognitoUserPools, ProviderARNs: []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_x"}},
	}}
	m := &model.Method{HTTPMethod: "GET", AuthorizationType: model.AuthorizationCognitoUserPools, AuthorizerID: "pool", AuthorizationScopes: []string{"old"}}
	op := func(op, path, value string) awsjson.PatchOperation {
		return awsjson.PatchOperation{Op: op, Path: path, Value: &value}
	}
	if err := patchMethod(doc, m, []awsjson.PatchOperation{
		op("add", "/authorizationScopes", "pets/read"), op("add", "/authorizationScopes/pets~1write", ""),
		op("remove", "/authorizationScopes", "old"),
	}); err != nil {
		t.Fatalf("patchMethod = %v; want the scopes changed", err)
	}
	if want := []string{"pets/read", "pets/write"}; !slices.Equal(m.AuthorizationScopes, want) {
		t.Errorf("scopes = %v; want %v", m.AuthorizationScopes, want)
	}
	if err := patchMethod(doc, m, []awsjson.PatchOperation{op("add", "/authorizationScopes", "")}); err == nil || !strings.Contains(err.Error(), "Invalid patch path /authorizationScopes") {
		t.Errorf("add /authorizationScopes without a scope = %v; want Invalid patch path", err)
	}
}

// FuzzPatchMethod throws arbitrary patch operations at UpdateMethod's patcher: it must not
// panic, and whatever it accepts must leave a method that validates (keys of AWS's form,
// a known authorization type).
func FuzzPatchMethod(f *testing.F) {
	f.Add("add", "/requestParameters/method.request.querystring.q", "true")
	f.Add("remove", "/requestModels/application~1json", "")
	f.Add("replace", "/authorizationType", "CUSTOM")
	f.Add("replace", "/requestParameters", "x")
	f.Add("add", "/authorizationScopes/s", "")
	f.Add("replace", "/", "")
	f.Add("add", "~1/~0", "x")
	f.Fuzz(func(t *testing.T, op, path, value string) {
		doc := &model.RestAPIDocument{}
		m := &model.Method{HTTPMethod: "GET", AuthorizationType: "NONE", RequestParameters: map[string]bool{"method.request.header.h": true}, RequestModels: map[string]string{"application/json": "Empty"}}
		err := patchMethod(doc, m, []awsjson.PatchOperation{{Op: op, Path: path, Value: &value}})
		if err != nil {
			return
		}
		if problems := checkMethodRequestParams(m.RequestParameters); problems != nil {
			t.Fatalf("accepted %s %q %q leaves invalid parameters: %v", op, path, value, problems)
		}
		if problems := checkAuthorization(doc, m); problems != nil {
			t.Fatalf("accepted %s %q %q leaves invalid authorization: %v", op, path, value, problems)
		}
		if problems := checkModels(doc, m.RequestModels); problems != nil {
			t.Fatalf("accepted %s %q %q leaves unknown models: %v", op, path, value, problems)
		}
	})
}
