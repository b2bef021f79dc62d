package gateway

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// errNoMatch is AWS's answer to a request that matches no API, stage, resource or method:
// 403 {"message":"Missing Authentication Token"}, the MISSING_AUTHENTICATION_TOKEN gateway
// response (the stage's when the stage is known). AWS answers the four alike, so a client
// cannot tell which part was wrong; gatehouse's debug log says (noMatch). It is shared:
// writeError only reads it.
var errNoMatch = invoke.Errorf(apigateway.ResponseMissingAuthenticationToken, "Missing Authentication Token")

// The part of a request that matched nothing, as noMatch logs it ("unmatched").
const (
	unmatchedAPI      = "api"      // neither the Host nor the path names a deployed API
	unmatchedStage    = "stage"    // the API is deployed, but not to this stage
	unmatchedResource = "resource" // the stage has no resource at this path
	unmatchedMethod   = "method"   // the resource has neither this method nor ANY
)

// noMatch answers a request that matched no API, stage, resource or method with errNoMatch
// through grs, and logs at debug level which part did not match, with the API id, stage,
// path and method the request asked for (path: the whole path until the stage is known,
// then the path below it). The caller names the part it knows: an API or stage miss is
// passed as unmatchedStage and logged as unmatchedAPI when no stage of apiID is deployed;
// a method miss is passed with the resourcePath that matched, or "" when no resource did
// (unmatchedResource).
func (s *Server) noMatch(w http.ResponseWriter, grs *gatewayResponses, inv *invoke.Invocation, part, apiID, stage, path, resourcePath string) {
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		switch {
		case part == unmatchedStage && s.table.Load().apis[apiID] == nil:
			part = unmatchedAPI
		case part == unmatchedMethod && resourcePath == "":
			part = unmatchedResource
		}
		if path == "" {
			path = "/"
		}
		attrs := []slog.Attr{
			slog.String("requestId", inv.RequestID),
			slog.String("unmatched", part),
			slog.String("apiId", apiID),
			slog.String("stage", stage),
			slog.String("path", path),
			slog.String("method", inv.HTTPMethod),
		}
		if resourcePath != "" {
			attrs = append(attrs, slog.String("resource", resourcePath))
		}
		s.log.LogAttrs(context.Background(), slog.LevelDebug, "request matches no "+part+": Missing Authentication Token", attrs...)
	}
	s.writeError(w, grs, inv, errNoMatch)
}
