package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	Description               *string                           `json:"description"`
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
	var in createRestAPIInput
	if err := c.decode(&in); err != nil {
		return err
	}
	ec, err := createRestAPIRules(&in)
	policy, msg := storedPolicy(in.Policy)
	if err == nil && msg != "" {
		err = awsjson.BadRequest("%s", msg)
	}
	if err == nil {
		err = tagsProblem(in.Tags) // the limits TagResource applies hold at create too
	}
	if err != nil {
		return err
	}
	doc := &apigateway.RestAPIDocument{
		RestAPI: apigateway.RestAPI{
			ID:                        newID(10),
			Name:                      in.Name,
			Description:               deref(in.Description),
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
	awsjson.WriteJSON(c.w, http.StatusOK, withTags(&doc.RestAPI))
	return nil
}

// restAPIOutput is GetRestApi's and UpdateRestApi's answer: AWS answers "tags": {} for an
// API without tags there (recorded: test_update_rest_api_* answers), while CreateRestApi and
// GetRestApis leave the key out.
type restAPIOutput struct {
	*apigateway.RestAPI
	Tags map[string]string `json:"tags"`
}

func withTags(api *apigateway.RestAPI) restAPIOutput {
	tags := api.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return restAPIOutput{api, tags}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// GetRestAPIWithoutID is GET /restapis/ (an empty REST API id): AWS answers 200 with an
// empty object (recorded in moto's get_rest_api_without_id, which notes AWS's answer).
func (s *Server) GetRestAPIWithoutID(ctx context.Context, c *call) error {
	awsjson.WriteJSON(c.w, http.StatusOK, struct{}{})
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
	awsjson.WriteJSON(c.w, http.StatusOK, withTags(&doc.RestAPI))
	return nil
}

// patchRestAPI applies UpdateRestApi's patch operations, reporting every invalid one.
func patchRestAPI(api *apigateway.RestAPI, ops []awsjson.PatchOperation) error {
	var problems []string
	var binary *awsjson.ListPatch // api.BinaryMediaTypes, once an operation changes them
	touchedEndpoint := false      // PRIVATE ⇒ dualstack is checked when a patch changes the endpoint
	for _, op := range ops {
		seg := awsjson.Segments(op.Path)
		if len(seg) == 0 {
			problems = append(problems, invalidPatch(op))
			continue
		}
		switch {
		case op.Path == restAPIBinaryTypesPath:
			// binaryMediaTypes is patched like an object, one media type a path
			// (recorded: test_update_rest_api_behaviour "...-base-path").
			problems = append(problems, "Invalid patch path "+op.Path)
		case len(seg) == 1 && seg[0] == "minimumCompressionSize" && op.Op != awsjson.OpReplace:
			problems = append(problems, msgReplaceOnly)
		case len(seg) == 1 && seg[0] == "description" && op.Op == awsjson.OpRemove:
			api.Description = ""
		case op.Op == awsjson.OpReplace && len(seg) == 1:
			v := op.Val()
			switch seg[0] {
			case "name":
				if v == "" {
					problems = append(problems, msgRestAPIName)
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
				if !awsjson.ShapeOf("ApiKeySourceType").Allows(v) {
					problems = append(problems, "Invalid API key source specified: "+v)
				}
				api.APIKeySource = v
			case "minimumCompressionSize":
				if v == "" {
					api.MinimumCompressionSize = nil
					break
				}
				n, err := strconv.Atoi(v)
				if err != nil || !validCompressionSize(n) {
					problems = append(problems, msgCompressionSize)
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
		case seg[0] == "endpointConfiguration":
			touchedEndpoint = true
			if p := patchEndpointConfiguration(api, op, seg); p != "" {
				problems = append(problems, p)
			}
		default:
			problems = append(problems, invalidPatch(op))
		}
	}
	if p := endpointConfigurationProblem(api.EndpointConfiguration); p != "" && touchedEndpoint && len(problems) == 0 {
		problems = append(problems, p)
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
	for _, prefix := range []string{s.scope.ResourcePrefix(apiID), s.scope.DeploymentPrefix(apiID), s.scope.StagePrefix(apiID), s.scope.DocumentationVersionPrefix(apiID)} {
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
