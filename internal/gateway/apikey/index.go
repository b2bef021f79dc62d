// Package apikey is the pipeline stage of methods that require an API key: it reads the key
// the request presents, resolves it in the compiled key index (Index) and admits the request
// only when the key is enabled and belongs to a usage plan bound to the stage, as AWS does;
// the usage plan's limits then travel with the request (invoke.Metering) to the throttle
// stage.
package apikey

import (
	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/meter"
)

// Index resolves API key values to their keys and, for each stage a key may call, the
// metering of its usage plan there. It is built whole from the stored API key and usage
// plan documents (NewIndex) and is immutable: the data plane swaps a new one in when either
// changes.
type Index struct {
	byValue map[string]*key
}

// key is one API key in the index.
type key struct {
	id      string
	enabled bool
	// stages holds the plan that binds the key to each stage: api id → stage name.
	stages map[string]map[string]*stagePlan
}

// stagePlan is the metering of one key on one stage: def for every method, methods for the
// methods the API stage sets a throttle for ("/pets/GET").
type stagePlan struct {
	def     *invoke.Metering
	methods map[string]*invoke.Metering
}

// NewIndex builds the index of keys under plans. A key's plans are its UsagePlanIDs (the
// management plane keeps them beside each UsagePlanKeyDocument, in one transaction); a plan
// a key names that is not among plans is ignored (deleted meanwhile). Should two plans of a
// key cover the same stage (which the management plane refuses), the plan with the smaller
// id wins, so that every node builds the same index.
func NewIndex(keys []*apigateway.APIKeyDocument, plans []*apigateway.UsagePlanDocument) *Index {
	byID := make(map[string]*apigateway.UsagePlanDocument, len(plans))
	for _, p := range plans {
		if p != nil {
			byID[p.ID] = p
		}
	}
	ix := &Index{byValue: make(map[string]*key, len(keys))}
	for _, kd := range keys {
		if kd == nil || kd.Value == "" {
			continue
		}
		k := &key{id: kd.ID, enabled: kd.Enabled, stages: map[string]map[string]*stagePlan{}}
		for _, planID := range kd.UsagePlanIDs {
			p := byID[planID]
			if p == nil {
				continue
			}
			for _, as := range p.APIStages {
				byStage := k.stages[as.APIID]
				if byStage == nil {
					byStage = map[string]*stagePlan{}
					k.stages[as.APIID] = byStage
				}
				if prev := byStage[as.Stage]; prev != nil && prev.def.PlanID < p.ID {
					continue
				}
				byStage[as.Stage] = newStagePlan(&p.UsagePlan, as, kd.ID)
			}
		}
		ix.byValue[kd.Value] = k
	}
	return ix
}

// newStagePlan compiles the metering of key keyID under plan p on the API stage as.
func newStagePlan(p *apigateway.UsagePlan, as apigateway.APIStage, keyID string) *stagePlan {
	sp := &stagePlan{def: &invoke.Metering{PlanID: p.ID}}
	if p.Throttle != nil {
		sp.def.Throttle = bucket(meter.QuotaKey(p.ID, keyID), *p.Throttle)
	}
	if p.Quota != nil {
		sp.def.Quota = p.Quota
		sp.def.QuotaKey = meter.QuotaKey(p.ID, keyID)
	}
	for path, t := range as.Throttle {
		if sp.methods == nil {
			sp.methods = make(map[string]*invoke.Metering, len(as.Throttle))
		}
		m := *sp.def
		// The per-method bucket is the key's own on this stage and method; the plan's
		// bucket (the key across all its stages) applies too: the plan's limit stays the
		// key's overall limit (repost.aws QUFD1EPj5dRYaYaqpNepE34A).
		m.MethodThrottle = bucket(meter.QuotaKey(p.ID, keyID)+"/"+as.APIID+"/"+as.Stage+path, t)
		sp.methods[path] = &m
	}
	return sp
}

// bucket is the token bucket of throttle t, named "k/{name}"; nil when t sets no limit (a
// negative rate or burst: AWS's "not set").
func bucket(name string, t apigateway.ThrottleSettings) *meter.Bucket {
	if t.RateLimit < 0 || t.BurstLimit < 0 {
		return nil
	}
	return &meter.Bucket{Key: "k/" + name, Rate: t.RateLimit, Burst: int64(t.BurstLimit)}
}

// Lookup returns the id of the API key of the given value and its metering on stage
// apiID/stageName for a method that usage plans name by the first of methodPaths they set a
// throttle for (MethodPaths). ok is false when no enabled key has the value or its plans do
// not cover the stage: AWS answers both 403 Forbidden.
func (ix *Index) Lookup(value, apiID, stageName string, methodPaths []string) (id string, m *invoke.Metering, ok bool) {
	if ix == nil {
		return "", nil, false
	}
	k := ix.byValue[value]
	if k == nil || !k.enabled {
		return "", nil, false
	}
	sp := k.stages[apiID][stageName]
	if sp == nil {
		return "", nil, false
	}
	if sp.methods != nil {
		for _, p := range methodPaths {
			if mm := sp.methods[p]; mm != nil {
				return k.id, mm, true
			}
		}
	}
	return k.id, sp.def, true
}

// MethodPaths returns the names a usage plan's per-method throttle may give the method verb
// of the resource at resourcePath ("/pets/{id}", "/" for the root), most specific first:
// "/pets/{id}/GET", "/pets/{id}/*", "/*/GET", "/*/*" ("//GET" for the root's own).
func MethodPaths(resourcePath, verb string) []string {
	return []string{resourcePath + "/" + verb, resourcePath + "/*", "/*/" + verb, "/*/*"}
}
