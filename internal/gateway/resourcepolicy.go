package gateway

import "github.com/gatehouse/gatehouse/internal/gateway/invoke"

// resourcePolicy compiles the API's resource policy (the deployment's snapshot's policy)
// for one method, combined with the method's authorization by AWS's evaluation table.
// Not yet: nil, no policy applied.
func (s *Server) resourcePolicy(ref methodRef) (invoke.Middleware, error) {
	return nil, nil
}
