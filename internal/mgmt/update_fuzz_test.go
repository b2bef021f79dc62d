package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Fuzz targets of the Update* operations through their PATCH routes, with the harness of
// update_fuzz_harness_test.go. Seeds are the paths each handler's switch takes, valid and
// not, and the recorded error cases named in the handlers' comments; $PET, $VALIDATOR...
// stand for the fixture's ids.

func apiPath(fx *fuzzFixture) string { return "/restapis/" + fx.apiID }

func petMethodPath(fx *fuzzFixture) string {
	return apiPath(fx) + "/resources/" + fx.petID + "/methods/GET"
}

// updateTargets are the operations under fuzz, by name, each at the fixture resource it
// patches and reads back.
var updateTargets = map[string]updateTarget{
	"RestAPI":  {path: apiPath, wantStatus: 200},
	"Resource": {path: func(fx *fuzzFixture) string { return apiPath(fx) + "/resources/" + fx.petsID }, wantStatus: 200},
	"Method":   {path: petMethodPath, wantStatus: 200},
	// AWS answers UpdateMethodResponse with 201.
	"MethodResponse":       {path: func(fx *fuzzFixture) string { return petMethodPath(fx) + "/responses/200" }, wantStatus: 201},
	"Integration":          {path: func(fx *fuzzFixture) string { return petMethodPath(fx) + "/integration" }, wantStatus: 200},
	"IntegrationResponse":  {path: func(fx *fuzzFixture) string { return petMethodPath(fx) + "/integration/responses/200" }, wantStatus: 200},
	"GatewayResponse":      {path: func(fx *fuzzFixture) string { return apiPath(fx) + "/gatewayresponses/BAD_REQUEST_BODY" }, wantStatus: 200},
	"Deployment":           {path: func(fx *fuzzFixture) string { return apiPath(fx) + "/deployments/" + fx.deploymentID }, wantStatus: 200, check: checkSnapshotKept},
	"Model":                {path: func(fx *fuzzFixture) string { return apiPath(fx) + "/models/Pet" }, wantStatus: 200},
	"RequestValidator":     {path: func(fx *fuzzFixture) string { return apiPath(fx) + "/requestvalidators/" + fx.validatorID }, wantStatus: 200},
	"Account":              {path: func(*fuzzFixture) string { return "/account" }, wantStatus: 200},
	"Stage":                {path: func(fx *fuzzFixture) string { return apiPath(fx) + "/stages/prod" }, wantStatus: 200},
	"DocumentationPart":    {path: func(fx *fuzzFixture) string { return apiPath(fx) + "/documentation/parts/" + fx.docPartID }, wantStatus: 200},
	"DocumentationVersion": {path: func(fx *fuzzFixture) string { return apiPath(fx) + "/documentation/versions/v1" }, wantStatus: 200},
}

// FuzzUpdateRestAPI: PATCH /restapis/{restapi_id}.
func FuzzUpdateRestAPI(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/name", "renamed"},
		[]string{"replace", "/name", ""},
		[]string{"replace", "/description", "d"},
		[]string{"replace", "/apiKeySource", "AUTHORIZER"},
		[]string{"replace", "/minimumCompressionSize", "1024"},
		[]string{"replace", "/minimumCompressionSize", "10485761"},
		[]string{"replace", "/disableExecuteApiEndpoint", "true"},
		[]string{"add", "/binaryMediaTypes/image~1jpeg", nullValue},
		[]string{"remove", "/binaryMediaTypes/image~1png", nullValue},
		[]string{"replace", "/binaryMediaTypes/image~1png", "*/*"},
		[]string{"replace", "/endpointConfiguration/types/0", "REGIONAL"},
		[]string{"replace", "/endpointConfiguration/ipAddressType", "dualstack"},
		[]string{"replace", "/policy", `{"Version":"2012-10-17"}`},
		[]string{"move", "/name", nullValue, "/description"},
		[]string{},
	)
	fuzzUpdate(f, updateTargets["RestAPI"])
}

// FuzzUpdateResource: PATCH /restapis/{restapi_id}/resources/{resource_id}, on /pets (which
// has a child, /pets/{petId}).
func FuzzUpdateResource(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/pathPart", "dogs"},
		[]string{"replace", "/pathPart", "{proxy+}"},
		[]string{"replace", "/pathPart", "{id}"},
		[]string{"replace", "/pathPart", "a b"},
		[]string{"replace", "/pathPart", ""},
		[]string{"replace", "/parentId", "$ROOT"},
		[]string{"replace", "/parentId", "$PET"},
		[]string{"replace", "/parentId", "$PETS"},
		[]string{"replace", "/parentId", "nosuch"},
		[]string{"remove", "/pathPart", nullValue},
		[]string{"add", "/pathPart", "x"},
		[]string{"replace", "/path", "/x"},
		[]string{"replace", "/pathPart", "cats", "replace", "/pathPart", "pets"},
		[]string{"replace", "/pathPart", "{proxy+}", "replace", "/parentId", "$ROOT"},
	)
	fuzzUpdate(f, updateTargets["Resource"])
}

// FuzzUpdateMethod: PATCH .../resources/{resource_id}/methods/{http_method}, on GET
// /pets/{petId} (request parameters mapped by its integration, a model, a validator).
func FuzzUpdateMethod(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/authorizationType", "CUSTOM"},
		[]string{"replace", "/authorizationType", "CUSTOM", "replace", "/authorizerId", "abc"},
		[]string{"replace", "/authorizationType", "nope"},
		[]string{"replace", "/apiKeyRequired", "whatever"},
		[]string{"replace", "/operationName", "GetPet"},
		[]string{"replace", "/requestValidatorId", ""},
		[]string{"replace", "/requestValidatorId", "nosuch"},
		[]string{"add", "/requestParameters/method.request.header.new", "true"},
		[]string{"remove", "/requestParameters/method.request.path.petId", nullValue},
		[]string{"remove", "/requestParameters/method.request.header.h", nullValue},
		[]string{"replace", "/requestParameters/method.request.querystring.q", "true"},
		[]string{"add", "/requestParameters/method.request.header.petId", "true"},
		[]string{"add", "/requestModels/application~1xml", "Pets"},
		[]string{"add", "/requestModels/application/json", "Pet"},
		[]string{"replace", "/requestModels/application~1json", "Nope"},
		[]string{"remove", "/requestModels/application~1json", nullValue},
		[]string{"add", "/authorizationScopes/s", nullValue},
		[]string{"remove", "/authorizationScopes", "s"},
		[]string{"replace", "/httpMethod", "POST"},
		[]string{"add", "~1/~0", "x"},
	)
	fuzzUpdate(f, updateTargets["Method"])
}

// FuzzUpdateMethodResponse: PATCH .../methods/{http_method}/responses/{status_code}, on the
// 200 whose header the integration response maps. AWS answers 201.
func FuzzUpdateMethodResponse(f *testing.F) {
	addPatchSeeds(f,
		[]string{"add", "/responseParameters/method.response.header.y", "true"},
		[]string{"replace", "/responseParameters/method.response.header.x-id", "true"},
		[]string{"remove", "/responseParameters/method.response.header.x-id", nullValue},
		[]string{"add", "/responseParameters/integration.response.header.y", "true"},
		[]string{"replace", "/responseModels/application~1json", "Error"},
		[]string{"add", "/responseModels/text~1plain", "Nope"},
		[]string{"remove", "/responseModels/application~1json", nullValue},
		[]string{"remove", "/responseModels/text~1plain", nullValue},
		[]string{"replace", "/statusCode", "201"},
		[]string{"move", "/responseModels/application~1json", nullValue, "/responseModels/text~1plain"},
		[]string{"wrong", "/responseModels/application~1json", "Empty"},
	)
	fuzzUpdate(f, updateTargets["MethodResponse"])
}

// FuzzUpdateIntegration: PATCH .../methods/{http_method}/integration, on the HTTP
// integration of GET /pets/{petId}.
func FuzzUpdateIntegration(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/uri", "https://other.example/{id}"},
		[]string{"replace", "/uri", "not a url"},
		[]string{"replace", "/uri", "http://x.example/{}"},
		[]string{"replace", "/uri", "http://x.example/{id"},
		[]string{"replace", "/uri", "http://x.example/{id+}/{+}"},
		[]string{"replace", "/uri", "http://x.example:99999/"},
		[]string{"replace", "/uri", "http://user@x.example/"},
		[]string{"replace", "/uri", "http://x.example?a={id}#f"},
		[]string{"replace", "/uri", "http://${stageVariables.host}:${stageVariables.port}/"},
		[]string{"replace", "/uri", "http://${stageVariables.a-b}/"},
		[]string{"replace", "/httpMethod", "ANY"},
		[]string{"replace", "/httpMethod", "POST"},
		[]string{"replace", "/httpMethod", ""},
		[]string{"replace", "/type", "MOCK"},
		[]string{"replace", "/timeoutInMillis", "50"},
		[]string{"replace", "/timeoutInMillis", "29001"},
		[]string{"replace", "/timeoutInMillis", "x"},
		[]string{"replace", "/passthroughBehavior", "NEVER"},
		[]string{"replace", "/passthroughBehavior", "SOMETIMES"},
		[]string{"replace", "/contentHandling", "CONVERT_TO_TEXT"},
		[]string{"replace", "/connectionType", "VPC_LINK"},
		[]string{"replace", "/connectionId", "abc"},
		[]string{"replace", "/credentials", "arn:aws:iam::123456789012:role/x"},
		[]string{"replace", "/cacheNamespace", "ns"},
		[]string{"replace", "/responseTransferMode", "STREAM"},
		[]string{"replace", "/tlsConfig/insecureSkipVerification", "true"},
		[]string{"add", "/requestParameters/integration.request.header.x", "method.request.querystring.q"},
		[]string{"add", "/requestParameters/integration.request.header.y", "method.request.header.undeclared"},
		[]string{"replace", "/requestParameters/integration.request.path.id", "'1'"},
		[]string{"remove", "/requestParameters/integration.request.path.id", nullValue},
		[]string{"add", "/requestTemplates/application~1xml", "#if("},
		[]string{"add", "/requestTemplates/text~1plain", "$input.body"},
		[]string{"remove", "/requestTemplates/application~1json", nullValue},
		[]string{"add", "/cacheKeyParameters/method.request.path.petId", nullValue},
		[]string{"remove", "/cacheKeyParameters/x", nullValue},
		[]string{"add", "/uri", "http://x.example"},
	)
	fuzzUpdate(f, updateTargets["Integration"])
}

// FuzzUpdateIntegrationResponse: PATCH .../integration/responses/{status_code}, on the 200
// (default pattern, a header mapping, a template).
func FuzzUpdateIntegrationResponse(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/selectionPattern", "2\\d{2}"},
		[]string{"replace", "/selectionPattern", "404"},
		[]string{"replace", "/selectionPattern", "(?=x)"},
		[]string{"replace", "/contentHandling", "CONVERT_TO_BINARY"},
		[]string{"replace", "/contentHandling", "nope"},
		[]string{"add", "/selectionPattern", "x"},
		[]string{"replace", "/responseParameters/method.response.header.x-id", "'v'"},
		[]string{"add", "/responseParameters/method.response.header.undeclared", "'v'"},
		[]string{"add", "/responseParameters/method.response.header.x-id", "integration.response.body.id"},
		[]string{"replace", "/responseParameters/method.response.header.x-id", "bogus"},
		[]string{"remove", "/responseParameters/method.response.header.x-id", nullValue},
		[]string{"add", "/responseTemplates/application~1xml", "$input.body"},
		[]string{"add", "/responseTemplates/application~1xml", "#foreach("},
		[]string{"add", "/responseTemplates/nocontenttype", "x"},
		[]string{"remove", "/responseTemplates/application~1json", nullValue},
		[]string{"replace", "/statusCode", "201"},
	)
	fuzzUpdate(f, updateTargets["IntegrationResponse"])
}

// FuzzUpdateGatewayResponse: PATCH /restapis/{restapi_id}/gatewayresponses/{response_type},
// on BAD_REQUEST_BODY, not customized, so that the update starts from what it inherits
// from the customized DEFAULT_4XX.
func FuzzUpdateGatewayResponse(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/statusCode", "422"},
		[]string{"replace", "/statusCode", "99"},
		[]string{"add", "/statusCode", "422"},
		[]string{"add", "/responseParameters/gatewayresponse.header.a", "'x'"},
		[]string{"add", "/responseParameters/gatewayresponse.header.b", "method.request.header.h"},
		[]string{"add", "/responseParameters/gatewayresponse.header.c", "stageVariables.host"},
		[]string{"add", "/responseParameters/gatewayresponse.header.d", "context.requestId"},
		[]string{"add", "/responseParameters/gatewayresponse.header.e", "bogus"},
		[]string{"add", "/responseParameters/gatewayresponse.path.p", "'x'"},
		[]string{"add", "/responseParameters/gatewayresponse.querystring.q", "'x'"},
		[]string{"add", "/responseParameters/gatewayresponse.header.m", "method.request.multivalueheader.h"},
		[]string{"add", "/responseParameters/gatewayresponse.header.n", "method.request.multivaluequerystring.q"},
		[]string{"add", "/responseParameters/gatewayresponse.header.bad:name", "'x'"},
		[]string{"add", "/responseParameters/gatewayresponse.header.f", ""},
		[]string{"add", "/responseParameters/gatewayresponse.header.g", nullValue},
		[]string{"replace", "/responseParameters/gatewayresponse.header.x-gw", "'other'"},
		[]string{"replace", "/responseParameters/gatewayresponse.header.nope", "'other'"},
		[]string{"remove", "/responseParameters/gatewayresponse.header.x-gw", nullValue},
		[]string{"add", "/responseTemplates/application~1xml", "<error>$context.error.messageString</error>"},
		[]string{"replace", "/responseTemplates/text~1plain", "x"},
		[]string{"add", "/responseTemplates/nocontenttype", "x"},
		[]string{"remove", "/responseTemplates/application~1json", nullValue},
		[]string{"remove", "/responseTemplates/text~1plain", nullValue},
		[]string{"replace", "/x", "y"},
		[]string{"replace", "", "y"},
		[]string{"wrong", "/statusCode", "400"},
	)
	fuzzUpdate(f, updateTargets["GatewayResponse"])
}

// FuzzUpdateDeployment: PATCH /restapis/{restapi_id}/deployments/{deployment_id}; the
// snapshot must never change.
func FuzzUpdateDeployment(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/description", "second"},
		[]string{"replace", "/description", ""},
		[]string{"add", "/description", "x"},
		[]string{"remove", "/description", nullValue},
		[]string{"replace", "/snapshot", "{}"},
		[]string{"replace", "/id", "abc"},
		[]string{"replace", "/description", "a", "replace", "/description", "b"},
	)
	fuzzUpdate(f, updateTargets["Deployment"])
}

// checkSnapshotKept fails when the fixture's deployment snapshot changed.
func checkSnapshotKept(t *testing.T, fx *fuzzFixture, st store.Store, _ []byte) {
	t.Helper()
	key := fuzzScope.DeploymentKey(fx.apiID, fx.deploymentID)
	var was, now apigateway.DeploymentDocument
	for _, kv := range fx.kvs {
		if kv.Key == key {
			if err := json.Unmarshal(kv.Value, &was); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := store.GetJSON(context.Background(), st, key, &now); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(was.Snapshot)
	b, _ := json.Marshal(now.Snapshot)
	if !bytes.Equal(a, b) || now.ID != was.ID || now.CreatedDate != was.CreatedDate {
		t.Fatalf("UpdateDeployment changed the deployment beyond its description:\nwas %s\nnow %s", a, b)
	}
}

// FuzzUpdateModel: PATCH /restapis/{restapi_id}/models/{model_name}, on Pet, which the
// method request and response use and the Pets model references.
func FuzzUpdateModel(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/schema", `{"type":"object","properties":{"id":{"type":"integer"}}}`},
		[]string{"replace", "/schema", `{"type":"array","items":{"$ref":"https://apigateway.amazonaws.com/restapis/$API/models/Pets"}}`},
		[]string{"replace", "/schema", `{"$ref":"https://apigateway.amazonaws.com/restapis/$API/models/Pet"}`},
		[]string{"replace", "/schema", `{"$ref":"#/definitions/a","definitions":{"a":{"type":"string"}}}`},
		[]string{"replace", "/schema", `{"$ref":"https://example.com/x"}`},
		[]string{"replace", "/schema", `{"type":"nope"}`},
		[]string{"replace", "/schema", `{"pattern":"(?=x)"}`},
		[]string{"replace", "/schema", `{"type":"string","format":"email"}`},
		[]string{"replace", "/schema", `{`},
		[]string{"replace", "/schema", ``},
		[]string{"replace", "/description", "a pet"},
		[]string{"replace", "/name", "Dog"},
		[]string{"replace", "/contentType", "text/plain"},
		[]string{"add", "/schema", `{}`},
		[]string{"remove", "/description", nullValue},
	)
	fuzzUpdate(f, updateTargets["Model"])
}

// FuzzUpdateRequestValidator: PATCH .../requestvalidators/{requestvalidator_id}, on the
// validator GET /pets/{petId} uses.
func FuzzUpdateRequestValidator(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/name", "body-only"},
		[]string{"replace", "/name", ""},
		[]string{"replace", "/name", "  "},
		[]string{"replace", "/validateRequestBody", "false"},
		[]string{"replace", "/validateRequestParameters", "TRUE"},
		[]string{"replace", "/validateRequestParameters", nullValue},
		[]string{"add", "/name", "x"},
		[]string{"remove", "/validateRequestBody", nullValue},
		[]string{"replace", "/id", "x"},
	)
	fuzzUpdate(f, updateTargets["RequestValidator"])
}

// FuzzUpdateAccount: PATCH /account.
func FuzzUpdateAccount(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/cloudwatchRoleArn", "arn:aws:iam::123456789012:role/other"},
		[]string{"replace", "/cloudwatchRoleArn", ""},
		[]string{"replace", "/cloudwatchRoleArn", "arn:aws:iam::12345:role/x"},
		[]string{"replace", "/cloudwatchRoleArn", nullValue},
		[]string{"remove", "/cloudwatchRoleArn", nullValue},
		[]string{"replace", "/throttleSettings/burstLimit", "1"},
		[]string{"add", "/features", "UsagePlans"},
	)
	fuzzUpdate(f, updateTargets["Account"])
}

// FuzzUpdateStage: PATCH /restapis/{restapi_id}/stages/{stage_name}, on prod, whose
// variable "host" the integration URI uses.
func FuzzUpdateStage(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/description", "d"},
		[]string{"replace", "/deploymentId", "$DEPLOYMENT"},
		[]string{"replace", "/deploymentId", "nosuch"},
		[]string{"replace", "/cacheClusterEnabled", "true"},
		[]string{"replace", "/cacheClusterSize", "6.1"},
		[]string{"replace", "/cacheClusterSize", "1"},
		[]string{"replace", "/tracingEnabled", "yes"},
		[]string{"replace", "/clientCertificateId", "abc"},
		[]string{"replace", "/documentationVersion", "1"},
		[]string{"replace", "/documentationVersion", "v1"},
		[]string{"remove", "/documentationVersion", nullValue},
		[]string{"replace", "/variables/host", "other.example"},
		[]string{"replace", "/variables/host", "a b"},
		[]string{"remove", "/variables/host", nullValue},
		[]string{"add", "/variables/x", "y"},
		[]string{"replace", "/accessLogSettings/format", "$context.requestId"},
		[]string{"replace", "/accessLogSettings/destinationArn", "arn:aws:logs:us-east-1:123456789012:log-group:x"},
		[]string{"remove", "/accessLogSettings", nullValue},
		[]string{"replace", "/*/*/metrics/enabled", "true"},
		[]string{"replace", "/*/*/throttling/rateLimit", "NaN"},
		[]string{"replace", "/~1pets~1{petId}/GET/throttling/burstLimit", "10"},
		[]string{"replace", "/pets/{petId}/GET/logging/loglevel", "INFO"},
		[]string{"replace", "/pets/{petId}/GET/caching/ttlInSeconds", "3601"},
		[]string{"remove", "/*/*", nullValue},
		[]string{"replace", "/canarySettings/percentTraffic", "10"},
		[]string{"replace", "/canarySettings/deploymentId", "$DEPLOYMENT"},
		[]string{"replace", "/canarySettings/stageVariableOverrides/host", "canary.example"},
		[]string{"replace", "/canarySettings/useStageCache", "true"},
		[]string{"remove", "/canarySettings", nullValue},
		[]string{"copy", "/deploymentId", nullValue, "/canarySettings/deploymentId"},
		[]string{"copy", "/variables", nullValue, "/canarySettings/stageVariableOverrides"},
		[]string{"replace", "/canarySettings/stageVariableOverrides/host", "c", "copy", "/variables", nullValue},
		[]string{"replace", "/stageName", "other"},
	)
	fuzzUpdate(f, updateTargets["Stage"])
}

// FuzzUpdateDocumentationPart: PATCH .../documentation/parts/{part_id}, on the part of
// GET /pets/{petId}.
func FuzzUpdateDocumentationPart(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/properties", `{"description":"another pet"}`},
		[]string{"replace", "/properties", `{}`},
		[]string{"replace", "/properties", `[1]`},
		[]string{"replace", "/properties", nullValue},
		[]string{"replace", "/location/path", "/"},
		[]string{"add", "/properties", `{}`},
	)
	fuzzUpdate(f, updateTargets["DocumentationPart"])
}

// FuzzUpdateDocumentationVersion: PATCH .../documentation/versions/{doc_version}, on v1.
func FuzzUpdateDocumentationVersion(f *testing.F) {
	addPatchSeeds(f,
		[]string{"replace", "/description", "second"},
		[]string{"replace", "/description", nullValue},
		[]string{"replace", "/version", "v2"},
		[]string{"remove", "/description", nullValue},
	)
	fuzzUpdate(f, updateTargets["DocumentationVersion"])
}

// FuzzUpdateBody sends arbitrary bodies, not only well-formed patch requests, to every
// Update route (target picks it, in name order): malformed JSON, members of the wrong type,
// null or missing patchOperations, a value that is not a string. The invariants are the
// other targets'.
func FuzzUpdateBody(f *testing.F) {
	for i, body := range []string{
		``, `{}`, `null`, `[]`, `{"patchOperations":null}`, `{"patchOperations":{}}`,
		`{"patchOperations":[null]}`, `{"patchOperations":[{}]}`, `{"patchOperations":[{"op":"replace"}]}`,
		`{"patchOperations":[{"op":"replace","path":"/description","value":1}]}`,
		`{"patchOperations":[{"op":"replace","path":"/description","value":"x"}]} trailing`,
		`{"patchOperations":[{"op":"replace","path":"/description","value":"x","extra":true}]}`,
		`{"patchOperations":[{"op":"replace","path":"/name","value":"x"},{"op":"replace","path":"/name","value":"y"}]}`,
		`{"patchOperations":[{"op":"replace","path":"/pathPart","value":"{proxy+}"}]}`,
		`{"patchOperations":[{"op":"copy","path":"/deploymentId","from":"/canarySettings/deploymentId"}]}`,
		`{"patchOperations":[{"op":"replace","path":"/cloudwatchRoleArn","value":"\u0000"}]}`,
		`{"patchOperations":[{"op":"add","path":"/requestParameters/method.request.header.\ud800","value":"true"}]}`,
		`{"patchOperations":[`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	names := slices.Sorted(maps.Keys(updateTargets))
	f.Fuzz(func(t *testing.T, target uint8, body []byte) {
		runUpdate(t, updateTargets[names[int(target)%len(names)]], func(*fuzzFixture) []byte { return body })
	})
}
