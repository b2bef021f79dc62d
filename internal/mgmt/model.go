package mgmt

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// Model operations. Models live in the REST API document by name, so a deployment
// snapshots them with the methods that use them. Messages are AWS's, recorded in localstack's
// tests/aws/services/apigateway/test_apigateway_api.snapshot.json (TestApiGatewayApiModels:
// the case named beside each); those marked "not verified" follow AWS's style.

// Recorded: test_model_validation "create-model-empty-name".
const msgModelNameEmpty = "Model name must be non-empty"

// Not verified: AWS accepts only alphanumeric model names ([B] CreateModelRequest.name:
// "The name of the model. Must be alphanumeric").
const msgModelNameAlnum = "Model name must be alphanumeric"

// Recorded: "create-model-empty-schema", "create-model-no-schema-json" and "-xml",
// test_update_model "update-model-empty-schema": a missing or empty schema, whatever the
// content type.
const msgModelSchemaEmpty = "Model schema must have at least 1 property or array items defined"

// Recorded: "create-model-already-exists".
var errModelExists = awsjson.Conflict("Model name already exists for this REST API")

// Not verified; the content type is required by the service model.
const msgModelContentType = "Content type must be non-empty"

// errModelNotFound answers an unknown model, and an unknown API on the operations under a
// model (recorded: "get-model-wrong-id", "del-model-wrong-id", "update-model-wrong-id").
func errModelNotFound(name string) *awsjson.Error {
	return awsjson.NotFound("Invalid model name specified: %s", name)
}

// Errors inside a schema's "Validation Result", as AWS words them (aws-apigateway-importer
// issues #75, #213 and serverless-todo-api-example-complete#3: "Invalid model specified:
// Validation Result: warnings : [], errors : [Invalid model schema specified, Model
// reference must be in canonical form]").
const (
	msgSchemaInvalid      = "Invalid model schema specified"
	msgRefNotCanonical    = "Model reference must be in canonical form"
	msgRefUnknownModelFmt = "Invalid model identifier specified: %s" // not verified
)

// invalidModel wraps schema problems in AWS's "Invalid model specified" answer.
func invalidModel(problems []string) *awsjson.Error {
	return awsjson.BadRequest("Invalid model specified: Validation Result: warnings : [], errors : [%s]", strings.Join(problems, ", "))
}

// checkModelName returns the problem of a model name, "" for a valid one.
func checkModelName(name string) string {
	if name == "" {
		return msgModelNameEmpty
	}
	for i := 0; i < len(name); i++ {
		if !isAlnum(name[i]) {
			return msgModelNameAlnum
		}
	}
	return ""
}

// checkModelSchema checks a model's schema as AWS does when it is created or changed: it
// must be JSON, a valid JSON Schema draft 4, and every $ref that leaves the schema must name
// another model of the API by its canonical URL (apigateway.ModelURL). It returns nil or
// the one error that reports every problem.
func checkModelSchema(doc *apigateway.RestAPIDocument, name, schema string) *awsjson.Error {
	if strings.TrimSpace(schema) == "" {
		return awsjson.BadRequest("%s", msgModelSchemaEmpty)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		return invalidModel([]string{msgSchemaInvalid})
	}
	var problems []string
	refsOK := true
	for _, ref := range schemaRefs(v) {
		target, ok := modelRef(doc.ID, ref)
		switch {
		case strings.HasPrefix(ref, "#"):
		case !ok:
			if refsOK {
				problems = append(problems, msgRefNotCanonical)
			}
			refsOK = false
		case target != name && doc.Models[target] == nil:
			problems = append(problems, fmt.Sprintf(msgRefUnknownModelFmt, target))
			refsOK = false
		}
	}
	if refsOK {
		if err := compileModel(doc, name, v); err != nil {
			problems = append([]string{msgSchemaInvalid}, problems...)
		}
	}
	if len(problems) > 0 {
		return invalidModel(problems)
	}
	return nil
}

// compileModel compiles the schema v of the model name against the draft-4 metaschema,
// with the API's other models as the resources its $refs may reach. Nothing is fetched.
func compileModel(doc *apigateway.RestAPIDocument, name string, v any) error {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(jsonschema.SchemeURLLoader{}) // no file or network access
	for _, other := range slices.Sorted(maps.Keys(doc.Models)) {
		if other == name {
			continue
		}
		ov, err := jsonschema.UnmarshalJSON(strings.NewReader(doc.Models[other].Schema))
		if err != nil {
			continue
		}
		if err := c.AddResource(apigateway.ModelURL(doc.ID, other), ov); err != nil {
			return err
		}
	}
	url := apigateway.ModelURL(doc.ID, name)
	if err := c.AddResource(url, v); err != nil {
		return err
	}
	_, err := c.Compile(url)
	return err
}

// modelRef reports the model a $ref names in canonical form, with or without a fragment.
func modelRef(apiID, ref string) (string, bool) {
	rest, ok := strings.CutPrefix(ref, apigateway.ModelURL(apiID, ""))
	if !ok {
		return "", false
	}
	rest, _, _ = strings.Cut(rest, "#")
	if checkModelName(rest) != "" {
		return "", false
	}
	return rest, true
}

// schemaRefs returns every "$ref" string in a parsed schema, in document order.
func schemaRefs(v any) []string {
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				if s, ok := v[k].(string); ok && k == "$ref" {
					refs = append(refs, s)
					continue
				}
				walk(v[k])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return refs
}

// modelUsers returns why a model may not be deleted: AWS refuses while a method request, a
// method response or another model's schema uses it. The method request wording is recorded
// from AWS in aws-apigateway-importer#89 ("Cannot delete model 'modelb64d25d3', is referenced
// in method request: /v1/registration/POST"); the other two follow it (not verified).
func modelUsers(doc *apigateway.RestAPIDocument, name string) []string {
	var users []string
	for where, m := range methodsByPath(doc) {
		if slices.Contains(slices.Collect(maps.Values(m.RequestModels)), name) {
			users = append(users, fmt.Sprintf("Cannot delete model '%s', is referenced in method request: %s", name, where))
		}
		for _, code := range slices.Sorted(maps.Keys(m.MethodResponses)) {
			if slices.Contains(slices.Collect(maps.Values(m.MethodResponses[code].ResponseModels)), name) {
				users = append(users, fmt.Sprintf("Cannot delete model '%s', is referenced in method response: %s/%s", name, where, code))
			}
		}
	}
	for _, other := range slices.Sorted(maps.Keys(doc.Models)) {
		if other == name {
			continue
		}
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc.Models[other].Schema))
		if err != nil {
			continue
		}
		for _, ref := range schemaRefs(v) {
			if target, ok := modelRef(doc.ID, ref); ok && target == name {
				users = append(users, fmt.Sprintf("Cannot delete model '%s', is referenced in model: %s", name, other))
				break
			}
		}
	}
	return users
}

type createModelInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Schema      string `json:"schema"`
	ContentType string `json:"contentType"`
}

// CreateModel is POST /restapis/{restapi_id}/models.
func (s *Server) CreateModel(ctx context.Context, c *call) error {
	var in createModelInput
	if err := c.decode(&in); err != nil {
		return err
	}
	var created *apigateway.Model
	_, err := s.updateAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		var p problemList
		if msg := checkModelName(in.Name); msg != "" {
			p.addf("%s", msg)
		} else if doc.Models[in.Name] != nil {
			return errModelExists
		}
		if in.ContentType == "" {
			p.addf("%s", msgModelContentType)
		}
		if err := checkModelSchema(doc, in.Name, in.Schema); err != nil {
			p.add(err)
		}
		if err := p.err(); err != nil {
			return err
		}
		created = &apigateway.Model{ID: newID(6), Name: in.Name, Description: in.Description, Schema: in.Schema, ContentType: in.ContentType}
		putEntry(&doc.Models, in.Name, created)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, created)
	return nil
}

// loadModel returns the API document and its model named by the call, answering AWS's
// "Invalid model name specified" for an unknown API or model.
func (s *Server) loadModel(ctx context.Context, c *call) (*apigateway.RestAPIDocument, *apigateway.Model, error) {
	name := c.path("model_name")
	return loadEntry(ctx, s, c.path("restapi_id"), name, errModelNotFound(name), modelsOf)
}

// GetModel is GET /restapis/{restapi_id}/models/{model_name}. With ?flatten=true the schema
// comes back with every reference to another model replaced by that model's schema.
func (s *Server) GetModel(ctx context.Context, c *call) error {
	doc, m, err := s.loadModel(ctx, c)
	if err != nil {
		return err
	}
	out := *m
	if c.r.URL.Query().Get("flatten") == "true" {
		out.Schema = flattenSchema(doc, m)
	}
	awsjson.WriteJSON(c.w, http.StatusOK, &out)
	return nil
}

// GetModels is GET /restapis/{restapi_id}/models, in name order.
func (s *Server) GetModels(ctx context.Context, c *call) error {
	return listEntries(ctx, s, c, modelsOf)
}

func modelsOf(doc *apigateway.RestAPIDocument) map[string]*apigateway.Model { return doc.Models }

// UpdateModel is PATCH /restapis/{restapi_id}/models/{model_name}: replace /schema and
// /description, AWS's only patchable paths (recorded: test_update_model
// "update-model-invalid-op", "update-model-invalid-path").
func (s *Server) UpdateModel(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateModelInput")
	if err != nil {
		return err
	}
	name := c.path("model_name")
	var updated *apigateway.Model
	_, err = s.updateAPIOr(ctx, c.path("restapi_id"), errModelNotFound(name), func(doc *apigateway.RestAPIDocument) error {
		cur := doc.Models[name]
		if cur == nil {
			return errModelNotFound(name)
		}
		m := *cur
		var p problemList
		schemaChanged := false
		for _, op := range ops {
			switch {
			case op.Op != awsjson.OpReplace:
				p.addf("%s", unsupportedPatchOp(op))
			case op.Path == "/schema":
				m.Schema, schemaChanged = op.Val(), true
			case op.Path == "/description":
				m.Description = op.Val()
			default:
				p.addf("Invalid patch path  '%s' specified for op '%s'. Must be one of: [/description, /schema]", op.Path, op.Op)
			}
		}
		if schemaChanged {
			if err := checkModelSchema(doc, name, m.Schema); err != nil {
				p.add(err)
			}
		}
		if err := p.err(); err != nil {
			return err
		}
		doc.Models[name] = &m
		updated = &m
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, updated)
	return nil
}

// unsupportedPatchOp is AWS's answer to an op a path does not take, with its double space
// (recorded: test_update_model "update-model-invalid-op",
// test_invalid_update_request_validator_operations "...-invalid-add-operation").
func unsupportedPatchOp(op awsjson.PatchOperation) string {
	return fmt.Sprintf("Invalid patch path  '%s' specified for op '%s'. Please choose supported operations", op.Path, op.Op)
}

// DeleteModel is DELETE /restapis/{restapi_id}/models/{model_name}: 202, refused with a
// ConflictException while anything uses the model.
func (s *Server) DeleteModel(ctx context.Context, c *call) error {
	name := c.path("model_name")
	_, err := s.updateAPIOr(ctx, c.path("restapi_id"), errModelNotFound(name), func(doc *apigateway.RestAPIDocument) error {
		if doc.Models[name] == nil {
			return errModelNotFound(name)
		}
		if users := modelUsers(doc, name); len(users) > 0 {
			return awsjson.Conflict("%s", joinProblems(users))
		}
		deleteEntry(&doc.Models, name)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}

// GetModelTemplate is GET /restapis/{restapi_id}/models/{model_name}/default_template: a
// mapping template that builds the model's shape from the request body.
func (s *Server) GetModelTemplate(ctx context.Context, c *call) error {
	doc, m, err := s.loadModel(ctx, c)
	if err != nil {
		return err
	}
	v, err := parseOrdered(flattenSchema(doc, m))
	if err != nil {
		return awsjson.BadRequest("%s", msgSchemaInvalid)
	}
	awsjson.WriteJSON(c.w, http.StatusOK, struct {
		Value string `json:"value"`
	}{modelTemplate(v)})
	return nil
}
