// Package invoke is the data plane's vocabulary: one request's state (Invocation) as it moves
// through a stage's pipeline of Handlers, the Response a pipeline produces, and the Error a
// stage returns when the client must see a gateway response instead (failure.go names the
// failures integrations and the edge map to one). Only the edge (internal/gateway) writes
// to the wire; pipeline stages read an Invocation and return.
package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/meter"
)

// Handler is one step of a stage's pipeline, or the integration at its end.
type Handler interface {
	Invoke(ctx context.Context, inv *Invocation) (*Response, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, inv *Invocation) (*Response, error)

// Invoke implements Handler.
func (f HandlerFunc) Invoke(ctx context.Context, inv *Invocation) (*Response, error) {
	return f(ctx, inv)
}

// Middleware wraps the rest of the pipeline.
type Middleware func(next Handler) Handler

// Chain returns h wrapped by mws so that mws[0] runs first.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// Error is any failure the client sees as a gateway response. Stages return it; only the
// edge renders it, through the stage's gateway responses.
type Error struct {
	Type apigateway.GatewayResponseType // THROTTLED, ACCESS_DENIED, ...
	// Message is $context.error.message, the text AWS puts in the default body.
	Message string
	// ValidationErrorString is $context.error.validationErrorString; empty unless a request
	// validator failed.
	ValidationErrorString string
	// MessageNull makes the message null rather than Message: $context.error.messageString
	// renders null and $context.error.message nothing, as AWS's AUTHORIZER_CONFIGURATION_ERROR
	// answers {"message": null}.
	MessageNull bool
	// Status, when not zero, is the HTTP status AWS answers with for this failure where it
	// differs from the default status of Type's gateway response: a malformed Lambda proxy
	// answer is a DEFAULT_5XX sent as 502. A status customized on the stage's gateway
	// response for the type still wins.
	Status int
	// MessageKey, when set, names the message's member in AWS's default body instead of
	// "message": "Message" for the IAM and resource policy denials, which AWS sends as
	// {"Message":"User: ... is not authorized to perform: execute-api:Invoke on resource:
	// ..."}. A stage's customized template is rendered as it is.
	MessageKey string
	// Err is the cause: logs only, never sent.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Type) + ": " + e.Message + ": " + e.Err.Error()
	}
	return string(e.Type) + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of type t whose client-visible message is the formatted text.
// Hot paths should prefer a constant format with no arguments: it does not format.
func Errorf(t apigateway.GatewayResponseType, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Type: t, Message: msg}
}

// AsError reports err as an *Error when it is or wraps one.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Response is what a pipeline answers with. Exactly one of Body and Stream carries the
// payload: when Stream is non-nil the edge copies it to the client with a pooled buffer and
// closes it, and Body is ignored.
type Response struct {
	StatusCode int
	// Header holds the headers for the client; the edge adds x-amzn-RequestId and the trace
	// id. Nil means none.
	Header http.Header
	Body   []byte
	Stream io.ReadCloser
	// ContentLength is Stream's length in bytes, -1 when unknown (the edge then sends it
	// chunked). Ignored for Body.
	ContentLength int64
}

// Param is one path parameter: the resource's {name} and its URL-decoded value.
type Param struct {
	Name  string
	Value string
}

// Request is the client's request as the pipeline sees it.
type Request struct {
	// Method is the client's HTTP method (GET, POST, ...).
	Method string
	// Path is the URL-decoded path below the stage, "/" for the root: "/pets/1".
	Path string
	// RawPath is Path as the client encoded it.
	RawPath string
	// RawQuery is the query string without '?', as the client encoded it.
	RawQuery string
	// WirePath is the path as the client sent it on the wire: percent-encoded, with the
	// stage (and a path-based /restapis/... prefix), before dot segments are removed. A
	// SigV4 signature covers it.
	WirePath string
	// Host is the client's Host header, port included ("api.example.com:8080"); net/http
	// keeps it out of Header.
	Host string
	// Header is the client's headers, by canonical name. Stages must not modify it, and
	// should read it through HeaderValue, HeaderValues and VisibleHeaders, which hide what
	// AWS drops as it reads a request (the Hidden rule) and spell names as the client did.
	Header http.Header
	// SentNames are header names as the client spelled them where that differs from the
	// canonical key in Header: pairs of canonical and sent name (h1server.SentHeaderNames).
	// Nil when unknown, and then the names are canonical.
	SentNames []string
	// Body is the buffered request body, filled by the body stage of the pipeline; nil
	// before it ran or when the request had none.
	Body []byte
	// BodyReader is the unread body; nil once Body is filled or when there is none.
	BodyReader io.Reader
	// ContentLength is the declared body length in bytes, -1 when unknown.
	ContentLength int64

	query       url.Values // parsed on first use
	queryParsed bool
}

// Query returns the parsed query string. Parsed on first use; malformed pairs are skipped as
// AWS does not reject them.
func (r *Request) Query() url.Values {
	if !r.queryParsed {
		r.queryParsed = true
		if r.RawQuery != "" {
			r.query, _ = url.ParseQuery(r.RawQuery)
		}
	}
	return r.query
}

// QueryValue returns the last value of the query parameter name: AWS's single-value view
// (queryStringParameters and method.request.querystring.X) keeps the last one.
func (r *Request) QueryValue(name string) (string, bool) {
	vs := r.Query()[name]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// HeaderValue returns the last value of the header name (case-insensitive): AWS's
// single-value view (headers and method.request.header.X) keeps the last one. Headers AWS
// drops as it reads a request (Hidden: Connection, Content-Length, Expect, TE, ...) have
// none; Host is the client's.
func (r *Request) HeaderValue(name string) (string, bool) { return r.HeaderKeyValue(r.headerKey(name)) }

// HeaderValues returns every value of the header name (case-insensitive), as
// method.request.multivalueheader.X sees them: nil for a Hidden header; Host is the
// client's Host.
func (r *Request) HeaderValues(name string) []string {
	k := r.headerKey(name)
	if k.hidden || k.canon == "Host" {
		if v, ok := r.HeaderKeyValue(k); ok {
			return []string{v}
		}
		return nil
	}
	return r.Header[k.canon]
}

// HeaderKey is a header name resolved once, for a stage that reads the same header on
// every request (an authorizer's identity source): HeaderValue's view of it without the
// per-request canonicalization and rule lookup. The zero HeaderKey names no header.
type HeaderKey struct {
	canon  string // the canonical name
	hidden bool   // a Hidden header, which has no value
}

// NewHeaderKey resolves the header name (any casing).
func NewHeaderKey(name string) HeaderKey { return headerKeyOf(http.CanonicalHeaderKey(name)) }

func headerKeyOf(canon string) HeaderKey {
	return HeaderKey{canon: canon, hidden: canon != "Host" && HeaderHas(canon, Hidden)}
}

// headerKey resolves name for r: the name itself when r has it (the edge stores canonical
// names), else its canonical form.
func (r *Request) headerKey(name string) HeaderKey {
	if _, ok := r.Header[name]; ok {
		return headerKeyOf(name)
	}
	return NewHeaderKey(name)
}

// HeaderKeyValue is HeaderValue of k's name, the one place its rule is written: the last
// value, Host the client's, a Hidden header none. The request's names are canonical, as
// the edge and TestInvoke build them.
func (r *Request) HeaderKeyValue(k HeaderKey) (string, bool) {
	switch {
	case k.hidden:
		return "", false
	case k.canon == "Host":
		return r.Host, r.Host != ""
	}
	vs := r.Header[k.canon]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// HeaderName returns the name of the client's header k (canonical) as the client spelled
// it: "tEsT-HEADeR" for Test-Header when it was sent so.
func (r *Request) HeaderName(k string) string {
	for i := 0; i+1 < len(r.SentNames); i += 2 {
		if r.SentNames[i] == k {
			return r.SentNames[i+1]
		}
	}
	return k
}

// VisibleHeader reports whether the client's header of canonical name k is part of the
// request as AWS's pipeline sees it (not Hidden). Host, which net/http keeps out of
// Header, is visible (Request.Host).
func VisibleHeader(k string) bool { return !HeaderHas(k, Hidden) }

// Invocation is one request's state through the pipeline: everything the $context
// variables, mapping templates, authorizers, API keys, throttling, caching and Lambda proxy
// events need. The edge fills it; stages read it and may fill the fields documented as
// theirs. An Invocation is reused after the response is written: never keep it.
type Invocation struct {
	// RequestID is $context.requestId, also sent as x-amzn-RequestId: a UUID.
	RequestID string
	// ExtendedRequestID is $context.extendedRequestId, also sent as x-amz-apigw-id.
	ExtendedRequestID string
	// TraceID is the X-Amzn-Trace-Id value: "Root=1-{8 hex epoch seconds}-{24 hex}".
	TraceID string
	// RequestTime is when the gateway received the request.
	RequestTime time.Time

	AccountID string
	APIID     string
	Stage     string
	// DeploymentID is the deployment serving the request: the stage's, or its canary's.
	DeploymentID string
	// IsCanary is $context.isCanaryRequest: the stage's canary serves the request.
	IsCanary bool
	// ResourceID and ResourcePath identify the matched resource: "abc123", "/pets/{id}".
	ResourceID   string
	ResourcePath string
	// HTTPMethod is $context.httpMethod, the client's method.
	HTTPMethod string
	// ContextPath is $context.path: "/{stage}/pets/1" as the client encoded it.
	ContextPath string
	// PathParams are the matched path parameters, in path order.
	PathParams []Param
	// StageVariables are the stage's variables; nil when it has none. Read-only.
	StageVariables map[string]string

	// SourceIP is $context.identity.sourceIp: the client's address without port.
	SourceIP string
	// SourceVPCE and SourceVPC are the VPC endpoint and VPC of the listener the request came
	// through (gatehouse serve --vpce ADDR=vpce-id[,vpc-id]): the resource policy's
	// aws:SourceVpce and aws:SourceVpc. Empty on the public listener.
	SourceVPCE string
	SourceVPC  string
	// UserAgent is $context.identity.userAgent.
	UserAgent string
	// DomainName is $context.domainName (the Host without port), DomainPrefix its first label.
	DomainName   string
	DomainPrefix string
	// Protocol is $context.protocol: AWS reports "HTTP/1.1" even for HTTP/2 clients.
	Protocol string

	// Identity is who the request was authenticated as by AWS_IAM (SigV4) authorization:
	// $context.identity.{caller, user, userArn, accessKey, accountId}. Zero for other
	// authorization types. Set by the authorization stage.
	Identity Identity
	// Authorizer is what a Lambda or Cognito authorizer admitted the request with:
	// $context.authorizer.*, the proxy event's requestContext.authorizer. Nil without one.
	// Set by the authorization stage; read-only (it may be a cached, shared result).
	Authorizer *AuthorizerResult
	// IAMDecision is the caller's own IAM policies' verdict on execute-api:Invoke for this
	// method (AWS_IAM only), which the resource policy stage combines with the API's policy
	// by AWS's evaluation table. DecisionNone for other authorization types.
	IAMDecision Decision

	// APIKey and APIKeyID are $context.identity.apiKey and apiKeyId: the API key the
	// request was admitted with, set by the API key stage for a method that requires one.
	APIKey   string
	APIKeyID string
	// Metering is the usage plan the API key is metered by on this stage, set with APIKey;
	// nil otherwise. Read-only: it belongs to the compiled key index.
	Metering *Metering
	// Meter is the throttle stage's room for the request's one meter.Check, kept with the
	// pooled Invocation so that building the check allocates nothing.
	Meter MeterScratch

	Request Request

	// Err is the error being rendered as a gateway response ($context.error.*); set by the
	// edge only while it renders one.
	Err *Error
	// AnswerTrace, set by the integration, has the edge send X-Amzn-Trace-Id with the
	// integration's answer, as AWS does for HTTP, AWS and Lambda integrations (not MOCK nor
	// HTTP_PROXY). Kept here rather than in Response, which it would make a size class
	// larger on every request.
	AnswerTrace bool
}

// Identity is an IAM caller as $context.identity shows it. The zero value is no IAM caller
// (every field null in $context and the proxy event).
type Identity struct {
	// AccountID is the caller's account: "123456789012".
	AccountID string
	// Caller is $context.identity.caller: the user's id ("AIDA...") for an IAM user, the
	// account id for the account's root.
	Caller string
	// User is $context.identity.user: the same id as Caller for users and the root.
	User string
	// UserARN is $context.identity.userArn: "arn:aws:iam::123456789012:user/alice", or
	// "arn:aws:iam::123456789012:root".
	UserARN string
	// AccessKey is $context.identity.accessKey: the access key id the request was signed with.
	AccessKey string
}

// AuthorizerResult is the outcome of a Lambda (TOKEN or REQUEST) or COGNITO_USER_POOLS
// authorizer that admitted a request.
type AuthorizerResult struct {
	// PrincipalID is $context.authorizer.principalId (Lambda authorizers; empty for Cognito).
	PrincipalID string
	// Context is a Lambda authorizer's returned context: keys in the function's order, each
	// value the JSON text of a string, number or boolean as the function returned it
	// (`"a"`, `1`, `true`). $context.authorizer.{key} is the value without JSON quoting.
	Context []AuthorizerValue
	// Claims are a verified JWT's claims (Cognito): $context.authorizer.claims.{name}, each
	// the claim's value as API Gateway renders it: a string as is, anything else as JSON.
	Claims []AuthorizerValue
	// UsageIdentifierKey is the API key the function named (usageIdentifierKey), for an API
	// whose apiKeySource is AUTHORIZER; empty when none.
	UsageIdentifierKey string
	// IntegrationLatency is the function's call in milliseconds, the proxy event's
	// requestContext.authorizer.integrationLatency: 0 for an answer from the cache.
	IntegrationLatency int64
}

// Text is the value as $context.authorizer.{key} and the Lambda proxy event's
// requestContext.authorizer show it, stringified: a string without its JSON quotes, a
// number or boolean as its JSON text ("1", "true"). ok is false for a null.
func (v AuthorizerValue) Text() (string, bool) {
	s := v.Value
	if s == "null" {
		return "", false
	}
	if len(s) >= 2 && s[0] == '"' {
		if strings.IndexByte(s, '\\') < 0 {
			return s[1 : len(s)-1], true
		}
		var out string
		if json.Unmarshal([]byte(s), &out) == nil {
			return out, true
		}
	}
	return s, true
}

// AuthorizerVar returns $context.authorizer.{name}: principalId, a context key's
// stringified value or claims.{claim} (Cognito); false when there is none.
func (inv *Invocation) AuthorizerVar(name string) (string, bool) {
	a := inv.Authorizer
	if a == nil {
		return "", false
	}
	if claim, ok := strings.CutPrefix(name, "claims."); ok {
		for _, c := range a.Claims {
			if c.Key == claim {
				return c.Value, true
			}
		}
		return "", false
	}
	for _, c := range a.Context {
		if c.Key == name {
			return c.Text()
		}
	}
	if name == "principalId" {
		return a.PrincipalID, a.PrincipalID != "" || len(a.Claims) == 0
	}
	return "", false
}

// AuthorizerValue is one key and value of an authorizer's context or claims.
type AuthorizerValue struct {
	Key string
	// Value is JSON text in Context (a string, number or boolean), plain text in Claims.
	Value string
}

// Decision is an IAM policy evaluation's verdict (iampolicy.Decision's values, kept here so
// that the Invocation does not import the policy engine).
type Decision uint8

const (
	DecisionNone         Decision = iota // not evaluated: the method is not AWS_IAM
	DecisionImplicitDeny                 // evaluated; no statement allowed it
	DecisionAllow                        // an Allow matched and no Deny did
	DecisionExplicitDeny                 // a Deny matched
)

// Metering is what the throttle stage applies for a request's API key on one method of one
// stage: the key's token bucket and quota in the usage plan that binds the key to the
// stage. It belongs to the compiled key index (apikey.Index): read-only.
type Metering struct {
	PlanID string
	// MethodThrottle is the key's bucket for this method on this stage, the API stage's
	// per-method throttle (throttle["/{resource}/{METHOD}"]); Throttle the key's bucket in
	// the plan (its throttle), shared by the key's stages. Both apply, in that order; nil
	// where the plan sets none.
	MethodThrottle, Throttle *meter.Bucket
	// Quota is the plan's quota; nil when none. QuotaKey names its count
	// (meter.QuotaKey(plan, key)).
	Quota    *apigateway.QuotaSettings
	QuotaKey string
}

// MeterScratch holds one meter.Check and the buckets and quota it points at: a key's
// method and plan buckets, the stage's and the account's.
type MeterScratch struct {
	Check   meter.Check
	Buckets [4]meter.Bucket
	Quota   meter.Quota
}

// Reset clears inv for reuse, keeping its allocations.
func (inv *Invocation) Reset() {
	params := inv.PathParams[:0]
	*inv = Invocation{}
	inv.PathParams = params
}

// PathParam returns the value of the path parameter name.
func (inv *Invocation) PathParam(name string) (string, bool) {
	for _, p := range inv.PathParams {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// RequestTimeLayout is AWS's $context.requestTime, CLF: "dd/MMM/yyyy:HH:mm:ss +-hhmm"; the
// Lambda proxy event writes it in UTC ("16/Oct/2022:07:10:53 +0000").
const RequestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// ContextVar returns the $context variable name (without "context."), such as "requestId"
// or "identity.sourceIp", and false for a variable that is unknown or has no value here.
// It is the one lookup every consumer (gateway responses, parameter mapping, templates,
// access logs) shares.
func (inv *Invocation) ContextVar(name string) (string, bool) {
	switch name {
	case "requestId", "awsEndpointRequestId":
		return inv.RequestID, true
	case "extendedRequestId":
		return inv.ExtendedRequestID, true
	case "xrayTraceId":
		return inv.TraceID, true
	case "accountId":
		return inv.AccountID, true
	case "apiId":
		return inv.APIID, true
	case "stage":
		return inv.Stage, true
	case "deploymentId":
		return inv.DeploymentID, true
	case "resourceId":
		return inv.ResourceID, inv.ResourceID != ""
	case "resourcePath":
		return inv.ResourcePath, inv.ResourcePath != ""
	case "httpMethod":
		return inv.HTTPMethod, true
	case "path":
		return inv.ContextPath, true
	case "protocol":
		return inv.Protocol, true
	case "domainName":
		return inv.DomainName, true
	case "domainPrefix":
		return inv.DomainPrefix, true
	case "requestTime":
		return inv.RequestTime.Format(RequestTimeLayout), true
	case "requestTimeEpoch":
		return strconv.FormatInt(inv.RequestTime.UnixMilli(), 10), true
	case "identity.sourceIp":
		return inv.SourceIP, true
	case "identity.userAgent":
		return inv.UserAgent, true
	case "identity.caller":
		return inv.Identity.Caller, inv.Identity.Caller != ""
	case "identity.user":
		return inv.Identity.User, inv.Identity.User != ""
	case "identity.userArn":
		return inv.Identity.UserARN, inv.Identity.UserARN != ""
	case "identity.accessKey":
		return inv.Identity.AccessKey, inv.Identity.AccessKey != ""
	case "identity.accountId":
		return inv.Identity.AccountID, inv.Identity.AccountID != ""
	case "identity.vpceId":
		return inv.SourceVPCE, inv.SourceVPCE != ""
	case "identity.vpcId":
		return inv.SourceVPC, inv.SourceVPC != ""
	case "identity.apiKey":
		return inv.APIKey, inv.APIKey != ""
	case "identity.apiKeyId":
		return inv.APIKeyID, inv.APIKeyID != ""
	case "isCanaryRequest":
		if inv.IsCanary {
			return "true", true
		}
		return "false", true
	case "error.message":
		if inv.Err == nil || inv.Err.MessageNull {
			return "", false
		}
		return inv.Err.Message, true
	case "error.messageString":
		if inv.Err == nil {
			return "", false
		}
		if inv.Err.MessageNull {
			return "null", true
		}
		return string(AppendJSONString(nil, inv.Err.Message)), true
	case "error.responseType":
		if inv.Err == nil {
			return "", false
		}
		return string(inv.Err.Type), true
	case "error.validationErrorString":
		if inv.Err == nil {
			return "", false
		}
		return inv.Err.ValidationErrorString, true
	}
	if k, ok := strings.CutPrefix(name, "authorizer."); ok {
		return inv.AuthorizerVar(k)
	}
	return "", false
}

// AppendJSONString appends s to b as a JSON string literal, quotes included: the form of
// $context.error.messageString and of the strings in Lambda proxy events. Invalid UTF-8
// becomes U+FFFD, as encoding/json writes it, so the result is always valid JSON.
func AppendJSONString(b []byte, s string) []byte {
	return AppendJSONBytes(b, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// AppendJSONBytes is AppendJSONString for bytes.
func AppendJSONBytes(b []byte, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
