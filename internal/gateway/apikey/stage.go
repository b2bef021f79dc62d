package apikey

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// header is the header a client sends its API key in with apiKeySource HEADER; header
// names are case-insensitive (the edge canonicalizes them).
const header = "X-Api-Key"

// forbidden is AWS's answer to a missing, unknown or disabled key, or one whose plans do not
// cover the stage: INVALID_API_KEY, 403 {"message":"Forbidden"}.
var forbidden = invoke.InvalidAPIKey.Because(nil)

// Stage is the API key stage of one method of one stage.
type Stage struct {
	// Index returns the key index in force; it is read once per request.
	Index func() *Index
	// APIID and StageName name the stage; MethodPaths are the names usage plans may give the
	// method in their per-method throttles (MethodPaths).
	APIID, StageName string
	MethodPaths      []string
	// Source is the API's apiKeySource: HEADER (or empty) reads x-api-key; AUTHORIZER
	// takes the key from the Lambda authorizer's usageIdentifierKey (inv.Authorizer), and a
	// method without an authorizer's key refuses the request (AWS: 403 Forbidden). Any
	// other source refuses every request (fail closed).
	Source string
}

// Middleware admits a request that presents an enabled key of a usage plan bound to the
// stage, setting inv.APIKey, inv.APIKeyID and inv.Metering; otherwise it answers 403.
func (s Stage) Middleware() invoke.Middleware {
	return func(next invoke.Handler) invoke.Handler {
		fromAuthorizer := s.Source == "AUTHORIZER"
		if s.Source != "" && s.Source != "HEADER" && !fromAuthorizer {
			return invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) {
				return nil, forbidden
			})
		}
		return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
			var key string
			if fromAuthorizer {
				if inv.Authorizer != nil {
					key = inv.Authorizer.UsageIdentifierKey
				}
			} else if vs := inv.Request.Header[header]; len(vs) > 0 {
				key = vs[0]
			}
			if key == "" {
				return nil, forbidden
			}
			id, m, ok := s.Index().Lookup(key, s.APIID, s.StageName, s.MethodPaths)
			if !ok {
				return nil, forbidden
			}
			inv.APIKey, inv.APIKeyID, inv.Metering = key, id, m
			return next.Invoke(ctx, inv)
		})
	}
}
