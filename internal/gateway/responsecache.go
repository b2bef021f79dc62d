package gateway

import (
	"cmp"
	"context"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/cache"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// cacheStage is the response cache's name of a stage: its entries flush together.
func cacheStage(apiID, stage string) string { return apiID + "/" + stage }

// FlushStageCache drops every cached response of the stage (AWS's FlushStageCache): the
// next request of each cached method reaches its integration.
func (s *Server) FlushStageCache(ctx context.Context, apiID, stage string) error {
	return s.respCache.FlushStage(ctx, cacheStage(apiID, stage))
}

// CacheStats returns the response cache's hits and misses of every cached method of every
// stage served since the server started (AWS's CacheHitCount and CacheMissCount).
func (s *Server) CacheStats() []cache.Stat { return s.cacheStats.Snapshot() }

// defaultCacheClusterSize is the size of a stage whose cacheClusterEnabled is set without a
// size (the management plane stores AWS's default, 0.5 GB, itself).
const defaultCacheClusterSize = "0.5"

// cacheCluster is the stage's cache cluster as the data plane sees it: "" when its
// cacheClusterEnabled is false, else its size (a change flushes the stage, follower.go).
func cacheCluster(sd *apigateway.StageDocument) string {
	if !sd.CacheClusterEnabled {
		return ""
	}
	return cmp.Or(sd.CacheClusterSize, defaultCacheClusterSize)
}

// stageCache is the response cache of a stage: nil when its cacheClusterEnabled is false,
// since no method of such a stage is cached whatever its method settings say.
func (s *Server) stageCache(sd *apigateway.StageDocument) (*cache.Stage, error) {
	size := cacheCluster(sd)
	if size == "" {
		return nil, nil
	}
	capacity, err := cache.ClusterCapacity(size)
	if err != nil {
		return nil, err
	}
	return cache.NewStage(cache.StageConfig{
		Store:         s.respCache,
		Name:          cacheStage(sd.RestAPIID, sd.StageName),
		Capacity:      capacity,
		Now:           s.now,
		DataKey:       sd.CacheDataKey,
		Stats:         &s.cacheStats,
		Log:           s.log.With("apiId", sd.RestAPIID, "stage", sd.StageName),
		MayInvalidate: s.mayInvalidateCache,
	})
}

// methodCache is a method's cache settings on the stage: its methodSetting (the stage's
// "*/*" wildcard or an entry for the method), its integration's cacheNamespace (the resource
// id when empty) and cacheKeyParameters. Nil when the setting does not enable caching.
// Under a wildcard only GET is cached, as AWS does ("only GET methods have caching enabled
// by default"); an entry naming the method's verb caches that verb.
func methodCache(sd *apigateway.StageDocument, resourceID, resourcePath, verb string, m *apigateway.Method) *cache.Method {
	ms, namesVerb := methodSetting(sd, resourcePath, verb)
	if ms == nil || !ms.CachingEnabled || ms.CacheTTLInSeconds <= 0 || m.MethodIntegration == nil {
		return nil
	}
	if !namesVerb && verb != http.MethodGet && verb != "ANY" {
		return nil
	}
	in := m.MethodIntegration
	return &cache.Method{
		ResourcePath:         resourcePath,
		HTTPMethod:           verb,
		GETOnly:              !namesVerb,
		TTL:                  time.Duration(ms.CacheTTLInSeconds) * time.Second,
		Encrypted:            ms.CacheDataEncrypted,
		RequireAuthorization: ms.RequireAuthorizationForCacheControl,
		Strategy:             ms.UnauthorizedCacheControlHeaderStrategy,
		Namespace:            cmp.Or(in.CacheNamespace, resourceID),
		KeyParameters:        in.CacheKeyParameters,
		RequestParameters:    in.RequestParameters,
	}
}

// cacheMiddleware is the method's cache stage; nil when the stage or the method is not
// cached.
func cacheMiddleware(c *cache.Stage, m *cache.Method) (invoke.Middleware, error) {
	if c == nil || m == nil {
		return nil, nil
	}
	return c.Middleware(*m)
}

// mayInvalidateCache reports whether the request's caller may invalidate its cache entry:
// an IAM caller (an AWS_IAM method's, authenticated by SigV4) whose policies allow
// execute-api:InvalidateCache on the method's ARN. Other callers are anonymous to IAM.
func (s *Server) mayInvalidateCache(inv *invoke.Invocation) bool {
	if inv.Identity.AccessKey == "" {
		return false
	}
	ident := s.iam.Load().lookup(inv.Identity.AccessKey)
	return ident != nil && s.evaluateIAM(ident, inv, actionInvalidateCache) == invoke.DecisionAllow
}
