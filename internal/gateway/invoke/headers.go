package invoke

import (
	"net/http"
	"slices"
	"strings"
)

// HeaderRule is one thing API Gateway does to a header at one point of a request's way
// through the pipeline. A header's rules are a set of these (headerRules); every stage asks
// the table instead of keeping its own list.
type HeaderRule uint16

const (
	// Hidden: dropped as the request is read. No integration receives it from the client,
	// no Lambda proxy event lists it, and $input.params(), method.request.header.X and the
	// request validators do not see it.
	Hidden HeaderRule = 1 << iota
	// NotProxied: HTTP_PROXY does not pass the client's value on (Host becomes the
	// endpoint's; the gateway sets the X-Amzn-* ones). A request mapping may still set it.
	NotProxied
	// DroppedToHTTP: never reaches an HTTP or HTTP_PROXY backend, not even mapped.
	DroppedToHTTP
	// DroppedToAWS: never reaches an AWS service, not even mapped.
	DroppedToAWS
	// Refused: a request mapping (integration.request.header.X) of it fails every request
	// of the integration with 500, on every integration type.
	Refused
	// RefusedAWS: as Refused, on AWS and AWS_PROXY integrations (Lambda included) only.
	RefusedAWS
	// RemappedProxy: a proxied answer's (HTTP_PROXY backend, Lambda proxy function) comes
	// back as x-amzn-Remapped-{name}: the gateway sends its own.
	RemappedProxy
	// RemappedMapped: a method response header of an HTTP or AWS integration (a
	// method.response.header.X mapping) of this name is sent as x-amzn-Remapped-{X}.
	RemappedMapped
	// RemappedMock: as RemappedMapped, for MOCK integrations.
	RemappedMock
	// DroppedFromProxy: a proxied answer's is not sent to the client.
	DroppedFromProxy
	// DroppedFromAnswer: never sent to the client by any integration, mapped or not.
	DroppedFromAnswer
	// DroppedFromFunction: a Lambda proxy answer's is not sent (hop-by-hop fields a
	// function may name; gatehouse's rule, AWS's is not recorded).
	DroppedFromFunction
)

// headerRules is every header API Gateway treats specially, by canonical name
// (http.CanonicalHeaderKey), with what it does to it. Sources, all recorded from AWS:
// LocalStack's AWS-validated execute-api header_utils (DROPPED_FROM_REQUEST_COMMON,
// DROPPED_FROM_REQUEST_PROXY_COMMON, DROPPED_FROM_INTEGRATION_REQUESTS_*,
// ILLEGAL_INTEGRATION_REQUESTS_*, REMAPPED_FROM_INTEGRATION_RESPONSE_*,
// DROPPED_FROM_INTEGRATION_RESPONSES_*) and the snapshots of its
// TestApiGatewayHeaderRemapping (test_apigateway_integrations.snapshot.json: what each
// integration type received and answered for every one of these headers, sent by the
// client, mapped in the request and mapped in the method response). Keep-Alive,
// Proxy-Authorization and Proxy-Connection are hop-by-hop (RFC 9110 §7.6.1) and not
// recorded: gatehouse does not proxy them.
var headerRules = map[string]HeaderRule{
	"Authorization":            RefusedAWS | RemappedMapped,
	"Connection":               Hidden | RefusedAWS | RemappedProxy | RemappedMapped | RemappedMock,
	"Content-Encoding":         NotProxied,
	"Content-Length":           Hidden | Refused | RemappedProxy | RemappedMapped | RemappedMock,
	"Content-Md5":              Hidden | RemappedMapped,
	"Date":                     RemappedProxy | RemappedMapped | RemappedMock,
	"Expect":                   Hidden | DroppedToHTTP | DroppedToAWS | RefusedAWS | RemappedMapped,
	"Host":                     NotProxied | RemappedMapped,
	"Keep-Alive":               NotProxied | DroppedFromProxy,
	"Max-Forwards":             Hidden | RemappedMapped,
	"Proxy-Authenticate":       Hidden | DroppedToHTTP | DroppedToAWS | RefusedAWS | RemappedMapped,
	"Proxy-Authorization":      NotProxied,
	"Proxy-Connection":         NotProxied,
	"Referer":                  DroppedToAWS,
	"Server":                   Hidden | RemappedProxy | RemappedMapped | RemappedMock,
	"Te":                       Hidden | DroppedToHTTP | DroppedToAWS | RefusedAWS | DroppedFromFunction,
	"Trailer":                  Hidden | RemappedMapped | DroppedFromFunction,
	"Transfer-Encoding":        Hidden | Refused | DroppedFromProxy | DroppedFromAnswer,
	"Upgrade":                  Hidden | RemappedMapped | DroppedFromFunction,
	"User-Agent":               RemappedMapped,
	"Via":                      DroppedToHTTP | DroppedFromProxy,
	"Www-Authenticate":         Hidden | RemappedMapped,
	"X-Amz-Apigw-Id":           DroppedFromProxy,
	"X-Amzn-Apigateway-Api-Id": NotProxied | Refused,
	"X-Amzn-Errortype":         DroppedFromProxy,
	"X-Amzn-Requestid":         RemappedProxy,
	"X-Amzn-Trace-Id":          NotProxied | Refused | DroppedFromProxy,
}

// HeadersWith returns the canonical names of the headers that have rule, sorted.
func HeadersWith(rule HeaderRule) []string {
	var out []string
	for k, r := range headerRules {
		if r&rule != 0 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// HeaderHas reports whether the header of canonical name k has rule.
func HeaderHas(k string, rule HeaderRule) bool {
	return headerRules[k]&rule != 0
}

// HeaderRules returns the rules of a header, by any casing of its name.
func HeaderRules(name string) HeaderRule {
	if r, ok := headerRules[name]; ok {
		return r
	}
	return headerRules[http.CanonicalHeaderKey(name)]
}

// RemappedName is the name under which API Gateway sends a header it remaps: the name
// as the answer or the mapping spelled it, after "x-amzn-Remapped-" (recorded:
// x-amzn-Remapped-WWW-Authenticate for method.response.header.WWW-Authenticate), with
// AWS's casing for the ones the gateway itself writes in that casing.
func RemappedName(name string) string {
	switch name {
	case "Connection", "connection":
		return "x-amzn-Remapped-Connection"
	case "Content-Length", "content-length":
		return "x-amzn-Remapped-Content-Length"
	case "Date", "date":
		return "x-amzn-Remapped-Date"
	case "Server", "server":
		return "x-amzn-Remapped-Server"
	case "X-Amzn-Requestid", "x-amzn-requestid", "x-amzn-RequestId":
		return "x-amzn-Remapped-x-amzn-RequestId"
	}
	return "x-amzn-Remapped-" + name
}

// IncomingTrace is the trace of a request whose client sent X-Amzn-Trace-Id v: AWS keeps
// the client's (Root=...;Parent=...;Sampled=...) and adds a Parent when it has none, here
// the 16 hex digits that end generated, the trace gatehouse made for the request
// ("Root=1-{8 hex}-{24 hex}"). A value that does not start with Root= is no trace: generated
// stays. Recorded: LocalStack's AWS-validated test_invocation_trace_id (the full trace comes
// back as sent; a bare Root gets a Parent that is not the client's).
func IncomingTrace(v, generated string) string {
	if !strings.HasPrefix(v, "Root=") || len(v) > 256 {
		return generated
	}
	for rest := v; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		if strings.HasPrefix(strings.TrimSpace(part), "Parent=") {
			return v
		}
	}
	return v + ";Parent=" + generated[len(generated)-16:]
}
