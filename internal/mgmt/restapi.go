package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// errAPINotFound is AWS's answer for an unknown REST API id.
func (s *Server) errAPINotFound(apiID string) *awsjson.Error {
	return awsjson.NotFound("Invalid API identifier specified %s:%s", s.scope.AccountID, apiID)
}

// loadAPI reads one REST API document; an unknown id is errAPINotFound.
func (s *Server) loadAPI(ctx context.Context, apiID string) (*apigateway.RestAPIDocument, error) {
	return s.loadAPIOr(ctx, apiID, s.errAPINotFound(apiID))
}

// updateAPI changes one REST API document atomically (see updateAPIOr); an unknown id is
// errAPINotFound.
func (s *Server) updateAPI(ctx context.Context, apiID string, fn func(doc *apigateway.RestAPIDocument) error) (*apigateway.RestAPIDocument, error) {
	return s.updateAPIOr(ctx, apiID, s.errAPINotFound(apiID), fn)
}

type createRestAPIInput struct {
	Name                      string                            `json:"name"`
	Description               string                            `json:"description"`
	Version                   string                            `json:"version"`
	CloneFrom                 string                            `json:"cloneFrom"`
	BinaryMediaTypes          []string                          `json:"binaryMediaTypes"`
	MinimumCompressionSize    *int                              `json:"minimumCompressionSize"`
	APIKeySource              string                            `json:"apiKeySource"`
	EndpointConfiguration     *apigateway.EndpointConfiguration `json:"endpointConfiguration"`
	Policy                    string                            `json:"policy"`
	Tags                      map[string]string                 `json:"tags"`
	DisableExecuteAPIEndpoint bool                              `json:"disableExecuteApiEndpoint"`
}

// CreateRestAPI is POST /restapis.
func (s *Server) CreateRestAPI(ctx context.Context, c *call) error {
	if c.r.URL.Query().Get("mode") == "import" {
		// ImportRestApi shares this path (POST /restapis?mode=import); OpenAPI import is
		// not built yet, so say so rather than read the definition as a CreateRestApi body.
		return &awsjson.Error{Status: http.StatusNotFound, Type: "UnknownOperationException", Message: "ImportRestApi (POST /restapis?mode=import) is not supported by this gatehouse yet"}
	}
	var in createRestAPIInput
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Name == "" {
		return awsjson.BadRequest("Invalid REST API name specified")
	}
	var problems []string
	switch in.APIKeySource {
	case "":
		in.APIKeySource = "HEADER"
	case "HEADER", "AUTHORIZER":
	default:
		problems = append(problems, "Invalid API key source specified: "+in.APIKeySource)
	}
	ec := in.EndpointConfiguration
	if ec == nil || len(ec.Types) == 0 {
		ec = &apigateway.EndpointConfiguration{Types: []string{"EDGE"}}
	}
	for _, t := range ec.Types {
		if t != "EDGE" && t != "REGIONAL" && t != "PRIVATE" {
			problems = append(problems, "Invalid endpoint type specified: "+t)
		}
	}
	if ec.IPAddressType == "" {
		// AWS: PRIVATE endpoints default to dualstack, the others to ipv4.
		ec.IPAddressType = "ipv4"
		if slices.Contains(ec.Types, "PRIVATE") {
			ec.IPAddressType = "dualstack"
		}
	}
	if in.MinimumCompressionSize != nil && (*in.MinimumCompressionSize < 0 || *in.MinimumCompressionSize > 10485760) {
		problems = append(problems, "Invalid minimum compression size, must be between 0 and 10485760")
	}
	if p := binaryMediaTypesProblem(in.BinaryMediaTypes); p != "" {
		problems = append(problems, p)
	}
	policy, msg := storedPolicy(in.Policy)
	if msg != "" {
		problems = append(problems, msg)
	}
	if err := badRequestProblems(problems); err != nil {
		return err
	}
	doc := &apigateway.RestAPIDocument{
		RestAPI: apigateway.RestAPI{
			ID:                        newID(10),
			Name:                      in.Name,
			Description:               in.Description,
			CreatedDate:               s.now(),
			Version:                   in.Version,
			BinaryMediaTypes:          in.BinaryMediaTypes,
			MinimumCompressionSize:    in.MinimumCompressionSize,
			APIKeySource:              in.APIKeySource,
			EndpointConfiguration:     ec,
			Policy:                    policy,
			Tags:                      in.Tags,
			DisableExecuteAPIEndpoint: in.DisableExecuteAPIEndpoint,
			RootResourceID:            newID(10),
		},
	}
	if in.CloneFrom != "" {
		src, err := s.loadAPI(ctx, in.CloneFrom)
		if err != nil {
			return err
		}
		doc.Resources = src.Resources
		doc.GatewayResponses = src.GatewayResponses
		doc.RootResourceID = src.RootResourceID
		doc.Models = src.Models
		doc.RequestValidators = src.RequestValidators
	} else {
		doc.Resources = map[string]*apigateway.Resource{
			doc.RootResourceID: {ID: doc.RootResourceID, Path: "/"},
		}
		// Every new API has AWS's Empty and Error models (recorded: test_model_lifecycle
		// "get-models").
		doc.Models = apigateway.DefaultModels(func() string { return newID(6) })
	}
	if err := s.saveAPI(ctx, nil, doc, nil); err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, &doc.RestAPI)
	return nil
}

// GetRestAPI is GET /restapis/{restapi_id}.
func (s *Server) GetRestAPI(ctx context.Context, c *call) error {
	doc, err := s.loadAPI(ctx, c.path("restapi_id"))
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, restAPIOut(&doc.RestAPI))
	return nil
}

// GetRestAPIs is GET /restapis.
func (s *Server) GetRestAPIs(ctx context.Context, c *call) error {
	page, err := awsjson.ParsePage(c.r)
	if err != nil {
		return err
	}
	kvs, _, err := s.store.List(ctx, s.scope.RestAPIPrefix())
	if err != nil {
		return err
	}
	apis := make([]*apigateway.RestAPI, 0, len(kvs))
	for _, kv := range kvs {
		var doc apigateway.RestAPIDocument
		if err := jsonUnmarshal(kv.Value, &doc); err != nil {
			return err
		}
		apis = append(apis, &doc.RestAPI)
	}
	items, next := awsjson.Paginate(apis, func(a *apigateway.RestAPI) string { return a.ID }, page)
	awsjson.WriteJSON(c.w, http.StatusOK, listOutput[*apigateway.RestAPI]{Items: items, Position: next})
	return nil
}

// UpdateRestAPI is PATCH /restapis/{restapi_id}.
func (s *Server) UpdateRestAPI(ctx context.Context, c *call) error {
	ops, err := c.patchOps()
	if err != nil {
		return err
	}
	doc, err := s.updateAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		return patchRestAPI(&doc.RestAPI, ops)
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, restAPIOut(&doc.RestAPI))
	return nil
}

// patchRestAPI applies UpdateRestApi's patch operations, reporting every invalid one.
func patchRestAPI(api *apigateway.RestAPI, ops []awsjson.PatchOperation) error {
	var problems []string
	var binary *awsjson.ListPatch // api.BinaryMediaTypes, once an operation changes them
	for _, op := range ops {
		seg := awsjson.Segments(op.Path)
		if len(seg) == 0 {
			problems = append(problems, invalidPatch(op))
			continue
		}
		switch {
		case op.Op == awsjson.OpReplace && len(seg) == 1:
			v := op.Val()
			switch seg[0] {
			case "name":
				if v == "" {
					problems = append(problems, "Invalid REST API name specified")
				}
				api.Name = v
			case "description":
				api.Description = v
			case "version":
				api.Version = v
			case "policy":
				policy, msg := storedPolicy(v)
				if msg != "" {
					problems = append(problems, msg)
				}
				api.Policy = policy
			case "apiKeySource":
				if v != "HEADER" && v != "AUTHORIZER" {
					problems = append(problems, "Invalid API key source specified: "+v)
				}
				api.APIKeySource = v
			case "minimumCompressionSize":
				if v == "" {
					api.MinimumCompressionSize = nil
					break
				}
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > 10485760 {
					problems = append(problems, "Invalid minimum compression size, must be between 0 and 10485760")
					break
				}
				api.MinimumCompressionSize = &n
			case "disableExecuteApiEndpoint":
				b, err := strconv.ParseBool(v)
				if err != nil {
					problems = append(problems, "Invalid value for disableExecuteApiEndpoint: "+v)
				}
				api.DisableExecuteAPIEndpoint = b
			default:
				problems = append(problems, invalidPatch(op))
			}
		case len(seg) == 2 && seg[0] == "binaryMediaTypes" && (op.Op == awsjson.OpAdd || op.Op == awsjson.OpRemove || op.Op == awsjson.OpReplace):
			if binary == nil {
				binary = awsjson.NewListPatch(api.BinaryMediaTypes)
			}
			binary.Remove(seg[1])
			switch op.Op {
			case awsjson.OpAdd:
				binary.Append(seg[1])
			case awsjson.OpReplace:
				binary.Append(op.Val())
			}
		case op.Op == awsjson.OpReplace && len(seg) == 3 && seg[0] == "endpointConfiguration" && seg[1] == "types" && seg[2] == "0":
			v := op.Val()
			if v != "EDGE" && v != "REGIONAL" && v != "PRIVATE" {
				problems = append(problems, "Invalid endpoint type specified: "+v)
			}
			if api.EndpointConfiguration == nil {
				api.EndpointConfiguration = &apigateway.EndpointConfiguration{}
			}
			api.EndpointConfiguration.Types = []string{v}
		case op.Op == awsjson.OpReplace && len(seg) == 2 && seg[0] == "endpointConfiguration" && seg[1] == "ipAddressType":
			v := op.Val()
			if v != "ipv4" && v != "dualstack" {
				problems = append(problems, "Invalid IP address type specified: "+v)
			}
			if api.EndpointConfiguration == nil {
				api.EndpointConfiguration = &apigateway.EndpointConfiguration{}
			}
			api.EndpointConfiguration.IPAddressType = v
		default:
			problems = append(problems, invalidPatch(op))
		}
	}
	if binary != nil {
		api.BinaryMediaTypes = binary.List()
		if p := binaryMediaTypesProblem(api.BinaryMediaTypes); p != "" {
			problems = append(problems, p)
		}
	}
	return badRequestProblems(problems)
}

// MaxBinaryMediaTypes bounds a REST API's binaryMediaTypes. AWS documents no such quota
// (limits.md lists none; the service model's ListOfString has no length constraint); this
// is gatehouse's deliberate bound: real APIs list a handful, and the data plane matches a
// request's content type against every one of them.
const MaxBinaryMediaTypes = 100

// binaryMediaTypesProblem is the BadRequestException problem of a list longer than
// MaxBinaryMediaTypes, "" for none.
func binaryMediaTypesProblem(types []string) string {
	if len(types) <= MaxBinaryMediaTypes {
		return ""
	}
	return fmt.Sprintf("Too many binary media types: %d. At most %d are allowed.", len(types), MaxBinaryMediaTypes)
}

// DeleteRestAPI is DELETE /restapis/{restapi_id}: the API (its head and resources) with its
// deployments and stages.
func (s *Server) DeleteRestAPI(ctx context.Context, c *call) error {
	apiID := c.path("restapi_id")
	kv, err := s.store.Get(ctx, s.scope.RestAPIKey(apiID))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return s.errAPINotFound(apiID)
		}
		return err
	}
	ops := []store.Op{{Key: kv.Key, Delete: true, IfRevision: kv.Revision}}
	for _, prefix := range []string{s.scope.ResourcePrefix(apiID), s.scope.DeploymentPrefix(apiID), s.scope.StagePrefix(apiID)} {
		kvs, _, err := s.store.List(ctx, prefix)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			ops = append(ops, store.Op{Key: kv.Key, Delete: true, IfRevision: store.AnyRevision})
		}
	}
	if _, err := s.store.Txn(ctx, ops...); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return awsjson.Conflict("Unable to complete operation due to concurrent modification. Please try again later.")
		}
		return err
	}
	s.apis.drop(apiID)
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}
