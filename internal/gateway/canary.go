package gateway

import (
	"maps"

	"github.com/gatehouse/gatehouse/internal/gateway/cache"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// A stage with canarySettings serves two variants, both compiled by compileStage: the main
// one (the stage's deploymentId and variables) and the canary (canarySettings.deploymentId,
// and the stage's variables with canarySettings.stageVariableOverrides applied). Each
// request goes to the canary with probability percentTraffic/100, drawn from
// Config.CanaryRandom (AWS: "requests are split at random"); the canary's requests see
// $context.isCanaryRequest true and the canary's $context.deploymentId. Throttles, API
// keys and usage plans are the stage's, shared by both variants; Lambda authorizer
// answers are kept apart (canaryCacheStage).

// variant is one of a stage's two compiled forms.
type variant struct {
	// sd is the stage as the variant sees it: its deploymentId and variables are the
	// variant's, everything else the stage's.
	sd *apigateway.StageDocument
	// canary marks the canary variant.
	canary bool
	// useStageCache is canarySettings.useStageCache for the canary, true for the main
	// variant: whether the variant reads and fills the stage's response cache.
	useStageCache bool
	// respCache is the stage's response cache when the variant uses it (compileStageDoc
	// builds it once per stage, so a stage and its canary share entries and flights).
	respCache *cache.Stage
}

// stageVariants returns the main variant of sd and, when sd has canarySettings, its canary.
func stageVariants(sd *apigateway.StageDocument) (main variant, canary *variant) {
	main = variant{sd: sd, useStageCache: true}
	cs := sd.CanarySettings
	if cs == nil {
		return main, nil
	}
	csd := *sd
	csd.CanarySettings = nil
	if cs.DeploymentID != "" {
		csd.DeploymentID = cs.DeploymentID
	}
	if len(cs.StageVariableOverrides) > 0 {
		csd.Variables = maps.Clone(sd.Variables)
		if csd.Variables == nil {
			csd.Variables = make(map[string]string, len(cs.StageVariableOverrides))
		}
		maps.Copy(csd.Variables, cs.StageVariableOverrides)
	}
	return main, &variant{sd: &csd, canary: true, useStageCache: cs.UseStageCache}
}

// canaryShare is the share of a stage's requests its canary takes: percentTraffic (0.0 to
// 100.0, which the management plane enforces) over 100, clamped to [0, 1].
func canaryShare(cs *apigateway.CanarySettings) float64 {
	return min(max(cs.PercentTraffic/100, 0), 1)
}

// canaryCacheStage is the stage part of the Lambda authorizer cache keys of a stage's canary:
// "{stage}/~canary", so that its answers, which may come from another function or depend on
// other stage variables, are not the main variant's, and FlushStageAuthorizersCache of the
// stage ("{apiId}/{stage}/") drops them too. "~" is in no authorizer id.
func canaryCacheStage(stage string) string { return stage + "/~canary" }

// pick returns the variant that serves one request: the canary with probability
// canaryShare, drawn from random (uniform in [0, 1)). A share of 0 never picks the canary
// and a share of 1 always does.
func (st *stage) pick(random func() float64) *stage {
	if st.canary == nil || st.canaryShare <= 0 {
		return st
	}
	if random() < st.canaryShare {
		return st.canary
	}
	return st
}
