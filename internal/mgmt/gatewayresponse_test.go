package mgmt

import (
	"reflect"
	"sort"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
)

const defaultTemplate = `{"message":$context.error.messageString}`

// gatewayResponseWire is one gateway response as decoded from the raw wire.
func gatewayResponseWire(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("gateway response %#v is not an object", v)
	}
	return m
}

func TestGetGatewayResponsesDefaultsOnTheWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	code, body := e.rawGet(t, "/restapis/"+apiID+"/gatewayresponses")
	if code != 200 {
		t.Fatalf("GET gatewayresponses = %d %v", code, body)
	}
	items, _ := body["item"].([]any)
	if len(items) != 21 || body["position"] != nil {
		t.Fatalf("GET gatewayresponses = %d items, position %v; want all 21, no position", len(items), body["position"])
	}
	// The recorded answer (test_gateway_response_crud "get-gateway-responses"): sorted by
	// type; each with {} parameters, the default template, defaultResponse true; no
	// statusCode for DEFAULT_4XX/5XX.
	var types []string
	for _, it := range items {
		gr := gatewayResponseWire(t, it)
		typ := gr["responseType"].(string)
		types = append(types, typ)
		info, _ := model.LookupGatewayResponseType(model.GatewayResponseType(typ))
		params, _ := gr["responseParameters"].(map[string]any)
		templates, _ := gr["responseTemplates"].(map[string]any)
		if gr["defaultResponse"] != true || params == nil || len(params) != 0 || len(templates) != 1 || templates["application/json"] != defaultTemplate {
			t.Errorf("%s = %v; want a default response", typ, gr)
		}
		status, hasStatus := gr["statusCode"]
		switch {
		case info.Status == 0 && hasStatus:
			t.Errorf("%s has statusCode %v; want none", typ, status)
		case info.Status != 0 && status != strconv.Itoa(info.Status):
			t.Errorf("%s statusCode = %v; want %d", typ, status, info.Status)
		}
	}
	if !sort.StringsAreSorted(types) || types[0] != "ACCESS_DENIED" || types[20] != "WAF_FILTERED" {
		t.Errorf("types = %v; want AWS's alphabetical order", types)
	}
	// Pagination does not apply ([B] GatewayResponses).
	out, err := e.client.GetGatewayResponses(ctx(t), &apigateway.GetGatewayResponsesInput{RestApiId: aws.String(apiID), Limit: aws.Int32(2)})
	if err != nil || len(out.Items) != 21 || out.Position != nil {
		t.Errorf("GetGatewayResponses(limit 2) = %d items, %v", len(out.Items), err)
	}
}

func itoa(n int) string {
	return string(rune('0'+n/100)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}

func TestPutGatewayResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	mat := types.GatewayResponseTypeMissingAuthenticationToken
	fullParams := map[string]string{
		"gatewayresponse.header.Access-Control-Allow-Origin": "'a.b.c'",
		"gatewayresponse.header.x-request-header":            "method.request.header.Accept",
		"gatewayresponse.header.x-request-path":              "method.request.path.petId",
		"gatewayresponse.header.x-request-query":             "method.request.querystring.q",
	}
	custom := map[string]string{"application/json": `{"message": $context.error.messageString, "stage": "$context.stage"}`}
	// Cases from test_gateway_response_put, in its order: each put replaces the whole
	// customization; what it leaves out is the type's default.
	tests := []struct {
		name       string
		in         apigateway.PutGatewayResponseInput
		status     string
		params     map[string]string
		templates  map[string]string
		wantStatus bool
	}{
		{"all values", apigateway.PutGatewayResponseInput{ResponseType: mat, StatusCode: aws.String("404"), ResponseParameters: fullParams, ResponseTemplates: custom},
			"404", fullParams, custom, true},
		{"status only keeps the default template", apigateway.PutGatewayResponseInput{ResponseType: mat, StatusCode: aws.String("404")},
			"404", map[string]string{}, map[string]string{"application/json": defaultTemplate}, true},
		{"parameters only keep 403", apigateway.PutGatewayResponseInput{ResponseType: mat, ResponseParameters: map[string]string{"gatewayresponse.header.x-request-header": "method.request.header.Accept"}},
			"403", map[string]string{"gatewayresponse.header.x-request-header": "method.request.header.Accept"}, map[string]string{"application/json": defaultTemplate}, true},
		{"DEFAULT_4XX without status has none", apigateway.PutGatewayResponseInput{ResponseType: types.GatewayResponseTypeDefault4xx, ResponseTemplates: custom},
			"", map[string]string{}, custom, false},
	}
	for _, tt := range tests {
		in := tt.in
		in.RestApiId = aws.String(apiID)
		out, err := e.client.PutGatewayResponse(ctx(t), &in)
		if err != nil {
			t.Fatalf("%s: PutGatewayResponse: %v", tt.name, err)
		}
		got, err := e.client.GetGatewayResponse(ctx(t), &apigateway.GetGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: tt.in.ResponseType})
		if err != nil {
			t.Fatal(err)
		}
		for _, gr := range []struct {
			status            *string
			params, templates map[string]string
			defaultResponse   bool
			responseType      types.GatewayResponseType
		}{{out.StatusCode, out.ResponseParameters, out.ResponseTemplates, out.DefaultResponse, out.ResponseType},
			{got.StatusCode, got.ResponseParameters, got.ResponseTemplates, got.DefaultResponse, got.ResponseType}} {
			if (gr.status != nil) != tt.wantStatus || gr.status != nil && *gr.status != tt.status ||
				!reflect.DeepEqual(gr.params, tt.params) || !reflect.DeepEqual(gr.templates, tt.templates) || gr.defaultResponse || gr.responseType != tt.in.ResponseType {
				t.Errorf("%s: answered status %v params %v templates %v default %v", tt.name, aws.ToString(gr.status), gr.params, gr.templates, gr.defaultResponse)
			}
		}
	}
	// The API document holds only the customized responses.
	doc, _ := storedAPI(t, e, apiID)
	if len(doc.GatewayResponses) != 2 || doc.GatewayResponses[model.ResponseMissingAuthenticationToken] == nil || doc.GatewayResponses[model.ResponseDefault4XX] == nil {
		t.Errorf("stored gateway responses = %v", doc.GatewayResponses)
	}
}

// A customized DEFAULT_5XX shows through every 5XX type that is not customized itself, which
// stays a default response (test_gateway_response_put "get-gateway-responses").
func TestGatewayResponsesInheritTheirClassDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	params := map[string]string{"gatewayresponse.header.x-request-header": "method.request.header.Accept"}
	tmpl := map[string]string{"application/json": `{"type":"$context.error.responseType"}`}
	if _, err := e.client.PutGatewayResponse(ctx(t), &apigateway.PutGatewayResponseInput{RestApiId: aws.String(apiID),
		ResponseType: types.GatewayResponseTypeDefault5xx, StatusCode: aws.String("599"), ResponseParameters: params, ResponseTemplates: tmpl}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PutGatewayResponse(ctx(t), &apigateway.PutGatewayResponseInput{RestApiId: aws.String(apiID),
		ResponseType: types.GatewayResponseTypeAuthorizerFailure, ResponseParameters: map[string]string{"gatewayresponse.header.foo": "'bar'"}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.client.GetGatewayResponses(ctx(t), &apigateway.GetGatewayResponsesInput{RestApiId: aws.String(apiID)})
	if err != nil {
		t.Fatal(err)
	}
	byType := map[types.GatewayResponseType]types.GatewayResponse{}
	for _, gr := range out.Items {
		byType[gr.ResponseType] = gr
	}
	for _, typ := range []types.GatewayResponseType{"API_CONFIGURATION_ERROR", "AUTHORIZER_CONFIGURATION_ERROR", "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT"} {
		gr := byType[typ]
		if !gr.DefaultResponse || aws.ToString(gr.StatusCode) != "599" || !reflect.DeepEqual(gr.ResponseParameters, params) || !reflect.DeepEqual(gr.ResponseTemplates, tmpl) {
			t.Errorf("%s = %+v; want DEFAULT_5XX's settings as a default response", typ, gr)
		}
	}
	if af := byType["AUTHORIZER_FAILURE"]; af.DefaultResponse || aws.ToString(af.StatusCode) != "500" || af.ResponseTemplates["application/json"] != defaultTemplate {
		t.Errorf("AUTHORIZER_FAILURE = %+v; want its own customization on its own defaults", af)
	}
	if d := byType["DEFAULT_5XX"]; d.DefaultResponse || aws.ToString(d.StatusCode) != "599" {
		t.Errorf("DEFAULT_5XX = %+v", d)
	}
	if th := byType["THROTTLED"]; !th.DefaultResponse || aws.ToString(th.StatusCode) != "429" || len(th.ResponseParameters) != 0 {
		t.Errorf("THROTTLED (4XX) = %+v; want untouched", th)
	}
}

func TestUpdateAndDeleteGatewayResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	update := func(typ types.GatewayResponseType, ops ...types.PatchOperation) (*apigateway.UpdateGatewayResponseOutput, error) {
		return e.client.UpdateGatewayResponse(ctx(t), &apigateway.UpdateGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: typ, PatchOperations: ops})
	}
	// test_update_gateway_response "update-gateway-response-not-set".
	out, err := update(types.GatewayResponseTypeDefault4xx, op(types.OpReplace, "/statusCode", "444"))
	if err != nil || aws.ToString(out.StatusCode) != "444" || out.DefaultResponse || out.ResponseTemplates["application/json"] != defaultTemplate {
		t.Fatalf("update of a default response = %+v, %v", out, err)
	}
	out, err = update(types.GatewayResponseTypeDefault4xx,
		op(types.OpAdd, "/responseParameters/gatewayresponse.header.Access-Control-Allow-Origin", "'a.b.c'"),
		op(types.OpAdd, "/responseTemplates/application~1xml", "<message>$context.error.messageString</message>"),
		op(types.OpReplace, "/responseParameters/gatewayresponse.header.Access-Control-Allow-Origin", "'example.com'"),
		op(types.OpRemove, "/responseTemplates/application~1json"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.ResponseParameters, map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'example.com'"}) ||
		!reflect.DeepEqual(out.ResponseTemplates, map[string]string{"application/xml": "<message>$context.error.messageString</message>"}) {
		t.Errorf("UpdateGatewayResponse = params %v templates %v", out.ResponseParameters, out.ResponseTemplates)
	}

	before, rev := storedAPI(t, e, apiID)
	tests := []struct {
		name string
		ops  []types.PatchOperation
		code string
		msg  string
	}{
		{"add status", []types.PatchOperation{op(types.OpAdd, "/statusCode", "400")}, "BadRequestException", "Invalid patch path /statusCode"},
		{"remove status", []types.PatchOperation{op(types.OpRemove, "/statusCode")}, "BadRequestException", "Invalid patch path /statusCode"},
		{"replace missing parameter", []types.PatchOperation{op(types.OpReplace, "/responseParameters/gatewayresponse.header.nope", "'x'")}, "NotFoundException", "Invalid parameter name specified"},
		{"no path", []types.PatchOperation{{Op: types.OpReplace, Value: aws.String("x")}}, "BadRequestException", "Invalid patch path null"},
		{"wrong path", []types.PatchOperation{op(types.OpReplace, "/wrongPath", "x")}, "BadRequestException", "Invalid patch path /wrongPath"},
		{"null template", []types.PatchOperation{op(types.OpReplace, "/responseTemplates/application~1json")}, "BadRequestException", "Invalid null or empty value in responseTemplates"},
		{"null parameter", []types.PatchOperation{op(types.OpReplace, "/responseParameters/gatewayresponse.header.Access-Control-Allow-Origin")}, "BadRequestException", "Invalid null or empty value in responseParameters"},
		{"wrong op", []types.PatchOperation{op("wrong-op", "/statusCode", "400")}, "ValidationException",
			"1 validation error detected: Value 'wrong-op' at 'updateGatewayResponseInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"},
		{"bad status", []types.PatchOperation{op(types.OpReplace, "/statusCode", "600")}, "ValidationException",
			`1 validation error detected: Value '600' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`},
		{"all problems, nothing applied", []types.PatchOperation{
			op(types.OpReplace, "/statusCode", "401"),
			op(types.OpAdd, "/statusCode", "400"),
			op(types.OpReplace, "/wrongPath", "x"),
		}, "BadRequestException", "Invalid patch path /statusCode Invalid patch path /wrongPath"},
	}
	for _, tt := range tests {
		_, err := update(types.GatewayResponseTypeDefault4xx, tt.ops...)
		wantAPIError(t, tt.name, err, tt.code, tt.msg)
	}
	after, rev2 := storedAPI(t, e, apiID)
	if rev2 != rev || !reflect.DeepEqual(before, after) {
		t.Errorf("rejected updates changed the API")
	}

	if _, err := e.client.DeleteGatewayResponse(ctx(t), &apigateway.DeleteGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: types.GatewayResponseTypeDefault4xx}); err != nil {
		t.Fatalf("DeleteGatewayResponse: %v", err)
	}
	got, err := e.client.GetGatewayResponse(ctx(t), &apigateway.GetGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: types.GatewayResponseTypeDefault4xx})
	if err != nil || !got.DefaultResponse || got.StatusCode != nil || got.ResponseTemplates["application/json"] != defaultTemplate {
		t.Errorf("after delete = %+v, %v; want the default", got, err)
	}
	_, err = e.client.DeleteGatewayResponse(ctx(t), &apigateway.DeleteGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: types.GatewayResponseTypeDefault4xx})
	wantAPIError(t, "DeleteGatewayResponse not set", err, "NotFoundException", "Gateway response type not defined on api")
}

func TestGatewayResponseRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	enumMsg := "1 validation error detected: Value 'FAKE_RESPONSE_TYPE' at 'responseType' failed to satisfy constraint: Member must satisfy enum value set: " + gatewayResponseTypeEnum
	noAPI := "Invalid API identifier specified " + testAccount + ":fake-api-id"
	fake := types.GatewayResponseType("FAKE_RESPONSE_TYPE")
	tests := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"get all, no API", func() error {
			_, err := e.client.GetGatewayResponses(ctx(t), &apigateway.GetGatewayResponsesInput{RestApiId: aws.String("fake-api-id")})
			return err
		}, "NotFoundException", noAPI},
		{"get, no API", func() error {
			_, err := e.client.GetGatewayResponse(ctx(t), &apigateway.GetGatewayResponseInput{RestApiId: aws.String("fake-api-id"), ResponseType: types.GatewayResponseTypeThrottled})
			return err
		}, "NotFoundException", noAPI},
		{"put, no API", func() error {
			_, err := e.client.PutGatewayResponse(ctx(t), &apigateway.PutGatewayResponseInput{RestApiId: aws.String("fake-api-id"), ResponseType: types.GatewayResponseTypeThrottled})
			return err
		}, "NotFoundException", noAPI},
		{"delete, no API", func() error {
			_, err := e.client.DeleteGatewayResponse(ctx(t), &apigateway.DeleteGatewayResponseInput{RestApiId: aws.String("fake-api-id"), ResponseType: types.GatewayResponseTypeThrottled})
			return err
		}, "NotFoundException", noAPI},
		{"get, wrong type", func() error {
			_, err := e.client.GetGatewayResponse(ctx(t), &apigateway.GetGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: fake})
			return err
		}, "ValidationException", enumMsg},
		{"put, wrong type", func() error {
			_, err := e.client.PutGatewayResponse(ctx(t), &apigateway.PutGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: fake})
			return err
		}, "ValidationException", enumMsg},
		{"update, wrong type", func() error {
			_, err := e.client.UpdateGatewayResponse(ctx(t), &apigateway.UpdateGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: fake})
			return err
		}, "ValidationException", enumMsg},
		{"delete, wrong type", func() error {
			_, err := e.client.DeleteGatewayResponse(ctx(t), &apigateway.DeleteGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: fake})
			return err
		}, "ValidationException", enumMsg},
		{"put, bad status", func() error {
			_, err := e.client.PutGatewayResponse(ctx(t), &apigateway.PutGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: types.GatewayResponseTypeThrottled, StatusCode: aws.String("42")})
			return err
			// statusCode is a body member of PutGatewayResponse, named under the input as AWS
			// names body members (putIntegrationInput.type); URI labels go by their name alone.
		}, "ValidationException", `1 validation error detected: Value '42' at 'putGatewayResponseInput.statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`},
		{"put, every mapping problem", func() error {
			_, err := e.client.PutGatewayResponse(ctx(t), &apigateway.PutGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: types.GatewayResponseTypeThrottled,
				ResponseParameters: map[string]string{"method.response.header.x": "'v'", "gatewayresponse.header.y": "unquoted"},
				ResponseTemplates:  map[string]string{"123": "x"}})
			return err
		}, "BadRequestException", "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: unquoted] " +
			"Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: method.response.header.x] " +
			"Validation Result: warnings : [], errors : [Invalid content type specified: 123]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantAPIError(t, tt.name, tt.call(), tt.code, tt.msg)
		})
	}
	if doc, _ := storedAPI(t, e, apiID); len(doc.GatewayResponses) != 0 {
		t.Errorf("refused puts stored %v", doc.GatewayResponses)
	}
}
