// Package validate is the request validation stage of a REST method: what the method's
// request validator (Method.requestValidatorId) turns on. With validateRequestParameters,
// the required method request parameters must be present and not blank (else 400
// BAD_REQUEST_PARAMETERS); with validateRequestBody, the body must satisfy the JSON Schema
// draft 4 model that requestModels names for the request's content type (else 400
// BAD_REQUEST_BODY). Schemas are compiled once, when the stage compiles.
//
// AWS's behaviour is in [A] api-gateway-method-request-validation.md: parameters are
// "included and not blank"; the body is checked against "the configured JSON schema request
// of the method for a given content type. If no matching content type is found, request
// validation is not performed. To use the same model regardless of the content type, set
// the content type for your data model to $default."
package validate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// Messages of the two gateway responses, recorded from AWS (AWS_REFERENCE 4:
// BAD_REQUEST_PARAMETERS "Missing required request parameters: [..]", BAD_REQUEST_BODY
// "Invalid request body").
const (
	msgMissingParams = "Missing required request parameters: "
	msgInvalidBody   = "Invalid request body"
)

// defaultContentType is the content type of a request that sends none: AWS's REST APIs
// treat it as application/json ([A] request-response-data-mappings: "If the Content-Type
// header is not set, API Gateway assumes application/json").
const defaultContentType = "application/json"

// Compiler compiles the request validation of a deployed API's methods. It holds the API's
// models and compiles each model's schema at most once, however many methods use it. A
// Compiler is used while a stage compiles, by one goroutine.
type Compiler struct {
	apiID      string
	models     map[string]*apigateway.Model
	validators map[string]*apigateway.RequestValidator
	c          *jsonschema.Compiler
	compiled   map[string]*jsonschema.Schema
	badModels  map[string]error
}

// NewCompiler returns a Compiler for the API apiID with its models and request validators
// (a deployment snapshot's).
func NewCompiler(apiID string, models map[string]*apigateway.Model, validators map[string]*apigateway.RequestValidator) *Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	c.UseLoader(jsonschema.SchemeURLLoader{}) // $ref reaches the API's models only; nothing is fetched
	vc := &Compiler{apiID: apiID, models: models, validators: validators, c: c,
		compiled: map[string]*jsonschema.Schema{}, badModels: map[string]error{}}
	for _, name := range slices.Sorted(maps.Keys(models)) {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(models[name].Schema))
		if err == nil {
			err = c.AddResource(apigateway.ModelURL(apiID, name), v)
		}
		if err != nil {
			vc.badModels[name] = err
		}
	}
	return vc
}

// schema returns the compiled schema of the model name.
func (vc *Compiler) schema(name string) (*jsonschema.Schema, error) {
	if s := vc.compiled[name]; s != nil {
		return s, nil
	}
	if vc.models[name] == nil {
		return nil, fmt.Errorf("model %q does not exist", name)
	}
	if err := vc.badModels[name]; err != nil {
		return nil, fmt.Errorf("model %q: %w", name, err)
	}
	s, err := vc.c.Compile(apigateway.ModelURL(vc.apiID, name))
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", name, err)
	}
	vc.compiled[name] = s
	return s, nil
}

// param is one required method request parameter.
type param struct {
	location string // path, querystring or header
	name     string
}

// Middleware returns the validation stage of method m: nil when m has no request validator
// or its validator checks nothing. An unknown validator, or a model that is missing or does
// not compile, is an error that fails the stage's compilation.
func (vc *Compiler) Middleware(m *apigateway.Method) (invoke.Middleware, error) {
	if m.RequestValidatorID == "" {
		return nil, nil
	}
	rv := vc.validators[m.RequestValidatorID]
	if rv == nil {
		return nil, fmt.Errorf("request validator %q does not exist", m.RequestValidatorID)
	}
	v := &validator{}
	if rv.ValidateRequestParameters {
		v.params = requiredParams(m.RequestParameters)
	}
	if rv.ValidateRequestBody && len(m.RequestModels) > 0 {
		v.models = make(map[string]*jsonschema.Schema, len(m.RequestModels))
		var errs []error
		for _, ct := range slices.Sorted(maps.Keys(m.RequestModels)) {
			s, err := vc.schema(m.RequestModels[ct])
			if err != nil {
				errs = append(errs, fmt.Errorf("requestModels[%q]: %w", ct, err))
				continue
			}
			v.models[strings.ToLower(ct)] = s
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	if len(v.params) == 0 && len(v.models) == 0 {
		return nil, nil
	}
	return v.middleware, nil
}

// requiredParams lists the parameters marked required, in the order the message names
// them: sorted by their full key ("method.request.header.X" < "...multivalueheader.Y" <
// "...path.Z" < "...querystring.W"). AWS's order is not recorded; this is the order of
// localstack's validated implementation (next_gen/execute_api/handlers/method_request.py,
// sorted(requestParameters)).
func requiredParams(params map[string]bool) []param {
	var out []param
	for _, key := range slices.Sorted(maps.Keys(params)) {
		if !params[key] {
			continue
		}
		rest, ok := strings.CutPrefix(key, "method.request.")
		if !ok {
			continue
		}
		loc, name, ok := strings.Cut(rest, ".")
		if !ok || name == "" {
			continue
		}
		switch loc {
		case "multivalueheader":
			loc = "header"
		case "multivaluequerystring":
			loc = "querystring"
		case "path", "querystring", "header":
		default:
			continue
		}
		out = append(out, param{loc, name})
	}
	return out
}

// validator is one method's compiled validation.
type validator struct {
	params []param
	// models by lowercased content type, "$default" included; nil when the body is not
	// checked.
	models map[string]*jsonschema.Schema
}

func (v *validator) middleware(next invoke.Handler) invoke.Handler {
	return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
		if err := v.check(inv); err != nil {
			return nil, err
		}
		return next.Invoke(ctx, inv)
	})
}

// check validates one request: parameters first, then the body, as AWS reports a request
// with both problems as BAD_REQUEST_PARAMETERS.
func (v *validator) check(inv *invoke.Invocation) *invoke.Error {
	var missing []string
	for _, p := range v.params {
		var val string
		switch p.location {
		case "path":
			val, _ = inv.PathParam(p.name)
		case "querystring":
			val, _ = inv.Request.QueryValue(p.name)
		case "header":
			val, _ = inv.Request.HeaderValue(p.name)
		}
		if strings.TrimSpace(val) == "" {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		return &invoke.Error{Type: apigateway.ResponseBadRequestParameters, Message: msgMissingParams + "[" + strings.Join(missing, ", ") + "]"}
	}
	if v.models == nil {
		return nil
	}
	s := v.models[contentType(inv)]
	if s == nil {
		s = v.models["$default"]
	}
	if s == nil {
		return nil // no model for this content type: AWS does not validate
	}
	return validateBody(s, inv.Request.Body)
}

// contentType returns the request's media type, lowercased, without parameters. It runs on
// every validated request, so it cuts the header rather than call mime.ParseMediaType, whose
// media type is this same cut and whose parameter map would be thrown away.
func contentType(inv *invoke.Invocation) string {
	ct, ok := inv.Request.HeaderValue("Content-Type")
	if !ok || strings.TrimSpace(ct) == "" {
		return defaultContentType
	}
	return invoke.MediaType(ct)
}

// msgNotJSON is the validation error of a body that is not JSON (gatehouse's wording: AWS's
// is not recorded).
const msgNotJSON = "Invalid JSON in request body"

// validateBody checks body against s. An empty body is validated as {}: an object with
// nothing in it (so the Empty model accepts it and a model with required properties does
// not).
func validateBody(s *jsonschema.Schema, body []byte) *invoke.Error {
	var inst any = map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		var err error
		if inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(body)); err != nil {
			return bodyError([]string{msgNotJSON})
		}
	}
	c := newChecker()
	c.check(s, inst)
	if problems := c.messages(); len(problems) > 0 {
		return bodyError(problems)
	}
	return nil
}

// maxLoggedProblems bounds the cause logged with a BAD_REQUEST_BODY, in bytes.
const maxLoggedProblems = 1 << 10

// bodyError is the BAD_REQUEST_BODY error with $context.error.validationErrorString set to
// the problems as AWS lists them: "[first, second]", with the JSON string escapes applied so
// that the usual template `{"message": "$context.error.validationErrorString"}` stays JSON
// (AWS shows it as `[object has missing required properties ([\"name\"])]`).
// The cause kept for the log is the list, cut at maxLoggedProblems: the schema library's
// own error prints its whole tree, one line per failed item of the client's body.
func bodyError(problems []string) *invoke.Error {
	list := "[" + strings.Join(problems, ", ") + "]"
	q := invoke.AppendJSONString(nil, list)
	logged := list
	if len(logged) > maxLoggedProblems {
		logged = strings.ToValidUTF8(logged[:maxLoggedProblems], "") + "..."
	}
	return &invoke.Error{
		Type:                  apigateway.ResponseBadRequestBody,
		Message:               msgInvalidBody,
		ValidationErrorString: string(q[1 : len(q)-1]),
		Err:                   errors.New("request body does not match the model: " + logged),
	}
}
