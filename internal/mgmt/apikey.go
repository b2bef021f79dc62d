package mgmt

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// API key operations. A key is stored at Scope.APIKeyKey(id) with its value; the value is
// reserved at Scope.APIKeyValueKey(value) (its id) in the same transaction, so that no two
// keys share one. Answers carry the value only when asked (includeValue, includeValues),
// except CreateApiKey's. Messages not marked recorded are gatehouse's wording (not verified
// against AWS): see /work/notes/mgmt-keys.md.

var (
	// AWS's message for an unknown key (moto's NotFoundException wording; not verified
	// against a recorded AWS answer).
	errAPIKeyNotFound = awsjson.NotFound("Invalid API Key identifier specified")
	// A value another key already has (moto: ConflictException "API Key already exists").
	errAPIKeyValueTaken = awsjson.Conflict("API Key already exists")
)

// apiKeyAlphabet and apiKeyValueLen: a generated value is 40 characters of [A-Za-z0-9], as
// AWS's are.
const (
	apiKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	apiKeyValueLen = 40
	// A given value must be 20 to 128 characters (AWS's documented limit).
	minAPIKeyValueLen = 20
	maxAPIKeyValueLen = 128
)

// newAPIKeyValue returns a random value of apiKeyValueLen characters.
func newAPIKeyValue() string {
	b := make([]byte, apiKeyValueLen)
	rand.Read(b)
	for i := range b {
		// 248 = 4*62: bytes at or above it are redrawn so that every character is as likely.
		for b[i] >= 248 {
			var one [1]byte
			rand.Read(one[:])
			b[i] = one[0]
		}
		b[i] = apiKeyAlphabet[int(b[i])%len(apiKeyAlphabet)]
	}
	return string(b)
}

// apiKeyValueProblem checks a given value: 20 to 128 printable ASCII characters.
func apiKeyValueProblem(v string) error {
	if len(v) < minAPIKeyValueLen || len(v) > maxAPIKeyValueLen {
		return awsjson.BadRequest("API Key value should be at least %d characters long", minAPIKeyValueLen)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return awsjson.BadRequest("API Key value contains invalid characters")
		}
	}
	return nil
}

type stageKeyInput struct {
	RestAPIID string `json:"restApiId"`
	StageName string `json:"stageName"`
}

type createAPIKeyInput struct {
	Name               string            `json:"name"`
	Description        string            `json:"description"`
	Enabled            bool              `json:"enabled"`
	GenerateDistinctID bool              `json:"generateDistinctId"`
	Value              string            `json:"value"`
	StageKeys          []stageKeyInput   `json:"stageKeys"`
	CustomerID         string            `json:"customerId"`
	Tags               map[string]string `json:"tags"`
}

// stageKeyProblem checks that a stage key names a stage that exists (AWS validates it;
// message not verified).
func (s *Server) stageKeyProblem(ctx context.Context, apiID, stage string) error {
	if apiID == "" || stage == "" || strings.Contains(apiID, "/") || strings.Contains(stage, "/") {
		return errInvalidStageKey
	}
	_, err := s.store.Get(ctx, s.scope.StageKey(apiID, stage))
	if errors.Is(err, store.ErrNotFound) {
		return errInvalidStageKey
	}
	return err
}

var errInvalidStageKey = awsjson.BadRequest("Invalid stage key provided")

// CreateAPIKey is POST /apikeys: 201 with the key and its value. enabled defaults to false;
// generateDistinctId is ignored (deprecated); stageKeys must name existing stages.
func (s *Server) CreateAPIKey(ctx context.Context, c *call) error {
	var in createAPIKeyInput
	if err := c.decode(&in); err != nil {
		return err
	}
	if err := tagsProblem(in.Tags); err != nil {
		return err
	}
	value := in.Value
	if value != "" {
		if err := apiKeyValueProblem(value); err != nil {
			return err
		}
	}
	stageKeys := []string{}
	for _, sk := range in.StageKeys {
		if err := s.stageKeyProblem(ctx, sk.RestAPIID, sk.StageName); err != nil {
			return err
		}
		stageKeys = append(stageKeys, sk.RestAPIID+"/"+sk.StageName)
	}
	now := s.now()
	generated := value == ""
	for attempt := 0; ; attempt++ {
		if generated {
			value = newAPIKeyValue()
		}
		doc := apigateway.APIKeyDocument{APIKey: apigateway.APIKey{
			ID: newID(10), Value: value, Name: in.Name, Description: in.Description,
			Enabled: in.Enabled, CustomerID: in.CustomerID, CreatedDate: now, LastUpdatedDate: now,
			StageKeys: stageKeys, Tags: nilIfEmpty(in.Tags),
		}}
		ops, err := s.newAPIKeyOps(&doc)
		if err != nil {
			return err
		}
		_, err = s.store.Txn(ctx, ops...)
		if errors.Is(err, store.ErrConflict) {
			if !generated {
				if _, gerr := s.store.Get(ctx, s.scope.APIKeyValueKey(value)); gerr == nil {
					return errAPIKeyValueTaken
				}
			}
			if attempt < 8 {
				continue
			}
		}
		if err != nil {
			return err
		}
		awsjson.WriteJSON(c.w, http.StatusCreated, doc.APIKey)
		return nil
	}
}

// newAPIKeyOps returns the writes that store a new key: its document and its value's
// reservation, both conditional on being absent, so that a transaction with them fails
// with store.ErrConflict when the id or the value is taken.
func (s *Server) newAPIKeyOps(doc *apigateway.APIKeyDocument) ([]store.Op, error) {
	keyOp, err := store.PutJSON(s.scope.APIKeyKey(doc.ID), doc, store.Absent)
	if err != nil {
		return nil, err
	}
	return []store.Op{keyOp, {Key: s.scope.APIKeyValueKey(doc.Value), Value: []byte(doc.ID), IfRevision: store.Absent}}, nil
}

// loadAPIKey returns the stored key, or errAPIKeyNotFound.
func (s *Server) loadAPIKey(ctx context.Context, id string) (*apigateway.APIKeyDocument, int64, error) {
	if id == "" || strings.Contains(id, "/") {
		return nil, 0, errAPIKeyNotFound
	}
	var doc apigateway.APIKeyDocument
	rev, err := store.GetJSON(ctx, s.store, s.scope.APIKeyKey(id), &doc)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, errAPIKeyNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	return &doc, rev, nil
}

// apiKeyAnswer is the key as answered: without its value unless withValue.
func apiKeyAnswer(doc *apigateway.APIKeyDocument, withValue bool) apigateway.APIKey {
	k := doc.APIKey
	if !withValue {
		k.Value = ""
	}
	if k.StageKeys == nil {
		k.StageKeys = []string{}
	}
	return k
}

// GetAPIKey is GET /apikeys/{api_Key}; includeValue=true adds the value.
func (s *Server) GetAPIKey(ctx context.Context, c *call) error {
	doc, _, err := s.loadAPIKey(ctx, c.path("api_Key"))
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, apiKeyAnswer(doc, c.r.URL.Query().Get("includeValue") == "true"))
	return nil
}

// GetAPIKeys is GET /apikeys, in id order: name is a prefix of the key's name, customerId
// an exact match; includeValues=true adds the values.
func (s *Server) GetAPIKeys(ctx context.Context, c *call) error {
	page, err := awsjson.ParsePage(c.r)
	if err != nil {
		return err
	}
	q := c.r.URL.Query()
	kvs, _, err := s.store.List(ctx, s.scope.APIKeyPrefix())
	if err != nil {
		return err
	}
	withValues := q.Get("includeValues") == "true"
	items := []apigateway.APIKey{}
	for _, kv := range kvs {
		var doc apigateway.APIKeyDocument
		if err := jsonUnmarshal(kv.Value, &doc); err != nil {
			return err
		}
		if n := q.Get("name"); n != "" && !strings.HasPrefix(doc.Name, n) {
			continue
		}
		if cid := q.Get("customerId"); cid != "" && doc.CustomerID != cid {
			continue
		}
		items = append(items, apiKeyAnswer(&doc, withValues))
	}
	sort.Slice(items, func(i, j int) bool { return items[i].ID < items[j].ID })
	out, next := awsjson.Paginate(items, func(k apigateway.APIKey) string { return k.ID }, page)
	if out == nil {
		out = []apigateway.APIKey{}
	}
	awsjson.WriteJSON(c.w, http.StatusOK, listOutput[apigateway.APIKey]{Items: out, Position: next})
	return nil
}

// UpdateAPIKey is PATCH /apikeys/{api_Key}: replace /name, /description, /enabled,
// /customerId; add or remove /stages ("{restApiId}/{stageName}").
func (s *Server) UpdateAPIKey(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateApiKeyInput")
	if err != nil {
		return err
	}
	id := c.path("api_Key")
	if _, _, err := s.loadAPIKey(ctx, id); err != nil {
		return err
	}
	// Stages named by add must exist; checked before the transaction.
	for _, op := range ops {
		if op.Path == "/stages" && op.Op == awsjson.OpAdd {
			apiID, stage, _ := strings.Cut(op.Val(), "/")
			if err := s.stageKeyProblem(ctx, apiID, stage); err != nil {
				return err
			}
		}
	}
	now := s.now()
	updated, err := store.Update(ctx, s.store, s.scope.APIKeyKey(id), func(cur *apigateway.APIKeyDocument) (*apigateway.APIKeyDocument, []store.Op, error) {
		if cur == nil {
			return nil, nil, errAPIKeyNotFound
		}
		var p problemList
		stages := awsjson.NewListPatch(cur.StageKeys)
		for _, op := range ops {
			switch {
			case op.Path == "/stages" && op.Op == awsjson.OpAdd:
				stages.Add(op.Val())
			case op.Path == "/stages" && op.Op == awsjson.OpRemove:
				stages.Remove(op.Val())
			case op.Op != awsjson.OpReplace:
				p.addf("%s", unsupportedPatchOp(op))
			case op.Path == "/name":
				cur.Name = op.Val()
			case op.Path == "/description":
				cur.Description = op.Val()
			case op.Path == "/enabled":
				cur.Enabled = javaBool(op.Val())
			case op.Path == "/customerId":
				cur.CustomerID = op.Val()
			default:
				p.addf("Invalid patch path  '%s' specified for op '%s'. Must be one of: [/name, /description, /enabled, /customerId, /stages]", op.Path, op.Op)
			}
		}
		if err := p.err(); err != nil {
			return nil, nil, err
		}
		cur.StageKeys = stages.List()
		cur.LastUpdatedDate = now
		return cur, nil, nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, apiKeyAnswer(updated, false))
	return nil
}

// DeleteAPIKey is DELETE /apikeys/{api_Key}: 202. In one transaction it removes the key, its
// value reservation and its membership of every usage plan.
func (s *Server) DeleteAPIKey(ctx context.Context, c *call) error {
	id := c.path("api_Key")
	err := store.Retry(ctx, "delete api key", func() error {
		doc, rev, err := s.loadAPIKey(ctx, id)
		if err != nil {
			return err
		}
		ops := []store.Op{
			{Key: s.scope.APIKeyKey(id), Delete: true, IfRevision: rev},
			{Key: s.scope.APIKeyValueKey(doc.Value), Delete: true, IfRevision: store.AnyRevision},
		}
		for _, plan := range doc.UsagePlanIDs {
			ops = append(ops, store.Op{Key: s.scope.UsagePlanKeyKey(plan, id), Delete: true, IfRevision: store.AnyRevision})
		}
		_, err = s.store.Txn(ctx, ops...)
		return err
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}
