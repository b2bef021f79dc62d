package integration

import "github.com/gatehouse/gatehouse/internal/gateway/invoke"

// appendEventClaims writes a Cognito authorizer's claims into a proxy event's
// requestContext, right after resourceId, where AWS's events have them:
// "authorizer":{"claims":{"sub":"...","token_use":"id","exp":"Sun Apr 19 08:06:14 UTC 2020",...}},
// every value a string (recorded events of REST APIs with COGNITO_USER_POOLS authorizers;
// the rendering is jwtauth's). Nothing without claims.
func appendEventClaims(b []byte, inv *invoke.Invocation) []byte {
	if inv.Authorizer == nil || len(inv.Authorizer.Claims) == 0 {
		return b
	}
	b = append(b, `,"authorizer":{"claims":{`...)
	for i, c := range inv.Authorizer.Claims {
		if i > 0 {
			b = append(b, ',')
		}
		b = invoke.AppendJSONString(b, c.Key)
		b = append(b, ':')
		b = invoke.AppendJSONString(b, c.Value)
	}
	return append(b, "}}"...)
}
