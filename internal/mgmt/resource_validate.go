package mgmt

import (
	"context"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// Errors shared by the resource, method and integration operations. The wording is AWS's,
// recorded in localstack's tests/aws/services/apigateway/test_apigateway_api.snapshot.json
// (the case named beside each).
var (
	// test_update_resource_behaviour "nonexistent-resource"; test_put_method_validation
	// "wrong-api": AWS answers an unknown REST API id with this message too, on every
	// operation under a resource.
	errResourceNotFound = awsjson.NotFound("Invalid Resource identifier specified")
	// test_method_lifecycle "get-deleted-method-response".
	errMethodNotFound = awsjson.NotFound("Invalid Method identifier specified")
	// test_get_integration_non_existent "get-integration-no-integration".
	errIntegrationNotFound = awsjson.NotFound("Invalid Integration identifier specified")
	// test_integration_response_wrong_status_code and
	// test_update_method_response_negative_tests "update-method-response-wrong-statuscode".
	errResponseNotFound = awsjson.NotFound("Invalid Response status code specified")
	// test_update_method_lack_response_parameters_and_models: remove/replace of a map entry
	// that does not exist.
	errParameterNotFound   = awsjson.NotFound("Invalid parameter name specified")
	errContentTypeNotFound = awsjson.NotFound("Content-Type specified was not found")
)

// loadResourceAPI reads the REST API document for an operation under a resource. AWS
// answers an unknown API id there with "Invalid Resource identifier specified", not the
// API message (test_put_method_validation "wrong-api").
func (s *Server) loadResourceAPI(ctx context.Context, apiID string) (*apigateway.RestAPIDocument, error) {
	return s.loadAPIOr(ctx, apiID, errResourceNotFound)
}

// updateResourceAPI changes one REST API document atomically (see updateAPIOr), answering
// an unknown API as loadResourceAPI does.
func (s *Server) updateResourceAPI(ctx context.Context, apiID string, fn func(doc *apigateway.RestAPIDocument) error) (*apigateway.RestAPIDocument, error) {
	return s.updateAPIOr(ctx, apiID, errResourceNotFound, fn)
}

// findResource returns the resource with the given id, the document's own to change
// (doc.MutableResource: a document's resources may be shared with others until then).
func findResource(doc *apigateway.RestAPIDocument, id string) (*apigateway.Resource, error) {
	r, err := doc.MutableResource(id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errResourceNotFound
	}
	return r, nil
}

// readResource returns the resource with the given id to read only: unlike findResource it
// makes no private copy, so a resource an update only looks at (a new child's parent) is not
// rewritten with it.
func readResource(doc *apigateway.RestAPIDocument, id string) (*apigateway.Resource, error) {
	if r := doc.Resources[id]; r != nil {
		return r, nil
	}
	return nil, errResourceNotFound
}

// findMethod returns the resource's method for the HTTP verb, checking the resource first
// as AWS does.
func findMethod(doc *apigateway.RestAPIDocument, resourceID, httpMethod string) (*apigateway.Method, error) {
	r, err := findResource(doc, resourceID)
	if err != nil {
		return nil, err
	}
	if m := r.ResourceMethods[httpMethod]; m != nil {
		return m, nil
	}
	return nil, errMethodNotFound
}

// findIntegration returns the method's integration.
func findIntegration(doc *apigateway.RestAPIDocument, resourceID, httpMethod string) (*apigateway.Integration, error) {
	m, err := findMethod(doc, resourceID, httpMethod)
	if err != nil {
		return nil, err
	}
	if m.MethodIntegration == nil {
		return nil, errIntegrationNotFound
	}
	return m.MethodIntegration, nil
}

// methodsByPath yields every method of the API with where it is, its resource's path, "/"
// and its verb: "/path/VERB", and "//VERB" on the root as AWS writes it (recorded:
// localstack test_apigateway_api.snapshot.json, test_put_method_model "delete-model-used",
// "Cannot delete model '...', is referenced in method request: //ANY"), in resource path then
// verb order: how the "Cannot delete ..., is referenced in method" answers of DeleteModel and
// DeleteRequestValidator list the methods that use a model or validator.
func methodsByPath(doc *apigateway.RestAPIDocument) iter.Seq2[string, *apigateway.Method] {
	return func(yield func(string, *apigateway.Method) bool) {
		resources := slices.SortedFunc(maps.Values(doc.Resources), func(a, b *apigateway.Resource) int { return strings.Compare(a.Path, b.Path) })
		for _, r := range resources {
			for _, verb := range slices.Sorted(maps.Keys(r.ResourceMethods)) {
				if !yield(r.Path+"/"+verb, r.ResourceMethods[verb]) {
					return
				}
			}
		}
	}
}

// mappingError is AWS's answer to invalid parameter mappings: every problem of the request
// inside one "Validation Result" (recorded: test_put_integration_request_parameter_bool_type
// "put-method-request-param-wrong-type").
func mappingError(errs []string) *awsjson.Error {
	return awsjson.BadRequest("Invalid mapping expression specified: Validation Result: warnings : [], errors : [%s]", strings.Join(errs, ", "))
}

// javaBool parses a patch value as AWS (Java's Boolean.parseBoolean) does: "true" in any
// case is true, anything else false. Recorded: test_update_method_validation
// "wrong-value-type" ("whatever" gives false without an error).
func javaBool(v string) bool { return strings.EqualFold(v, "true") }
