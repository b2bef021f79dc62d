package mgmt

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// StageCacheRuntime is what FlushStageCache needs of the data plane: cmd passes the gateway
// (mgmt never imports it), whose response cache may be shared by every node (Redis). Nil
// answers FlushStageCache with ErrStageCacheUnavailable.
type StageCacheRuntime interface {
	// FlushStageCache drops every cached response of one stage.
	FlushStageCache(ctx context.Context, apiID, stage string) error
}

// ErrStageCacheUnavailable answers FlushStageCache on a server without the data plane's
// response cache (gatehouse's wording); a runtime that is not ready yet may return it too.
var ErrStageCacheUnavailable = awsjson.BadRequest("The stage cache is not available: this gatehouse cannot flush stage caches")

// FlushStageCache is DELETE /restapis/{restapi_id}/stages/{stage_name}/cache/data: 202 with
// no body, as [B] (responseCode 202, no output shape) and AWS answer. The API and the stage
// must exist (404 "Invalid API identifier specified {account}:{id}", then "Invalid stage
// identifier specified", loadStage's). A stage whose cache cluster is off is flushed too
// (202): none of [B], [L] or [M] shows AWS refusing it.
func (s *Server) FlushStageCache(ctx context.Context, c *call) error {
	apiID, stage := c.path("restapi_id"), c.path("stage_name")
	if _, err := s.loadStage(ctx, apiID, stage); err != nil {
		return err
	}
	if s.stageCache == nil {
		return ErrStageCacheUnavailable
	}
	if err := s.stageCache.FlushStageCache(ctx, apiID, stage); err != nil {
		return fmt.Errorf("flush the cache of stage %s of API %s: %w", stage, apiID, err)
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}
