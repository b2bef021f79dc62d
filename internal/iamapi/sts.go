package iamapi

import "context"

// GetCallerIdentity says who signed the call: any caller may ask, with or without a policy
// (STS needs no permission for it).
func (s *Server) GetCallerIdentity(ctx context.Context, c *call) (any, error) {
	return struct {
		ARN     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}{c.caller.ARN, c.caller.UserID, c.caller.Account}, nil
}
