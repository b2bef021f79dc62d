package mgmt

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/vtl"
)

// Integration and integration response operations. The integration is embedded in its
// method (Method.MethodIntegration), its responses in it, as GetMethod returns them.

// passthroughBehaviors are the passthrough behaviors an integration may have (the service
// model types the member as a plain string).
var passthroughBehaviors = []string{apigateway.PassthroughWhenNoMatch, apigateway.PassthroughWhenNoTemplates, apigateway.PassthroughNever}

// allows reports whether v is one of the values of the service model's enum shape.
func allows(shape, v string) bool { return awsjson.ShapeOf(shape).Allows(v) }

// Integration timeout bounds, in milliseconds. AWS's documented range is 50..29000; since
// June 2024 Regional and private REST APIs may ask for more, at the cost of throttle quota
// ([D] in AWS_REFERENCE.md §13). gatehouse has no such quota trade-off to make and keeps
// the classic bound so that a configuration valid here is valid on every AWS endpoint type.
const (
	minTimeoutInMillis = 50
	maxTimeoutInMillis = 29000
)

// checkContentTypes returns the problem of template keys that are not media types
// (recorded: test_integration_response_invalid_responsetemplates "...-2").
func checkContentTypes(templates map[string]string) []string {
	var bad []string
	for _, ct := range slices.Sorted(maps.Keys(templates)) {
		if !validContentType(ct) {
			bad = append(bad, "Invalid content type specified: "+ct)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return []string{"Validation Result: warnings : [], errors : [" + strings.Join(bad, ", ") + "]"}
}

// checkTemplates returns a problem for each mapping template that is not valid VTL, naming
// its content type, line and column. AWS accepts such a template and fails the requests
// that use it ("Unable to transform request"); gatehouse refuses it when it is put, a
// documented difference.
func checkTemplates(templates map[string]string) []string {
	var bad []string
	for _, ct := range slices.Sorted(maps.Keys(templates)) {
		if _, err := vtl.Parse(templates[ct]); err != nil {
			bad = append(bad, "Invalid mapping template specified for content type "+ct+": "+err.Error())
		}
	}
	return bad
}

// validContentType reports whether ct is a media type, "type/subtype", as a template key
// must be.
func validContentType(ct string) bool {
	typ, sub, ok := strings.Cut(ct, "/")
	return ok && typ != "" && sub != "" && !strings.ContainsAny(ct, " \t\r\n")
}

// isStatic reports whether a mapping value is a static value in single quotes.
func isStatic(v string) bool { return len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' }

// namedAfter reports whether v is prefix followed by a non-empty name.
func namedAfter(v, prefix string) bool {
	name, ok := strings.CutPrefix(v, prefix)
	return ok && name != ""
}

// checkIntegrationRequestParams validates an integration's requestParameters: keys
// integration.request.{header,querystring,path}.{name}; values a declared method request
// parameter, the method request body (or a JSONPath into it), a 'static' value, a stage
// variable or a context variable. An undeclared method request parameter is AWS's
// "Invalid mapping expression parameter specified" (recorded in
// awsdocs/amazon-api-gateway-developer-guide#24 and Testlio/lambda-tools#56); anything else
// "Invalid mapping expression specified" (test_put_integration_request_parameter_bool_type).
func checkIntegrationRequestParams(m *apigateway.Method, params map[string]string) []string {
	var errs []string
	for _, key := range slices.Sorted(maps.Keys(params)) {
		if !namedAfter(key, "integration.request.header.") && !namedAfter(key, "integration.request.querystring.") && !namedAfter(key, "integration.request.path.") {
			errs = append(errs, "Invalid mapping expression specified: "+key)
			continue
		}
		v := params[key]
		switch {
		case isStatic(v), namedAfter(v, "stageVariables."), namedAfter(v, "context."),
			v == "method.request.body", namedAfter(v, "method.request.body."):
		case strings.HasPrefix(v, "method.request."):
			if _, _, ok := parseMethodRequestParam(v); !ok {
				errs = append(errs, "Invalid mapping expression specified: "+v)
			} else if _, declared := m.RequestParameters[v]; !declared {
				errs = append(errs, "Invalid mapping expression parameter specified: "+v)
			}
		default:
			errs = append(errs, "Invalid mapping expression specified: "+v)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return []string{mappingError(errs).Message}
}

// checkIntegrationURI validates uri for the integration type, in AWS's words: HTTP types
// need an absolute http(s) URL ("Invalid HTTP endpoint specified for URI"); AWS types an
// ARN ("Invalid ARN specified in the request" for what is not one) whose resource is a
// path/ or action/ ("AWS ARN for integration must contain path or action", answered for an
// IAM role ARN too), and AWS_PROXY only Lambda or Firehose. All recorded in localstack's
// test_apigateway_integrations.snapshot.json, test_put_integration_validation
// ("invalid-uri-HTTP", "invalid-uri-not-an-arn", "invalid-uri-invalid-arn",
// "no-s3-support-AWS_PROXY"). An arn:...:apigateway ARN without a region or service is
// answered as not an ARN (not recorded).
func checkIntegrationURI(typ, uri string) []string {
	switch typ {
	case apigateway.IntegrationHTTP, apigateway.IntegrationHTTPProxy:
		// A stage variable may stand for any part of the URL, its host included
		// (http://${stageVariables.host}/path) or its port: check the URL with each one
		// replaced by "1", valid as a host label, a port and a path segment.
		s := stageVariableRef.ReplaceAllString(uri, "1")
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !validPlaceholders(uriPath(s)) {
			return []string{"Invalid HTTP endpoint specified for URI"}
		}
	case apigateway.IntegrationAWS, apigateway.IntegrationAWSProxy:
		const invalidARN = "Invalid ARN specified in the request"
		parts := strings.SplitN(uri, ":", 6)
		if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
			return []string{invalidARN}
		}
		service, target := parts[4], parts[5]
		if !strings.HasPrefix(target, "path/") && !strings.HasPrefix(target, "action/") {
			return []string{"AWS ARN for integration must contain path or action"}
		}
		if parts[2] != "apigateway" || parts[3] == "" || service == "" {
			return []string{invalidARN}
		}
		if typ == apigateway.IntegrationAWSProxy && service != "lambda" && service != "firehose" {
			return []string{"Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."}
		}
	}
	return nil
}

// uriPath is the path of an absolute URI as written (not decoded): what follows the
// authority, up to a query or fragment.
func uriPath(uri string) string {
	_, rest, _ := strings.Cut(uri, "://")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[i:]
	} else {
		rest = ""
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// validPlaceholders reports whether every "{" of an HTTP integration URI's path opens a
// path parameter placeholder, {name} or {name+}, closed before the next "{": the data plane
// fills them in from the request, and cannot compile an unclosed or empty one (AWS refuses
// a URI it cannot parse; its answer to these is not recorded).
func validPlaceholders(path string) bool {
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return true
		}
		path = path[i+1:]
		j := strings.IndexAny(path, "{}")
		if j < 0 || path[j] != '}' || strings.TrimSuffix(path[:j], "+") == "" {
			return false
		}
		path = path[j+1:]
	}
}

// stageVariableRef is a stage variable in an integration URI: ${stageVariables.name}, the
// name alphanumeric or underscore as stage variable names are.
var stageVariableRef = regexp.MustCompile(`\$\{stageVariables\.[A-Za-z0-9_]+\}`)

// checkIntegration returns every BadRequest problem of ig on method m. A missing
// integration HTTP method is answered alone, before the URI is looked at (recorded:
// test_put_integration_validation "required-integration-method-AWS", whose URI is not an
// ARN).
func checkIntegration(m *apigateway.Method, ig *apigateway.Integration) []string {
	var problems []string
	if ig.Type != apigateway.IntegrationMock {
		if ig.HTTPMethod == "" {
			return []string{"Enumeration value for HttpMethod must be non-empty"}
		}
		problems = append(problems, checkIntegrationURI(ig.Type, ig.URI)...)
	}
	if ig.HTTPMethod != "" && !slices.Contains(httpMethods, ig.HTTPMethod) {
		problems = append(problems, errInvalidHTTPMethod.Message)
	}
	if !slices.Contains(passthroughBehaviors, ig.PassthroughBehavior) {
		// Not recorded in a fixture.
		problems = append(problems, "Invalid passthrough behavior specified: "+ig.PassthroughBehavior)
	}
	if ig.TimeoutInMillis < minTimeoutInMillis || ig.TimeoutInMillis > maxTimeoutInMillis {
		// Not recorded in a fixture; the bounds are AWS's documented ones.
		problems = append(problems, "Timeout should be between "+strconv.Itoa(minTimeoutInMillis)+" ms and "+strconv.Itoa(maxTimeoutInMillis)+" ms")
	}
	problems = append(problems, checkIntegrationRequestParams(m, ig.RequestParameters)...)
	problems = append(problems, checkContentTypes(ig.RequestTemplates)...)
	problems = append(problems, checkTemplates(ig.RequestTemplates)...)
	return problems
}

// normalizeIntegration gives ig the fields AWS keeps for its type: a MOCK integration has no
// uri and no integration HTTP method (AWS drops the ones given: recorded,
// test_put_integration_validation "not-required-integration-method-MOCK", put with a uri and
// answered without; pulumi/pulumi-aws#3060), and only HTTP and HTTP_PROXY integrations get
// connectionType INTERNET when none is given (recorded: "aws-integration-AWS" and
// "aws-integration-type-AWS_PROXY" have none, "http-method-HTTP" has INTERNET).
func normalizeIntegration(ig *apigateway.Integration) {
	switch ig.Type {
	case apigateway.IntegrationMock:
		ig.URI, ig.HTTPMethod = "", ""
	case apigateway.IntegrationHTTP, apigateway.IntegrationHTTPProxy:
		if ig.ConnectionType == "" {
			ig.ConnectionType = "INTERNET"
		}
	}
}

type putIntegrationInput struct {
	// Type is required by the service model: nil means absent.
	Type *string `json:"type"`
	// IntegrationHTTPMethod is "integrationHttpMethod" in the SDKs, "httpMethod" on the wire.
	IntegrationHTTPMethod string                `json:"httpMethod"`
	URI                   string                `json:"uri"`
	ConnectionType        string                `json:"connectionType"`
	ConnectionID          string                `json:"connectionId"`
	Credentials           string                `json:"credentials"`
	RequestParameters     map[string]string     `json:"requestParameters"`
	RequestTemplates      map[string]string     `json:"requestTemplates"`
	PassthroughBehavior   string                `json:"passthroughBehavior"`
	CacheNamespace        string                `json:"cacheNamespace"`
	CacheKeyParameters    []string              `json:"cacheKeyParameters"`
	ContentHandling       string                `json:"contentHandling"`
	TimeoutInMillis       *int                  `json:"timeoutInMillis"`
	TLSConfig             *apigateway.TLSConfig `json:"tlsConfig"`
	ResponseTransferMode  string                `json:"responseTransferMode"`
	IntegrationTarget     string                `json:"integrationTarget"`
}

// PutIntegration is PUT .../methods/{http_method}/integration. It sets AWS's defaults
// (recorded: test_put_integration_responses "put-integration-get" and
// test_lifecycle_integration_response "get-method"): passthroughBehavior WHEN_NO_MATCH,
// timeoutInMillis 29000, cacheKeyParameters [], cacheNamespace the resource id, and the
// per-type fields of normalizeIntegration.
//
// Putting over an existing integration replaces it but keeps its integration responses, so
// that re-putting an integration (as Terraform and the console do) does not silently drop
// the response mappings; AWS's behaviour here is not recorded in a fixture.
func (s *Server) PutIntegration(ctx context.Context, c *call) error {
	var in putIntegrationInput
	if err := c.decode(&in); err != nil {
		return err
	}
	// The members' enums are the model's (awsjson.CheckInput); a type left out is not.
	if in.Type == nil {
		return checkInput("Value null at 'putIntegrationInput.type' failed to satisfy constraint: Member must not be null")
	}
	var created *apigateway.Integration
	_, err := s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		resourceID := c.path("resource_id")
		m, err := findMethod(doc, resourceID, c.path("http_method"))
		if err != nil {
			return err
		}
		ig := &apigateway.Integration{
			Type:                 *in.Type,
			HTTPMethod:           in.IntegrationHTTPMethod,
			URI:                  in.URI,
			ConnectionType:       in.ConnectionType,
			ConnectionID:         in.ConnectionID,
			Credentials:          in.Credentials,
			RequestParameters:    in.RequestParameters,
			RequestTemplates:     in.RequestTemplates,
			PassthroughBehavior:  in.PassthroughBehavior,
			ContentHandling:      in.ContentHandling,
			TimeoutInMillis:      apigateway.DefaultTimeoutInMillis,
			CacheNamespace:       in.CacheNamespace,
			CacheKeyParameters:   in.CacheKeyParameters,
			TLSConfig:            in.TLSConfig,
			ResponseTransferMode: in.ResponseTransferMode,
			IntegrationTarget:    in.IntegrationTarget,
		}
		if in.TimeoutInMillis != nil {
			ig.TimeoutInMillis = *in.TimeoutInMillis
		}
		if ig.PassthroughBehavior == "" {
			ig.PassthroughBehavior = apigateway.PassthroughWhenNoMatch
		}
		normalizeIntegration(ig)
		if ig.CacheNamespace == "" {
			ig.CacheNamespace = resourceID
		}
		if ig.CacheKeyParameters == nil {
			ig.CacheKeyParameters = []string{}
		}
		if err := badRequestProblems(checkIntegration(m, ig)); err != nil {
			return err
		}
		if m.MethodIntegration != nil {
			ig.IntegrationResponses = m.MethodIntegration.IntegrationResponses
		}
		m.MethodIntegration = ig
		created = ig
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, created)
	return nil
}

// GetIntegration is GET .../methods/{http_method}/integration.
func (s *Server) GetIntegration(ctx context.Context, c *call) error {
	doc, err := s.loadResourceAPI(ctx, c.path("restapi_id"))
	if err != nil {
		return err
	}
	ig, err := findIntegration(doc, c.path("resource_id"), c.path("http_method"))
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, ig)
	return nil
}

// UpdateIntegration is PATCH .../methods/{http_method}/integration.
func (s *Server) UpdateIntegration(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateIntegrationInput")
	if err != nil {
		return err
	}
	var updated *apigateway.Integration
	_, err = s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		m, err := findMethod(doc, c.path("resource_id"), c.path("http_method"))
		if err != nil {
			return err
		}
		if m.MethodIntegration == nil {
			return errIntegrationNotFound
		}
		if err := patchIntegration(m, m.MethodIntegration, ops); err != nil {
			return err
		}
		updated = m.MethodIntegration
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, updated)
	return nil
}

// patchIntegration applies UpdateIntegration's operations to ig (a working copy), then
// validates the result as PutIntegration does, reporting every problem together.
func patchIntegration(m *apigateway.Method, ig *apigateway.Integration, ops []awsjson.PatchOperation) error {
	var problems []string
	var cacheKeys *awsjson.ListPatch // ig.CacheKeyParameters, once an operation changes them
	for _, op := range ops {
		seg := awsjson.Segments(op.Path)
		v := op.Val()
		if len(seg) == 1 {
			if op.Op != awsjson.OpReplace {
				problems = append(problems, msgReplaceOnly)
				continue
			}
			switch seg[0] {
			case "uri":
				ig.URI = v
			case "httpMethod":
				ig.HTTPMethod = v
			case "credentials":
				ig.Credentials = v
			case "connectionType":
				if v != "" && !allows("ConnectionType", v) {
					problems = append(problems, "Invalid connection type specified: "+v)
				}
				ig.ConnectionType = v
			case "connectionId":
				ig.ConnectionID = v
			case "passthroughBehavior":
				ig.PassthroughBehavior = v
			case "contentHandling":
				if v != "" && !allows("ContentHandlingStrategy", v) {
					problems = append(problems, "Invalid content handling specified: "+v)
				}
				ig.ContentHandling = v
			case "timeoutInMillis":
				n, err := strconv.Atoi(v)
				if err != nil {
					problems = append(problems, "Invalid timeout specified: "+v)
					continue
				}
				ig.TimeoutInMillis = n
			case "cacheNamespace":
				ig.CacheNamespace = v
			case "integrationTarget":
				ig.IntegrationTarget = v
			case "responseTransferMode":
				if v != "" && !allows("ResponseTransferMode", v) {
					problems = append(problems, "Invalid response transfer mode specified: "+v)
				}
				ig.ResponseTransferMode = v
			default:
				problems = append(problems, "Invalid patch path "+op.Path)
			}
			continue
		}
		if len(seg) != 2 || seg[1] == "" {
			problems = append(problems, "Invalid patch path "+op.Path)
			continue
		}
		switch {
		case seg[0] == "tlsConfig" && seg[1] == "insecureSkipVerification" && op.Op == awsjson.OpReplace:
			ig.TLSConfig = &apigateway.TLSConfig{InsecureSkipVerification: javaBool(v)}
		case seg[0] == "requestParameters" && isMapOp(op.Op):
			var err error
			if ig.RequestParameters, err = patchMap(ig.RequestParameters, seg[1], op, op.Val(), errParameterNotFound); err != nil {
				return err
			}
		case seg[0] == "requestTemplates" && isMapOp(op.Op):
			var err error
			if ig.RequestTemplates, err = patchMap(ig.RequestTemplates, seg[1], op, op.Val(), errContentTypeNotFound); err != nil {
				return err
			}
		case seg[0] == "cacheKeyParameters" && (op.Op == awsjson.OpAdd || op.Op == awsjson.OpRemove):
			if cacheKeys == nil {
				cacheKeys = awsjson.NewListPatch(ig.CacheKeyParameters)
			}
			cacheKeys.Remove(seg[1])
			if op.Op == awsjson.OpAdd {
				cacheKeys.Append(seg[1])
			}
		default:
			problems = append(problems, "Invalid patch path "+op.Path)
		}
	}
	if cacheKeys != nil {
		ig.CacheKeyParameters = cacheKeys.List()
	}
	normalizeIntegration(ig)
	problems = append(problems, checkIntegration(m, ig)...)
	return badRequestProblems(problems)
}

// isMapOp reports whether op may change one entry of a map.
func isMapOp(op string) bool {
	return op == awsjson.OpAdd || op == awsjson.OpRemove || op == awsjson.OpReplace
}

// DeleteIntegration is DELETE .../methods/{http_method}/integration: the integration with
// its responses. 204 as the service model says.
func (s *Server) DeleteIntegration(ctx context.Context, c *call) error {
	_, err := s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		m, err := findMethod(doc, c.path("resource_id"), c.path("http_method"))
		if err != nil {
			return err
		}
		if m.MethodIntegration == nil {
			return errIntegrationNotFound
		}
		m.MethodIntegration = nil
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusNoContent)
	return nil
}

// checkIntegrationResponse returns every BadRequest problem of ir on method m. Response
// parameters map method response headers, which the method response of the same status
// code must declare (AWS's words recorded from AWS in
// amazon-archives/aws-apigateway-importer#121 and #209), from
// integration.response.{header,multivalueheader}.{name}, integration.response.body (or a
// JSONPath into it), a 'static' value, a stage variable or a context variable. The
// selection pattern must compile: the data plane matches it with Go's regexp (RE2), so
// Java-only constructs such as look-arounds are refused here rather than at deploy time.
func checkIntegrationResponse(m *apigateway.Method, ir *apigateway.IntegrationResponse) []string {
	var problems []string
	var errs []string
	mr := m.MethodResponses[ir.StatusCode]
	for _, key := range slices.Sorted(maps.Keys(ir.ResponseParameters)) {
		if !namedAfter(key, "method.response.header.") {
			errs = append(errs, "Invalid mapping expression specified: "+key)
			continue
		}
		if mr == nil {
			errs = append(errs, "No method response exists for method.")
			continue
		}
		if _, declared := mr.ResponseParameters[key]; !declared {
			errs = append(errs, "Invalid mapping expression parameter specified: "+key)
			continue
		}
		v := ir.ResponseParameters[key]
		switch {
		case isStatic(v), namedAfter(v, "stageVariables."), namedAfter(v, "context."),
			namedAfter(v, "integration.response.header."), namedAfter(v, "integration.response.multivalueheader."),
			v == "integration.response.body", namedAfter(v, "integration.response.body."):
		default:
			errs = append(errs, "Invalid mapping expression specified: "+v)
		}
	}
	if len(errs) > 0 {
		problems = append(problems, mappingError(slices.Compact(errs)).Message)
	}
	problems = append(problems, checkContentTypes(ir.ResponseTemplates)...)
	problems = append(problems, checkTemplates(ir.ResponseTemplates)...)
	if _, err := regexp.Compile(ir.SelectionPattern); err != nil {
		// Not recorded in a fixture.
		problems = append(problems, "Invalid selection pattern specified: "+ir.SelectionPattern)
	}
	return problems
}

// checkSelectionPattern refuses a selection pattern another response of the integration
// already uses; the empty (default) one is named "default" as AWS words it (recorded from
// AWS in hashicorp/terraform#5893).
func checkSelectionPattern(ig *apigateway.Integration, ir *apigateway.IntegrationResponse) error {
	for code, other := range ig.IntegrationResponses {
		if code != ir.StatusCode && other.SelectionPattern == ir.SelectionPattern {
			name := ir.SelectionPattern
			if name == "" {
				name = "default"
			}
			return awsjson.Conflict("Integration response with selection pattern %s already exists", name)
		}
	}
	return nil
}

type putIntegrationResponseInput struct {
	// SelectionPattern is nil when absent: AWS answers a given "" and no absent one.
	SelectionPattern   *string           `json:"selectionPattern"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
	ContentHandling    string            `json:"contentHandling"`
}

// PutIntegrationResponse is PUT .../integration/responses/{status_code}. It needs no method
// response of the same status code unless it maps response parameters (recorded:
// test_lifecycle_integration_response puts one with none), and replaces an existing one
// (recorded: "overwrite-integration-response", 201).
func (s *Server) PutIntegrationResponse(ctx context.Context, c *call) error {
	var in putIntegrationResponseInput
	if err := c.decode(&in); err != nil {
		return err
	}
	code := c.path("status_code")
	var created *apigateway.IntegrationResponse
	_, err := s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		m, err := findMethod(doc, c.path("resource_id"), c.path("http_method"))
		if err != nil {
			return err
		}
		ig := m.MethodIntegration
		if ig == nil {
			return errIntegrationNotFound
		}
		ir := &apigateway.IntegrationResponse{
			StatusCode:         code,
			ResponseParameters: in.ResponseParameters,
			ResponseTemplates:  in.ResponseTemplates,
			ContentHandling:    in.ContentHandling,
		}
		if in.SelectionPattern != nil {
			ir.SelectionPattern, ir.SelectionPatternGiven = *in.SelectionPattern, true
		}
		if err := badRequestProblems(checkIntegrationResponse(m, ir)); err != nil {
			return err
		}
		if err := checkSelectionPattern(ig, ir); err != nil {
			return err
		}
		if ig.IntegrationResponses == nil {
			ig.IntegrationResponses = map[string]*apigateway.IntegrationResponse{}
		}
		ig.IntegrationResponses[code] = ir
		created = ir
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, created)
	return nil
}

// findIntegrationResponse returns the method, its integration and one integration response.
func findIntegrationResponse(doc *apigateway.RestAPIDocument, resourceID, httpMethod, code string) (*apigateway.Method, *apigateway.Integration, *apigateway.IntegrationResponse, error) {
	m, err := findMethod(doc, resourceID, httpMethod)
	if err != nil {
		return nil, nil, nil, err
	}
	ig := m.MethodIntegration
	if ig == nil {
		return nil, nil, nil, errIntegrationNotFound
	}
	ir := ig.IntegrationResponses[code]
	if ir == nil {
		return nil, nil, nil, errResponseNotFound
	}
	return m, ig, ir, nil
}

// GetIntegrationResponse is GET .../integration/responses/{status_code}.
func (s *Server) GetIntegrationResponse(ctx context.Context, c *call) error {
	code := c.path("status_code")
	doc, err := s.loadResourceAPI(ctx, c.path("restapi_id"))
	if err != nil {
		return err
	}
	_, _, ir, err := findIntegrationResponse(doc, c.path("resource_id"), c.path("http_method"), code)
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, ir)
	return nil
}

// UpdateIntegrationResponse is PATCH .../integration/responses/{status_code}.
func (s *Server) UpdateIntegrationResponse(ctx context.Context, c *call) error {
	ops, err := c.patchOps()
	if err != nil {
		return err
	}
	code := c.path("status_code")
	if err := checkInput(awsjson.OpProblems("updateIntegrationResponseInput", ops)...); err != nil {
		return err
	}
	var updated *apigateway.IntegrationResponse
	_, err = s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		m, ig, ir, err := findIntegrationResponse(doc, c.path("resource_id"), c.path("http_method"), code)
		if err != nil {
			return err
		}
		var problems []string
		for _, op := range ops {
			seg := awsjson.Segments(op.Path)
			switch {
			case len(seg) == 1 && (seg[0] == "selectionPattern" || seg[0] == "contentHandling"):
				if op.Op != awsjson.OpReplace {
					problems = append(problems, msgReplaceOnly)
					continue
				}
				if seg[0] == "selectionPattern" {
					ir.SelectionPattern, ir.SelectionPatternGiven = op.Val(), true
				} else {
					if v := op.Val(); v != "" && !allows("ContentHandlingStrategy", v) {
						problems = append(problems, "Invalid content handling specified: "+v)
					}
					ir.ContentHandling = op.Val()
				}
			case len(seg) == 2 && seg[1] != "" && seg[0] == "responseParameters" && isMapOp(op.Op):
				if ir.ResponseParameters, err = patchMap(ir.ResponseParameters, seg[1], op, op.Val(), errParameterNotFound); err != nil {
					return err
				}
			case len(seg) == 2 && seg[1] != "" && seg[0] == "responseTemplates" && isMapOp(op.Op):
				if ir.ResponseTemplates, err = patchMap(ir.ResponseTemplates, seg[1], op, op.Val(), errContentTypeNotFound); err != nil {
					return err
				}
			default:
				problems = append(problems, "Invalid patch path "+op.Path)
			}
		}
		problems = append(problems, checkIntegrationResponse(m, ir)...)
		if err := badRequestProblems(problems); err != nil {
			return err
		}
		if err := checkSelectionPattern(ig, ir); err != nil {
			return err
		}
		updated = ir
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, updated)
	return nil
}

// DeleteIntegrationResponse is DELETE .../integration/responses/{status_code}: 204. AWS
// answers a missing method here with the integration's message, not the method's
// (recorded: test_delete_integration_response_errors "non-existent-method").
func (s *Server) DeleteIntegrationResponse(ctx context.Context, c *call) error {
	code := c.path("status_code")
	_, err := s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		r, err := findResource(doc, c.path("resource_id"))
		if err != nil {
			return err
		}
		m := r.ResourceMethods[c.path("http_method")]
		if m == nil || m.MethodIntegration == nil {
			return errIntegrationNotFound
		}
		ig := m.MethodIntegration
		if ig.IntegrationResponses[code] == nil {
			return errResponseNotFound
		}
		deleteEntry(&ig.IntegrationResponses, code)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusNoContent)
	return nil
}
