package mapping

import (
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/vtl"
)

// $context and its groups are Java maps on AWS: templates iterate them
// (#foreach($key in $context.identity.keySet()), as the Serverless Framework's and the CDK's
// default templates do) and print them ({key=value, ...}). contextKeys are their keys, in
// order, by the group's prefix. AWS's key set and order of these maps are not recorded; the
// order is that of the requestContext AWS writes into a Lambda proxy event from the same
// facts (recorded from AWS: test_apigateway_lambda.snapshot.json; the proxy event's writer,
// integration/lambda_event.go, keeps it too). A fact gatehouse does not have (the IAM,
// Cognito and API key callers) is a key with a null value, as the proxy event has it.
var contextKeys = map[string][]string{
	"": {
		"resourceId", "resourcePath", "httpMethod", "extendedRequestId", "requestTime", "path",
		"accountId", "protocol", "stage", "domainPrefix", "requestTimeEpoch", "requestId",
		"identity", "domainName", "deploymentId", "apiId",
	},
	"identity.": {
		"cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "sourceIp",
		"principalOrgId", "accessKey", "cognitoAuthenticationType",
		"cognitoAuthenticationProvider", "userArn", "userAgent", "user",
	},
	// $context.error, while the invocation carries an error (a gateway response renders);
	// empty otherwise (AsMap).
	"error.": {"message", "messageString", "responseType", "validationErrorString"},
	// $context.authorizer has no fixed keys: authorizerKeys.
}

// authorizerKeys are $context.authorizer's keys: a Lambda authorizer's principalId and
// context keys, in the order of the proxy event's requestContext.authorizer (context first);
// none without an authorizer.
func authorizerKeys(inv *invoke.Invocation) []string {
	a := inv.Authorizer
	if a == nil {
		return nil
	}
	keys := make([]string, 0, len(a.Context)+1)
	for _, c := range a.Context {
		keys = append(keys, c.Key)
	}
	if len(a.Claims) == 0 {
		keys = append(keys, "principalId")
	} else {
		keys = append(keys, "claims") // Cognito: requestContext.authorizer is {"claims": {...}}
	}
	return keys
}

// ContextKeys returns the keys of the $context group prefix ("" for $context itself,
// "identity." for $context.identity), in order: the Lambda proxy event's writer is held to the
// same order by its tests.
func ContextKeys(prefix string) []string { return contextKeys[prefix] }

var _ vtl.MapObject = (*contextObject)(nil)

// contextMaps are the groups a render has made maps of (AsMap), by prefix. The renderer
// holds them behind one pointer, allocated only when a template needs a map: a render that
// does not pays 8 bytes for them.
type contextMaps struct {
	prefixes []string
	maps     []*vtl.Map
}

// asMap returns the map made of the group prefix, nil when none is made yet.
func (r *renderer) asMap(prefix string) *vtl.Map {
	if r.maps == nil {
		return nil
	}
	for i, p := range r.maps.prefixes {
		if p == prefix {
			return r.maps.maps[i]
		}
	}
	return nil
}

// AsMap implements vtl.MapObject: the group as a Java map, built when a template first
// needs it (keySet, entrySet, values, size, #foreach, printing) and kept for the render, so
// that what the template puts in it stays.
func (c *contextObject) AsMap() *vtl.Map {
	if m := c.r.asMap(c.prefix); m != nil {
		return m
	}
	m := vtl.NewMap()
	keys := contextKeys[c.prefix]
	switch c.prefix {
	case "error.":
		if c.r.inv.Err == nil {
			keys = nil
		}
	case "authorizer.":
		keys = authorizerKeys(c.r.inv)
	case "authorizer.claims.": // a Cognito authorizer's claims, in the token's order
		for _, cl := range c.r.inv.Authorizer.Claims { // Property made this group only with claims
			keys = append(keys, cl.Key)
		}
	}
	for _, k := range keys {
		v, _ := c.Property(k)
		m.Set(k, v)
	}
	if c.r.maps == nil {
		c.r.maps = new(contextMaps)
	}
	c.r.maps.prefixes = append(c.r.maps.prefixes, c.prefix)
	c.r.maps.maps = append(c.r.maps.maps, m)
	return m
}
