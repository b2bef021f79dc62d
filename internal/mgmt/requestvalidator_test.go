package mgmt

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
)

func TestRequestValidatorLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	// Recorded: test_request_validator_lifecycle.
	created, err := e.client.CreateRequestValidator(ctx(t), &apigateway.CreateRequestValidatorInput{RestApiId: aws.String(apiID), Name: aws.String("test-validator")})
	if err != nil {
		t.Fatal(err)
	}
	if !modelID.MatchString(*created.Id) || *created.Name != "test-validator" || created.ValidateRequestBody || created.ValidateRequestParameters {
		t.Errorf("CreateRequestValidator = %+v; want a 6-character id and both checks off", created)
	}
	id := created.Id
	got, err := e.client.GetRequestValidator(ctx(t), &apigateway.GetRequestValidatorInput{RestApiId: aws.String(apiID), RequestValidatorId: id})
	if err != nil || *got.Id != *id {
		t.Fatalf("GetRequestValidator = %+v, %v", got, err)
	}
	list, err := e.client.GetRequestValidators(ctx(t), &apigateway.GetRequestValidatorsInput{RestApiId: aws.String(apiID)})
	if err != nil || len(list.Items) != 1 || *list.Items[0].Id != *id {
		t.Fatalf("GetRequestValidators = %+v, %v", list, err)
	}
	steps := []struct {
		name       string
		op         types.PatchOperation
		body, args bool
	}{
		{"with value", types.PatchOperation{Op: types.OpReplace, Path: aws.String("/validateRequestBody"), Value: aws.String("true")}, true, false},
		{"parameters TRUE", types.PatchOperation{Op: types.OpReplace, Path: aws.String("/validateRequestParameters"), Value: aws.String("TRUE")}, true, true},
		{"without value is false", types.PatchOperation{Op: types.OpReplace, Path: aws.String("/validateRequestBody")}, false, true},
	}
	for _, st := range steps {
		out, err := e.client.UpdateRequestValidator(ctx(t), &apigateway.UpdateRequestValidatorInput{RestApiId: aws.String(apiID), RequestValidatorId: id, PatchOperations: []types.PatchOperation{st.op}})
		if err != nil || out.ValidateRequestBody != st.body || out.ValidateRequestParameters != st.args {
			t.Errorf("%s: UpdateRequestValidator = %+v, %v; want body %v, parameters %v", st.name, out, err, st.body, st.args)
		}
	}
	if _, err := e.client.DeleteRequestValidator(ctx(t), &apigateway.DeleteRequestValidatorInput{RestApiId: aws.String(apiID), RequestValidatorId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetRequestValidator(ctx(t), &apigateway.GetRequestValidatorInput{RestApiId: aws.String(apiID), RequestValidatorId: id})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid Request Validator identifier specified" {
		t.Errorf("GetRequestValidator after delete = %s %q", code, msg)
	}
	list, err = e.client.GetRequestValidators(ctx(t), &apigateway.GetRequestValidatorsInput{RestApiId: aws.String(apiID)})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("GetRequestValidators after delete = %+v, %v; want none", list, err)
	}
}

func TestRequestValidatorErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	v, err := e.client.CreateRequestValidator(ctx(t), &apigateway.CreateRequestValidatorInput{RestApiId: aws.String(apiID), Name: aws.String("v")})
	if err != nil {
		t.Fatal(err)
	}
	op := func(o types.Op, path, val string) []types.PatchOperation {
		return []types.PatchOperation{{Op: o, Path: aws.String(path), Value: aws.String(val)}}
	}
	update := func(api, id string, ops []types.PatchOperation) error {
		_, err := e.client.UpdateRequestValidator(ctx(t), &apigateway.UpdateRequestValidatorInput{RestApiId: aws.String(api), RequestValidatorId: aws.String(id), PatchOperations: ops})
		return err
	}
	// Recorded: TestApiGatewayApiRequestValidator.
	tests := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"create in an unknown API", func() error {
			_, err := e.client.CreateRequestValidator(ctx(t), &apigateway.CreateRequestValidatorInput{RestApiId: aws.String("api_id"), Name: aws.String("v")})
			return err
		}, "BadRequestException", "Invalid REST API identifier specified"},
		{"list of an unknown API", func() error {
			_, err := e.client.GetRequestValidators(ctx(t), &apigateway.GetRequestValidatorsInput{RestApiId: aws.String("api_id")})
			return err
		}, "NotFoundException", "Invalid API identifier specified 123456789012:api_id"},
		{"get in an unknown API", func() error {
			_, err := e.client.GetRequestValidator(ctx(t), &apigateway.GetRequestValidatorInput{RestApiId: aws.String("api_id"), RequestValidatorId: v.Id})
			return err
		}, "NotFoundException", "Invalid Request Validator identifier specified"},
		{"delete unknown", func() error {
			_, err := e.client.DeleteRequestValidator(ctx(t), &apigateway.DeleteRequestValidatorInput{RestApiId: aws.String(apiID), RequestValidatorId: aws.String("validator_id")})
			return err
		}, "NotFoundException", "Invalid Request Validator identifier specified"},
		{"add op", func() error { return update(apiID, *v.Id, op(types.OpAdd, "/validateRequestBody", "true")) },
			"BadRequestException", "Invalid patch path  '/validateRequestBody' specified for op 'add'. Please choose supported operations"},
		{"remove op", func() error { return update(apiID, *v.Id, op(types.OpRemove, "/validateRequestBody", "true")) },
			"BadRequestException", "Invalid patch path  '/validateRequestBody' specified for op 'remove'. Please choose supported operations"},
		{"unknown path", func() error { return update(apiID, *v.Id, op(types.OpReplace, "/invalidPath", "true")) },
			"BadRequestException", "Invalid patch path  '/invalidPath' specified for op 'replace'. Must be one of: [/name, /validateRequestParameters, /validateRequestBody]"},
		{"blank name", func() error {
			return update(apiID, *v.Id, []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/name")}})
		}, "BadRequestException", "Request Validator name cannot be blank"},
		{"update unknown", func() error { return update(apiID, "nope00", op(types.OpReplace, "/name", "x")) },
			"NotFoundException", "Invalid Request Validator identifier specified"},
	}
	for _, tt := range tests {
		if code, msg := apiErr(t, tt.call()); code != tt.code || msg != tt.msg {
			t.Errorf("%s = %s %q; want %s %q", tt.name, code, msg, tt.code, tt.msg)
		}
	}
}

// TestMethodReferencesChecked covers PutMethod, UpdateMethod and the method responses naming
// validators and models that must exist, and DeleteRequestValidator refusing one in use.
func TestMethodReferencesChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	e.editAPI(t, apiID, func(doc *model.RestAPIDocument) {
		doc.Resources["pets01"] = &model.Resource{ID: "pets01", ParentID: doc.RootResourceID, PathPart: "pets", Path: "/pets"}
	})
	v, err := e.client.CreateRequestValidator(ctx(t), &apigateway.CreateRequestValidatorInput{RestApiId: aws.String(apiID), Name: aws.String("all"), ValidateRequestBody: true})
	if err != nil {
		t.Fatal(err)
	}
	put := func(verb, validator string, models map[string]string) error {
		in := &apigateway.PutMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String("pets01"), HttpMethod: aws.String(verb),
			AuthorizationType: aws.String("NONE"), RequestModels: models}
		if validator != "" {
			in.RequestValidatorId = aws.String(validator)
		}
		_, err := e.client.PutMethod(ctx(t), in)
		return err
	}
	// Recorded: test_put_method_validation "invalid-model-name", test_update_method_validation
	// "wrong-req-validator-id"; both problems in one answer.
	err = put("POST", "fake-id", map[string]string{"application/json": "Nope"})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != "Invalid model identifier specified: Nope Invalid Request Validator identifier specified" {
		t.Errorf("PutMethod(unknown validator and model) = %s %q", code, msg)
	}
	if err := put("POST", *v.Id, map[string]string{"application/json": "Empty"}); err != nil {
		t.Fatalf("PutMethod(valid references) = %v", err)
	}
	_, err = e.client.UpdateMethod(ctx(t), &apigateway.UpdateMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String("pets01"), HttpMethod: aws.String("POST"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/requestValidatorId"), Value: aws.String("fake-id")}}})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != "Invalid Request Validator identifier specified" {
		t.Errorf("UpdateMethod(unknown validator) = %s %q", code, msg)
	}
	_, err = e.client.PutMethodResponse(ctx(t), &apigateway.PutMethodResponseInput{RestApiId: aws.String(apiID), ResourceId: aws.String("pets01"), HttpMethod: aws.String("POST"),
		StatusCode: aws.String("200"), ResponseModels: map[string]string{"application/json": "Nope"}})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != "Invalid model identifier specified: Nope" {
		t.Errorf("PutMethodResponse(unknown model) = %s %q", code, msg)
	}
	// A created model can be named at once.
	if _, err := e.client.CreateModel(ctx(t), &apigateway.CreateModelInput{RestApiId: aws.String(apiID), Name: aws.String("Pet"), ContentType: aws.String("application/json"), Schema: aws.String(`{"type":"object"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UpdateMethod(ctx(t), &apigateway.UpdateMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String("pets01"), HttpMethod: aws.String("POST"),
		PatchOperations: []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/requestModels/text~1plain"), Value: aws.String("Pet")}}}); err != nil {
		t.Errorf("UpdateMethod(add a model) = %v", err)
	}
	_, err = e.client.DeleteRequestValidator(ctx(t), &apigateway.DeleteRequestValidatorInput{RestApiId: aws.String(apiID), RequestValidatorId: v.Id})
	if code, msg := apiErr(t, err); code != "ConflictException" || msg != "Cannot delete request validator '"+*v.Id+"', is referenced in method: /pets/POST" {
		t.Errorf("DeleteRequestValidator(in use) = %s %q", code, msg)
	}
}
