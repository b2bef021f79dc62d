package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/integration/h1"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/mapping"
)

// MaxPayload is AWS's REST API payload limit for requests and integration responses, in
// bytes (10 MB).
const MaxPayload = 10 << 20

// Config is what every integration is compiled from.
type Config struct {
	Integration *apigateway.Integration
	// APIID is the REST API's id, sent to backends as X-Amzn-Apigateway-Api-Id.
	APIID string
	// StageVariables are the stage's variables, substituted into the URI and parameter
	// mappings when the stage compiles.
	StageVariables map[string]string
	// Transport sends backend requests; TLSConfig.InsecureSkipVerification selects
	// InsecureTransport instead. Nil means NewTransport's defaults.
	Transport         http.RoundTripper
	InsecureTransport http.RoundTripper
	// BinaryMediaTypes are the REST API's binaryMediaTypes ("image/png", "image/*", "*/*"):
	// payloads of these types are binary for contentHandling.
	BinaryMediaTypes []string
	// Lambda invokes the functions of AWS_PROXY and AWS Lambda integrations. Nil answers
	// their requests with 500 (API_CONFIGURATION_ERROR), the cause logged.
	Lambda LambdaInvoker
	// SourceARN is the calling method's execute-api ARN,
	// "arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}{resourcePath}": what a
	// Lambda function's resource policy is checked against.
	SourceARN string
}

// NewTransport returns the client shared by every HTTP integration: h1's synchronous
// HTTP/1.1 client (AWS speaks HTTP/1.1 to backends) with keep-alive and a large idle pool
// per backend; bodies pass through as the backend encoded them (no transparent gzip) and
// no proxy is taken from the environment. insecure skips certificate verification, for
// integrations whose tlsConfig asks for it.
func NewTransport(insecure bool) *h1.Client {
	o := h1.Options{
		DialTimeout:         10 * time.Second,
		KeepAlive:           30 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleTimeout:         90 * time.Second,
		MaxIdlePerHost:      1024,
		BufferSize:          16 << 10,
	}
	if insecure {
		o.TLSConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the integration's tlsConfig asks for it
	}
	return h1.New(o)
}

// httpIntegration is HTTP and HTTP_PROXY.
type httpIntegration struct {
	proxy   bool
	method  string // integration httpMethod; "" means the client's
	uri     *uriTemplate
	params  []requestMapping
	refused bool // a mapping sets a header AWS refuses (refusedMapping)
	backend
	// Header values fixed per stage, shared by every request (never modified).
	apiIDValue, userAgentValue []string

	nonProxy // HTTP (non-proxy) only

	prefetch sync.Pool // HTTP_PROXY: *[]byte of proxyPrefetch bytes (proxyBody)
}

// nonProxy is what the integrations with mapped requests and responses (HTTP and AWS)
// compile from an Integration: templates, passthroughBehavior, contentHandling and the
// integration responses.
type nonProxy struct {
	passthrough     string
	contentHandling string
	binary          mediaTypes // the API's binaryMediaTypes
	reqTmpl         templates
	responses       responses
}

// compileNonProxy compiles an integration's request templates and integration responses.
func compileNonProxy(c Config) (nonProxy, error) {
	in := c.Integration
	n := nonProxy{passthrough: in.PassthroughBehavior, contentHandling: in.ContentHandling, binary: mediaTypes(c.BinaryMediaTypes)}
	var err error
	if n.reqTmpl, err = compileTemplates(in.RequestTemplates); err != nil {
		return nonProxy{}, err
	}
	if n.responses, err = compileResponses(in.IntegrationResponses, c.StageVariables, c.BinaryMediaTypes, invoke.RemappedMapped); err != nil {
		return nonProxy{}, err
	}
	return n, nil
}

// NewHTTPProxy compiles an HTTP_PROXY integration.
func NewHTTPProxy(c Config) (invoke.Handler, error) { return newHTTP(c, true) }

// NewHTTP compiles an HTTP (non-proxy) integration.
func NewHTTP(c Config) (invoke.Handler, error) { return newHTTP(c, false) }

func newHTTP(c Config, proxy bool) (*httpIntegration, error) {
	in := c.Integration
	h := &httpIntegration{proxy: proxy}
	h.prefetch.New = func() any { b := make([]byte, proxyPrefetch); return &b }
	if in.HTTPMethod != "ANY" {
		h.method = in.HTTPMethod
	}
	var err error
	if h.uri, err = compileURI(in.URI, c.StageVariables); err != nil {
		return nil, err
	}
	h.refused = refusedMapping(in.RequestParameters, false)
	if h.params, err = compileRequestParameters(in.RequestParameters, c.StageVariables); err != nil {
		return nil, err
	}
	h.timeout = timeout(in.TimeoutInMillis)
	h.apiIDValue = []string{c.APIID}
	h.userAgentValue = []string{"AmazonAPIGateway_" + c.APIID}
	h.transport = c.Transport
	if in.TLSConfig != nil && in.TLSConfig.InsecureSkipVerification {
		h.transport = c.InsecureTransport
	}
	if h.transport == nil {
		h.transport = NewTransport(in.TLSConfig != nil && in.TLSConfig.InsecureSkipVerification)
	}
	h.client, _ = h.transport.(*h1.Client)
	if !proxy {
		if h.nonProxy, err = compileNonProxy(c); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// acceptJSON is the Accept API Gateway sends when the client sent none. Shared: never
// modified.
var acceptJSON = []string{jsonType}

// timeout converts timeoutInMillis. Zero means 29 s, AWS's default timeoutInMillis.
func timeout(ms int) time.Duration {
	if ms <= 0 {
		ms = apigateway.DefaultTimeoutInMillis
	}
	return time.Duration(ms) * time.Millisecond
}

// notProxied are the rules of the client headers HTTP_PROXY does not pass on: those AWS
// drops as it reads a request, those it does not proxy (Host becomes the integration
// endpoint's; Content-Encoding; the gateway's own X-Amzn-*) and those no HTTP backend
// receives (invoke.headerRules). The fields the client's Connection header lists are
// hop-by-hop too (RFC 9110 §7.6.1) and dropped with these (h1.ConnectionOption).
const notProxied = invoke.Hidden | invoke.NotProxied | invoke.DroppedToHTTP

// droppedFromFunction are the headers not sent from a Lambda proxy answer (TE, Trailer,
// Upgrade).
var droppedFromFunction = invoke.HeadersWith(invoke.DroppedFromFunction)

// dropHeaders deletes the canonical names from h.
func dropHeaders(h http.Header, names []string) {
	for _, k := range names {
		delete(h, k)
	}
}

// Invoke implements invoke.Handler.
func (h *httpIntegration) Invoke(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
	if h.refused {
		return nil, refusedMappingError()
	}
	method := h.method
	if method == "" {
		method = inv.Request.Method
	}

	// Headers: HTTP_PROXY passes the client's through; HTTP sends only mapped ones.
	var hdr http.Header
	if h.proxy {
		hdr = make(http.Header, len(inv.Request.Header)+6)
		conn := inv.Request.Header["Connection"]
		for k, v := range inv.Request.Header {
			if !invoke.HeaderHas(k, notProxied) && (conn == nil || !h1.ConnectionOption(conn, k)) {
				hdr[k] = v // shared, never modified
			}
		}
	} else {
		hdr = make(http.Header, len(h.params)+6)
	}

	// Body: HTTP_PROXY passes it through; HTTP through its request template, else per
	// passthroughBehavior.
	body := inv.Request.Body
	var ov mapping.Overrides
	if !h.proxy {
		var err error
		if body, err = h.requestPayload(inv, &ov); err != nil {
			return nil, err
		}
		// The client's Content-Type goes with a payload only: a GET passed through sends
		// none (recorded: TestApiGatewayHeaderRemapping[HTTP], no-param).
		if ct := contentType(inv); ct != "" && len(body) > 0 && hasBody(method) {
			hdr["Content-Type"] = []string{ct}
		}
	}

	query, mappedPath := applyRequestParameters(inv, h.params, &ov, hdr, invoke.DroppedToHTTP) // Expect, Proxy-Authenticate, TE, Via: even mapped

	// What API Gateway adds. Source: LocalStack's AWS-validated integration_request handler.
	if _, ok := hdr["Accept"]; !ok {
		hdr["Accept"] = acceptJSON
	}
	if _, ok := hdr["User-Agent"]; !ok {
		hdr["User-Agent"] = h.userAgentValue
	}
	hdr["X-Amzn-Apigateway-Api-Id"] = h.apiIDValue
	vals := make([]string, 2) // one allocation for the per-request values
	vals[0] = inv.TraceID
	hdr["X-Amzn-Trace-Id"] = vals[0:1:1]
	if h.proxy && inv.SourceIP != "" {
		vals[1] = inv.SourceIP
		if prior := hdr["X-Forwarded-For"]; len(prior) > 0 {
			vals[1] = strings.Join(prior, ", ") + ", " + inv.SourceIP
		}
		hdr["X-Forwarded-For"] = vals[1:2:2]
	}

	// The URL: the integration URI with path parameters substituted (a mapped
	// integration.request.path.X first, else the method's own {X}), then the URI's query,
	// the client's query (HTTP_PROXY) and the mapped query parameters.
	var ub [256]byte
	p, err := h.uri.appendMappedPath(ub[:0], inv, mappedPath)
	if err != nil {
		return nil, err
	}
	q := h.uri.mappedQuery(inv, mappedPath)
	if h.proxy && inv.Request.RawQuery != "" {
		q = joinQuery(q, inv.Request.RawQuery)
	}
	if len(query) > 0 {
		q = joinQuery(q, string(query))
	}
	if !hasBody(method) {
		body = nil
	}

	resp, ctx, cancel, err := h.send(ctx, method, h.uri, p, q, hdr, body)
	if err != nil {
		return nil, err
	}
	if h.proxy {
		return h.proxyResponse(ctx, resp, cancel)
	}
	return h.answer(ctx, inv, resp, cancel, &ov)
}

// backend sends the requests of HTTP and AWS service integrations: on h1's client, which
// takes the deadline and the buffered body directly (no per-request timer context nor
// http.Request), or on another RoundTripper (tests) under a timeout context.
type backend struct {
	transport http.RoundTripper
	client    *h1.Client // transport when it is h1's
	timeout   time.Duration
}

// send sends one request within the integration's timeout, a failure mapped as AWS maps it
// (mapTransportError). ctx is the request's context from then on; cancel, when not nil,
// ends its deadline and must be called once the response body is done.
func (b *backend) send(ctx context.Context, method string, uri *uriTemplate, p []byte, q string, hdr http.Header, body []byte) (*http.Response, context.Context, context.CancelFunc, error) {
	var resp *http.Response
	var err error
	var cancel context.CancelFunc
	if b.client != nil {
		resp, err = b.client.Send(ctx, &h1.Request{
			Method:     method,
			Scheme:     uri.scheme,
			Host:       uri.host,
			HostHeader: mappedHost(hdr),
			Target:     requestTarget(p, q),
			Header:     hdr,
			Body:       body,
			Deadline:   time.Now().Add(b.timeout),
		})
	} else {
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		resp, err = b.transport.RoundTrip(newRequest(ctx, method, uri, p, q, hdr, body))
	}
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, ctx, nil, mapTransportError(ctx, err)
	}
	return resp, ctx, cancel, nil
}

// answer reads a non-proxy backend's response, picks the integration response its status
// selects and makes the method response (ov: what the request template overrode); it closes
// the body and calls cancel (when set).
func (n *nonProxy) answer(ctx context.Context, inv *invoke.Invocation, resp *http.Response, cancel context.CancelFunc, ov *mapping.Overrides) (*invoke.Response, error) {
	if cancel != nil {
		defer cancel()
	}
	defer resp.Body.Close()
	payload, err := readPayload(ctx, resp)
	if err != nil {
		return nil, err
	}
	ir, err := n.responses.selectResponse(resp.StatusCode)
	if err != nil {
		return nil, err
	}
	out, err := ir.methodResponse(inv, resp.Header, payload, ov)
	if err == nil {
		inv.AnswerTrace = true // HTTP and AWS answers carry X-Amzn-Trace-Id
	}
	return out, err
}

// requestPayload is the body a non-proxy (HTTP or AWS) integration sends: the client's payload
// converted as AWS's content type conversions say (contenthandling.go: by contentHandling and
// whether the Content-Type is one of the API's binaryMediaTypes), then rendered through the
// request template for its Content-Type, or passed through as passthroughBehavior allows.
func (h *nonProxy) requestPayload(inv *invoke.Invocation, ov *mapping.Overrides) ([]byte, error) {
	ct := contentType(inv)
	t, ok := h.reqTmpl.forRequest(ct)
	if !ok && !passthroughAllowed(h.passthrough, h.reqTmpl) {
		return nil, invoke.Errorf(apigateway.ResponseUnsupportedMediaType, "Unsupported Media Type")
	}
	body, err := requestConversion(h.contentHandling, h.binary, ct).apply(inv.Request.Body)
	if err != nil {
		return nil, contentError(err)
	}
	if !ok {
		return body, nil
	}
	if err := templateInput(body); err != nil {
		return nil, contentError(err)
	}
	out, err := t.Render(inv, body, ov)
	if err != nil {
		// AWS: "Execution failed due to configuration error: Unable to transform request".
		return nil, invoke.ConfigurationError.Because(fmt.Errorf("render request template: %w", err))
	}
	return out, nil
}

// requestTarget is the request line's target for a built path and query: the path as is,
// unless it starts with "//" (which a bare path would send as a scheme-relative URL), then
// as net/url escapes it.
func requestTarget(p []byte, q string) string {
	if len(p) > 1 && p[0] == '/' && p[1] == '/' {
		u := url.URL{Path: pathUnescape(string(p)), RawPath: string(p), RawQuery: q}
		return u.RequestURI()
	}
	if len(p) == 0 {
		p = append(p, '/')
	}
	if q != "" {
		p = append(p, '?')
		p = append(p, q...)
	}
	return string(p)
}

// mappedHost is the Host a request mapping set, "" for none: it reaches the backend
// (recorded).
func mappedHost(hdr http.Header) string {
	if v := hdr["Host"]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

// newRequest builds the backend request for an http.RoundTripper other than h1's (tests).
func newRequest(ctx context.Context, method string, uri *uriTemplate, p []byte, q string, hdr http.Header, body []byte) *http.Request {
	u := &url.URL{Scheme: uri.scheme, Host: uri.host, RawQuery: q}
	if len(p) > 1 && p[0] == '/' && p[1] == '/' {
		u.Path, u.RawPath = pathUnescape(string(p)), string(p)
	} else {
		u.Opaque = string(p) // sent as is on the request line
	}
	req := &http.Request{
		Method:     method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     hdr,
		Host:       u.Host,
	}
	if v := mappedHost(hdr); v != "" {
		req.Host = v
	}
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return req.WithContext(ctx)
}

// mapTransportError maps a failed backend call on purpose: our deadline is
// INTEGRATION_TIMEOUT (504 "Endpoint request timed out"); an answer that came but is
// broken (h1.ProtocolError: malformed, ambiguous framing, oversized head, cut short) is a
// bad answer, 502 (badAnswer); anything else (refused, reset, DNS, TLS) INTEGRATION_FAILURE.
func mapTransportError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return invoke.Timeout.Because(err)
	}
	if pe := (*h1.ProtocolError)(nil); errors.As(err, &pe) {
		return badAnswer(err)
	}
	return invoke.Unreachable.Because(fmt.Errorf("call integration endpoint: %w", err))
}

// proxyResponse hands the backend's response to the client as AWS does for HTTP_PROXY:
// status, headers and body pass through, except that Connection, Content-Length, Date and
// Server come back as x-amzn-Remapped-* (the gateway sends its own), and Via and
// Transfer-Encoding are dropped, as are the fields the backend's Connection header lists
// (RFC 9110 §7.6.1; h1's client drops them as it reads the head, so they are removed here
// only for another transport). Source: LocalStack's AWS-validated header_utils
// (REMAPPED_FROM_INTEGRATION_RESPONSE_COMMON, DROPPED_FROM_INTEGRATION_RESPONSES_HTTP_PROXY).
// The body is checked and limited as
// proxyBody says; closing a streamed one ends the request's deadline (cancel, when not nil).
func (h *httpIntegration) proxyResponse(ctx context.Context, resp *http.Response, cancel context.CancelFunc) (*invoke.Response, error) {
	hdr := resp.Header
	if h.client == nil {
		h1.RemoveConnectionOptions(hdr) // h1's frame did it already
	}
	remappedLength := remapBackendHeaders(hdr)
	if resp.ContentLength >= 0 && !remappedLength {
		// Go's transport keeps the length out of resp.Header; AWS still reports the
		// backend's as x-amzn-Remapped-Content-Length.
		hdr["x-amzn-Remapped-Content-Length"] = []string{itoa(resp.ContentLength)}
	}
	if _, ok := hdr["Content-Type"]; !ok {
		hdr["Content-Type"] = []string{jsonType}
	}
	out := &invoke.Response{StatusCode: resp.StatusCode, Header: hdr}
	if err := h.proxyBody(ctx, resp, cancel, out); err != nil {
		return nil, err
	}
	return out, nil
}

// remapBackendHeaders prepares a backend's (or a Lambda proxy answer's) headers for the
// client by the table's rules (invoke.headerRules): those the gateway sends itself
// (Connection, Content-Length, Date, Server, x-amzn-RequestId: invoke.RemappedProxy) come
// back as x-amzn-Remapped-*; Via, Transfer-Encoding, Keep-Alive and the headers the gateway
// sets (invoke.DroppedFromProxy) are dropped. It reports whether a Content-Length was
// remapped.
func remapBackendHeaders(h http.Header) (remappedLength bool) {
	for k, v := range h {
		switch r := invoke.HeaderRules(k); {
		case r&invoke.RemappedProxy != 0:
			delete(h, k)
			h[invoke.RemappedName(k)] = v
			remappedLength = remappedLength || k == "Content-Length"
		case r&invoke.DroppedFromProxy != 0:
			delete(h, k)
		}
	}
	return remappedLength
}

func contentType(inv *invoke.Invocation) string {
	v, _ := inv.Request.HeaderValue("Content-Type")
	return v
}

// hasBody reports whether a backend request with this method carries the payload; GET, HEAD
// and OPTIONS never do (as LocalStack, validated against AWS, sends them).
func hasBody(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS":
		return false
	}
	return true
}

// passthroughAllowed applies passthroughBehavior to a request whose content type has no
// template: WHEN_NO_MATCH (the default) passes it, WHEN_NO_TEMPLATES only when there are no
// templates at all, NEVER never.
func passthroughAllowed(behavior string, ts templates) bool {
	switch behavior {
	case apigateway.PassthroughNever:
		return false
	case apigateway.PassthroughWhenNoTemplates:
		return len(ts.byType) == 0
	}
	return true
}

func appendQuery(b []byte, name, value string) []byte {
	if len(b) > 0 {
		b = append(b, '&')
	}
	b = append(b, url.QueryEscape(name)...)
	b = append(b, '=')
	return append(b, url.QueryEscape(value)...)
}

func joinQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

func pathUnescape(p string) string {
	s, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return s
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
