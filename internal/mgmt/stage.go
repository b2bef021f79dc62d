package mgmt

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// A stage is its own document (apigateway.StageDocument) pointing at a deployment; the data
// plane serves it from that deployment's snapshot.

// msgStageExists is AWS's ConflictException for a second stage of the same name (moto and
// localstack, both checked against AWS).
const msgStageExists = "Stage already exists"

// newStage returns a stage with AWS's defaults, as every recorded CreateStage shows them:
// methodSettings {} (never null), cacheClusterEnabled false with status NOT_AVAILABLE,
// tracingEnabled false, createdDate = lastUpdatedDate.
func newStage(name, deploymentID string, now apigateway.Timestamp) apigateway.Stage {
	return apigateway.Stage{
		StageName:          name,
		DeploymentID:       deploymentID,
		MethodSettings:     map[string]*apigateway.MethodSetting{},
		CacheClusterStatus: cacheClusterNotAvailable,
		CreatedDate:        now,
		LastUpdatedDate:    now,
	}
}

// stageOut returns the wire form of a stored stage: methodSettings is always an object, and
// an empty variables map is left out, as AWS does.
func stageOut(st *apigateway.Stage) *apigateway.Stage {
	out := *st
	if out.MethodSettings == nil {
		out.MethodSettings = map[string]*apigateway.MethodSetting{}
	}
	if out.CacheClusterStatus == "" {
		out.CacheClusterStatus = cacheClusterNotAvailable
	}
	if len(out.Variables) == 0 {
		out.Variables = nil
	}
	return &out
}

type createStageInput struct {
	StageName            string                     `json:"stageName"`
	DeploymentID         string                     `json:"deploymentId"`
	Description          string                     `json:"description"`
	CacheClusterEnabled  bool                       `json:"cacheClusterEnabled"`
	CacheClusterSize     *string                    `json:"cacheClusterSize"`
	Variables            map[string]string          `json:"variables"`
	DocumentationVersion string                     `json:"documentationVersion"`
	CanarySettings       *apigateway.CanarySettings `json:"canarySettings"`
	TracingEnabled       bool                       `json:"tracingEnabled"`
	Tags                 map[string]string          `json:"tags"`
}

// CreateStage is POST /restapis/{restapi_id}/stages.
func (s *Server) CreateStage(ctx context.Context, c *call) error {
	var in createStageInput
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.CacheClusterSize != nil {
		if msg := cacheClusterSizeProblem("createStageInput.cacheClusterSize", *in.CacheClusterSize); msg != "" {
			return awsjson.Validation([]string{msg})
		}
	}
	var p problemList
	if msg := stageNameProblem(in.StageName); msg != "" {
		p.addf("%s", msg)
	}
	if in.DeploymentID == "" {
		// Not verified: the service model requires deploymentId.
		p.addf("Deployment id must be specified")
	}
	checkStageVariables(&p, in.Variables)
	if cs := in.CanarySettings; cs != nil {
		if msg := percentTrafficProblem(cs.PercentTraffic); msg != "" {
			p.addf("%s", msg)
		}
		checkStageVariables(&p, cs.StageVariableOverrides)
	}
	if err := p.err(); err != nil {
		return err
	}
	if err := tagsProblem(in.Tags); err != nil { // the limits TagResource applies
		return err
	}
	apiID := c.path("restapi_id")
	if err := s.checkAPIExists(ctx, apiID); err != nil {
		return err
	}
	key := s.scope.StageKey(apiID, in.StageName)
	st, err := store.Update(ctx, s.store, key, func(cur *apigateway.StageDocument) (*apigateway.StageDocument, []store.Op, error) {
		if cur != nil {
			return nil, nil, awsjson.Conflict(msgStageExists)
		}
		versionOps, err := s.documentationVersionGuard(ctx, apiID, in.DocumentationVersion)
		if err != nil {
			return nil, nil, err
		}
		g := s.newDeploymentGuard(ctx, apiID)
		ok, err := g.exists(in.DeploymentID)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, errDeploymentNotFound
		}
		doc := &apigateway.StageDocument{Stage: newStage(in.StageName, in.DeploymentID, s.now()), RestAPIID: apiID}
		doc.Description = in.Description
		doc.Variables = in.Variables
		doc.DocumentationVersion = in.DocumentationVersion
		doc.TracingEnabled = in.TracingEnabled
		doc.Tags = in.Tags
		if in.CacheClusterSize != nil {
			doc.CacheClusterSize = *in.CacheClusterSize
		}
		setCacheCluster(&doc.Stage, in.CacheClusterEnabled)
		setCacheDataKey(doc)
		if cs := in.CanarySettings; cs != nil {
			// A canary without a deployment of its own starts on the stage's
			// (localstack's provider, checked by test_create_canary_deployment).
			canary := *cs
			if canary.DeploymentID == "" {
				canary.DeploymentID = in.DeploymentID
			}
			ok, err := g.exists(canary.DeploymentID)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				return nil, nil, errNoSuchDeployment
			}
			doc.CanarySettings = &canary
		}
		return doc, append(g.ops(doc.DeploymentID, canaryDeploymentID(doc.CanarySettings)), versionOps...), nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, stageOut(&st.Stage))
	return nil
}

func canaryDeploymentID(cs *apigateway.CanarySettings) string {
	if cs == nil {
		return ""
	}
	return cs.DeploymentID
}

// loadStage reads one stage, answering AWS's errors for an unknown API or stage.
func (s *Server) loadStage(ctx context.Context, apiID, name string) (*apigateway.StageDocument, error) {
	var st apigateway.StageDocument
	_, err := store.GetJSON(ctx, s.store, s.scope.StageKey(apiID, name), &st)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.checkAPIExists(ctx, apiID); err != nil {
			return nil, err
		}
		return nil, errStageNotFound
	}
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// GetStage is GET /restapis/{restapi_id}/stages/{stage_name}.
func (s *Server) GetStage(ctx context.Context, c *call) error {
	st, err := s.loadStage(ctx, c.path("restapi_id"), c.path("stage_name"))
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, stageOut(&st.Stage))
	return nil
}

// stagesOutput is AWS's Stages: {"item": [...]}, the whole collection, no pagination.
type stagesOutput struct {
	Item []*apigateway.Stage `json:"item"`
}

// GetStages is GET /restapis/{restapi_id}/stages[?deploymentId=...], every stage of the API
// in name order, or those on the given deployment (test_get_stages_filters_by_deployment_id).
func (s *Server) GetStages(ctx context.Context, c *call) error {
	apiID := c.path("restapi_id")
	if err := s.checkAPIExists(ctx, apiID); err != nil {
		return err
	}
	kvs, _, err := s.store.List(ctx, s.scope.StagePrefix(apiID))
	if err != nil {
		return err
	}
	filter := c.r.URL.Query().Get("deploymentId")
	out := stagesOutput{Item: []*apigateway.Stage{}}
	for _, kv := range kvs {
		var st apigateway.StageDocument
		if err := jsonUnmarshal(kv.Value, &st); err != nil {
			return err
		}
		if filter != "" && st.DeploymentID != filter {
			continue
		}
		out.Item = append(out.Item, stageOut(&st.Stage))
	}
	awsjson.WriteJSON(c.w, http.StatusOK, out)
	return nil
}

// UpdateStage is PATCH /restapis/{restapi_id}/stages/{stage_name}: AWS's stage patch paths
// (stage_patch.go). Every problem of the request is reported and a rejected update changes
// nothing; lastUpdatedDate moves on every accepted update.
func (s *Server) UpdateStage(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateStageInput")
	if err != nil {
		return err
	}
	apiID, name := c.path("restapi_id"), c.path("stage_name")
	if _, err := s.loadStage(ctx, apiID, name); err != nil {
		return err
	}
	st, err := store.Update(ctx, s.store, s.scope.StageKey(apiID, name), func(st *apigateway.StageDocument) (*apigateway.StageDocument, []store.Op, error) {
		if st == nil {
			return nil, nil, errStageNotFound
		}
		before := []string{st.DeploymentID, canaryDeploymentID(st.CanarySettings)}
		docVersion := st.DocumentationVersion
		g := s.newDeploymentGuard(ctx, apiID)
		if err := applyStagePatch(&st.Stage, ops, g.exists); err != nil {
			return nil, nil, err
		}
		var versionOps []store.Op
		if st.DocumentationVersion != docVersion {
			guard, err := s.documentationVersionGuard(ctx, apiID, st.DocumentationVersion)
			if err != nil {
				return nil, nil, err
			}
			versionOps = guard
		}
		setCacheDataKey(st)
		st.LastUpdatedDate = s.now()
		// Guard only the deployments the stage starts pointing at: those it already
		// pointed at cannot be deleted under it.
		var added []string
		for _, id := range []string{st.DeploymentID, canaryDeploymentID(st.CanarySettings)} {
			if id != "" && id != before[0] && id != before[1] {
				if ok, err := g.exists(id); err != nil {
					return nil, nil, err
				} else if !ok {
					return nil, nil, errNoSuchDeployment
				}
				added = append(added, id)
			}
		}
		return st, append(g.ops(added...), versionOps...), nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, stageOut(&st.Stage))
	return nil
}

// DeleteStage is DELETE /restapis/{restapi_id}/stages/{stage_name}.
func (s *Server) DeleteStage(ctx context.Context, c *call) error {
	apiID, name := c.path("restapi_id"), c.path("stage_name")
	_, err := store.Update(ctx, s.store, s.scope.StageKey(apiID, name), func(st *apigateway.StageDocument) (*apigateway.StageDocument, []store.Op, error) {
		if st == nil {
			if err := s.checkAPIExists(ctx, apiID); err != nil {
				return nil, nil, err
			}
			return nil, nil, errStageNotFound
		}
		return nil, nil, nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}
