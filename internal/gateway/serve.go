package gateway

import (
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/route"
	"github.com/gatehouse/gatehouse/internal/h1server"
)

// ServeHTTP serves deployed stages: host-based {api-id}.{domain}[:port]/{stage}/{path} and
// path-based /restapis/{api-id}/{stage}/_user_request_/{path} on any host. An unknown API,
// stage, resource or method answers 403 "Missing Authentication Token", through the stage's
// MISSING_AUTHENTICATION_TOKEN gateway response when the stage is known.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r, nil) }

// Handler returns what a listener configured as the VPC endpoint vpce (of the VPC vpc,
// which may be empty) serves: the data plane, with aws:SourceVpce and aws:SourceVpc set for
// resource policies, serving private APIs (endpointConfiguration PRIVATE) and, as AWS's VPC
// endpoints do, answering 403 Forbidden for every other API. An empty vpce is ServeHTTP,
// the public listener, which answers 403 Forbidden for private APIs.
func (s *Server) Handler(vpce, vpc string) http.Handler {
	if vpce == "" {
		return s
	}
	return &endpointHandler{s: s, l: &listener{vpce: vpce, vpc: vpc}}
}

// listener is what the request's listener says of it: its VPC endpoint and VPC.
type listener struct{ vpce, vpc string }

type endpointHandler struct {
	s *Server
	l *listener
}

func (h *endpointHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.s.serve(w, r, h.l) }

// errEndpointType is the answer for an API the listener does not serve: a private API on the
// public listener (where AWS's public DNS does not resolve it) and a public API through a VPC
// endpoint (AWS: "VPC endpoints can route traffic only to private APIs, the result is an
// HTTP 403 error", knowledge center api-gateway-vpc-connections). The body is AWS's
// {"message":"Forbidden"} with ForbiddenException, as for disableExecuteApiEndpoint.
func errEndpointType() error { return invoke.Errorf(apigateway.ResponseInvalidAPIKey, "Forbidden") }

// serve is ServeHTTP for the listener l (nil: the public one).
func (s *Server) serve(w http.ResponseWriter, r *http.Request, l *listener) {
	inv := s.invPool.Get().(*invoke.Invocation)
	var grs *gatewayResponses
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			if grs == nil {
				grs = s.defaults
			}
			s.writeError(w, grs, inv, fmt.Errorf("panic serving request: %v", p))
		}
		inv.Reset()
		s.invPool.Put(inv)
	}()

	s.begin(inv, r)
	raw := rawPath(r)
	inv.Request.WirePath = raw
	p, ok := removeDotSegments(raw)
	if !ok {
		inv.ContextPath = raw
		s.writeError(w, s.defaults, inv, errAboveRoot)
		return
	}
	apiID, stageName, rest, contextPath, ok := s.locate(r.Host, p)
	inv.ContextPath = contextPath
	if !ok {
		s.noMatch(w, s.defaults, inv, unmatchedStage, apiID, stageName, p, "")
		return
	}
	st := s.table.Load().lookup(apiID, stageName)
	if st == nil {
		s.noMatch(w, s.defaults, inv, unmatchedStage, apiID, stageName, p, "")
		return
	}
	st = st.pick(s.canaryRandom) // the stage or its canary (canary.go)
	grs = st.responses
	inv.APIID, inv.Stage, inv.DeploymentID, inv.StageVariables = st.apiID, st.name, st.deploymentID, st.variables
	inv.IsCanary = st.isCanary
	if l != nil {
		inv.SourceVPCE, inv.SourceVPC = l.vpce, l.vpc
	}
	if st.private != (l != nil) {
		s.writeError(w, s.defaults, inv, errEndpointType())
		return
	}
	if st.disabled {
		// disableExecuteApiEndpoint turns off the default endpoint, which both forms here
		// are: 403 {"message":"Forbidden"} with ForbiddenException, AWS's default
		// INVALID_API_KEY shape (not verified against AWS).
		s.writeError(w, s.defaults, inv, invoke.Errorf(apigateway.ResponseInvalidAPIKey, "Forbidden"))
		return
	}
	m, resourcePath, params, res := st.router.Match(r.Method, rest, inv.PathParams[:0])
	inv.PathParams = params
	if res != route.Found {
		s.noMatch(w, grs, inv, unmatchedMethod, apiID, stageName, rest, resourcePath)
		return
	}
	inv.ResourceID, inv.ResourcePath = m.resourceID, resourcePath
	rest = oneLeadingSlash(rest)
	inv.Request.Path = route.UnescapePath(rest)
	if inv.Request.Path == "" {
		inv.Request.Path = "/"
	}
	inv.Request.RawPath = rest
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		inv.Request.BodyReader = r.Body
	}

	resp, err := m.handler.Invoke(r.Context(), inv)
	if err == nil && (resp.StatusCode < minFinalStatus || !apigateway.IsStatusCode(resp.StatusCode)) {
		// A MOCK status, an integration response's statusCode or a Lambda proxy answer
		// may name a 1xx, which HTTP cannot send as a final status (h1server would send
		// it as an interim answer and a 200 after it): gatehouse treats it as the
		// configuration error it is (minFinalStatus).
		if resp.Stream != nil {
			resp.Stream.Close()
		}
		err = invoke.ConfigurationError.Because(
			fmt.Errorf("integration answered status %d, which is no final HTTP status", resp.StatusCode))
	}
	if err != nil {
		s.writeError(w, grs, inv, err)
		return
	}
	s.writeResponse(w, inv, resp)
}

// begin fills what every request has, known or not.
func (s *Server) begin(inv *invoke.Invocation, r *http.Request) {
	inv.RequestTime = s.now()
	inv.RequestID, inv.ExtendedRequestID, inv.TraceID = newIDs(inv.RequestTime)
	if v := r.Header["X-Amzn-Trace-Id"]; len(v) > 0 {
		inv.TraceID = invoke.IncomingTrace(v[0], inv.TraceID) // the client's trace is kept
	}
	inv.AccountID = s.scope.AccountID
	inv.HTTPMethod = r.Method
	inv.Protocol = "HTTP/1.1" // AWS reports HTTP/1.1 even to HTTP/2 clients
	inv.UserAgent = r.Header.Get("User-Agent")
	inv.SourceIP = hostOnly(r.RemoteAddr)
	inv.DomainName = hostOnly(r.Host)
	inv.DomainPrefix, _, _ = strings.Cut(inv.DomainName, ".")
	inv.Request.Method = r.Method
	inv.Request.Header = r.Header
	inv.Request.SentNames = h1server.SentHeaderNames(r) // nil under another server
	inv.Request.RawQuery = r.URL.RawQuery
	inv.Request.Host = r.Host
	inv.Request.ContentLength = r.ContentLength
}

// locate finds the API, the stage and the raw path below the stage ("" for the stage's
// root) of a request to host with the raw path p, host-based first; contextPath is
// $context.path, "/{stage}{rest}" ("/{stage}/" for the root). ok is false when p names no
// stage; contextPath is then p.
//
// Slashes before the stage are dropped ("//prod/x" is stage prod, $context.path
// "/prod/x"); rest keeps the doubled slashes after it ("/prod//x": rest "//x",
// $context.path "/prod//x"), which the router and the proxy event's path read as one.
// Recorded from AWS: test_apigateway_lambda.snapshot.json,
// "invocation-payload-with-prepended-slash-to-stage" and "...-with-prepended-slash".
func (s *Server) locate(host, p string) (apiID, stageName, rest, contextPath string, ok bool) {
	if apiID, ok = s.apiFromHost(host); ok {
		q := oneLeadingSlash(p)
		if stageName, rest = cutSegment(q); stageName == "" {
			return apiID, "", "", p, false // no stage: $context.path is the path as sent
		}
		return apiID, stageName, rest, q, true
	}
	// /restapis/{api-id}/{stage}/_user_request_/{path}
	tail, ok := strings.CutPrefix(p, "/restapis/")
	if !ok {
		return "", "", "", p, false
	}
	apiID, tail, ok = strings.Cut(tail, "/")
	if !ok || apiID == "" {
		return "", "", "", p, false
	}
	stageName, tail, ok = strings.Cut(tail, "/")
	if !ok || stageName == "" {
		return "", "", "", p, false
	}
	if tail != "_user_request_" {
		if tail, ok = strings.CutPrefix(tail, "_user_request_/"); !ok {
			return "", "", "", p, false
		}
		rest = "/" + tail
	}
	contextPath = "/" + stageName + rest
	if rest == "" {
		contextPath += "/"
	}
	return apiID, stageName, rest, contextPath, true
}

// apiFromHost returns the API id of a Host {api-id}.{domain}[:port].
func (s *Server) apiFromHost(host string) (string, bool) {
	host = hostOnly(host)
	if len(host) <= len(s.domain)+1 {
		return "", false
	}
	i := len(host) - len(s.domain)
	if host[i-1] != '.' || !strings.EqualFold(host[i:], s.domain) {
		return "", false
	}
	id := host[:i-1]
	if id == "" || strings.IndexByte(id, '.') >= 0 {
		return "", false
	}
	return asciiLower(id), true
}

// asciiLower lowercases the ASCII letters of s and keeps every other byte: API ids are ASCII,
// and strings.ToLower would turn invalid UTF-8 into U+FFFD, an id the client never sent.
// It allocates only when s has an upper-case letter.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// rawPath is the request path as the client sent it.
func rawPath(r *http.Request) string {
	if u := r.RequestURI; strings.HasPrefix(u, "/") {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			return u[:i]
		}
		return u
	}
	return r.URL.EscapedPath()
}

// oneLeadingSlash returns p with its leading slashes made one ("//x" is "/x"), without
// allocating; a path without a leading slash is returned as is.
func oneLeadingSlash(p string) string {
	i := 0
	for i < len(p) && p[i] == '/' {
		i++
	}
	if i <= 1 {
		return p
	}
	return p[i-1:]
}

// cutSegment splits "/stage/rest" into "stage" and "/rest" ("" for none).
func cutSegment(p string) (seg, rest string) {
	p = strings.TrimPrefix(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return route.Unescape(p[:i]), p[i:]
	}
	return route.Unescape(p), ""
}

// hostOnly strips a port from host:port or [v6]:port.
func hostOnly(hp string) string {
	if strings.HasPrefix(hp, "[") {
		if i := strings.IndexByte(hp, ']'); i > 0 {
			return hp[1:i]
		}
		return hp
	}
	if i := strings.LastIndexByte(hp, ':'); i >= 0 && strings.IndexByte(hp, ':') == i {
		return hp[:i]
	}
	return hp
}

// newIDs returns a request id (a random UUID), an extended request id (AWS's 16-character
// base64 form, as in x-amz-apigw-id: "LnrGXFhQoAMEVjA=") and a trace id
// "Root=1-{8 hex epoch seconds}-{24 hex}", sharing one allocation.
func newIDs(now time.Time) (requestID, extendedID, traceID string) {
	const hex = "0123456789abcdef"
	var b [36 + 16 + 40]byte
	a, c := rand.Uint64(), rand.Uint64()
	// UUID version 4, variant 10.
	a = a&^(0xf<<12) | 4<<12
	c = c&^(0x3<<62) | 2<<62
	var u [16]byte
	for i := range 8 {
		u[i] = byte(a >> (56 - 8*i))
		u[8+i] = byte(c >> (56 - 8*i))
	}
	j := 0
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hex[x>>4], hex[x&0xf]
		j += 2
	}
	var e [11]byte
	d := rand.Uint64()
	for i := range 8 {
		e[i] = byte(d >> (8 * i))
	}
	e[8], e[9], e[10] = u[3]^u[12], u[5]^u[13], u[7]^u[14]
	base64.StdEncoding.Encode(b[36:52], e[:])
	j = 52
	j += copy(b[j:], "Root=1-")
	secs := uint32(now.Unix())
	for i := 7; i >= 0; i-- {
		b[j+i] = hex[secs&0xf]
		secs >>= 4
	}
	j += 8
	b[j] = '-'
	j++
	t1, t2 := rand.Uint64(), rand.Uint32()
	for i := 15; i >= 0; i-- {
		b[j+i] = hex[t1&0xf]
		t1 >>= 4
	}
	j += 16
	for i := 7; i >= 0; i-- {
		b[j+i] = hex[t2&0xf]
		t2 >>= 4
	}
	s := string(b[:])
	return s[:36], s[36:52], s[52:]
}

// standardHeaders adds what every gateway answer carries, in AWS's casing, and
// X-Amzn-Trace-Id when trace is set: AWS sends the trace with the answers of HTTP, AWS and
// Lambda integrations (Invocation.AnswerTrace), not with MOCK and HTTP_PROXY answers nor
// gateway responses (recorded: LocalStack's test_invocation_trace_id and
// TestApiGatewayHeaderRemapping). vals has room for one more value (Content-Length), to
// share its one allocation.
func standardHeaders(h http.Header, inv *invoke.Invocation, trace bool) (vals []string) {
	vals = make([]string, 4)
	vals[0], vals[1], vals[2] = inv.RequestID, inv.ExtendedRequestID, inv.TraceID
	h["x-amzn-RequestId"] = vals[0:1:1]
	h["x-amz-apigw-id"] = vals[1:2:2]
	if trace {
		h["X-Amzn-Trace-Id"] = vals[2:3:3]
	}
	return vals[3:4:4]
}

// writeResponse sends a pipeline's answer.
func (s *Server) writeResponse(w http.ResponseWriter, inv *invoke.Invocation, resp *invoke.Response) {
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	cl := standardHeaders(h, inv, inv.AnswerTrace)
	if resp.Stream == nil {
		cl[0] = strconv.Itoa(len(resp.Body))
		h["Content-Length"] = cl
		w.WriteHeader(resp.StatusCode)
		if len(resp.Body) > 0 && inv.HTTPMethod != http.MethodHead {
			_, _ = w.Write(resp.Body)
		}
		return
	}
	defer resp.Stream.Close()
	if resp.ContentLength >= 0 {
		cl[0] = strconv.FormatInt(resp.ContentLength, 10)
		h["Content-Length"] = cl
	}
	w.WriteHeader(resp.StatusCode)
	bp := s.bufPool.Get().(*[]byte)
	defer s.bufPool.Put(bp)
	buf := *bp
	for {
		n, err := resp.Stream.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return // the client went away
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			// The status is gone: all that is left is to end the connection without
			// completing the answer (no last chunk, fewer bytes than its Content-Length),
			// so that the client sees it cut short, as nginx cuts it. ErrAbortHandler is
			// how a handler asks h1server (and net/http) for that, silently.
			s.log.Warn("stream integration response", "requestId", inv.RequestID, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
}
