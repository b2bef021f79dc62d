package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/gateway/apikey"
	"github.com/gatehouse/gatehouse/internal/gateway/integration"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/route"
	"github.com/gatehouse/gatehouse/internal/gateway/throttle"
	"github.com/gatehouse/gatehouse/internal/gateway/validate"
	"github.com/gatehouse/gatehouse/internal/meter"
)

// stage is one stage compiled: immutable once published.
type stage struct {
	key          string // store key of the StageDocument
	apiID        string
	name         string
	deploymentID string
	variables    map[string]string
	// disabled is the API's disableExecuteApiEndpoint: the default endpoint refuses it.
	disabled bool
	// private is the API's endpoint type PRIVATE: only VPC endpoint listeners serve it.
	private   bool
	router    *route.Router[*method]
	responses *gatewayResponses

	// isCanary marks the canary variant ($context.isCanaryRequest).
	isCanary bool
	// canary is the stage's canary variant (canary.go), nil when the stage has none;
	// canaryShare is its share of requests, canarySettings.percentTraffic / 100.
	canary      *stage
	canaryShare float64
	// cacheCluster is the stage's cache cluster as the data plane sees it ("" when
	// disabled, else its size): a change flushes the stage's cache (follower.go).
	cacheCluster string
}

// method is one resource method compiled: its pipeline, built once.
type method struct {
	resourceID   string
	resourcePath string
	handler      invoke.Handler
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// compileStage compiles one variant of a stage (canary.go: the stage's own deployment and
// variables, or its canary's) with that variant's deployment snapshot, reporting every
// problem.
func (s *Server) compileStage(v variant, dd *apigateway.DeploymentDocument) (*stage, error) {
	sd := v.sd
	snap := dd.Snapshot
	if snap == nil {
		return nil, fmt.Errorf("compile stage %s/%s: deployment %q has no snapshot", sd.RestAPIID, sd.StageName, dd.ID)
	}
	st := &stage{
		apiID:        sd.RestAPIID,
		name:         sd.StageName,
		deploymentID: sd.DeploymentID,
		variables:    sd.Variables,
		disabled:     snap.DisableExecuteAPIEndpoint,
		private:      isPrivate(snap),
		router:       route.New[*method](),
	}
	st.isCanary = v.canary
	var errs []error
	validators := validate.NewCompiler(sd.RestAPIID, snap.Models, snap.RequestValidators)
	ids := make([]string, 0, len(snap.Resources))
	for id := range snap.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		res := snap.Resources[id]
		if res == nil {
			continue
		}
		verbs := make([]string, 0, len(res.ResourceMethods))
		for v := range res.ResourceMethods {
			verbs = append(verbs, v)
		}
		sort.Strings(verbs)
		for _, verb := range verbs {
			m := res.ResourceMethods[verb]
			if m == nil {
				continue
			}
			sourceARN := arn.ExecuteAPI(s.scope.Region, s.scope.AccountID, sd.RestAPIID, sd.StageName, verb, res.Path)
			h, err := s.newIntegration(m.MethodIntegration, sd.RestAPIID, sd.Variables, snap.BinaryMediaTypes, sourceARN)
			if sve := (*integration.StageValueError)(nil); errors.As(err, &sve) {
				// The stage's values broke this method only: AWS deploys it and fails
				// its calls (integration.StageValueError), so the stage serves.
				s.log.Warn("method answers 500 on this stage", "apiId", sd.RestAPIID, "stage", sd.StageName,
					"resource", res.Path, "method", verb, "err", sve.Err)
				h, err = failing(sve.Err), nil
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("resource %s (%s) method %s: %w", id, res.Path, verb, err))
				continue
			}
			validation, err := validators.Middleware(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("resource %s (%s) method %s: %w", id, res.Path, verb, err))
				continue
			}
			authn, policy, err := s.authorization(methodRef{snap: snap, sd: sd, canary: v.canary, resourcePath: res.Path, verb: verb, m: m})
			if err != nil {
				errs = append(errs, fmt.Errorf("resource %s (%s) method %s: %w", id, res.Path, verb, err))
				continue
			}
			keys, throttling := s.trafficStages(sd, snap.APIKeySource, res.Path, verb, m)
			resourceID := cmp.Or(res.ID, id)
			cached, err := cacheMiddleware(v.respCache, methodCache(sd, resourceID, res.Path, verb, m))
			if err != nil {
				errs = append(errs, fmt.Errorf("resource %s (%s) method %s: %w", id, res.Path, verb, err))
				continue
			}
			cm := &method{resourceID: resourceID, resourcePath: res.Path, handler: buildPipeline(authn, policy, keys, throttling, validation, cached, h)}
			if err := st.router.Add(res.Path, verb, cm); err != nil {
				errs = append(errs, fmt.Errorf("resource %s: %w", id, err))
			}
		}
	}
	grs, err := compileGatewayResponses(snap.GatewayResponses, sd.Variables, s.log.With("apiId", sd.RestAPIID, "stage", sd.StageName))
	if err != nil {
		errs = append(errs, err)
	}
	st.responses = grs
	if len(errs) > 0 {
		return nil, fmt.Errorf("compile stage %s/%s: %w", sd.RestAPIID, sd.StageName, errors.Join(errs...))
	}
	return st, nil
}

// trafficStages compiles a method's API key stage (nil unless the method requires a key)
// and its throttle stage (nil without a runtime state).
func (s *Server) trafficStages(sd *apigateway.StageDocument, apiKeySource, resourcePath, verb string, m *apigateway.Method) (keys, throttling invoke.Middleware) {
	if m.APIKeyRequired {
		keys = apikey.Stage{Index: s.keys.Load, APIID: sd.RestAPIID, StageName: sd.StageName,
			MethodPaths: apikey.MethodPaths(resourcePath, verb), Source: apiKeySource}.Middleware()
	}
	if s.state != nil {
		throttling = throttle.Stage{State: s.state, Failure: s.stateFailure,
			Method: stageMethodBucket(sd, resourcePath, verb), Account: s.account, Logger: s.log}.Middleware()
	}
	return keys, throttling
}

// methodSetting is the stage's methodSettings entry for a method: the most specific of
// "pets/{id}/GET" ("/GET" for the root), "pets/{id}/*", "*/GET" and "*/*" (the forms
// UpdateStage writes); nil when none exists. namesVerb reports whether the entry found names
// the method's verb rather than "*".
func methodSetting(sd *apigateway.StageDocument, resourcePath, verb string) (ms *apigateway.MethodSetting, namesVerb bool) {
	res := strings.TrimPrefix(resourcePath, "/")
	for i, k := range [...]string{res + "/" + verb, res + "/*", "*/" + verb, "*/*"} {
		if ms = sd.MethodSettings[k]; ms != nil {
			return ms, i%2 == 0
		}
	}
	return nil, false
}

// stageMethodBucket is the stage's token bucket for a method, from its methodSetting; nil
// when none exists or the entry's rate or burst is negative (unset). Every method has a
// bucket of its own, also under a wildcard: AWS applies a stage's default method
// throttling to each method.
func stageMethodBucket(sd *apigateway.StageDocument, resourcePath, verb string) *meter.Bucket {
	ms, _ := methodSetting(sd, resourcePath, verb)
	if ms == nil || ms.ThrottlingRateLimit < 0 || ms.ThrottlingBurstLimit < 0 {
		return nil
	}
	key := strings.TrimPrefix(resourcePath, "/") + "/" + verb
	return &meter.Bucket{Key: "s/" + sd.RestAPIID + "/" + sd.StageName + "/" + key, Rate: ms.ThrottlingRateLimit, Burst: int64(ms.ThrottlingBurstLimit)}
}

// newIntegration compiles a method's integration: the one switch on the integration type.
// sourceARN is the method's execute-api ARN, for Lambda resource policies.
func (s *Server) newIntegration(in *apigateway.Integration, apiID string, vars map[string]string, binary []string, sourceARN string) (invoke.Handler, error) {
	if in == nil {
		// AWS refuses to deploy such a method ("No integration defined for method").
		return nil, errors.New("no integration defined for method")
	}
	cfg := integration.Config{Integration: in, APIID: apiID, StageVariables: vars, Transport: s.transport, InsecureTransport: s.insecure, BinaryMediaTypes: binary,
		Lambda: s.lambda, SourceARN: sourceARN}
	if in.ConnectionType == "VPC_LINK" {
		return unsupported("connectionType VPC_LINK"), nil
	}
	switch in.Type {
	case apigateway.IntegrationMock:
		return integration.NewMock(cfg)
	case apigateway.IntegrationHTTP:
		return integration.NewHTTP(cfg)
	case apigateway.IntegrationHTTPProxy:
		return integration.NewHTTPProxy(cfg)
	case apigateway.IntegrationAWSProxy:
		if !integration.IsLambdaURI(in.URI) {
			// AWS also takes Firehose streams here; such a method answers 500 while the
			// rest of the stage serves.
			return unsupported("AWS_PROXY integration uri " + in.URI), nil
		}
		return integration.NewLambdaProxy(cfg)
	case apigateway.IntegrationAWS:
		if integration.IsLambdaURI(in.URI) {
			return integration.NewLambda(cfg)
		}
		return integration.NewAWSService(cfg, s.awsServices)
	}
	return nil, fmt.Errorf("unknown integration type %q", in.Type)
}

// unsupported answers every request with 500 "Internal server error", logging what is
// missing.
func unsupported(what string) invoke.Handler {
	return failing(fmt.Errorf("%s is not supported by this gatehouse", what))
}

// failing is the handler of a method that deploys but cannot serve on this stage: every
// request gets API_CONFIGURATION_ERROR, 500 {"message": "Internal server error"}, with
// cause logged beside the request id (writeError).
func failing(cause error) invoke.Handler {
	err := invoke.ConfigurationError.Because(cause)
	return invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) {
		return nil, err
	})
}
