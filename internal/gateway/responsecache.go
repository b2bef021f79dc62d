package gateway

import "context"

// cacheStage is the response cache's name of a stage: its entries flush together.
func cacheStage(apiID, stage string) string { return apiID + "/" + stage }

// FlushStageCache drops every cached response of the stage (AWS's FlushStageCache): the
// next request of each cached method reaches its integration.
func (s *Server) FlushStageCache(ctx context.Context, apiID, stage string) error {
	return s.respCache.FlushStage(ctx, cacheStage(apiID, stage))
}
