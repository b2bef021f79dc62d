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

// Gateway responses are part of the API document (only the customized ones are stored), so
// a change reaches clients at the API's next deployment, as on AWS. Recorded shapes and
// messages: localstack's test_apigateway_api.snapshot.json, TestApiGatewayGatewayResponse.

// gatewayResponseTypeEnum is the ValidationException's list of types, in the order AWS
// prints it (test_gateway_response_validation "get-gateway-response-wrong-response-type").
const gatewayResponseTypeEnum = "[REQUEST_TOO_LARGE, RESOURCE_NOT_FOUND, AUTHORIZER_CONFIGURATION_ERROR, MISSING_AUTHENTICATION_TOKEN, BAD_REQUEST_BODY, INVALID_SIGNATURE, INVALID_API_KEY, BAD_REQUEST_PARAMETERS, AUTHORIZER_FAILURE, UNAUTHORIZED, INTEGRATION_TIMEOUT, ACCESS_DENIED, DEFAULT_4XX, DEFAULT_5XX, WAF_FILTERED, QUOTA_EXCEEDED, THROTTLED, API_CONFIGURATION_ERROR, UNSUPPORTED_MEDIA_TYPE, INTEGRATION_FAILURE, EXPIRED_TOKEN]"

// errGatewayResponseNotDefined answers DeleteGatewayResponse of a type that is not
// customized (test_gateway_response_validation "delete-gateway-response-not-set").
var errGatewayResponseNotDefined = awsjson.NotFound("Gateway response type not defined on api")

// gatewayResponseType reads the {response_type} label, answering AWS's ValidationException
// for a type outside the enum. The API is checked first, as AWS does
// ("get-gateway-response-no-api" names the API even for a valid type).
func gatewayResponseType(c *call) (apigateway.GatewayResponseInfo, error) {
	t := c.path("response_type")
	info, ok := apigateway.LookupGatewayResponseType(apigateway.GatewayResponseType(t))
	if !ok {
		return info, awsjson.Validation([]string{"Value '" + t + "' at 'responseType' failed to satisfy constraint: Member must satisfy enum value set: " + gatewayResponseTypeEnum})
	}
	return info, nil
}

// effectiveGatewayResponse is the response AWS reports for a type of doc: the customized one
// (defaultResponse false); else, when its class's DEFAULT_4XX/DEFAULT_5XX is customized, the
// type inherits that one's status, parameters and templates while staying a default
// response; else AWS's default (test_gateway_response_put "get-gateway-responses":
// API_CONFIGURATION_ERROR shows DEFAULT_5XX's 599 with defaultResponse true).
func effectiveGatewayResponse(doc *apigateway.RestAPIDocument, info apigateway.GatewayResponseInfo) *apigateway.GatewayResponse {
	if gr := doc.GatewayResponses[info.Type]; gr != nil {
		out := cloneGatewayResponse(gr)
		out.ResponseType = info.Type
		out.DefaultResponse = false
		return out
	}
	out := apigateway.DefaultGatewayResponse(info)
	if info.Type == apigateway.ResponseDefault4XX || info.Type == apigateway.ResponseDefault5XX {
		return out
	}
	class := apigateway.ResponseDefault5XX
	if info.Is4XX() {
		class = apigateway.ResponseDefault4XX
	}
	if parent := doc.GatewayResponses[class]; parent != nil {
		if parent.StatusCode != "" {
			out.StatusCode = parent.StatusCode
		}
		out.ResponseParameters = maps.Clone(parent.ResponseParameters)
		out.ResponseTemplates = maps.Clone(parent.ResponseTemplates)
		normalizeGatewayResponse(out)
	}
	return out
}

func cloneGatewayResponse(gr *apigateway.GatewayResponse) *apigateway.GatewayResponse {
	out := *gr
	out.ResponseParameters = maps.Clone(gr.ResponseParameters)
	out.ResponseTemplates = maps.Clone(gr.ResponseTemplates)
	normalizeGatewayResponse(&out)
	return &out
}

// normalizeGatewayResponse makes both maps objects on the wire ({} rather than null), as
// AWS always sends them.
func normalizeGatewayResponse(gr *apigateway.GatewayResponse) {
	if gr.ResponseParameters == nil {
		gr.ResponseParameters = map[string]string{}
	}
	if gr.ResponseTemplates == nil {
		gr.ResponseTemplates = map[string]string{}
	}
}

// GetGatewayResponses is GET /restapis/{restapi_id}/gatewayresponses: all 21 types, in
// AWS's (alphabetical) order. [B] GatewayResponses: "Returns the entire collection, because
// of no pagination support"; position and limit do not apply.
func (s *Server) GetGatewayResponses(ctx context.Context, c *call) error {
	doc, err := s.loadAPI(ctx, c.path("restapi_id"))
	if err != nil {
		return err
	}
	types := slices.Clone(apigateway.GatewayResponseTypes())
	slices.SortFunc(types, func(a, b apigateway.GatewayResponseInfo) int { return strings.Compare(string(a.Type), string(b.Type)) })
	out := listOutput[*apigateway.GatewayResponse]{Items: make([]*apigateway.GatewayResponse, 0, len(types))}
	for _, info := range types {
		out.Items = append(out.Items, effectiveGatewayResponse(doc, info))
	}
	awsjson.WriteJSON(c.w, http.StatusOK, out)
	return nil
}

// GetGatewayResponse is GET /restapis/{restapi_id}/gatewayresponses/{response_type}.
func (s *Server) GetGatewayResponse(ctx context.Context, c *call) error {
	doc, err := s.loadAPI(ctx, c.path("restapi_id"))
	if err != nil {
		return err
	}
	info, err := gatewayResponseType(c)
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, effectiveGatewayResponse(doc, info))
	return nil
}

type putGatewayResponseInput struct {
	StatusCode         *string           `json:"statusCode"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
}

// PutGatewayResponse is PUT /restapis/{restapi_id}/gatewayresponses/{response_type}: it
// replaces the whole customization. What the put leaves out is AWS's default for the type:
// its own status (DEFAULT_4XX/5XX have none), no parameters, the default JSON template
// (test_gateway_response_put "put-gateway-response-status-only",
// "...-response-parameters-only" keeping 403, "...-default-ignored").
func (s *Server) PutGatewayResponse(ctx context.Context, c *call) error {
	var in putGatewayResponseInput
	if err := c.decode(&in); err != nil {
		return err
	}
	apiID := c.path("restapi_id")
	if err := s.checkAPIExists(ctx, apiID); err != nil {
		return err
	}
	info, err := gatewayResponseType(c)
	if err != nil {
		return err
	}
	gr := apigateway.DefaultGatewayResponse(info)
	gr.DefaultResponse = false
	if in.StatusCode != nil {
		if err := checkInput(statusCodeProblem(*in.StatusCode)); err != nil {
			return err
		}
		gr.StatusCode = *in.StatusCode
	}
	var p problemList
	if in.ResponseParameters != nil {
		gr.ResponseParameters = in.ResponseParameters
		for _, k := range slices.Sorted(maps.Keys(in.ResponseParameters)) {
			checkGatewayResponseParameter(&p, k, in.ResponseParameters[k])
		}
	}
	if in.ResponseTemplates != nil {
		gr.ResponseTemplates = in.ResponseTemplates
		for _, ct := range slices.Sorted(maps.Keys(in.ResponseTemplates)) {
			checkContentType(&p, ct)
		}
	}
	if err := p.err(); err != nil {
		return err
	}
	doc, err := s.updateAPI(ctx, apiID, func(doc *apigateway.RestAPIDocument) error {
		if doc.GatewayResponses == nil {
			doc.GatewayResponses = map[apigateway.GatewayResponseType]*apigateway.GatewayResponse{}
		}
		doc.GatewayResponses[info.Type] = gr
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, effectiveGatewayResponse(doc, info))
	return nil
}

// checkGatewayResponseParameter checks one response parameter mapping: the key names a
// response header, path or query string parameter ("gatewayresponse.header.X"), the value a
// quoted literal, a method request parameter, a stage variable or a context variable
// ([A] "Set up gateway response mapping"). AWS's wording follows
// test_put_integration_request_parameter_bool_type "put-method-request-param-wrong-type".
func checkGatewayResponseParameter(p *problemList, key, value string) {
	if !validGatewayResponseKey(key) {
		p.addf("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: %s]", key)
	}
	if !validGatewayResponseValue(value) {
		p.addf("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: %s]", value)
	}
}

func validGatewayResponseKey(key string) bool {
	for _, prefix := range []string{"gatewayresponse.header.", "gatewayresponse.path.", "gatewayresponse.querystring."} {
		if name, ok := strings.CutPrefix(key, prefix); ok {
			return name != "" && !strings.ContainsAny(name, " \t\r\n")
		}
	}
	return false
}

func validGatewayResponseValue(v string) bool {
	if isStatic(v) {
		return true
	}
	for _, prefix := range []string{
		"method.request.header.", "method.request.path.", "method.request.querystring.",
		"method.request.multivalueheader.", "method.request.multivaluequerystring.",
		"stageVariables.", "context.",
	} {
		if name, ok := strings.CutPrefix(v, prefix); ok {
			return name != ""
		}
	}
	return false
}

// checkContentType checks a template's media type key ("type/subtype"), in AWS's wording for
// it (test_integration_response_invalid_responsetemplates "...-responseTemplates-2").
func checkContentType(p *problemList, ct string) {
	if !validContentType(ct) {
		p.addf("Validation Result: warnings : [], errors : [Invalid content type specified: %s]", ct)
	}
}

// UpdateGatewayResponse is PATCH /restapis/{restapi_id}/gatewayresponses/{response_type}:
// replace /statusCode; add, replace or remove /responseParameters/{key} and
// /responseTemplates/{media type with ~1}. Updating a type that is not customized starts
// from what GetGatewayResponse shows and customizes it (test_update_gateway_response
// "update-gateway-response-not-set").
func (s *Server) UpdateGatewayResponse(ctx context.Context, c *call) error {
	ops, err := c.patchOps()
	if err != nil {
		return err
	}
	apiID := c.path("restapi_id")
	if err := s.checkAPIExists(ctx, apiID); err != nil {
		return err
	}
	info, err := gatewayResponseType(c)
	if err != nil {
		return err
	}
	if err := checkInput(awsjson.OpProblems("updateGatewayResponseInput", ops)...); err != nil {
		return err
	}
	doc, err := s.updateAPI(ctx, apiID, func(doc *apigateway.RestAPIDocument) error {
		gr := effectiveGatewayResponse(doc, info)
		gr.DefaultResponse = false
		if err := patchGatewayResponse(gr, ops); err != nil {
			return err
		}
		if doc.GatewayResponses == nil {
			doc.GatewayResponses = map[apigateway.GatewayResponseType]*apigateway.GatewayResponse{}
		}
		doc.GatewayResponses[info.Type] = gr
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, effectiveGatewayResponse(doc, info))
	return nil
}

// patchGatewayResponse applies UpdateGatewayResponse's operations, reporting every problem.
// Messages recorded in test_update_gateway_response: "update-gateway-add-status-code" and
// "...-wrong-path" ("Invalid patch path /x"), "update-gateway-no-path" ("Invalid patch path
// null"), "update-gateway-replace-invalid-parameter" (a parameter that is not there),
// "...-invalid-parameter-0-none"/"-1-none" (a null value).
func patchGatewayResponse(gr *apigateway.GatewayResponse, ops []awsjson.PatchOperation) error {
	var p problemList
	for _, op := range ops {
		if op.Path == "" {
			p.addf("Invalid patch path null")
			continue
		}
		seg := awsjson.Segments(op.Path)
		switch {
		case len(seg) == 1 && seg[0] == "statusCode" && op.Op == awsjson.OpReplace:
			if msg := statusCodeProblem(op.Val()); msg != "" {
				p.add(awsjson.Validation([]string{msg}))
				continue
			}
			gr.StatusCode = op.Val()
		case len(seg) == 2 && seg[0] == "responseParameters" && seg[1] != "":
			patchGatewayResponseMap(&p, gr.ResponseParameters, "responseParameters", seg[1], op, func(v string) {
				checkGatewayResponseParameter(&p, seg[1], v)
			})
		case len(seg) == 2 && seg[0] == "responseTemplates" && seg[1] != "":
			patchGatewayResponseMap(&p, gr.ResponseTemplates, "responseTemplates", seg[1], op, func(string) {
				checkContentType(&p, seg[1])
			})
		default:
			p.addf("Invalid patch path %s", op.Path)
		}
	}
	return p.err()
}

// patchGatewayResponseMap applies one op to a parameters or templates map. Replacing or
// removing a parameter that is not there is a NotFoundException; a template's replace adds it.
func patchGatewayResponseMap(p *problemList, m map[string]string, field, key string, op awsjson.PatchOperation, check func(v string)) {
	switch op.Op {
	case awsjson.OpAdd, awsjson.OpReplace:
		if op.Value == nil || *op.Value == "" {
			p.addf("Invalid null or empty value in %s", field)
			return
		}
		if _, ok := m[key]; !ok && op.Op == awsjson.OpReplace && field == "responseParameters" {
			p.add(awsjson.NotFound("Invalid parameter name specified"))
			return
		}
		check(*op.Value)
		m[key] = *op.Value
	case awsjson.OpRemove:
		if _, ok := m[key]; !ok {
			if field == "responseParameters" {
				p.add(awsjson.NotFound("Invalid parameter name specified"))
			} else {
				p.add(awsjson.NotFound("Content-Type specified was not found"))
			}
			return
		}
		delete(m, key)
	default:
		p.addf("Invalid patch path %s", op.Path)
	}
}

// DeleteGatewayResponse is DELETE /restapis/{restapi_id}/gatewayresponses/{response_type}: the
// type is AWS's default again.
func (s *Server) DeleteGatewayResponse(ctx context.Context, c *call) error {
	apiID := c.path("restapi_id")
	if err := s.checkAPIExists(ctx, apiID); err != nil {
		return err
	}
	info, err := gatewayResponseType(c)
	if err != nil {
		return err
	}
	_, err = s.updateAPI(ctx, apiID, func(doc *apigateway.RestAPIDocument) error {
		if doc.GatewayResponses[info.Type] == nil {
			return errGatewayResponseNotDefined
		}
		deleteEntry(&doc.GatewayResponses, info.Type)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}
