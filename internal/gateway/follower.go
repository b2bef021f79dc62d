package gateway

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store"
)

// errWatchDropped means the store closed a watch: re-list and watch again.
var errWatchDropped = errors.New("store watch dropped")

// Run loads every stage, the API keys, the usage plans and the IAM identities, and follows the store until ctx
// is done, then returns nil. A dropped watch is followed by a fresh List; store errors are
// retried with backoff.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.keep(ctx, "api keys", s.followKeys)
	}()
	go func() {
		defer wg.Done()
		s.keep(ctx, "iam identities", s.followIAM)
	}()
	s.keep(ctx, "stages", s.follow)
	wg.Wait()
	return nil
}

// keep runs follow until ctx is done, again after a dropped watch, and with backoff after
// an error.
func (s *Server) keep(ctx context.Context, what string, follow func(context.Context) error) {
	backoff := 50 * time.Millisecond
	for {
		err := follow(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errWatchDropped) {
			s.log.Info("store watch dropped; reloading", "what", what)
			backoff = 50 * time.Millisecond
			continue
		}
		s.log.Error("follow store", "what", what, "err", err, "retryIn", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// follower is Run's private state: the raw documents and what they compiled to.
type follower struct {
	stages      map[string]store.KV                       // stage key → document
	deployments map[string]*apigateway.DeploymentDocument // deployment key → decoded (nil if undecodable)
	depErrs     map[string]error
	compiled    map[string]*stage // stage key → serving stage
}

// follow lists stages and deployments, publishes a table, then applies watch events until
// the watch drops or ctx ends.
func (s *Server) follow(ctx context.Context) error {
	stagePrefix, depPrefix := s.scope.StagePrefix(""), s.scope.DeploymentPrefix("")
	stageKVs, stageRev, err := s.store.List(ctx, stagePrefix)
	if err != nil {
		return fmt.Errorf("list stages: %w", err)
	}
	depKVs, depRev, err := s.store.List(ctx, depPrefix)
	if err != nil {
		return fmt.Errorf("list deployments: %w", err)
	}
	f := &follower{
		stages:      map[string]store.KV{},
		deployments: map[string]*apigateway.DeploymentDocument{},
		depErrs:     map[string]error{},
		compiled:    map[string]*stage{},
	}
	if old := s.table.Load(); old != nil {
		// Keep serving what compiled before, should a stage now fail.
		for _, stages := range old.apis {
			for _, st := range stages {
				f.compiled[st.key] = st
			}
		}
	}
	for _, kv := range depKVs {
		s.putDeployment(f, kv)
	}
	dirty := map[string]bool{}
	for _, kv := range stageKVs {
		f.stages[kv.Key] = kv
		dirty[kv.Key] = true
	}
	for k := range f.compiled {
		if _, ok := f.stages[k]; !ok {
			dirty[k] = true // deleted while we were not watching
		}
	}
	s.recompile(ctx, f, dirty)
	s.ready.Store(true)

	clear(dirty)
	return s.watchPair(ctx, [2]watched{
		{what: "stages", prefix: stagePrefix, rev: stageRev, apply: func(ev store.Event) { s.applyStage(f, ev, dirty) }},
		{what: "deployments", prefix: depPrefix, rev: depRev, apply: func(ev store.Event) { s.applyDeployment(f, ev, dirty) }},
	}, func() {
		s.recompile(ctx, f, dirty)
		clear(dirty)
	})
}

// watched is one prefix a follower watches from the revision of its listing, and what it
// does with each of its events.
type watched struct {
	what   string
	prefix string
	rev    int64
	apply  func(store.Event)
}

// watchPair watches two prefixes until a watch drops (errWatchDropped) or ctx ends: every
// event goes to its prefix's apply, and publish runs once after each run of events already
// queued, so that a burst of changes makes one swap.
func (s *Server) watchPair(ctx context.Context, ws [2]watched, publish func()) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var chs [2]<-chan store.Event
	for i, w := range ws {
		ch, err := s.store.Watch(wctx, w.prefix, w.rev)
		if err != nil {
			return fmt.Errorf("watch %s: %w", w.what, err)
		}
		chs[i] = ch
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-chs[0]:
			if !ok {
				return errWatchDropped
			}
			ws[0].apply(ev)
		case ev, ok := <-chs[1]:
			if !ok {
				return errWatchDropped
			}
			ws[1].apply(ev)
		}
	drain:
		for {
			select {
			case ev, ok := <-chs[0]:
				if !ok {
					publish()
					return errWatchDropped
				}
				ws[0].apply(ev)
			case ev, ok := <-chs[1]:
				if !ok {
					publish()
					return errWatchDropped
				}
				ws[1].apply(ev)
			default:
				break drain
			}
		}
		publish()
	}
}

func (s *Server) applyStage(f *follower, ev store.Event, dirty map[string]bool) {
	if ev.Type == store.EventDelete {
		delete(f.stages, ev.KV.Key)
	} else {
		f.stages[ev.KV.Key] = ev.KV
	}
	dirty[ev.KV.Key] = true
}

func (s *Server) applyDeployment(f *follower, ev store.Event, dirty map[string]bool) {
	if ev.Type == store.EventDelete {
		delete(f.deployments, ev.KV.Key)
		delete(f.depErrs, ev.KV.Key)
	} else {
		s.putDeployment(f, ev.KV)
	}
	// Recompile the stages that point at it.
	for key, kv := range f.stages {
		apiID, _, ok := splitKey(key, s.scope.StagePrefix(""))
		if !ok {
			continue
		}
		for _, depID := range stageDeploymentIDs(kv.Value) {
			if depID != "" && s.scope.DeploymentKey(apiID, depID) == ev.KV.Key {
				dirty[key] = true
			}
		}
	}
}

func (s *Server) putDeployment(f *follower, kv store.KV) {
	var d apigateway.DeploymentDocument
	if err := jsonUnmarshal(kv.Value, &d); err != nil {
		f.deployments[kv.Key] = nil
		f.depErrs[kv.Key] = fmt.Errorf("decode deployment %q: %w", kv.Key, err)
		return
	}
	f.deployments[kv.Key] = &d
	delete(f.depErrs, kv.Key)
}

// stageDeploymentIDs reads only the deployments a stage document serves: its deploymentId
// and its canary's ("" when it has none).
func stageDeploymentIDs(b []byte) [2]string {
	var v struct {
		DeploymentID   string `json:"deploymentId"`
		CanarySettings *struct {
			DeploymentID string `json:"deploymentId"`
		} `json:"canarySettings"`
	}
	_ = jsonUnmarshal(b, &v)
	ids := [2]string{v.DeploymentID}
	if v.CanarySettings != nil {
		ids[1] = v.CanarySettings.DeploymentID
	}
	return ids
}

// splitKey splits "{prefix}{apiId}/{name}".
func splitKey(key, prefix string) (apiID, name string, ok bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return "", "", false
	}
	apiID, name, ok = strings.Cut(rest, "/")
	return apiID, name, ok && apiID != "" && name != ""
}

// recompile compiles the dirty stages and publishes a new table if anything changed. A stage
// that fails keeps its previous compiled form serving; its error is logged and reported by
// StageErrors.
func (s *Server) recompile(ctx context.Context, f *follower, dirty map[string]bool) {
	if len(dirty) == 0 {
		return
	}
	keys := slices.Sorted(maps.Keys(dirty))
	var flush [][2]string // stages whose cached responses go once the new table serves
	for _, key := range keys {
		apiID, name, ok := splitKey(key, s.scope.StagePrefix(""))
		if !ok {
			continue
		}
		id := apiID + "/" + name
		kv, exists := f.stages[key]
		prev := f.compiled[key]
		if !exists {
			delete(f.compiled, key)
			s.setFailure(id, nil)
			if prev != nil {
				flush = append(flush, [2]string{apiID, name})
				s.cacheStats.Forget(cacheStage(apiID, name))
			}
			continue
		}
		st, err := s.compileStageDoc(ctx, f, key, apiID, kv)
		if err != nil {
			s.log.Error("stage does not compile; previous configuration keeps serving", "apiId", apiID, "stage", name, "err", err)
			s.setFailure(id, err)
			continue
		}
		f.compiled[key] = st
		s.setFailure(id, nil)
		if prev != nil && prev.cacheCluster != st.cacheCluster {
			// AWS deletes a cache cluster's data when it is resized or disabled.
			flush = append(flush, [2]string{apiID, name})
		}
	}
	t := &table{apis: map[string]map[string]*stage{}}
	for _, st := range f.compiled {
		m := t.apis[st.apiID]
		if m == nil {
			m = map[string]*stage{}
			t.apis[st.apiID] = m
		}
		m[st.name] = st
	}
	s.table.Store(t)
	for _, f := range flush {
		s.flushCache(ctx, f[0], f[1])
	}
}

// flushCache drops the stage's cached responses (a deleted stage, a cache cluster resized,
// disabled or enabled), logging a store that fails.
func (s *Server) flushCache(ctx context.Context, apiID, name string) {
	if err := s.respCache.FlushStage(ctx, cacheStage(apiID, name)); err != nil {
		s.log.Error("flush stage cache", "apiId", apiID, "stage", name, "err", err)
	}
}

func (s *Server) setFailure(id string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.failures, id)
	} else {
		s.failures[id] = err
	}
}

func (s *Server) compileStageDoc(ctx context.Context, f *follower, key, apiID string, kv store.KV) (*stage, error) {
	var sd apigateway.StageDocument
	if err := jsonUnmarshal(kv.Value, &sd); err != nil {
		return nil, fmt.Errorf("decode stage %q: %w", key, err)
	}
	if sd.RestAPIID == "" {
		sd.RestAPIID = apiID
	}
	main, canary := stageVariants(&sd)
	respCache, cacheErr := s.stageCache(&sd)
	main.respCache = respCache
	if canary != nil && canary.useStageCache {
		canary.respCache = respCache // a canary without useStageCache is never cached
	}
	st, err := s.compileVariant(ctx, f, main)
	if err := errors.Join(cacheErr, err); err != nil {
		return nil, err
	}
	if canary != nil {
		// A canary that does not compile fails the whole stage, whose previous form keeps
		// serving: half a stage would send the canary's share to the wrong deployment.
		c, err := s.compileVariant(ctx, f, *canary)
		if err != nil {
			return nil, fmt.Errorf("canary: %w", err)
		}
		st.canary, st.canaryShare = c, canaryShare(sd.CanarySettings)
	}
	st.key, st.cacheCluster = key, cacheCluster(&sd)
	return st, nil
}

// compileVariant compiles one variant of a stage with its deployment.
func (s *Server) compileVariant(ctx context.Context, f *follower, v variant) (*stage, error) {
	apiID, name, depID := v.sd.RestAPIID, v.sd.StageName, v.sd.DeploymentID
	depKey := s.scope.DeploymentKey(apiID, depID)
	if err := f.depErrs[depKey]; err != nil {
		return nil, err
	}
	dd, seen := f.deployments[depKey]
	if !seen {
		// A stage and its deployment written in one transaction arrive on two watches, so
		// the stage's event can come first: read the deployment, which the transaction
		// committed before either event was sent.
		if kv, err := s.store.Get(ctx, depKey); err == nil {
			s.putDeployment(f, kv)
			if err := f.depErrs[depKey]; err != nil {
				return nil, err
			}
			dd = f.deployments[depKey]
		}
	}
	if dd == nil {
		return nil, fmt.Errorf("compile stage %s/%s: deployment %q not found", apiID, name, depID)
	}
	return s.compileStage(v, dd)
}
