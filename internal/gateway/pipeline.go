package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/gateway/integration"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// buildPipeline is the ONE place the order of a REST method's request path is written. It
// runs once per method when a stage compiles; routing, the edge headers and gateway
// responses happen around it in ServeHTTP and writeError. authn and policy are the method's
// access control (authorization.go), keys, throttling and validation its compiled API key
// check (apikey/), throttles and quotas (throttle/) and request validation (validate/),
// respCache its response cache (cache/, responsecache.go); each is nil when it has nothing
// to do.
func buildPipeline(authn, policy, keys, throttling, validation, respCache invoke.Middleware, integ invoke.Handler) invoke.Handler {
	return invoke.Chain(integ,
		readBody(integration.MaxPayload), // buffer the payload; over 10 MB is REQUEST_TOO_LARGE
		optional(authn),                  // authorizationType: AWS_IAM (SigV4), CUSTOM (Lambda TOKEN/REQUEST), COGNITO_USER_POOLS (JWT): 401 / 403
		optional(policy),                 // the API's resource policy with AWS's evaluation table: 403 ACCESS_DENIED
		optional(keys),                   // API key (apikey/): 403 INVALID_API_KEY
		optional(throttling),             // key, stage method and account buckets, then the key's quota (throttle/): 429 THROTTLED / QUOTA_EXCEEDED
		optional(validation),             // request validation (validate/): 400 BAD_REQUEST_PARAMETERS / BAD_REQUEST_BODY
		optional(respCache),              // the stage's response cache (cache/): a hit answers here; 403 for a Cache-Control: max-age=0 refused with FAIL_WITH_403
		// then the integration (integration/): MOCK, HTTP, HTTP_PROXY, AWS_PROXY (Lambda), AWS (Lambda or an AWS service)
	)
}

// optional is mw, or a stage that does nothing when mw is nil.
func optional(mw invoke.Middleware) invoke.Middleware {
	if mw == nil {
		return func(next invoke.Handler) invoke.Handler { return next }
	}
	return mw
}

// maxPreallocBody is the largest body buffered at its declared Content-Length at once, in
// bytes; a larger one grows as it arrives.
const maxPreallocBody = 1 << 20

// readBody buffers the request payload into inv.Request.Body, refusing more than limit bytes.
func readBody(limit int64) invoke.Middleware {
	return func(next invoke.Handler) invoke.Handler {
		return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
			r := &inv.Request
			if r.BodyReader == nil {
				return next.Invoke(ctx, inv)
			}
			if r.ContentLength > limit {
				return nil, invoke.TooLarge.Because(nil)
			}
			var body []byte
			if r.ContentLength >= 0 && r.ContentLength <= maxPreallocBody {
				body = make([]byte, r.ContentLength)
				if _, err := io.ReadFull(r.BodyReader, body); err != nil {
					return nil, invoke.BadRequest.Because(err)
				}
			} else {
				// A larger Content-Length is a claim: memory follows the bytes that arrive,
				// so that slow clients announcing 10 MB do not hold 10 MB each.
				var buf bytes.Buffer
				buf.Grow(int(min(max(r.ContentLength, 0), maxPreallocBody)))
				n, err := buf.ReadFrom(io.LimitReader(r.BodyReader, limit+1))
				if err != nil {
					// Only here: errors.As's target escapes, so declaring it outside this
					// branch would cost every buffered body an allocation.
					if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
						// The server refused a chunk larger than it accepts before it arrived.
						return nil, invoke.TooLarge.Because(err)
					}
					return nil, invoke.BadRequest.Because(err)
				}
				if n > limit {
					return nil, invoke.TooLarge.Because(nil)
				}
				if r.ContentLength >= 0 && n != r.ContentLength {
					return nil, invoke.BadRequest.Because(io.ErrUnexpectedEOF)
				}
				body = buf.Bytes()
			}
			r.Body, r.BodyReader = body, nil
			return next.Invoke(ctx, inv)
		})
	}
}
