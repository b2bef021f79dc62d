package mgmt

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// Method and method response operations. A method lives in its resource's ResourceMethods
// with its method responses and integration embedded, as GetMethod returns it.

// httpMethods are the verbs a method may have, in the order AWS lists them.
var httpMethods = []string{"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY"}

// Authorization types ([B] Method.authorizationType).
var authorizationTypes = []string{"NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"}

var (
	// Recorded: test_put_method_validation "wrong-method".
	errInvalidHTTPMethod = awsjson.BadRequest("Invalid HttpMethod specified. Valid options are %s", strings.Join(httpMethods, ","))
	// Recorded: aws/aws-cli#3992 (PutMethod on an existing method).
	errMethodExists = awsjson.Conflict("Method already exists for this resource")
	// As AWS words PutMethodResponse on an existing status code (remembered from AWS's
	// answers to Terraform users; not recorded in a fixture).
	errMethodResponseExists = awsjson.Conflict("Response already exists for this resource")
)

// Recorded: test_put_method_validation "missing-authorizer-id", test_update_method_validation
// "wrong-auth-type".
const msgAuthorizerRequired = "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."

// Recorded: test_method_request_parameters "req-params-same-name".
const msgParamNamesUnique = "Parameter names must be unique across querystring, header and path"

// methodRequestLocations are the places a method request parameter is read from.
var methodRequestLocations = []string{"path", "querystring", "header", "multivaluequerystring", "multivalueheader"}

// parseMethodRequestParam splits "method.request.{location}.{name}", reporting whether key
// has that form. The multi-value locations share their single-value location's names.
func parseMethodRequestParam(key string) (location, name string, ok bool) {
	rest, ok := strings.CutPrefix(key, "method.request.")
	if !ok {
		return "", "", false
	}
	location, name, ok = strings.Cut(rest, ".")
	if !ok || name == "" || !slices.Contains(methodRequestLocations, location) {
		return "", "", false
	}
	return location, name, true
}

// checkMethodRequestParams returns the problems of a method's requestParameters: keys
// outside method.request.{location}.{name}, and one name used in two locations.
func checkMethodRequestParams(params map[string]bool) []string {
	var bad []string
	seen := map[string]string{} // name → base location
	unique := true
	for _, key := range slices.Sorted(maps.Keys(params)) {
		loc, name, ok := parseMethodRequestParam(key)
		if !ok {
			bad = append(bad, "Invalid mapping expression specified: "+key)
			continue
		}
		loc = strings.TrimPrefix(loc, "multivalue")
		if prev, dup := seen[name]; dup && prev != loc {
			unique = false
		}
		seen[name] = loc
	}
	var problems []string
	if len(bad) > 0 {
		problems = append(problems, mappingError(bad).Message)
	}
	if !unique {
		problems = append(problems, msgParamNamesUnique)
	}
	return problems
}

// knownModel reports whether name is a model of the API.
func knownModel(doc *apigateway.RestAPIDocument, name string) bool {
	return doc.Models[name] != nil
}

// checkModels returns the problems of a content type → model map (recorded:
// test_put_method_validation "invalid-model-name").
func checkModels(doc *apigateway.RestAPIDocument, models map[string]string) []string {
	var problems []string
	for _, ct := range slices.Sorted(maps.Keys(models)) {
		if !knownModel(doc, models[ct]) {
			problems = append(problems, "Invalid model identifier specified: "+models[ct])
		}
	}
	return problems
}

// authorizationType is a method's authorization type as AWS stores it: accepted in any case,
// kept upper-case (recorded: localstack test_apigateway_integrations.snapshot.json,
// test_put_integration_responses "put-method-put", put with "none" and answered "NONE").
func authorizationType(v string) string { return strings.ToUpper(v) }

// checkAuthorization validates a method's authorization settings against the API doc and
// drops what its type does not use, as AWS does: an authorizer id unless the type is
// CUSTOM or COGNITO_USER_POOLS (recorded: test_update_method_validation
// "skip-auth-id-with-wrong-type"), and authorization scopes unless it is
// COGNITO_USER_POOLS ([B] Method.authorizationScopes: "used with a COGNITO_USER_POOLS
// authorizer"; that AWS drops rather than refuses them is not recorded). The authorizer
// must exist and fit the type (checkMethodAuthorizer).
func checkAuthorization(doc *apigateway.RestAPIDocument, m *apigateway.Method) []string {
	if !slices.Contains(authorizationTypes, m.AuthorizationType) {
		// Not recorded in a fixture; AWS's wording for the verbs is the model.
		return []string{"Invalid authorization type specified. Valid options are " + strings.Join(authorizationTypes, ",")}
	}
	if m.AuthorizationType != apigateway.AuthorizationCognitoUserPools {
		m.AuthorizationScopes = nil
	}
	if m.AuthorizationType != apigateway.AuthorizationCustom && m.AuthorizationType != apigateway.AuthorizationCognitoUserPools {
		m.AuthorizerID = ""
		return nil
	}
	if m.AuthorizerID == "" {
		return []string{msgAuthorizerRequired}
	}
	if p := checkMethodAuthorizer(doc, m); p != "" {
		return []string{p}
	}
	return nil
}

type putMethodInput struct {
	// AuthorizationType is required by the service model: nil means absent.
	AuthorizationType   *string           `json:"authorizationType"`
	AuthorizerID        string            `json:"authorizerId"`
	APIKeyRequired      bool              `json:"apiKeyRequired"`
	OperationName       string            `json:"operationName"`
	RequestParameters   map[string]bool   `json:"requestParameters"`
	RequestModels       map[string]string `json:"requestModels"`
	RequestValidatorID  string            `json:"requestValidatorId"`
	AuthorizationScopes []string          `json:"authorizationScopes"`
}

// PutMethod is PUT /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}.
func (s *Server) PutMethod(ctx context.Context, c *call) error {
	var in putMethodInput
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.AuthorizationType == nil {
		return awsjson.Validation([]string{"Value null at 'putMethodInput.authorizationType' failed to satisfy constraint: Member must not be null"})
	}
	verb := c.path("http_method")
	var created *apigateway.Method
	_, err := s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		r, err := findResource(doc, c.path("resource_id"))
		if err != nil {
			return err
		}
		if !slices.Contains(httpMethods, verb) {
			return errInvalidHTTPMethod
		}
		if r.ResourceMethods[verb] != nil {
			return errMethodExists
		}
		m := &apigateway.Method{
			HTTPMethod:          verb,
			AuthorizationType:   authorizationType(*in.AuthorizationType),
			AuthorizerID:        in.AuthorizerID,
			APIKeyRequired:      in.APIKeyRequired,
			OperationName:       in.OperationName,
			RequestParameters:   in.RequestParameters,
			RequestModels:       in.RequestModels,
			RequestValidatorID:  in.RequestValidatorID,
			AuthorizationScopes: in.AuthorizationScopes,
		}
		problems := checkAuthorization(doc, m)
		problems = append(problems, checkMethodRequestParams(m.RequestParameters)...)
		problems = append(problems, checkModels(doc, m.RequestModels)...)
		if err := checkRequestValidator(doc, m.RequestValidatorID); err != nil {
			problems = append(problems, err.Message)
		}
		if err := badRequestProblems(problems); err != nil {
			return err
		}
		if r.ResourceMethods == nil {
			r.ResourceMethods = map[string]*apigateway.Method{}
		}
		r.ResourceMethods[verb] = m
		created = m
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, created)
	return nil
}

// GetMethod is GET .../methods/{http_method}: the method with its method responses and
// integration (with its integration responses) embedded.
func (s *Server) GetMethod(ctx context.Context, c *call) error {
	doc, err := s.loadResourceAPI(ctx, c.path("restapi_id"))
	if err != nil {
		return err
	}
	m, err := findMethod(doc, c.path("resource_id"), c.path("http_method"))
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, m)
	return nil
}

// UpdateMethod is PATCH .../methods/{http_method}.
func (s *Server) UpdateMethod(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateMethodInput")
	if err != nil {
		return err
	}
	var updated *apigateway.Method
	_, err = s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		m, err := findMethod(doc, c.path("resource_id"), c.path("http_method"))
		if err != nil {
			return err
		}
		if err := patchMethod(doc, m, ops); err != nil {
			return err
		}
		updated = m
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, updated)
	return nil
}

// Recorded: test_update_method_validation "unsupported-operation".
const msgReplaceOnly = "Invalid patch operation specified. Must be one of: [replace]"

// patchMethod applies UpdateMethod's operations to m (a working copy: on error nothing is
// stored). Invalid paths and values are all reported together; a missing map entry stops
// at once with AWS's NotFoundException.
func patchMethod(doc *apigateway.RestAPIDocument, m *apigateway.Method, ops []awsjson.PatchOperation) error {
	var problems []string
	var scopes *awsjson.ListPatch // m.AuthorizationScopes, once an operation changes them
	for _, op := range ops {
		seg := awsjson.Segments(op.Path)
		// A scope is added or removed as {"path": "/authorizationScopes", "value": scope}
		// (what Terraform's aws_api_gateway_method sends) or as "/authorizationScopes/{scope}".
		if (len(seg) == 1 || len(seg) == 2) && seg[0] == "authorizationScopes" && (op.Op == awsjson.OpAdd || op.Op == awsjson.OpRemove) {
			scope := op.Val()
			if scope == "" && len(seg) == 2 {
				scope = seg[1]
			}
			if scope == "" {
				problems = append(problems, "Invalid patch path "+op.Path)
				continue
			}
			if scopes == nil {
				scopes = awsjson.NewListPatch(m.AuthorizationScopes)
			}
			scopes.Remove(scope)
			if op.Op == awsjson.OpAdd {
				scopes.Append(scope)
			}
			continue
		}
		if len(seg) == 1 {
			field := seg[0]
			switch field {
			case "authorizationType", "authorizerId", "apiKeyRequired", "operationName", "requestValidatorId":
				if op.Op != awsjson.OpReplace {
					problems = append(problems, msgReplaceOnly)
					continue
				}
			}
			switch field {
			case "authorizationType":
				m.AuthorizationType = authorizationType(op.Val())
			case "authorizerId":
				m.AuthorizerID = op.Val()
			case "apiKeyRequired":
				m.APIKeyRequired = javaBool(op.Val())
			case "operationName":
				m.OperationName = op.Val()
			case "requestValidatorId":
				m.RequestValidatorID = op.Val()
			default:
				// Recorded: "unsupported-path" (/httpMethod), "wrong-path-request-parameters".
				problems = append(problems, "Invalid patch path "+op.Path)
			}
			continue
		}
		if len(seg) != 2 || seg[1] == "" || !slices.Contains([]string{awsjson.OpAdd, awsjson.OpRemove, awsjson.OpReplace}, op.Op) {
			// Recorded: "wrong-path-request-models" (/requestModels/application/json,
			// the content type's "/" not escaped as ~1).
			problems = append(problems, "Invalid patch path "+op.Path)
			continue
		}
		switch seg[0] {
		case "requestParameters":
			var err error
			if m.RequestParameters, err = patchMap(m.RequestParameters, seg[1], op, javaBool(op.Val()), errParameterNotFound); err != nil {
				return err
			}
		case "requestModels":
			var err error
			if m.RequestModels, err = patchMap(m.RequestModels, seg[1], op, op.Val(), errContentTypeNotFound); err != nil {
				return err
			}
		default:
			problems = append(problems, "Invalid patch path "+op.Path)
		}
	}
	if scopes != nil {
		m.AuthorizationScopes = scopes.List()
	}
	problems = append(problems, checkAuthorization(doc, m)...)
	problems = append(problems, checkMethodRequestParams(m.RequestParameters)...)
	problems = append(problems, checkModels(doc, m.RequestModels)...)
	if err := checkRequestValidator(doc, m.RequestValidatorID); err != nil {
		problems = append(problems, err.Message)
	}
	return badRequestProblems(problems)
}

// patchMap applies add/replace/remove of one key of a map, v being the value to set.
// Replace and remove of an absent key answer notFound (for parameters AWS's "Invalid
// parameter name specified", recorded: test_update_method_wrong_param_names). A map left
// empty becomes absent, as AWS shows it (test_update_method_response
// "remove-update-method-response").
func patchMap[V any](m map[string]V, key string, op awsjson.PatchOperation, v V, notFound error) (map[string]V, error) {
	if _, ok := m[key]; !ok && op.Op != awsjson.OpAdd {
		return m, notFound
	}
	if op.Op == awsjson.OpRemove {
		deleteEntry(&m, key)
		return m, nil
	}
	if m == nil {
		m = map[string]V{}
	}
	m[key] = v
	return m, nil
}

// DeleteMethod is DELETE .../methods/{http_method}: the method with its responses and
// integration. 204 as the service model says.
func (s *Server) DeleteMethod(ctx context.Context, c *call) error {
	_, err := s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		verb := c.path("http_method")
		if _, err := findMethod(doc, c.path("resource_id"), verb); err != nil {
			return err
		}
		r := doc.Resources[c.path("resource_id")]
		deleteEntry(&r.ResourceMethods, verb)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusNoContent)
	return nil
}

// checkMethodResponseParams returns the problems of a method response's
// responseParameters: every key must be method.response.header.{name}.
func checkMethodResponseParams(params map[string]bool) []string {
	var bad []string
	for _, key := range slices.Sorted(maps.Keys(params)) {
		if name, ok := strings.CutPrefix(key, "method.response.header."); !ok || name == "" {
			bad = append(bad, "Invalid mapping expression specified: "+key)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return []string{mappingError(bad).Message}
}

type putMethodResponseInput struct {
	ResponseParameters map[string]bool   `json:"responseParameters"`
	ResponseModels     map[string]string `json:"responseModels"`
}

// PutMethodResponse is PUT .../methods/{http_method}/responses/{status_code}.
func (s *Server) PutMethodResponse(ctx context.Context, c *call) error {
	var in putMethodResponseInput
	if err := c.decode(&in); err != nil {
		return err
	}
	code := c.path("status_code")
	var created *apigateway.MethodResponse
	_, err := s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		m, err := findMethod(doc, c.path("resource_id"), c.path("http_method"))
		if err != nil {
			return err
		}
		if m.MethodResponses[code] != nil {
			return errMethodResponseExists
		}
		problems := checkMethodResponseParams(in.ResponseParameters)
		problems = append(problems, checkModels(doc, in.ResponseModels)...)
		if err := badRequestProblems(problems); err != nil {
			return err
		}
		created = &apigateway.MethodResponse{StatusCode: code, ResponseParameters: in.ResponseParameters, ResponseModels: in.ResponseModels}
		if m.MethodResponses == nil {
			m.MethodResponses = map[string]*apigateway.MethodResponse{}
		}
		m.MethodResponses[code] = created
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, created)
	return nil
}

// findMethodResponse returns one method response.
func findMethodResponse(doc *apigateway.RestAPIDocument, resourceID, httpMethod, code string) (*apigateway.Method, *apigateway.MethodResponse, error) {
	m, err := findMethod(doc, resourceID, httpMethod)
	if err != nil {
		return nil, nil, err
	}
	mr := m.MethodResponses[code]
	if mr == nil {
		return nil, nil, errResponseNotFound
	}
	return m, mr, nil
}

// GetMethodResponse is GET .../methods/{http_method}/responses/{status_code}.
func (s *Server) GetMethodResponse(ctx context.Context, c *call) error {
	code := c.path("status_code")
	doc, err := s.loadResourceAPI(ctx, c.path("restapi_id"))
	if err != nil {
		return err
	}
	_, mr, err := findMethodResponse(doc, c.path("resource_id"), c.path("http_method"), code)
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, mr)
	return nil
}

// UpdateMethodResponse is PATCH .../methods/{http_method}/responses/{status_code}. It
// answers 201, as the service model says (recorded: test_lifecycle_method_response).
func (s *Server) UpdateMethodResponse(ctx context.Context, c *call) error {
	ops, err := c.patchOps()
	if err != nil {
		return err
	}
	code := c.path("status_code")
	if err := checkInput(awsjson.OpProblems("updateMethodResponseInput", ops)...); err != nil {
		return err
	}
	var updated *apigateway.MethodResponse
	_, err = s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		_, mr, err := findMethodResponse(doc, c.path("resource_id"), c.path("http_method"), code)
		if err != nil {
			return err
		}
		var problems []string
		for _, op := range ops {
			seg := awsjson.Segments(op.Path)
			if len(seg) != 2 || seg[1] == "" || !slices.Contains([]string{awsjson.OpAdd, awsjson.OpRemove, awsjson.OpReplace}, op.Op) {
				problems = append(problems, "Invalid patch path "+op.Path)
				continue
			}
			switch seg[0] {
			case "responseParameters":
				if mr.ResponseParameters, err = patchMap(mr.ResponseParameters, seg[1], op, javaBool(op.Val()), errParameterNotFound); err != nil {
					return err
				}
			case "responseModels":
				if mr.ResponseModels, err = patchMap(mr.ResponseModels, seg[1], op, op.Val(), errContentTypeNotFound); err != nil {
					return err
				}
			default:
				// Recorded: "update-method-response-operation-with-wrong-path".
				problems = append(problems, "Invalid patch path "+op.Path)
			}
		}
		problems = append(problems, checkMethodResponseParams(mr.ResponseParameters)...)
		problems = append(problems, checkModels(doc, mr.ResponseModels)...)
		if err := badRequestProblems(problems); err != nil {
			return err
		}
		updated = mr
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, updated)
	return nil
}

// DeleteMethodResponse is DELETE .../methods/{http_method}/responses/{status_code}: 204.
func (s *Server) DeleteMethodResponse(ctx context.Context, c *call) error {
	code := c.path("status_code")
	_, err := s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		m, _, err := findMethodResponse(doc, c.path("resource_id"), c.path("http_method"), code)
		if err != nil {
			return err
		}
		deleteEntry(&m.MethodResponses, code)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusNoContent)
	return nil
}
