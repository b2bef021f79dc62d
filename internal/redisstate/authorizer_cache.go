package redisstate

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// AuthorizerCache is the Lambda authorizer cache in Redis (gateway.AuthorizerCache), shared
// by every node: an answer one node got from a function serves the others until it expires.
//
// A value lives under {prefix}az:{apiId}/{stage}:{generation}:{rest of the key}, set with
// PX (its TTL, from the caller's clock) so that Redis expires it. FlushStage increments the
// stage's generation ({prefix}azgen:{apiId}/{stage}): the old entries are unreachable at
// once and expire by themselves within their TTL (at most an hour), without a SCAN.
type AuthorizerCache struct {
	s *State
}

// AuthorizerCache returns the authorizer cache of the state's Redis.
func (s *State) AuthorizerCache() *AuthorizerCache { return &AuthorizerCache{s: s} }

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

func (c *AuthorizerCache) genKey(stage string) string { return c.s.prefix + "azgen:" + stage }

// generation reads the stage's generation ("0" when never flushed).
func (c *AuthorizerCache) generation(ctx context.Context, stage string) (string, error) {
	cl := c.s.c
	g, err := cl.Do(ctx, cl.B().Get().Key(c.genKey(stage)).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return "0", nil
	}
	return g, err
}

// Get implements gateway.AuthorizerCache: one round trip reads the stage's generation, a
// second the entry. Expiry is Redis's (PX): now is not consulted.
func (c *AuthorizerCache) Get(ctx context.Context, key string, now time.Time) ([]byte, bool, error) {
	stage, rest, ok := stageOf(key)
	if !ok {
		return nil, false, errors.New("redisstate: authorizer cache key without {apiId}/{stage}/")
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	gen, err := c.generation(ctx, stage)
	if err != nil {
		return nil, false, err
	}
	cl := c.s.c
	v, err := cl.Do(ctx, cl.B().Get().Key(c.s.prefix+"az:"+stage+":"+gen+":"+rest).Build()).AsBytes()
	if rueidis.IsRedisNil(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// Set implements gateway.AuthorizerCache.
func (c *AuthorizerCache) Set(ctx context.Context, key string, value []byte, now, expires time.Time) error {
	stage, rest, ok := stageOf(key)
	if !ok {
		return errors.New("redisstate: authorizer cache key without {apiId}/{stage}/")
	}
	ttl := expires.Sub(now).Milliseconds()
	if ttl <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	gen, err := c.generation(ctx, stage)
	if err != nil {
		return err
	}
	cl := c.s.c
	return cl.Do(ctx, cl.B().Set().Key(c.s.prefix+"az:"+stage+":"+gen+":"+rest).Value(rueidis.BinaryString(value)).
		PxMilliseconds(ttl).Build()).Error()
}

// FlushStage implements gateway.AuthorizerCache: the stage's next generation.
func (c *AuthorizerCache) FlushStage(ctx context.Context, apiID, stage string) error {
	ctx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	cl := c.s.c
	return cl.Do(ctx, cl.B().Incr().Key(c.genKey(apiID+"/"+stage)).Build()).Error()
}
