package redisstate

import (
	"context"
	"errors"
	"strings"
	"time"
)

// AuthorizerCache is the Lambda authorizer cache in Redis (gateway.AuthorizerCache), shared
// by every node: an answer one node got from a function serves the others until it expires.
// Its entries are a stageCache's (stage_cache.go) in the namespace "az": one round trip a
// Get or Set, FlushStage one INCR of the stage's generation; expiry by the caller's clock,
// and by PX in Redis.
type AuthorizerCache struct {
	c stageCache
}

// AuthorizerCache returns the authorizer cache of the state's Redis.
func (s *State) AuthorizerCache() *AuthorizerCache {
	return &AuthorizerCache{c: stageCache{s: s, ns: "az"}}
}

var errAuthorizerKey = errors.New("redisstate: authorizer cache key without {apiId}/{stage}/")

// stageOf splits a key "{apiId}/{stage}/{rest}" into "{apiId}/{stage}" and rest.
func stageOf(key string) (stage, rest string, ok bool) {
	i := strings.IndexByte(key, '/')
	if i < 0 {
		return "", "", false
	}
	j := strings.IndexByte(key[i+1:], '/')
	if j < 0 {
		return "", "", false
	}
	return key[:i+1+j], key[i+2+j:], true
}

// Get implements gateway.AuthorizerCache.
func (c *AuthorizerCache) Get(ctx context.Context, key string, now time.Time) ([]byte, bool, error) {
	stage, rest, ok := stageOf(key)
	if !ok {
		return nil, false, errAuthorizerKey
	}
	return c.c.get(ctx, stage, rest, now)
}

// Set implements gateway.AuthorizerCache.
func (c *AuthorizerCache) Set(ctx context.Context, key string, value []byte, now, expires time.Time) error {
	stage, rest, ok := stageOf(key)
	if !ok {
		return errAuthorizerKey
	}
	return c.c.set(ctx, stage, rest, value, now, expires)
}

// FlushStage implements gateway.AuthorizerCache.
func (c *AuthorizerCache) FlushStage(ctx context.Context, apiID, stage string) error {
	return c.c.flush(ctx, apiID+"/"+stage)
}
