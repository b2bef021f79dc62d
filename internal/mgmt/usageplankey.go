package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Usage plan keys: CreateUsagePlanKey, GetUsagePlanKey, GetUsagePlanKeys and
// DeleteUsagePlanKey at /usageplans/{usageplanId}/keys. A key's membership of a plan is a
// UsagePlanKeyDocument at Scope.UsagePlanKeyKey and the plan's id in the key's
// APIKeyDocument.UsagePlanIDs; both change in one store transaction, conditional on the
// revisions read, retried on conflict.

// usagePlanKeyType is the only key type AWS has (the service model's UsagePlanKey.type:
// "Currently, the valid key type is API_KEY").
const usagePlanKeyType = "API_KEY"

// maxPlansPerKey is AWS's quota of usage plans per API key ([A] limits.md).
const maxPlansPerKey = 10

type createUsagePlanKeyInput struct {
	KeyID   string `json:"keyId"`
	KeyType string `json:"keyType"`
}

// usagePlanKeyOut is the UsagePlanKey AWS answers: the key's id, type, value and name (the
// value is always included: AWS's CreateUsagePlanKey documentation, and moto's
// test_usage_plan_keys asserts it for GetUsagePlanKey).
func usagePlanKeyOut(key *apigateway.APIKeyDocument) apigateway.UsagePlanKey {
	return apigateway.UsagePlanKey{ID: key.ID, Type: usagePlanKeyType, Value: key.Value, Name: key.Name}
}

// CreateUsagePlanKey is POST /usageplans/{usageplanId}/keys: adds an API key to the plan;
// 201 with the UsagePlanKey. The key must exist, must not be in the plan already
// (ConflictException), must be in fewer than 10 plans, and must not be in another plan that
// covers one of this plan's API stages.
func (s *Server) CreateUsagePlanKey(ctx context.Context, c *call) error {
	var in createUsagePlanKeyInput
	if err := c.decode(&in); err != nil {
		return err
	}
	var p problemList
	if in.KeyID == "" {
		p.addf("API Key id must be specified") // not verified
	}
	if in.KeyType != usagePlanKeyType {
		p.addf("Invalid Usage Plan Key type specified: '%s'. Must be one of: [API_KEY]", in.KeyType) // not verified
	}
	if err := p.err(); err != nil {
		return err
	}
	planID := c.path("usageplanId")
	var out apigateway.UsagePlanKey
	err := store.Retry(ctx, "create usage plan key "+planID+"/"+in.KeyID, func() error {
		// The key is checked before the plan, as moto does
		// (test_create_usage_plan_key_non_existent_api_key names an unknown plan too).
		key, keyRev, err := s.loadAPIKey(ctx, in.KeyID)
		if err != nil {
			return err
		}
		j := s.newPlanJoin()
		if err := j.join(ctx, key, planID); err != nil {
			return err
		}
		keyOp, err := store.PutJSON(s.scope.APIKeyKey(in.KeyID), key, keyRev)
		if err != nil {
			return err
		}
		if _, err := s.store.Txn(ctx, append(j.ops(), keyOp)...); err != nil {
			return err
		}
		out = usagePlanKeyOut(key)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, out)
	return nil
}

// planJoin gathers, for one store transaction, the writes that add API keys to usage plans
// (CreateUsagePlanKey: one key, one plan; ImportApiKeys: many of each). Every plan it reads
// is rewritten as read, conditional on its revision, so that an UpdateUsagePlan adding a
// stage to one of them meanwhile conflicts with the transaction instead of racing its
// checks.
type planJoin struct {
	s *Server
	// plans are the plans read, by id; a nil doc is a plan that does not exist.
	plans   map[string]*joinedPlan
	members []store.Op
}

type joinedPlan struct {
	doc *apigateway.UsagePlanDocument
	kv  store.KV
}

func (s *Server) newPlanJoin() *planJoin {
	return &planJoin{s: s, plans: map[string]*joinedPlan{}}
}

// plan reads plan id once per join; doc is nil when it does not exist.
func (j *planJoin) plan(ctx context.Context, id string) (*joinedPlan, error) {
	if p, ok := j.plans[id]; ok {
		return p, nil
	}
	p := &joinedPlan{}
	if id != "" && !strings.Contains(id, "/") {
		kv, err := j.s.store.Get(ctx, j.s.scope.UsagePlanKey(id))
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			var doc apigateway.UsagePlanDocument
			if err := jsonUnmarshal(kv.Value, &doc); err != nil {
				return nil, err
			}
			p.doc, p.kv = &doc, kv
		}
	}
	j.plans[id] = p
	return p, nil
}

// join checks that key may join plan planID and records the membership; planID is added to
// key.UsagePlanIDs, which the caller writes in the same transaction. The plan must exist,
// the key must not be in it already (ConflictException), must be in fewer than 10 plans,
// and must not be in another plan that covers one of this plan's API stages.
func (j *planJoin) join(ctx context.Context, key *apigateway.APIKeyDocument, planID string) error {
	plan, err := j.plan(ctx, planID)
	if err != nil {
		return err
	}
	if plan.doc == nil {
		return errUsagePlanNotFound
	}
	if slices.Contains(key.UsagePlanIDs, planID) {
		return errKeyInPlan(key.ID, planID)
	}
	if _, err := j.s.store.Get(ctx, j.s.scope.UsagePlanKeyKey(planID, key.ID)); err == nil {
		return errKeyInPlan(key.ID, planID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if len(key.UsagePlanIDs) >= maxPlansPerKey {
		// The quota is AWS's ([A] limits.md); the wording is not verified.
		return awsjson.LimitExceeded("API Key %s is already in %d usage plans, the most an API key can be in", key.ID, maxPlansPerKey)
	}
	for _, other := range key.UsagePlanIDs {
		o, err := j.plan(ctx, other)
		if err != nil {
			return err
		}
		if o.doc == nil {
			continue
		}
		if st, ok := sharedStage(o.doc.APIStages, plan.doc.APIStages); ok {
			return errKeyOnStage(key.ID, other, st)
		}
	}
	member, err := json.Marshal(apigateway.UsagePlanKeyDocument{UsagePlanID: planID, KeyID: key.ID})
	if err != nil {
		return err
	}
	j.members = append(j.members, store.Op{Key: j.s.scope.UsagePlanKeyKey(planID, key.ID), Value: member, IfRevision: store.Absent})
	key.UsagePlanIDs = append(key.UsagePlanIDs, planID)
	slices.Sort(key.UsagePlanIDs)
	return nil
}

// ops returns the join's writes: every existing plan read, rewritten as read (in id order),
// then the memberships.
func (j *planJoin) ops() []store.Op {
	ids := make([]string, 0, len(j.plans))
	for id, p := range j.plans {
		if p.doc != nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := make([]store.Op, 0, len(ids)+len(j.members))
	for _, id := range ids {
		kv := j.plans[id].kv
		out = append(out, store.Op{Key: kv.Key, Value: kv.Value, IfRevision: kv.Revision})
	}
	return append(out, j.members...)
}

// errKeyInPlan is the answer for a key the plan has already. The type is the service
// model's ConflictException; the wording is not verified.
func errKeyInPlan(keyID, planID string) *awsjson.Error {
	return awsjson.Conflict("API Key %s is already in Usage Plan %s", keyID, planID)
}

// loadUsagePlanKey reads one key of one plan. An unknown plan is errUsagePlanNotFound, an
// unknown key errAPIKeyNotFound, and a key that exists but is not in the plan
// errUsagePlanNotFound, as moto's test_usage_plan_keys asserts for GetUsagePlanKey.
func (s *Server) loadUsagePlanKey(ctx context.Context, planID, keyID string) (*apigateway.APIKeyDocument, error) {
	if _, _, err := s.loadUsagePlan(ctx, planID); err != nil {
		return nil, err
	}
	key, _, err := s.loadAPIKey(ctx, keyID)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Get(ctx, s.scope.UsagePlanKeyKey(planID, keyID)); errors.Is(err, store.ErrNotFound) {
		return nil, errUsagePlanNotFound
	} else if err != nil {
		return nil, err
	}
	return key, nil
}

// GetUsagePlanKey is GET /usageplans/{usageplanId}/keys/{keyId}.
func (s *Server) GetUsagePlanKey(ctx context.Context, c *call) error {
	key, err := s.loadUsagePlanKey(ctx, c.path("usageplanId"), c.path("keyId"))
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, usagePlanKeyOut(key))
	return nil
}

// GetUsagePlanKeys is GET /usageplans/{usageplanId}/keys?name&position&limit: the plan's
// keys in id order; name (the model's nameQuery) keeps the keys whose name starts with it.
// An unknown plan answers an empty list, as AWS does (localstack's AWS-validated
// test_get_usage_plan_api_keys "get-up-keys-bad-usage-plan" expects no error). A key whose
// API key is gone is left out (without name, its page then has one item fewer).
func (s *Server) GetUsagePlanKeys(ctx context.Context, c *call) error {
	page, err := awsjson.ParsePage(c.r)
	if err != nil {
		return err
	}
	planID := c.path("usageplanId")
	nameQuery := c.r.URL.Query().Get("name")
	members, _, err := s.store.List(ctx, s.scope.UsagePlanKeyPrefix(planID))
	if err != nil {
		return err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = strings.TrimPrefix(m.Key, s.scope.UsagePlanKeyPrefix(planID))
	}
	slices.Sort(ids)
	var next string
	if nameQuery == "" {
		// Without a name to match, the page is cut from the ids first, so that a page of a
		// large plan reads only its own keys.
		ids, next = awsjson.Paginate(ids, func(id string) string { return id }, page)
	}
	items := make([]apigateway.UsagePlanKey, 0, len(ids))
	for _, id := range ids {
		key, _, err := s.loadAPIKey(ctx, id)
		if errors.Is(err, errAPIKeyNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if nameQuery != "" && !strings.HasPrefix(key.Name, nameQuery) {
			continue
		}
		items = append(items, usagePlanKeyOut(key))
	}
	if nameQuery != "" {
		items, next = awsjson.Paginate(items, func(k apigateway.UsagePlanKey) string { return k.ID }, page)
	}
	awsjson.WriteJSON(c.w, http.StatusOK, listOutput[apigateway.UsagePlanKey]{Items: items, Position: next})
	return nil
}

// DeleteUsagePlanKey is DELETE /usageplans/{usageplanId}/keys/{keyId}: takes the key out
// of the plan; 202.
func (s *Server) DeleteUsagePlanKey(ctx context.Context, c *call) error {
	planID, keyID := c.path("usageplanId"), c.path("keyId")
	err := store.Retry(ctx, fmt.Sprintf("delete usage plan key %s/%s", planID, keyID), func() error {
		if _, _, err := s.loadUsagePlan(ctx, planID); err != nil {
			return err
		}
		kv, err := s.store.Get(ctx, s.scope.UsagePlanKeyKey(planID, keyID))
		if errors.Is(err, store.ErrNotFound) {
			if _, _, err := s.loadAPIKey(ctx, keyID); err != nil {
				return err
			}
			return errUsagePlanNotFound
		}
		if err != nil {
			return err
		}
		txn, err := s.removeMembership(ctx, nil, kv, planID)
		if err != nil {
			return err
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
