package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Usage plans: CreateUsagePlan, GetUsagePlan, GetUsagePlans, UpdateUsagePlan and
// DeleteUsagePlan at /usageplans (botocore's apigateway 2015-07-09 model). A plan is one
// UsagePlanDocument at Scope.UsagePlanKey; its keys are UsagePlanKeyDocuments
// (usageplankey.go), each listed in its API key's APIKeyDocument.UsagePlanIDs too, so every
// change that touches both is one store transaction.
//
// Where a message is AWS's, its source is named beside it; "not verified" marks gatehouse's
// own wording in AWS's style (docs: the lead's notes/mgmt-plans.md has the list).

// Usage plan ids look like AWS's: six lower-case alphanumerics ("n371pt" in AWS's
// CreateUsagePlanKey example).
const usagePlanIDLen = 6

// maxMethodThrottles is AWS's quota of method-level throttle settings per API stage in a
// usage plan ([A] limits.md, AWS_REFERENCE section 7).
const maxMethodThrottles = 20

// errUsagePlanNotFound is AWS's answer for an unknown usage plan id (moto's
// UsagePlanNotFoundException; its test_usage_plans asserts it for GetUsagePlan).
var errUsagePlanNotFound = awsjson.NotFound("Invalid Usage Plan ID specified")

// Quota periods (the service model's QuotaPeriodType).
var quotaPeriods = []string{"DAY", "WEEK", "MONTH"}

// usagePlanOut is the plan as AWS answers it: apiStages is always a list, [] for none
// (moto's test_usage_plans asserts apiStages == [] for a plan created with a name only).
func usagePlanOut(p *apigateway.UsagePlan) *apigateway.UsagePlan {
	out := *p
	if out.APIStages == nil {
		out.APIStages = []apigateway.APIStage{}
	}
	return &out
}

// loadUsagePlan reads one plan and its revision; an unknown id is errUsagePlanNotFound.
func (s *Server) loadUsagePlan(ctx context.Context, id string) (*apigateway.UsagePlanDocument, int64, error) {
	if id == "" {
		return nil, 0, errUsagePlanNotFound
	}
	var doc apigateway.UsagePlanDocument
	rev, err := store.GetJSON(ctx, s.store, s.scope.UsagePlanKey(id), &doc)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, errUsagePlanNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	return &doc, rev, nil
}

// throttleInput is a ThrottleSettings as sent: absent members are nil.
type throttleInput struct {
	BurstLimit *int     `json:"burstLimit"`
	RateLimit  *float64 `json:"rateLimit"`
}

// settings is the throttle as stored: an absent member is 0, as AWS answers it.
func (t throttleInput) settings() apigateway.ThrottleSettings {
	var out apigateway.ThrottleSettings
	if t.BurstLimit != nil {
		out.BurstLimit = *t.BurstLimit
	}
	if t.RateLimit != nil {
		out.RateLimit = *t.RateLimit
	}
	return out
}

// quotaInput is a QuotaSettings as sent: absent members are nil.
type quotaInput struct {
	Limit  *int    `json:"limit"`
	Offset *int    `json:"offset"`
	Period *string `json:"period"`
}

type apiStageInput struct {
	APIID    string                   `json:"apiId"`
	Stage    string                   `json:"stage"`
	Throttle map[string]throttleInput `json:"throttle"`
}

type createUsagePlanInput struct {
	Name        *string           `json:"name"`
	Description *string           `json:"description"`
	APIStages   []apiStageInput   `json:"apiStages"`
	Throttle    *throttleInput    `json:"throttle"`
	Quota       *quotaInput       `json:"quota"`
	Tags        map[string]string `json:"tags"`
}

// CreateUsagePlan is POST /usageplans: 201 with the plan. Every problem of the input is
// reported at once; nothing is written on error.
func (s *Server) CreateUsagePlan(ctx context.Context, c *call) error {
	var in createUsagePlanInput
	if err := c.decode(&in); err != nil {
		return err
	}
	plan := apigateway.UsagePlan{ID: newID(usagePlanIDLen)}
	var p problemList
	if in.Name == nil || *in.Name == "" {
		// The service model requires name; the wording is not verified.
		p.addf("Usage Plan name must be specified")
	} else {
		plan.Name = *in.Name
	}
	if in.Description != nil {
		plan.Description = *in.Description
	}
	if in.Throttle != nil {
		t := in.Throttle.settings()
		p.addAll(throttleProblems("throttle", t))
		plan.Throttle = &t
	}
	if in.Quota != nil {
		q := apigateway.QuotaSettings{}
		if in.Quota.Limit != nil {
			q.Limit = *in.Quota.Limit
		}
		if in.Quota.Offset != nil {
			q.Offset = *in.Quota.Offset
		}
		if in.Quota.Period != nil {
			q.Period = *in.Quota.Period
		}
		p.addAll(quotaProblems(&q))
		plan.Quota = &q
	}
	seen := map[string]bool{}
	for _, st := range in.APIStages {
		as := apigateway.APIStage{APIID: st.APIID, Stage: st.Stage}
		id := apiStageID(as)
		switch {
		case st.APIID == "" || st.Stage == "":
			p.add(errInvalidAPIStage)
			continue
		case seen[id]:
			// Not verified.
			p.addf("Duplicate API Stage %s specified for usage plan", id)
			continue
		}
		seen[id] = true
		if len(st.Throttle) > 0 {
			as.Throttle = make(map[string]apigateway.ThrottleSettings, len(st.Throttle))
			for key, t := range st.Throttle {
				as.Throttle[key] = t.settings()
			}
			p.addAll(methodThrottleProblems(as))
		}
		plan.APIStages = append(plan.APIStages, as)
	}
	if err := tagsProblem(in.Tags); err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) {
			p.add(ae)
		}
	}
	plan.Tags = nilIfEmpty(in.Tags)
	if err := p.err(); err != nil {
		return err
	}
	if err := s.checkStagesExist(ctx, plan.APIStages); err != nil {
		return err
	}
	b, err := json.Marshal(apigateway.UsagePlanDocument{UsagePlan: plan})
	if err != nil {
		return err
	}
	if _, err := s.store.Txn(ctx, store.Op{Key: s.scope.UsagePlanKey(plan.ID), Value: b, IfRevision: store.Absent}); err != nil {
		return fmt.Errorf("create usage plan %s: %w", plan.ID, err)
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, usagePlanOut(&plan))
	return nil
}

// GetUsagePlan is GET /usageplans/{usageplanId}.
func (s *Server) GetUsagePlan(ctx context.Context, c *call) error {
	doc, _, err := s.loadUsagePlan(ctx, c.path("usageplanId"))
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, usagePlanOut(&doc.UsagePlan))
	return nil
}

// GetUsagePlans is GET /usageplans?keyId&position&limit: the plans in id order; with keyId,
// only the plans that key belongs to (moto's test_get_usage_plans_using_key_id).
func (s *Server) GetUsagePlans(ctx context.Context, c *call) error {
	page, err := awsjson.ParsePage(c.r)
	if err != nil {
		return err
	}
	keyID := c.r.URL.Query().Get("keyId")
	kvs, _, err := s.store.List(ctx, s.scope.UsagePlanPrefix())
	if err != nil {
		return err
	}
	var member map[string]bool
	if keyID != "" {
		member = map[string]bool{}
		var key apigateway.APIKeyDocument
		_, err := store.GetJSON(ctx, s.store, s.scope.APIKeyKey(keyID), &key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		for _, id := range key.UsagePlanIDs {
			member[id] = true
		}
	}
	plans := make([]*apigateway.UsagePlan, 0, len(kvs))
	for _, kv := range kvs {
		var doc apigateway.UsagePlanDocument
		if err := jsonUnmarshal(kv.Value, &doc); err != nil {
			return err
		}
		if member != nil && !member[doc.ID] {
			continue
		}
		plans = append(plans, usagePlanOut(&doc.UsagePlan))
	}
	items, next := awsjson.Paginate(plans, func(p *apigateway.UsagePlan) string { return p.ID }, page)
	awsjson.WriteJSON(c.w, http.StatusOK, listOutput[*apigateway.UsagePlan]{Items: items, Position: next})
	return nil
}

// usagePlanUpdatePaths lists UpdateUsagePlan's patch paths for the invalid-path message.
const usagePlanUpdatePaths = "[/name, /description, /productCode, /throttle, /throttle/burstLimit, /throttle/rateLimit, /quota, /quota/limit, /quota/offset, /quota/period, /apiStages, /apiStages/{apiId:stage}/throttle, /apiStages/{apiId:stage}/throttle/{resourcePath}/{httpMethod}, /apiStages/{apiId:stage}/throttle/{resourcePath}/{httpMethod}/burstLimit, /apiStages/{apiId:stage}/throttle/{resourcePath}/{httpMethod}/rateLimit]"

// UpdateUsagePlan is PATCH /usageplans/{usageplanId}. The operations apply in order to a
// copy of the plan (Terraform removes every API stage and adds the new set in one call); the
// result is then checked as a whole (a quota is complete, offsets fit the period, an added
// API stage exists and gives no key of the plan a second plan on that stage), every problem
// reported at once, and nothing is written on error.
func (s *Server) UpdateUsagePlan(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateUsagePlanInput")
	if err != nil {
		return err
	}
	planID := c.path("usageplanId")
	var out *apigateway.UsagePlan
	err = store.Retry(ctx, "update usage plan "+planID, func() error {
		doc, rev, err := s.loadUsagePlan(ctx, planID)
		if err != nil {
			return err
		}
		next := cloneUsagePlan(&doc.UsagePlan)
		var p problemList
		for _, op := range ops {
			patchUsagePlan(next, op, &p)
		}
		if next.Quota != nil {
			p.addAll(quotaProblems(next.Quota))
		}
		if next.Throttle != nil {
			p.addAll(throttleProblems("throttle", *next.Throttle))
		}
		for _, st := range next.APIStages {
			p.addAll(methodThrottleProblems(st))
		}
		if err := p.err(); err != nil {
			return err
		}
		var added []apigateway.APIStage
		for _, st := range next.APIStages {
			if !slices.ContainsFunc(doc.APIStages, func(o apigateway.APIStage) bool { return apiStageID(o) == apiStageID(st) }) {
				added = append(added, st)
			}
		}
		txn := []store.Op{}
		if len(added) > 0 {
			if err := s.checkStagesExist(ctx, added); err != nil {
				return err
			}
			guards, err := s.checkKeysFreeOnStages(ctx, planID, added)
			if err != nil {
				return err
			}
			txn = append(txn, guards...)
		}
		b, err := json.Marshal(apigateway.UsagePlanDocument{UsagePlan: *next})
		if err != nil {
			return err
		}
		txn = append(txn, store.Op{Key: s.scope.UsagePlanKey(planID), Value: b, IfRevision: rev})
		if _, err := s.store.Txn(ctx, txn...); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, usagePlanOut(out))
	return nil
}

// DeleteUsagePlan is DELETE /usageplans/{usageplanId}: 202. The plan's key memberships go
// with it, and the plan leaves each key's UsagePlanIDs, in the same transaction. AWS is not
// known to refuse a plan that still has API stages (Terraform removes them first; moto
// deletes either way), so gatehouse deletes it.
func (s *Server) DeleteUsagePlan(ctx context.Context, c *call) error {
	planID := c.path("usageplanId")
	err := store.Retry(ctx, "delete usage plan "+planID, func() error {
		kv, err := s.store.Get(ctx, s.scope.UsagePlanKey(planID))
		if errors.Is(err, store.ErrNotFound) || planID == "" {
			return errUsagePlanNotFound
		}
		if err != nil {
			return err
		}
		txn := []store.Op{{Key: kv.Key, Delete: true, IfRevision: kv.Revision}}
		members, _, err := s.store.List(ctx, s.scope.UsagePlanKeyPrefix(planID))
		if err != nil {
			return err
		}
		for _, m := range members {
			if txn, err = s.removeMembership(ctx, txn, m, planID); err != nil {
				return err
			}
		}
		_, err = s.store.Txn(ctx, txn...)
		return err
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}

// removeMembership appends to txn the writes that end one key's membership of planID: the
// deletion of its UsagePlanKeyDocument m and the key document without the plan, each
// conditional on its revision.
func (s *Server) removeMembership(ctx context.Context, txn []store.Op, m store.KV, planID string) ([]store.Op, error) {
	txn = append(txn, store.Op{Key: m.Key, Delete: true, IfRevision: m.Revision})
	op, err := s.keyWithoutPlan(ctx, strings.TrimPrefix(m.Key, s.scope.UsagePlanKeyPrefix(planID)), planID)
	if err != nil || op == nil {
		return txn, err
	}
	return append(txn, *op), nil
}

// keyWithoutPlan returns the write that takes planID out of key keyID's UsagePlanIDs,
// conditional on the key document's revision; nil when the key is gone or not in the plan.
func (s *Server) keyWithoutPlan(ctx context.Context, keyID, planID string) (*store.Op, error) {
	var key apigateway.APIKeyDocument
	rev, err := store.GetJSON(ctx, s.store, s.scope.APIKeyKey(keyID), &key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	i := slices.Index(key.UsagePlanIDs, planID)
	if i < 0 {
		return nil, nil
	}
	key.UsagePlanIDs = slices.Delete(key.UsagePlanIDs, i, i+1)
	if len(key.UsagePlanIDs) == 0 {
		key.UsagePlanIDs = nil
	}
	b, err := json.Marshal(key)
	if err != nil {
		return nil, err
	}
	return &store.Op{Key: s.scope.APIKeyKey(keyID), Value: b, IfRevision: rev}, nil
}

// apiStageID is an API stage as AWS names it in patch values and messages: "apiId:stage".
func apiStageID(st apigateway.APIStage) string { return st.APIID + ":" + st.Stage }

// errInvalidAPIStage is AWS's answer for an API stage without an API id or a stage name. AWS
// answers its format string unfilled, "%s" and all (aws/aws-sdk issue 354, recorded with
// aws-cli 2.6.3 in 2022); gatehouse sends the same text, so that clients matching it agree.
var errInvalidAPIStage = awsjson.BadRequest("%s", "Invalid API Stage {api: %s, stage: %s} specified for usageplan %s")

// addAll adds every problem of es.
func (p *problemList) addAll(es []*awsjson.Error) {
	for _, e := range es {
		p.add(e)
	}
}

// errAPIStageNotFound is AWS's answer for an API stage that does not exist: "API Stage not
// found: {apiId}:{stage}" (the text CloudFormation and the Serverless Framework show for a
// usage plan created before its stage: aws/serverless-application-model issue 1560,
// serverless/serverless issue 2831). The type, BadRequestException, is not verified.
func errAPIStageNotFound(st apigateway.APIStage) *awsjson.Error {
	return awsjson.BadRequest("API Stage not found: %s", apiStageID(st))
}

// checkStagesExist reports the first API stage that has no stage document.
func (s *Server) checkStagesExist(ctx context.Context, stages []apigateway.APIStage) error {
	for _, st := range stages {
		_, err := s.store.Get(ctx, s.scope.StageKey(st.APIID, st.Stage))
		if errors.Is(err, store.ErrNotFound) {
			return errAPIStageNotFound(st)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkKeysFreeOnStages checks that no key of plan planID is in another plan that covers one
// of stages (AWS: a key is in at most one plan per API stage, [A]
// api-gateway-api-usage-plans.md). It returns writes that rewrite each key document as it
// was read, conditional on its revision, so that a concurrent CreateUsagePlanKey of one of
// these keys conflicts with the update instead of racing it.
func (s *Server) checkKeysFreeOnStages(ctx context.Context, planID string, stages []apigateway.APIStage) ([]store.Op, error) {
	members, _, err := s.store.List(ctx, s.scope.UsagePlanKeyPrefix(planID))
	if err != nil {
		return nil, err
	}
	var guards []store.Op
	plans := map[string]*apigateway.UsagePlanDocument{}
	for _, m := range members {
		keyID := strings.TrimPrefix(m.Key, s.scope.UsagePlanKeyPrefix(planID))
		kv, err := s.store.Get(ctx, s.scope.APIKeyKey(keyID))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var key apigateway.APIKeyDocument
		if err := jsonUnmarshal(kv.Value, &key); err != nil {
			return nil, err
		}
		guards = append(guards, store.Op{Key: kv.Key, Value: kv.Value, IfRevision: kv.Revision})
		for _, other := range key.UsagePlanIDs {
			if other == planID {
				continue
			}
			doc, ok := plans[other]
			if !ok {
				doc, _, err = s.loadUsagePlan(ctx, other)
				if errors.Is(err, errUsagePlanNotFound) {
					plans[other] = nil
					continue
				}
				if err != nil {
					return nil, err
				}
				plans[other] = doc
			}
			if doc == nil {
				continue
			}
			if st, ok := sharedStage(doc.APIStages, stages); ok {
				return nil, errKeyOnStage(keyID, other, st)
			}
		}
	}
	return guards, nil
}

// sharedStage returns an API stage that is in both a and b.
func sharedStage(a, b []apigateway.APIStage) (apigateway.APIStage, bool) {
	for _, x := range a {
		for _, y := range b {
			if apiStageID(x) == apiStageID(y) {
				return x, true
			}
		}
	}
	return apigateway.APIStage{}, false
}

// errKeyOnStage is the answer when a key would be in two plans for one API stage. AWS
// refuses it ([A] "an API key can be associated with only one usage plan per stage"); the
// wording and the type are not verified.
func errKeyOnStage(keyID, otherPlan string, st apigateway.APIStage) *awsjson.Error {
	return awsjson.Conflict("API Key %s is already associated with API Stage %s through Usage Plan %s. An API key can be in only one usage plan per API stage", keyID, apiStageID(st), otherPlan)
}

// cloneUsagePlan returns a deep copy of p, for patching.
func cloneUsagePlan(p *apigateway.UsagePlan) *apigateway.UsagePlan {
	out := *p
	if p.Throttle != nil {
		t := *p.Throttle
		out.Throttle = &t
	}
	if p.Quota != nil {
		q := *p.Quota
		out.Quota = &q
	}
	out.APIStages = make([]apigateway.APIStage, len(p.APIStages))
	for i, st := range p.APIStages {
		out.APIStages[i] = st
		if st.Throttle != nil {
			out.APIStages[i].Throttle = make(map[string]apigateway.ThrottleSettings, len(st.Throttle))
			for k, v := range st.Throttle {
				out.APIStages[i].Throttle[k] = v
			}
		}
	}
	if len(out.APIStages) == 0 {
		out.APIStages = nil
	}
	return &out
}

// patchUsagePlan applies one patch operation to p, adding its problems to pl.
func patchUsagePlan(p *apigateway.UsagePlan, op awsjson.PatchOperation, pl *problemList) {
	v := op.Val()
	setOrAdd := op.Op == awsjson.OpReplace || op.Op == awsjson.OpAdd
	switch {
	case op.Path == "/name" && setOrAdd:
		if v == "" {
			pl.addf("Usage Plan name must be specified") // not verified
			return
		}
		p.Name = v
	case op.Path == "/description" && setOrAdd:
		p.Description = v
	case op.Path == "/description" && op.Op == awsjson.OpRemove:
		p.Description = ""
	case op.Path == "/productCode" && setOrAdd:
		// Terraform adds the product code after CreateUsagePlan with add /productCode.
		p.ProductCode = v
	case op.Path == "/productCode" && op.Op == awsjson.OpRemove:
		p.ProductCode = ""
	case op.Path == "/throttle" && op.Op == awsjson.OpRemove:
		p.Throttle = nil
	case (op.Path == "/throttle/burstLimit" || op.Path == "/throttle/rateLimit") && setOrAdd:
		if p.Throttle == nil {
			p.Throttle = &apigateway.ThrottleSettings{}
		}
		setThrottleMember(p.Throttle, strings.TrimPrefix(op.Path, "/throttle/"), op.Path, v, pl)
	case op.Path == "/quota" && op.Op == awsjson.OpRemove:
		p.Quota = nil
	case strings.HasPrefix(op.Path, "/quota/") && setOrAdd:
		if p.Quota == nil {
			p.Quota = &apigateway.QuotaSettings{}
		}
		switch op.Path {
		case "/quota/limit":
			n, msg := parseNonNegInt(op.Path, v)
			if msg != "" {
				pl.addf("%s", msg)
			}
			p.Quota.Limit = n
		case "/quota/offset":
			n, msg := parseNonNegInt(op.Path, v)
			if msg != "" {
				pl.addf("%s", msg)
			}
			p.Quota.Offset = n
		case "/quota/period":
			if !slices.Contains(quotaPeriods, v) {
				pl.addf("Invalid quota period specified: '%s'. Must be one of: [DAY, WEEK, MONTH]", v) // not verified
			}
			p.Quota.Period = v
		default:
			pl.addf("%s", invalidPatch(op)+" Must be one of: "+usagePlanUpdatePaths)
		}
	case op.Path == "/apiStages" && op.Op == awsjson.OpAdd:
		st, ok := parseAPIStageID(v)
		if !ok {
			pl.add(errInvalidAPIStage)
			return
		}
		if stageIndex(p, v) >= 0 {
			pl.addf("API Stage %s is already in the usage plan", v) // not verified
			return
		}
		p.APIStages = append(p.APIStages, st)
	case op.Path == "/apiStages" && op.Op == awsjson.OpRemove:
		i := stageIndex(p, v)
		if i < 0 {
			pl.addf("API Stage %s is not in the usage plan", v) // not verified
			return
		}
		p.APIStages = slices.Delete(p.APIStages, i, i+1)
	case strings.HasPrefix(op.Path, "/apiStages/"):
		patchMethodThrottle(p, op, pl)
	default:
		pl.addf("%s", invalidPatch(op)+" Must be one of: "+usagePlanUpdatePaths)
	}
}

// setThrottleMember sets t's burstLimit or rateLimit from a patch value.
func setThrottleMember(t *apigateway.ThrottleSettings, member, path, v string, pl *problemList) {
	switch member {
	case "burstLimit":
		n, msg := parseNonNegInt(path, v)
		if msg != "" {
			pl.addf("%s", msg)
		}
		t.BurstLimit = n
	case "rateLimit":
		f, msg := parseNonNegFloat(path, v)
		if msg == "" && math.IsInf(f, 0) {
			msg = fmt.Sprintf("Invalid number value '%s' for %s", v, path)
		}
		if msg != "" {
			pl.addf("%s", msg)
		}
		t.RateLimit = f
	}
}

// parseAPIStageID reads "apiId:stage".
func parseAPIStageID(v string) (apigateway.APIStage, bool) {
	api, stage, ok := strings.Cut(v, ":")
	st := apigateway.APIStage{APIID: api, Stage: stage}
	return st, ok && api != "" && stage != ""
}

func stageIndex(p *apigateway.UsagePlan, id string) int {
	return slices.IndexFunc(p.APIStages, func(st apigateway.APIStage) bool { return apiStageID(st) == id })
}

// patchMethodThrottle applies an operation on /apiStages/{apiId:stage}/throttle...: replace
// (or add) .../throttle/{resourcePath}/{httpMethod}/burstLimit|rateLimit creates or changes
// one method's limits; remove .../throttle/{resourcePath}/{httpMethod} drops one, remove
// .../throttle drops all. The method key's own slashes may come as they are
// ("/apiStages/a:dev/throttle//pets/GET/rateLimit", as Terraform sends them) or escaped as
// "~1" ("/apiStages/a:dev/throttle/~1pets~1GET/rateLimit").
func patchMethodThrottle(p *apigateway.UsagePlan, op awsjson.PatchOperation, pl *problemList) {
	rest := strings.TrimPrefix(op.Path, "/apiStages/")
	id, rest, _ := strings.Cut(rest, "/")
	id = awsjson.Unescape(id)
	i := stageIndex(p, id)
	if i < 0 {
		if _, ok := parseAPIStageID(id); !ok {
			pl.addf("%s", invalidPatch(op)+" Must be one of: "+usagePlanUpdatePaths)
			return
		}
		pl.addf("API Stage %s is not in the usage plan", id) // not verified
		return
	}
	st := &p.APIStages[i]
	if rest == "throttle" {
		if op.Op != awsjson.OpRemove {
			pl.addf("%s", invalidPatch(op)+" Must be one of: "+usagePlanUpdatePaths)
			return
		}
		st.Throttle = nil
		return
	}
	key, ok := strings.CutPrefix(rest, "throttle/")
	if !ok || key == "" {
		pl.addf("%s", invalidPatch(op)+" Must be one of: "+usagePlanUpdatePaths)
		return
	}
	switch op.Op {
	case awsjson.OpRemove:
		key = awsjson.Unescape(key)
		if _, ok := st.Throttle[key]; !ok {
			pl.addf("Method throttle %s is not set for API Stage %s", key, id) // not verified
			return
		}
		deleteEntry(&st.Throttle, key)
	case awsjson.OpReplace, awsjson.OpAdd:
		var member string
		switch {
		case strings.HasSuffix(key, "/burstLimit"):
			member = "burstLimit"
		case strings.HasSuffix(key, "/rateLimit"):
			member = "rateLimit"
		default:
			pl.addf("%s", invalidPatch(op)+" Must be one of: "+usagePlanUpdatePaths)
			return
		}
		key = awsjson.Unescape(strings.TrimSuffix(key, "/"+member))
		if msg := methodThrottleKeyProblem(key); msg != "" {
			pl.addf("%s", msg)
			return
		}
		t := st.Throttle[key]
		setThrottleMember(&t, member, op.Path, op.Val(), pl)
		if st.Throttle == nil {
			st.Throttle = map[string]apigateway.ThrottleSettings{}
		}
		st.Throttle[key] = t
	default:
		pl.addf("%s", invalidPatch(op)+" Must be one of: "+usagePlanUpdatePaths)
	}
}

// throttleMethods are the methods a method-level throttle may name: AWS's HTTP methods, ANY,
// and * for every method ("/*/*").
var throttleMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY", "*"}

// methodThrottleKeyProblem checks the form of a method-level throttle key:
// "/{resourcePath}/{httpMethod}" ("/pets/GET", "//GET" for the root resource, "/*/*" for all
// methods). Whether the resource and method exist in the stage's deployment is not checked
// (AWS's check, if any, is not verified). "" for a valid key.
func methodThrottleKeyProblem(key string) string {
	bad := fmt.Sprintf("Invalid method throttle key '%s'. Must be of the form /{resourcePath}/{httpMethod}", key) // not verified
	i := strings.LastIndex(key, "/")
	if !strings.HasPrefix(key, "/") || i < 1 {
		return bad
	}
	resource, method := key[:i], key[i+1:]
	if !slices.Contains(throttleMethods, method) {
		return bad
	}
	switch {
	case resource == "/" || resource == "/*":
		return ""
	case strings.HasSuffix(resource, "/") || strings.Contains(resource, "//"):
		return bad
	}
	return ""
}

// methodThrottleProblems checks one API stage's method-level throttles: their keys' form,
// their limits, and AWS's quota of 20 per API stage.
func methodThrottleProblems(st apigateway.APIStage) []*awsjson.Error {
	var out []*awsjson.Error
	if len(st.Throttle) > maxMethodThrottles {
		// The quota is AWS's ([A] limits.md); the wording is not verified.
		out = append(out, awsjson.BadRequest("API Stage %s has %d method throttle settings. At most %d are allowed", apiStageID(st), len(st.Throttle), maxMethodThrottles))
	}
	keys := make([]string, 0, len(st.Throttle))
	for k := range st.Throttle {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if msg := methodThrottleKeyProblem(k); msg != "" {
			out = append(out, awsjson.BadRequest("%s", msg))
			continue
		}
		out = append(out, throttleProblems("apiStages "+apiStageID(st)+" throttle "+k, st.Throttle[k])...)
	}
	return out
}

// throttleProblems checks a throttle's limits: non-negative, finite. A burst of 0 is
// allowed (it admits nothing, as on AWS); so is a rate of 0 (the burst once, no refill).
// The wording is not verified.
func throttleProblems(what string, t apigateway.ThrottleSettings) []*awsjson.Error {
	var out []*awsjson.Error
	if t.BurstLimit < 0 {
		out = append(out, awsjson.BadRequest("Invalid %s burstLimit %d: must be a non-negative integer", what, t.BurstLimit))
	}
	if t.RateLimit < 0 || math.IsNaN(t.RateLimit) || math.IsInf(t.RateLimit, 0) {
		out = append(out, awsjson.BadRequest("Invalid %s rateLimit %v: must be a non-negative number", what, t.RateLimit))
	}
	return out
}

// quotaProblems checks a quota: a non-negative limit, a period, and an offset that names a
// day of the period (meter.Window): 0 for DAY, 0-6 (Sunday-Saturday) for WEEK, 0-27 for
// MONTH. The offset messages are the ones Terraform's provider words its own identical
// check with (validUsagePlanQuotaSettings); AWS's wording is not verified. A limit of 0
// admits no request.
func quotaProblems(q *apigateway.QuotaSettings) []*awsjson.Error {
	var out []*awsjson.Error
	if q.Limit < 0 {
		out = append(out, awsjson.BadRequest("Usage Plan quota limit must be a non-negative integer"))
	}
	if q.Offset < 0 {
		out = append(out, awsjson.BadRequest("Usage Plan quota offset must be a non-negative integer"))
	}
	switch q.Period {
	case "":
		out = append(out, awsjson.BadRequest("Usage Plan quota period must be specified. Must be one of: [DAY, WEEK, MONTH]"))
	case "DAY":
		if q.Offset != 0 {
			out = append(out, awsjson.BadRequest("Usage Plan quota offset must be zero in the DAY period"))
		}
	case "WEEK":
		if q.Offset > 6 {
			out = append(out, awsjson.BadRequest("Usage Plan quota offset must be between 0 and 6 inclusive in the WEEK period"))
		}
	case "MONTH":
		if q.Offset > meter.MaxMonthOffset {
			out = append(out, awsjson.BadRequest("Usage Plan quota offset must be between 0 and %d inclusive in the MONTH period", meter.MaxMonthOffset))
		}
	}
	return out
}
