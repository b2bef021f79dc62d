package e2e

import (
	"net/http"
	"regexp"
	"testing"
)

// TestAWSCLIModelsAndValidators builds, with the real aws CLI, a POST /pets that validates
// its body against a model and requires a header, then calls the deployed stage: the steps
// of the user guide's "Models and request validators" section.
func TestAWSCLIModelsAndValidators(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	cli := newAWSCLI(t, g.AdminURL, "AKIAE2ETESTCLI000002", "e2e-cli-secret")
	v := vars{}
	const petSchema = `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Pet","type":"object",` +
		`"required":["name","price"],"properties":{"name":{"type":"string"},"price":{"type":"number","minimum":0}}}`
	steps := []cliStep{
		{name: "create-rest-api",
			args: []string{"create-rest-api", "--name", "e2e-validation"},
			save: map[string]string{"api": "id", "root": "rootResourceId"}},
		{name: "get-models of a new API has Empty and Error",
			args: []string{"get-models", "--rest-api-id", "<api>"},
			want: fields{"items.#": 2, "items.0.name": "Empty", "items.1.name": "Error"}},
		{name: "create-model Pet",
			args: []string{"create-model", "--rest-api-id", "<api>", "--name", "Pet", "--content-type", "application/json", "--schema", petSchema},
			want: fields{"name": "Pet", "contentType": "application/json", "schema": petSchema},
			check: func(t *testing.T, answer any, v vars) {
				if id, _ := answer.(map[string]any)["id"].(string); !regexp.MustCompile(`^[a-z0-9]{6}$`).MatchString(id) {
					t.Errorf("id = %q; want 6 lower-case alphanumerics as AWS's", id)
				}
			}},
		{name: "create-model with an invalid schema",
			args:    []string{"create-model", "--rest-api-id", "<api>", "--name", "Bad", "--content-type", "application/json", "--schema", `{"type":"objekt"}`},
			wantErr: "BadRequestException", wantMsg: "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]"},
		{name: "get-model-template Pet",
			args: []string{"get-model-template", "--rest-api-id", "<api>", "--model-name", "Pet"},
			want: fields{"value": "#set($inputRoot = $input.path('$'))\n{\n  \"name\" : \"$inputRoot.name\",\n  \"price\" : $inputRoot.price\n}"}},
		{name: "create-request-validator",
			args: []string{"create-request-validator", "--rest-api-id", "<api>", "--name", "body-and-params",
				"--validate-request-body", "--validate-request-parameters"},
			want: fields{"name": "body-and-params", "validateRequestBody": true, "validateRequestParameters": true},
			save: map[string]string{"validator": "id"}},
		{name: "get-request-validators",
			args: []string{"get-request-validators", "--rest-api-id", "<api>"},
			want: fields{"items.#": 1, "items.0.id": "<validator>"}},
		{name: "create-resource /pets",
			args: []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<root>", "--path-part", "pets"},
			save: map[string]string{"pets": "id"}},
		{name: "put-method with an unknown validator",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<pets>", "--http-method", "POST",
				"--authorization-type", "NONE", "--request-validator-id", "nope00"},
			wantErr: "BadRequestException", wantMsg: "Invalid Request Validator identifier specified"},
		{name: "put-method POST /pets with the validator and the model",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<pets>", "--http-method", "POST",
				"--authorization-type", "NONE", "--request-validator-id", "<validator>",
				"--request-models", `{"application/json":"Pet"}`, "--request-parameters", "method.request.header.X-Tenant=true"},
			want: fields{"requestValidatorId": "<validator>", "requestModels[application/json]": "Pet"}},
		{name: "put-method-response 200",
			args: []string{"put-method-response", "--rest-api-id", "<api>", "--resource-id", "<pets>", "--http-method", "POST", "--status-code", "200"}},
		{name: "put-integration MOCK",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<pets>", "--http-method", "POST",
				"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`}},
		{name: "put-integration-response 200",
			args: []string{"put-integration-response", "--rest-api-id", "<api>", "--resource-id", "<pets>", "--http-method", "POST",
				"--status-code", "200", "--response-templates", `{"application/json":"{\"created\": true}"}`}},
		{name: "delete-model in use",
			args:    []string{"delete-model", "--rest-api-id", "<api>", "--model-name", "Pet"},
			wantErr: "ConflictException", wantMsg: "Cannot delete model 'Pet', is referenced in method request: /pets/POST"},
		{name: "create-deployment",
			args: []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "dev"}},
		{name: "data plane: valid, invalid body, missing header", do: func(t *testing.T, v vars) {
			url := g.pathURL(v["api"], "dev") + "/pets"
			h := http.Header{"Content-Type": {"application/json"}, "X-Tenant": {"acme"}}
			r := mustCall(t, "POST", url, "", h, `{"name":"Rex","price":12}`)
			if r.Status != 200 || r.Body != `{"created": true}` {
				t.Errorf("POST valid pet = %d %q; want 200", r.Status, r.Body)
			}
			r = mustCall(t, "POST", url, "", h, `{"name":"Rex","price":-1}`)
			checkGatewayError(t, "POST invalid pet", r, 400, "BadRequestException", `{"message":"Invalid request body"}`)
			r = mustCall(t, "POST", url, "", http.Header{"Content-Type": {"application/json"}}, `{"name":"Rex","price":12}`)
			checkGatewayError(t, "POST without X-Tenant", r, 400, "BadRequestException", `{"message":"Missing required request parameters: [X-Tenant]"}`)
		}},
		{name: "update-request-validator turns the body check off",
			args: []string{"update-request-validator", "--rest-api-id", "<api>", "--request-validator-id", "<validator>",
				"--patch-operations", "op=replace,path=/validateRequestBody,value=false"},
			want: fields{"validateRequestBody": false, "validateRequestParameters": true}},
		{name: "delete-rest-api",
			args: []string{"delete-rest-api", "--rest-api-id", "<api>"}},
	}
	runScript(t, cli, v, steps)
	g.stop()
}
