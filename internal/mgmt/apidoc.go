package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Loading and saving REST API documents in their split layout (apigateway.RestAPIDocument):
// a small head and one document per resource. An operation reads the head (its revision is
// the API's), takes the resources from apiCache when the cached copy is of that revision,
// and writes back the head and only the resources it changed, in one transaction
// conditional on the head's revision. So its cost does not grow with the API's size, and
// several gatehouse nodes sharing a store stay consistent: a node's cached copy is used only
// while the head is at the revision it was read at.

// maxCachedAPIs bounds apiCache: past it, an entry is evicted (whichever the map yields
// first). An evicted API is read whole again on its next operation.
const maxCachedAPIs = 256

// apiCache holds, by API id, the decoded resources of one revision of the API's head. The
// resources are shared by every document made from them and never changed
// (RestAPIDocument.ShareResources, MutableResource).
type apiCache struct {
	mu   sync.Mutex
	apis map[string]cachedAPI
}

type cachedAPI struct {
	headRev   int64
	resources map[string]*apigateway.Resource
	// encoded is resources as JSON when raceEnabled: checkShared compares against it.
	encoded []byte
}

func (c *apiCache) get(apiID string, headRev int64) (map[string]*apigateway.Resource, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.apis[apiID]
	if !ok || e.headRev != headRev {
		return nil, false
	}
	return e.resources, true
}

func (c *apiCache) put(apiID string, headRev int64, resources map[string]*apigateway.Resource) {
	e := cachedAPI{headRev: headRev, resources: resources}
	if raceEnabled {
		e.encoded, _ = json.Marshal(resources)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.apis == nil {
		c.apis = map[string]cachedAPI{}
	}
	if cur, ok := c.apis[apiID]; ok && cur.headRev > headRev {
		return // a newer one got there first
	}
	if _, ok := c.apis[apiID]; !ok && len(c.apis) >= maxCachedAPIs {
		for id := range c.apis {
			delete(c.apis, id)
			break
		}
	}
	c.apis[apiID] = e
}

func (c *apiCache) drop(apiID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.apis, apiID)
}

// checkShared panics when a cached API's resources no longer encode as they did when they
// were cached: some code changed a shared resource instead of calling MutableResource.
// Only race-enabled builds (the tests) keep the encoding to compare.
func (c *apiCache) checkShared(apiID string) {
	if !raceEnabled {
		return
	}
	c.mu.Lock()
	e, ok := c.apis[apiID]
	c.mu.Unlock()
	if !ok {
		return
	}
	if now, _ := json.Marshal(e.resources); !bytes.Equal(now, e.encoded) {
		panic(fmt.Sprintf("mgmt: a shared resource of API %s was changed in place; use MutableResource (findResource)", apiID))
	}
}

// loadedAPI is a REST API document as read, with what saveAPI needs to write it back.
type loadedAPI struct {
	doc     *apigateway.RestAPIDocument
	headRev int64
	// shared is the resources map doc was made from (ShareResources); nil for a document
	// in the layout of one document per API, whose resources are all to be written.
	shared map[string]*apigateway.Resource
	// orphans, for the layout of one document per API, are the ids of resource documents
	// stored beside it all the same (split by this version, then rewritten whole by an
	// earlier one): they are deleted with the first write.
	orphans []string
}

// readAPI reads the REST API document apiID; store.ErrNotFound if there is none. The
// document is the caller's to change (its shared resources through MutableResource).
func (s *Server) readAPI(ctx context.Context, apiID string) (*loadedAPI, error) {
	headKey := s.scope.RestAPIKey(apiID)
	for {
		head, err := s.store.Get(ctx, headKey)
		if err != nil {
			return nil, err
		}
		doc := new(apigateway.RestAPIDocument)
		if err := jsonUnmarshal(head.Value, doc); err != nil {
			return nil, fmt.Errorf("decode %q: %w", headKey, err)
		}
		if doc.Resources != nil { // one document per API, as earlier versions stored it
			kvs, _, err := s.store.List(ctx, s.scope.ResourcePrefix(apiID))
			if err != nil {
				return nil, err
			}
			l := &loadedAPI{doc: doc, headRev: head.Revision}
			for _, kv := range kvs {
				l.orphans = append(l.orphans, strings.TrimPrefix(kv.Key, s.scope.ResourcePrefix(apiID)))
			}
			return l, nil
		}
		resources, ok := s.apis.get(apiID, head.Revision)
		if !ok {
			kvs, _, err := s.store.List(ctx, s.scope.ResourcePrefix(apiID))
			if err != nil {
				return nil, err
			}
			// Every change to the API rewrites its head: the same head revision after the
			// listing means the listing is of that revision.
			after, err := s.store.Get(ctx, headKey)
			if err != nil {
				return nil, err
			}
			if after.Revision != head.Revision {
				continue
			}
			resources = make(map[string]*apigateway.Resource, len(kvs))
			for _, kv := range kvs {
				r := new(apigateway.Resource)
				if err := jsonUnmarshal(kv.Value, r); err != nil {
					return nil, fmt.Errorf("decode %q: %w", kv.Key, err)
				}
				resources[strings.TrimPrefix(kv.Key, s.scope.ResourcePrefix(apiID))] = r
			}
			s.apis.put(apiID, head.Revision, resources)
		}
		doc.ShareResources(resources)
		return &loadedAPI{doc: doc, headRev: head.Revision, shared: resources}, nil
	}
}

// apiOps returns the ops that store doc, new (its head absent) or changed from l (whose
// head must still be at l's revision): the head, and the resources that are not the shared
// ones l was read with.
func (s *Server) apiOps(l *loadedAPI, doc *apigateway.RestAPIDocument) ([]store.Op, error) {
	apiID := doc.ID
	head := *doc
	head.Resources = nil
	headRev := store.Absent
	var shared map[string]*apigateway.Resource
	var orphans []string
	if l != nil {
		headRev, shared, orphans = l.headRev, l.shared, l.orphans
	}
	op, err := store.PutJSON(s.scope.RestAPIKey(apiID), &head, headRev)
	if err != nil {
		return nil, err
	}
	ops := []store.Op{op}
	for id, r := range doc.Resources {
		if shared[id] == r {
			continue
		}
		// The head's condition covers the resources: every writer of one rewrites the head.
		op, err := store.PutJSON(s.scope.ResourceKey(apiID, id), r, store.AnyRevision)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	for id := range shared {
		if _, ok := doc.Resources[id]; !ok {
			orphans = append(orphans, id)
		}
	}
	for _, id := range orphans {
		if _, ok := doc.Resources[id]; !ok {
			ops = append(ops, store.Op{Key: s.scope.ResourceKey(apiID, id), Delete: true, IfRevision: store.AnyRevision})
		}
	}
	return ops, nil
}

// saveAPI writes doc, new (l nil) or changed from l, in one transaction with extra, and
// caches its resources as the shared ones of the head revision it wrote.
func (s *Server) saveAPI(ctx context.Context, l *loadedAPI, doc *apigateway.RestAPIDocument, extra []store.Op) error {
	ops, err := s.apiOps(l, doc)
	if err != nil {
		return err
	}
	rev, err := s.store.Txn(ctx, append(ops, extra...)...)
	if err != nil {
		return err
	}
	s.apis.put(doc.ID, rev, maps.Clone(doc.Resources))
	return nil
}

// loadAPIOr reads one REST API document, answering notFound for an unknown id: AWS words
// that answer differently for operations under a resource (loadResourceAPI).
func (s *Server) loadAPIOr(ctx context.Context, apiID string, notFound error) (*apigateway.RestAPIDocument, error) {
	l, err := s.readAPI(ctx, apiID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound
		}
		return nil, err
	}
	return l.doc, nil
}

// updateAPIOr changes one REST API document atomically, answering notFound for an unknown
// id. fn may be called more than once (on a write conflict) and must not keep state between
// calls; its error aborts the update and nothing is written. A resource fn changes must be
// reached through findResource (doc.MutableResource); resources fn adds or deletes in
// doc.Resources are written or deleted. extra ops, from the last call of fn, commit in the
// same transaction.
func (s *Server) updateAPIOr(ctx context.Context, apiID string, notFound error, fn func(doc *apigateway.RestAPIDocument) error) (*apigateway.RestAPIDocument, error) {
	return s.updateAPIOps(ctx, apiID, notFound, func(doc *apigateway.RestAPIDocument) ([]store.Op, error) {
		return nil, fn(doc)
	})
}

// updateAPIOps is updateAPIOr whose fn also returns ops to commit with the document.
func (s *Server) updateAPIOps(ctx context.Context, apiID string, notFound error, fn func(doc *apigateway.RestAPIDocument) ([]store.Op, error)) (*apigateway.RestAPIDocument, error) {
	var out *apigateway.RestAPIDocument
	var fnErr error
	err := store.Retry(ctx, fmt.Sprintf("update REST API %s", apiID), func() error {
		l, err := s.readAPI(ctx, apiID)
		if errors.Is(err, store.ErrNotFound) {
			fnErr = notFound
			return nil
		}
		if err != nil {
			return err
		}
		extra, err := fn(l.doc)
		s.apis.checkShared(apiID)
		if err != nil {
			fnErr = err
			return nil
		}
		if err := s.saveAPI(ctx, l, l.doc, extra); err != nil {
			return err
		}
		out = l.doc
		return nil
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
