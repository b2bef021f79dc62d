package gateway

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/apikey"
	"github.com/gatehouse/gatehouse/internal/store"
)

// keyFollower is followKeys's private state: the API key and usage plan documents as
// decoded (an undecodable one is left out, its error logged).
type keyFollower struct {
	keys  map[string]*apigateway.APIKeyDocument
	plans map[string]*apigateway.UsagePlanDocument
}

// followKeys lists the API keys and usage plans, publishes their index, then rebuilds and
// republishes it on every change until the watch drops or ctx ends. The index is separate
// from the stage table: a key or plan change recompiles no stage.
func (s *Server) followKeys(ctx context.Context) error {
	keyPrefix, planPrefix := s.scope.APIKeyPrefix(), s.scope.UsagePlanPrefix()
	keyKVs, keyRev, err := s.store.List(ctx, keyPrefix)
	if err != nil {
		return fmt.Errorf("list api keys: %w", err)
	}
	planKVs, planRev, err := s.store.List(ctx, planPrefix)
	if err != nil {
		return fmt.Errorf("list usage plans: %w", err)
	}
	f := &keyFollower{keys: map[string]*apigateway.APIKeyDocument{}, plans: map[string]*apigateway.UsagePlanDocument{}}
	for _, kv := range keyKVs {
		s.applyKeyEvent(f, store.Event{Type: store.EventPut, KV: kv})
	}
	for _, kv := range planKVs {
		s.applyKeyEvent(f, store.Event{Type: store.EventPut, KV: kv})
	}
	s.publishKeys(f)
	s.keysReady.Store(true)

	apply := func(ev store.Event) { s.applyKeyEvent(f, ev) }
	return s.watchPair(ctx, [2]watched{
		{what: "api keys", prefix: keyPrefix, rev: keyRev, apply: apply},
		{what: "usage plans", prefix: planPrefix, rev: planRev, apply: apply},
	}, func() { s.publishKeys(f) })
}

// applyKeyEvent records one change of an API key or usage plan document.
func (s *Server) applyKeyEvent(f *keyFollower, ev store.Event) {
	key := ev.KV.Key
	isPlan := strings.HasPrefix(key, s.scope.UsagePlanPrefix())
	if ev.Type == store.EventDelete {
		delete(f.keys, key)
		delete(f.plans, key)
		return
	}
	if isPlan {
		var d apigateway.UsagePlanDocument
		if err := jsonUnmarshal(ev.KV.Value, &d); err != nil {
			s.log.Error("usage plan does not decode; its keys are refused on its stages", "key", key, "err", err)
			delete(f.plans, key)
			return
		}
		f.plans[key] = &d
		return
	}
	var d apigateway.APIKeyDocument
	if err := jsonUnmarshal(ev.KV.Value, &d); err != nil {
		s.log.Error("api key does not decode; it is refused", "key", key, "err", err)
		delete(f.keys, key)
		return
	}
	f.keys[key] = &d
}

// publishKeys builds the index of f and swaps it in.
func (s *Server) publishKeys(f *keyFollower) {
	keys := make([]*apigateway.APIKeyDocument, 0, len(f.keys))
	for _, k := range slices.Sorted(maps.Keys(f.keys)) {
		keys = append(keys, f.keys[k])
	}
	plans := make([]*apigateway.UsagePlanDocument, 0, len(f.plans))
	for _, k := range slices.Sorted(maps.Keys(f.plans)) {
		plans = append(plans, f.plans[k])
	}
	s.keys.Store(apikey.NewIndex(keys, plans))
}
