package integration

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// eventHeader is one header of an event or a Lambda proxy answer: its name and values (one
// for a single value of an answer's headers).
type eventHeader struct {
	name string
	vals []string
	one  string
}

// appendProxyEvent appends the Lambda proxy (payload format 1.0) event for inv, with AWS's
// keys in AWS's order (AWS_REFERENCE section 2; AWS's set-up-lambda-proxy-integrations
// example and events recorded from AWS):
//
//   - resource is the matched resource path ("/pets/{id}"); path the request path below
//     the stage as the client encoded it (REST APIs do not decode it, unlike HTTP APIs),
//     its leading slashes made one ("/prod//x" has path "/x", requestContext.path
//     "/prod//x": recorded from AWS, test_apigateway_lambda.snapshot.json); httpMethod the
//     client's method.
//   - headers holds each header's last value, multiValueHeaders all of them, under the
//     names the client spelled (tEsT-HEADeR stays so); the gateway adds Host,
//     X-Amzn-Trace-Id and X-Forwarded-For/-Port/-Proto and leaves out the headers AWS
//     drops as it reads a request (invoke.Hidden: Connection, Content-Length, Expect, TE,
//     Trailer, Upgrade, ...).
//   - queryStringParameters (last value) and multiValueQueryStringParameters are decoded
//     ("+" is a space); pathParameters are decoded, but a greedy {proxy+} keeps the
//     client's encoding ("test%2Balias@gmail.com", recorded from AWS in the same file);
//     each is null when empty, not {}.
//   - stageVariables is null when the stage has none.
//   - requestContext holds the $context facts, identity with sourceIp and userAgent, the
//     AWS_IAM caller (accountId, caller, user, userArn, accessKey; null for other methods)
//     and null for the caller facts of Cognito identity pools, which gatehouse does not have.
//   - body is null without a payload; a payload whose Content-Type is one of the API's
//     binaryMediaTypes is base64-encoded with isBase64Encoded true.
func appendProxyEvent(b []byte, inv *invoke.Invocation, binary mediaTypes) []byte {
	b = append(b, '{')
	b = appendEventRequest(b, inv)
	b = append(b, `,"body":`...)
	switch body := inv.Request.Body; {
	case len(body) == 0:
		b = append(b, `null,"isBase64Encoded":false}`...)
	case binary.match(contentType(inv)): // */* takes a payload without a Content-Type too
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, body)
		b = append(b, `","isBase64Encoded":true}`...)
	default:
		b = invoke.AppendJSONBytes(b, textUTF8(body)) // read as UTF-8 text (contenthandling.go)
		b = append(b, `,"isBase64Encoded":false}`...)
	}
	return b
}

// AppendAuthorizerRequestEvent appends a REQUEST Lambda authorizer's event for inv: type
// and methodArn, then the request's facts as the Lambda proxy event has them (resource,
// path, httpMethod, headers, multiValueHeaders, queryStringParameters,
// multiValueQueryStringParameters, pathParameters, stageVariables, requestContext) and no
// body (AWS's api-gateway-lambda-authorizer-input; aws-lambda-go's
// events.APIGatewayCustomAuthorizerRequestTypeRequest).
func AppendAuthorizerRequestEvent(b []byte, inv *invoke.Invocation, methodARN string) []byte {
	b = append(b, `{"type":"REQUEST","methodArn":`...)
	b = invoke.AppendJSONString(b, methodARN)
	b = append(b, ',')
	b = appendEventRequest(b, inv)
	return append(b, '}')
}

// appendEventRequest appends the proxy event's members from resource to requestContext.
func appendEventRequest(b []byte, inv *invoke.Invocation) []byte {
	r := &inv.Request
	b = append(b, `"resource":`...)
	b = invoke.AppendJSONString(b, inv.ResourcePath)
	b = append(b, `,"path":`...)
	p := r.RawPath
	if p == "" {
		p = "/"
	}
	b = invoke.AppendJSONString(b, p)
	b = append(b, `,"httpMethod":`...)
	b = invoke.AppendJSONString(b, inv.HTTPMethod)
	b = appendEventHeaders(b, inv)
	b = appendEventQuery(b, r)

	b = append(b, `,"pathParameters":`...)
	if len(inv.PathParams) == 0 {
		b = append(b, "null"...)
	} else {
		for i, pp := range inv.PathParams {
			if i == 0 {
				b = append(b, '{')
			} else {
				b = append(b, ',')
			}
			b = invoke.AppendJSONString(b, pp.Name)
			b = append(b, ':')
			v := pp.Value
			if i == len(inv.PathParams)-1 {
				if raw, ok := rawGreedy(inv.ResourcePath, r.RawPath); ok {
					v = raw // a greedy parameter keeps the client's encoding
				}
			}
			b = invoke.AppendJSONString(b, v)
		}
		b = append(b, '}')
	}
	b = append(b, `,"stageVariables":`...)
	b = appendStringMap(b, inv.StageVariables)

	b = append(b, `,"requestContext":{"resourceId":`...)
	b = invoke.AppendJSONString(b, inv.ResourceID)
	switch {
	case inv.Authorizer == nil:
	case len(inv.Authorizer.Claims) > 0: // a Cognito authorizer's (lambda_event_claims.go)
		b = appendEventClaims(b, inv)
	default:
		// Where AWS puts it among the others is not recorded; after resourceId, as
		// events quoted from AWS show it.
		b = appendEventAuthorizer(b, inv.Authorizer)
	}
	b = append(b, `,"resourcePath":`...)
	b = invoke.AppendJSONString(b, inv.ResourcePath)
	b = append(b, `,"httpMethod":`...)
	b = invoke.AppendJSONString(b, inv.HTTPMethod)
	b = append(b, `,"extendedRequestId":`...)
	b = invoke.AppendJSONString(b, inv.ExtendedRequestID)
	b = append(b, `,"requestTime":"`...)
	b = inv.RequestTime.UTC().AppendFormat(b, invoke.RequestTimeLayout)
	b = append(b, `","path":`...)
	b = invoke.AppendJSONString(b, inv.ContextPath)
	b = append(b, `,"accountId":`...)
	b = invoke.AppendJSONString(b, inv.AccountID)
	b = append(b, `,"protocol":`...)
	b = invoke.AppendJSONString(b, inv.Protocol)
	b = append(b, `,"stage":`...)
	b = invoke.AppendJSONString(b, inv.Stage)
	b = append(b, `,"domainPrefix":`...)
	b = invoke.AppendJSONString(b, inv.DomainPrefix)
	b = append(b, `,"requestTimeEpoch":`...)
	b = strconv.AppendInt(b, inv.RequestTime.UnixMilli(), 10)
	b = append(b, `,"requestId":`...)
	b = invoke.AppendJSONString(b, inv.RequestID)
	id := &inv.Identity // AWS_IAM's caller; every member null without one
	b = append(b, `,"identity":{"cognitoIdentityPoolId":null,"accountId":`...)
	b = appendNullableString(b, id.AccountID)
	b = append(b, `,"cognitoIdentityId":null,"caller":`...)
	b = appendNullableString(b, id.Caller)
	b = append(b, ',')
	if inv.APIKey != "" {
		// Only with a key, as AWS's events without one have neither member; their place
		// among the others is not recorded from AWS.
		b = append(b, `"apiKey":`...)
		b = invoke.AppendJSONString(b, inv.APIKey)
		b = append(b, `,"apiKeyId":`...)
		b = invoke.AppendJSONString(b, inv.APIKeyID)
		b = append(b, ',')
	}
	b = append(b, `"sourceIp":`...)
	b = invoke.AppendJSONString(b, inv.SourceIP)
	b = append(b, `,"principalOrgId":null,"accessKey":`...)
	b = appendNullableString(b, id.AccessKey)
	b = append(b, `,"cognitoAuthenticationType":null,"cognitoAuthenticationProvider":null,"userArn":`...)
	b = appendNullableString(b, id.UserARN)
	b = append(b, `,"userAgent":`...)
	b = appendNullableString(b, inv.UserAgent)
	b = append(b, `,"user":`...)
	b = appendNullableString(b, id.User)
	if inv.SourceVPCE != "" {
		// A request through a VPC endpoint listener (serve --vpce): AWS adds the endpoint
		// and its VPC for private APIs only; their place among the others is not recorded.
		b = append(b, `,"vpceId":`...)
		b = invoke.AppendJSONString(b, inv.SourceVPCE)
		b = append(b, `,"vpcId":`...)
		b = appendNullableString(b, inv.SourceVPC)
	}
	b = append(b, `},"domainName":`...)
	b = invoke.AppendJSONString(b, inv.DomainName)
	b = append(b, `,"deploymentId":`...)
	b = invoke.AppendJSONString(b, inv.DeploymentID)
	b = append(b, `,"apiId":`...)
	b = invoke.AppendJSONString(b, inv.APIID)
	return append(b, '}')
}

// appendEventAuthorizer appends requestContext's authorizer member when a Lambda
// authorizer admitted the request: its context values stringified ("1", "true"; a null
// stays null), then principalId and integrationLatency, as AWS writes them (AWS's
// api-gateway-lambda-authorizer-output: "Their values are stringified"; an event recorded
// from AWS in DefinitelyTyped#69823: {"str":"hello","bool":"true","null":null,"num":"123",
// "principalId":"my-username","integrationLatency":0}).
func appendEventAuthorizer(b []byte, a *invoke.AuthorizerResult) []byte {
	b = append(b, `,"authorizer":{`...)
	for _, c := range a.Context {
		b = invoke.AppendJSONString(b, c.Key)
		b = append(b, ':')
		if v, ok := c.Text(); ok {
			b = invoke.AppendJSONString(b, v)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, ',')
	}
	b = append(b, `"principalId":`...)
	b = invoke.AppendJSONString(b, a.PrincipalID)
	b = append(b, `,"integrationLatency":`...)
	b = strconv.AppendInt(b, a.IntegrationLatency, 10)
	return append(b, '}')
}

// rawGreedy returns the value of the greedy parameter of resourcePath ("/files/{proxy+}") in
// rawPath, the path below the stage that matched it, as the client encoded it: AWS passes a
// greedy parameter to a Lambda proxy event with its percent-encodings kept
// ("user/test%2Balias@gmail.com", test_apigateway_lambda.snapshot.json
// "invocation-payload-with-path-encoded-email") and its inner doubled slashes too
// ("proxy-value//double-slash"), leading slashes and one trailing slash dropped as the
// router (gateway/route) drops them. ok is false when resourcePath ends in no greedy segment or rawPath has nothing
// for it.
func rawGreedy(resourcePath, rawPath string) (value string, ok bool) {
	if !strings.HasSuffix(resourcePath, "+}") {
		return "", false
	}
	rest := strings.TrimLeft(rawPath, "/")
	if strings.HasSuffix(rest, "/") {
		rest = rest[:len(rest)-1]
	}
	// Each segment of the resource path before the greedy one took one segment of rest.
	for skip := strings.Count(resourcePath, "/") - 1; skip > 0; skip-- {
		_, tail, more := strings.Cut(rest, "/")
		if !more {
			return "", false
		}
		rest = tail
	}
	return rest, rest != ""
}

// appendEventHeaders appends the headers and multiValueHeaders keys.
func appendEventHeaders(b []byte, inv *invoke.Invocation) []byte {
	r := &inv.Request
	var arr [48]eventHeader
	hs := arr[:0]
	var xff []string
	for k, v := range r.Header {
		switch k {
		case "Host", "X-Amzn-Trace-Id", "X-Forwarded-Port", "X-Forwarded-Proto":
			continue // set by the gateway below
		case "X-Forwarded-For":
			xff = v
			continue
		}
		if len(v) > 0 && invoke.VisibleHeader(k) {
			hs = append(hs, eventHeader{name: r.HeaderName(k), vals: v}) // as the client spelled it
		}
	}
	// What the gateway sets, sharing one allocation.
	added := make([]string, 5)
	port := "80"
	if r.Host != "" {
		added[0] = r.Host
		hs = append(hs, eventHeader{name: "Host", vals: added[0:1:1]})
		if i := strings.LastIndexByte(r.Host, ':'); i >= 0 && !strings.HasSuffix(r.Host, "]") {
			port = r.Host[i+1:]
		}
	}
	if inv.TraceID != "" {
		added[1] = inv.TraceID
		hs = append(hs, eventHeader{name: "X-Amzn-Trace-Id", vals: added[1:2:2]})
	}
	if inv.SourceIP != "" || len(xff) > 0 {
		added[2] = inv.SourceIP
		if len(xff) > 0 {
			added[2] = strings.Join(xff, ", ")
			if inv.SourceIP != "" {
				added[2] += ", " + inv.SourceIP
			}
		}
		hs = append(hs, eventHeader{name: "X-Forwarded-For", vals: added[2:3:3]})
	}
	added[3], added[4] = port, "http" // gatehouse's data plane serves plain HTTP
	hs = append(hs, eventHeader{name: "X-Forwarded-Port", vals: added[3:4:4]}, eventHeader{name: "X-Forwarded-Proto", vals: added[4:5:5]})
	slices.SortFunc(hs, func(a, b eventHeader) int { return strings.Compare(a.name, b.name) })

	b = append(b, `,"headers":{`...)
	for i, h := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		b = invoke.AppendJSONString(b, h.name)
		b = append(b, ':')
		b = invoke.AppendJSONString(b, h.vals[len(h.vals)-1])
	}
	b = append(b, `},"multiValueHeaders":{`...)
	for i, h := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		b = invoke.AppendJSONString(b, h.name)
		b = append(b, ':')
		b = appendStringList(b, h.vals)
	}
	return append(b, '}')
}

// appendEventQuery appends queryStringParameters and multiValueQueryStringParameters,
// null when the request has no query.
func appendEventQuery(b []byte, r *invoke.Request) []byte {
	q := r.Query()
	if len(q) == 0 {
		return append(b, `,"queryStringParameters":null,"multiValueQueryStringParameters":null`...)
	}
	var arr [32]string
	keys := arr[:0]
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, `,"queryStringParameters":{`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		vs := q[k]
		b = invoke.AppendJSONString(b, k)
		b = append(b, ':')
		b = invoke.AppendJSONString(b, vs[len(vs)-1])
	}
	b = append(b, `},"multiValueQueryStringParameters":{`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = invoke.AppendJSONString(b, k)
		b = append(b, ':')
		b = appendStringList(b, q[k])
	}
	return append(b, '}')
}

// appendStringMap appends m as a JSON object with sorted keys, null when empty.
func appendStringMap(b []byte, m map[string]string) []byte {
	if len(m) == 0 {
		return append(b, "null"...)
	}
	var arr [32]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = invoke.AppendJSONString(b, k)
		b = append(b, ':')
		b = invoke.AppendJSONString(b, m[k])
	}
	return append(b, '}')
}

func appendStringList(b []byte, vs []string) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = invoke.AppendJSONString(b, v)
	}
	return append(b, ']')
}

// appendNullableString appends s, or null when it is empty.
func appendNullableString(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return invoke.AppendJSONString(b, s)
}
