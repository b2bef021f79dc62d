package mgmt

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Deployments are immutable snapshots of a REST API (apigateway.DeploymentDocument); the data
// plane serves a stage from the deployment it points to. Deployment ids are 6 lower-case
// alphanumerics, as AWS's.
const deploymentIDLen = 6

// Messages of CreateDeployment.
const (
	// AWS's answer to deploying an API without a method (widely reported; moto and
	// localstack use the same wording as BadRequestException).
	msgNoMethods = "The REST API doesn't contain any methods"
	// AWS's answer to deploying a method without an integration: BadRequestException, as
	// Terraform users report it ("Error creating API Gateway Deployment:
	// BadRequestException: No integration defined for method").
	msgNoIntegration = "No integration defined for method"
	// test_apigateway_canary.snapshot.json test_create_canary_deployment_validation
	// "create-canary-deployment-no-stage" ("... Provided value is null") and
	// "create-canary-deployment-empty-stage" ("... Provided value is ").
	msgCanaryNeedsStage = "Invalid deployment content specified.Non null and non empty stageName must be provided for canary deployment. Provided value is "
	// Same test, "create-canary-deployment-non-existing-stage".
	msgCanaryStageMissing = "Invalid deployment content specified.Stage %s must already be created before making a canary release deployment"
	// A deployment without canarySettings to a stage with a canary (AWS's developer guide,
	// create-canary-deployment: "In any subsequent API deployments to the same stage, you
	// must always specify canarySettings as an input, until the canary is disabled on that
	// stage"); AWS's words as CloudFormation reported them (serverless/serverless#11518).
	msgNonCanaryOnCanaryStage = "Invalid deployment content specified.Non canary deployment not supported on stage %s because Canary is enabled. Provide CanarySettings in deploymentInput."
	// test_apigateway_common.snapshot.json test_create_delete_deployments
	// "delete-deployment-error-0".
	msgActiveStages = "Active stages pointing to this deployment must be moved or deleted"
)

// deploymentCanarySettings is AWS's DeploymentCanarySettings (CreateDeployment input).
type deploymentCanarySettings struct {
	PercentTraffic         float64           `json:"percentTraffic"`
	StageVariableOverrides map[string]string `json:"stageVariableOverrides"`
	UseStageCache          bool              `json:"useStageCache"`
}

type createDeploymentInput struct {
	StageName           *string                   `json:"stageName"`
	StageDescription    *string                   `json:"stageDescription"`
	Description         string                    `json:"description"`
	CacheClusterEnabled *bool                     `json:"cacheClusterEnabled"`
	CacheClusterSize    *string                   `json:"cacheClusterSize"`
	Variables           map[string]string         `json:"variables"`
	CanarySettings      *deploymentCanarySettings `json:"canarySettings"`
	TracingEnabled      *bool                     `json:"tracingEnabled"`
}

// validate reports every problem of the input itself, before the API is read.
func (in *createDeploymentInput) validate() error {
	if in.CacheClusterSize != nil {
		if msg := cacheClusterSizeProblem("createDeploymentInput.cacheClusterSize", *in.CacheClusterSize); msg != "" {
			return awsjson.Validation([]string{msg})
		}
	}
	var p problemList
	stageName := ""
	if in.StageName != nil {
		stageName = *in.StageName
	}
	switch {
	case in.CanarySettings != nil && in.StageName == nil:
		p.addf("%snull", msgCanaryNeedsStage)
	case in.CanarySettings != nil && stageName == "":
		p.addf("%s", msgCanaryNeedsStage)
	case stageName != "":
		if msg := stageNameProblem(stageName); msg != "" {
			p.addf("%s", msg)
		}
	}
	checkStageVariables(&p, in.Variables)
	if cs := in.CanarySettings; cs != nil {
		if msg := percentTrafficProblem(cs.PercentTraffic); msg != "" {
			p.addf("%s", msg)
		}
		checkStageVariables(&p, cs.StageVariableOverrides)
	}
	return p.err()
}

// checkDeployable reports AWS's refusals to deploy doc: no method at all, or a method
// without an integration.
func checkDeployable(doc *apigateway.RestAPIDocument) error {
	methods := 0
	for _, r := range doc.Resources {
		for _, m := range r.ResourceMethods {
			methods++
			if m == nil || m.MethodIntegration == nil {
				return awsjson.BadRequest(msgNoIntegration)
			}
		}
	}
	if methods == 0 {
		return awsjson.BadRequest(msgNoMethods)
	}
	return nil
}

// CreateDeployment is POST /restapis/{restapi_id}/deployments: snapshot the API and, with
// stageName, create the stage or point it (or, with canarySettings, its canary) at the new
// deployment. The API's head is rewritten unchanged in the same transaction, conditional on
// its revision (updateAPIOps; no resource changes, so none is written), so the snapshot is
// exactly the API as it stood when the deployment committed, and a concurrent DeleteRestAPI
// cannot leave an orphan deployment behind.
func (s *Server) CreateDeployment(ctx context.Context, c *call) error {
	var in createDeploymentInput
	if err := c.decode(&in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	apiID := c.path("restapi_id")
	var dep *apigateway.DeploymentDocument
	_, err := s.updateAPIOps(ctx, apiID, s.errAPINotFound(apiID), func(doc *apigateway.RestAPIDocument) ([]store.Op, error) {
		if err := checkDeployable(doc); err != nil {
			return nil, err
		}
		now := s.now()
		// Documentation parts belong to the API, not to what a stage serves.
		snapshot := *doc
		snapshot.DocumentationParts = nil
		dep = &apigateway.DeploymentDocument{
			Deployment: apigateway.Deployment{ID: newID(deploymentIDLen), Description: in.Description, CreatedDate: now},
			RestAPIID:  apiID,
			Snapshot:   &snapshot,
		}
		put, err := store.PutJSON(s.scope.DeploymentKey(apiID, dep.ID), dep, store.Absent)
		if err != nil {
			return nil, err
		}
		ops := []store.Op{put}
		if in.StageName != nil && *in.StageName != "" {
			op, err := s.deployToStage(ctx, apiID, *in.StageName, dep.ID, &in, now)
			if err != nil {
				return nil, err
			}
			ops = append(ops, op)
		}
		return ops, nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, &dep.Deployment)
	return nil
}

// deployToStage returns the op that creates the stage named by a CreateDeployment or
// points it (or its canary) at the new deployment, conditional on the stage as read.
func (s *Server) deployToStage(ctx context.Context, apiID, name, deploymentID string, in *createDeploymentInput, now apigateway.Timestamp) (store.Op, error) {
	key := s.scope.StageKey(apiID, name)
	var st apigateway.StageDocument
	rev, err := store.GetJSON(ctx, s.store, key, &st)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if in.CanarySettings != nil {
			return store.Op{}, awsjson.BadRequest(msgCanaryStageMissing, name)
		}
		st = apigateway.StageDocument{
			Stage:     newStage(name, deploymentID, now),
			RestAPIID: apiID,
		}
		rev = store.Absent
	case err != nil:
		return store.Op{}, err
	case in.CanarySettings == nil && st.CanarySettings != nil:
		return store.Op{}, awsjson.BadRequest(msgNonCanaryOnCanaryStage, name)
	case in.CanarySettings != nil:
		// A canary release deployment leaves the stage on its deployment and sends the
		// canary's share of traffic to the new one (test_create_canary_deployment
		// "get-stage-1").
		cs := in.CanarySettings
		st.CanarySettings = &apigateway.CanarySettings{
			PercentTraffic:         cs.PercentTraffic,
			DeploymentID:           deploymentID,
			StageVariableOverrides: cs.StageVariableOverrides,
			UseStageCache:          cs.UseStageCache,
		}
		st.LastUpdatedDate = now
		return store.PutJSON(key, &st, rev)
	default:
		st.DeploymentID = deploymentID
		st.LastUpdatedDate = now
	}
	if in.StageDescription != nil {
		st.Description = *in.StageDescription
	}
	if len(in.Variables) > 0 {
		if st.Variables == nil {
			st.Variables = map[string]string{}
		}
		for k, v := range in.Variables {
			st.Variables[k] = v
		}
	}
	if in.CacheClusterSize != nil {
		st.CacheClusterSize = *in.CacheClusterSize
	}
	if in.CacheClusterEnabled != nil {
		setCacheCluster(&st.Stage, *in.CacheClusterEnabled)
	}
	setCacheDataKey(&st)
	if in.TracingEnabled != nil {
		st.TracingEnabled = *in.TracingEnabled
	}
	if len(st.Variables) > maxStageVariables {
		return store.Op{}, awsjson.BadRequest("A stage can have at most %d stage variables", maxStageVariables)
	}
	return store.PutJSON(key, &st, rev)
}

// loadDeployment reads one deployment, answering AWS's errors for an unknown API or
// deployment.
func (s *Server) loadDeployment(ctx context.Context, apiID, deploymentID string) (*apigateway.DeploymentDocument, int64, error) {
	var dep apigateway.DeploymentDocument
	rev, err := store.GetJSON(ctx, s.store, s.scope.DeploymentKey(apiID, deploymentID), &dep)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.checkAPIExists(ctx, apiID); err != nil {
			return nil, 0, err
		}
		return nil, 0, errDeploymentNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	return &dep, rev, nil
}

// checkAPIExists answers AWS's NotFoundException for an unknown REST API id without
// decoding the API.
func (s *Server) checkAPIExists(ctx context.Context, apiID string) error {
	if _, err := s.store.Get(ctx, s.scope.RestAPIKey(apiID)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return s.errAPINotFound(apiID)
		}
		return err
	}
	return nil
}

// GetDeployment is GET /restapis/{restapi_id}/deployments/{deployment_id}. With
// ?embed=apisummary (the only embed AWS supports) the answer carries apiSummary:
// {resource path: {HTTP method: {authorizationType, apiKeyRequired}}} of the snapshot.
func (s *Server) GetDeployment(ctx context.Context, c *call) error {
	dep, _, err := s.loadDeployment(ctx, c.path("restapi_id"), c.path("deployment_id"))
	if err != nil {
		return err
	}
	out := dep.Deployment
	if embedsAPISummary(c.r.URL.Query()["embed"]) {
		out.APISummary = apiSummary(dep.Snapshot)
	}
	awsjson.WriteJSON(c.w, http.StatusOK, &out)
	return nil
}

// embedsAPISummary reports whether the embed query values (repeated, as the SDKs send a
// list, or comma-separated, as AWS documents it) ask for the API summary.
func embedsAPISummary(values []string) bool {
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(e), "apisummary") {
				return true
			}
		}
	}
	return false
}

// apiSummary is the MethodSnapshot of every method of an API, by path and method.
func apiSummary(doc *apigateway.RestAPIDocument) map[string]map[string]apigateway.MethodSnapshot {
	out := map[string]map[string]apigateway.MethodSnapshot{}
	if doc == nil {
		return out
	}
	for _, r := range doc.Resources {
		if len(r.ResourceMethods) == 0 {
			continue
		}
		ms := out[r.Path]
		if ms == nil {
			ms = map[string]apigateway.MethodSnapshot{}
			out[r.Path] = ms
		}
		for name, m := range r.ResourceMethods {
			if m == nil {
				continue
			}
			ms[name] = apigateway.MethodSnapshot{AuthorizationType: m.AuthorizationType, APIKeyRequired: m.APIKeyRequired}
		}
	}
	return out
}

// GetDeployments is GET /restapis/{restapi_id}/deployments, paginated by id.
func (s *Server) GetDeployments(ctx context.Context, c *call) error {
	page, err := awsjson.ParsePage(c.r)
	if err != nil {
		return err
	}
	apiID := c.path("restapi_id")
	if err := s.checkAPIExists(ctx, apiID); err != nil {
		return err
	}
	kvs, _, err := s.store.List(ctx, s.scope.DeploymentPrefix(apiID))
	if err != nil {
		return err
	}
	deps := make([]*apigateway.Deployment, 0, len(kvs))
	for _, kv := range kvs {
		var dep apigateway.DeploymentDocument
		if err := jsonUnmarshal(kv.Value, &dep); err != nil {
			return err
		}
		deps = append(deps, &dep.Deployment)
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].ID < deps[j].ID })
	items, next := awsjson.Paginate(deps, func(d *apigateway.Deployment) string { return d.ID }, page)
	awsjson.WriteJSON(c.w, http.StatusOK, listOutput[*apigateway.Deployment]{Items: items, Position: next})
	return nil
}

// UpdateDeployment is PATCH /restapis/{restapi_id}/deployments/{deployment_id}. Only the
// description of a deployment can change; its snapshot never does.
func (s *Server) UpdateDeployment(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateDeploymentInput")
	if err != nil {
		return err
	}
	apiID, id := c.path("restapi_id"), c.path("deployment_id")
	if _, _, err := s.loadDeployment(ctx, apiID, id); err != nil {
		return err
	}
	dep, err := store.Update(ctx, s.store, s.scope.DeploymentKey(apiID, id), func(dep *apigateway.DeploymentDocument) (*apigateway.DeploymentDocument, []store.Op, error) {
		if dep == nil {
			return nil, nil, errDeploymentNotFound
		}
		var p problemList
		for _, op := range ops {
			switch {
			case op.Path == "/description" && op.Op == awsjson.OpReplace:
				dep.Description = op.Val()
			case op.Path == "/description":
				p.addf("Invalid patch operation specified. Must be one of: [replace]")
			default:
				// Not verified; the style of test_update_model "update-model-invalid-path".
				p.addf("Invalid patch path  '%s' specified for op '%s'. Must be one of: [/description]", op.Path, op.Op)
			}
		}
		if err := p.err(); err != nil {
			return nil, nil, err
		}
		return dep, nil, nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, &dep.Deployment)
	return nil
}

// DeleteDeployment is DELETE /restapis/{restapi_id}/deployments/{deployment_id}. AWS refuses
// while a stage, or a stage's canary, points at the deployment. The delete is conditional
// on the deployment's revision: every stage write that starts pointing at a deployment
// rewrites it unchanged in the same transaction (deploymentGuard), so a stage moved onto
// this deployment after the check makes the delete conflict and check again.
func (s *Server) DeleteDeployment(ctx context.Context, c *call) error {
	apiID, id := c.path("restapi_id"), c.path("deployment_id")
	for range maxDeleteAttempts {
		_, rev, err := s.loadDeployment(ctx, apiID, id)
		if err != nil {
			return err
		}
		kvs, _, err := s.store.List(ctx, s.scope.StagePrefix(apiID))
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			var st apigateway.StageDocument
			if err := jsonUnmarshal(kv.Value, &st); err != nil {
				return err
			}
			if st.DeploymentID == id || st.CanarySettings != nil && st.CanarySettings.DeploymentID == id {
				return awsjson.BadRequest(msgActiveStages)
			}
		}
		_, err = s.store.Txn(ctx, store.Op{Key: s.scope.DeploymentKey(apiID, id), Delete: true, IfRevision: rev})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		awsjson.WriteEmpty(c.w, http.StatusAccepted)
		return nil
	}
	return awsjson.Conflict("Unable to complete operation due to concurrent modification. Please try again later.")
}

// maxDeleteAttempts bounds DeleteDeployment's retries under contention.
const maxDeleteAttempts = 8

// deploymentGuard looks up the deployments a stage write refers to, during one attempt of
// the write, and returns the ops that make the write conditional on them: each rewrites a
// deployment document byte for byte at the revision read. A deployment deleted in between
// makes the write conflict (and retry, and fail with "Deployment id does not exist"); a
// stage write in between makes DeleteDeployment conflict and check its stages again.
type deploymentGuard struct {
	s     *Server
	ctx   context.Context
	apiID string
	read  map[string]store.KV
}

func (s *Server) newDeploymentGuard(ctx context.Context, apiID string) *deploymentGuard {
	return &deploymentGuard{s: s, ctx: ctx, apiID: apiID, read: map[string]store.KV{}}
}

// exists reports whether the API has the deployment, remembering it for ops.
func (g *deploymentGuard) exists(id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	if _, ok := g.read[id]; ok {
		return true, nil
	}
	kv, err := g.s.store.Get(g.ctx, g.s.scope.DeploymentKey(g.apiID, id))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	g.read[id] = kv
	return true, nil
}

// ops returns the guard ops for the given deployment ids (those that exist).
func (g *deploymentGuard) ops(ids ...string) []store.Op {
	var ops []store.Op
	seen := map[string]bool{}
	for _, id := range ids {
		kv, ok := g.read[id]
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		ops = append(ops, store.Op{Key: kv.Key, Value: kv.Value, IfRevision: kv.Revision})
	}
	return ops
}
