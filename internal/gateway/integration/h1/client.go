// Package h1 is the HTTP/1.1 client integrations call their backends with: synchronous (the
// request is written and the response read on the caller's goroutine, with no helper
// goroutines), over a LIFO pool of keep-alive connections per backend host:port, with
// pooled buffers. It replaces net/http.Transport on the data plane's hot path, where the
// Transport's per-request goroutine hand-offs, idle-connection peeks and bookkeeping cost
// about 40% of the CPU of a proxied request (docs/performance.md).
//
// It speaks HTTP/1.1 only (API Gateway talks HTTP/1.1 to backends): no HTTP/2, proxies,
// compression, cookies or redirects.
package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures a Client. Zero values mean the defaults in parentheses.
type Options struct {
	DialTimeout         time.Duration // bounds a TCP connect (10s)
	KeepAlive           time.Duration // TCP keep-alive probe period (30s)
	TLSHandshakeTimeout time.Duration // bounds a TLS handshake (10s)
	IdleTimeout         time.Duration // an idle connection older than this is closed (90s)
	MaxIdlePerHost      int           // idle connections kept per host:port (1024)
	BufferSize          int           // bytes of each pooled reader and writer (16 KiB)
	// TLSConfig is the base configuration for https backends; ServerName is set to the
	// backend's host when empty. Nil means crypto/tls's defaults.
	TLSConfig *tls.Config
}

// Client sends HTTP/1.1 requests. It is safe for concurrent use.
type Client struct {
	dialer         net.Dialer
	tlsConfig      *tls.Config
	handshake      time.Duration
	idleTimeout    time.Duration
	maxIdlePerHost int

	mu    sync.RWMutex
	hosts map[hostKey]*host

	bufs sync.Pool // *buffers
}

var _ http.RoundTripper = (*Client)(nil)

// New returns a Client.
func New(o Options) *Client {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.DialTimeout, 10*time.Second)
	def(&o.KeepAlive, 30*time.Second)
	def(&o.TLSHandshakeTimeout, 10*time.Second)
	def(&o.IdleTimeout, 90*time.Second)
	if o.MaxIdlePerHost <= 0 {
		o.MaxIdlePerHost = 1024
	}
	if o.BufferSize <= 0 {
		o.BufferSize = 16 << 10
	}
	c := &Client{
		dialer:         net.Dialer{Timeout: o.DialTimeout, KeepAlive: o.KeepAlive},
		tlsConfig:      o.TLSConfig,
		handshake:      o.TLSHandshakeTimeout,
		idleTimeout:    o.IdleTimeout,
		maxIdlePerHost: o.MaxIdlePerHost,
		hosts:          map[hostKey]*host{},
	}
	size := o.BufferSize
	c.bufs.New = func() any {
		return &buffers{br: bufio.NewReaderSize(nil, size), bw: bufio.NewWriterSize(nil, size)}
	}
	return c
}

// Request is one request as Send writes it.
type Request struct {
	Method string
	Scheme string // "http" or "https"
	// Host is the backend's host[:port]: where to connect (port 80 or 443 when absent) and
	// the Host header unless HostHeader is set.
	Host       string
	HostHeader string
	// Target is the request-target as sent on the request line: "/path?query".
	Target string
	// Header is sent as is, in map order. Host, Content-Length and Transfer-Encoding
	// entries are ignored.
	Header http.Header
	// Body is sent with its Content-Length. POST, PUT and PATCH without one say
	// Content-Length: 0.
	Body []byte
	// Deadline bounds the whole exchange, the response body included: past it, the call or
	// the body's Read fails with an error that matches context.DeadlineExceeded. Zero
	// means none beyond the context's.
	Deadline time.Time
	// Close asks for the connection to be closed after this exchange.
	Close bool

	// RoundTrip's body, when not Body: streamLen < 0 is sent chunked. getBody, when
	// set, makes a fresh copy for a retry.
	stream    io.Reader
	streamLen int64
	getBody   func() (io.ReadCloser, error)
}

func (r *Request) replayable() bool { return r.stream == nil || r.getBody != nil }

// idempotent reports whether sending r twice is harmless, by net/http's rule: GET, HEAD,
// OPTIONS and TRACE, or a request that carries an idempotency key. Only such a request is
// sent again after it was written on a connection that then failed: for any other, the
// backend may have acted on it.
func (r *Request) idempotent() bool {
	switch r.Method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return r.Header.Get("Idempotency-Key") != "" || r.Header.Get("X-Idempotency-Key") != ""
}

// Send sends r and reads the response head. The response's Body must be read to EOF or
// closed; at EOF its connection goes back to the pool, closing it early drops the
// connection. Read and Close of the body must not be called concurrently.
//
// ctx's cancellation aborts the exchange (closing its connection); its deadline, when
// earlier than r.Deadline, bounds it. An idle connection is reused only when a check that
// does not block finds it open with nothing to read. A reused connection that fails before
// any byte of the response arrives (the backend closed it meanwhile) is replaced by a new
// one, once, when r is replayable and either nothing of it was written or it is idempotent.
func (c *Client) Send(ctx context.Context, r *Request) (*http.Response, error) {
	deadline := r.Deadline
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	h, err := c.host(r.Scheme, r.Host)
	if err != nil {
		return nil, err
	}
	var retryBody io.ReadCloser
	defer func() {
		if retryBody != nil {
			retryBody.Close()
		}
	}()
	cn := h.getIdle()
	for cn != nil && !cn.alive() {
		// An idle connection is used only when it is still open and silent: one the
		// backend closed would fail a request that may not be sent twice after the write,
		// and bytes that arrived unasked (a body after a 204 or a HEAD answer) would pass
		// for this request's response. net/http's Transport and nginx watch idle
		// connections the same way. The next idle one gets the same check.
		cn.nc.Close()
		cn = h.getIdle()
	}
	for retried := false; ; retried = true {
		if cn == nil {
			if cn, err = h.dial(ctx, deadline); err != nil {
				return nil, wrap(ctx, deadline, "dial "+h.addr, err)
			}
		}
		resp, retry, err := cn.roundTrip(ctx, r, deadline)
		if err == nil {
			return resp, nil
		}
		if retried || !retry || !r.replayable() || ctx.Err() != nil || expired(deadline) {
			return nil, wrap(ctx, deadline, r.Method+" "+h.addr, err)
		}
		if r.getBody != nil {
			b, gerr := r.getBody()
			if gerr != nil {
				return nil, wrap(ctx, deadline, r.Method+" "+h.addr, err)
			}
			r.stream, retryBody = b, b
		}
		cn = nil
	}
}

// RoundTrip implements http.RoundTripper over Send: the request's context cancels it and
// its deadline bounds it.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	u := req.URL
	if u == nil || u.Host == "" {
		return nil, errors.New("h1: no Host in request URL")
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	r := &Request{
		Method:     method,
		Scheme:     u.Scheme,
		Host:       u.Host,
		HostHeader: req.Host,
		Target:     u.RequestURI(),
		Header:     req.Header,
		Close:      req.Close || containsToken(req.Header["Connection"], "close"),
	}
	if req.Body != nil && req.Body != http.NoBody {
		r.stream, r.streamLen, r.getBody = req.Body, req.ContentLength, req.GetBody
		if r.streamLen == 0 { // unknown, as net/http reads it
			r.streamLen = -1
		}
	}
	resp, err := c.Send(req.Context(), r)
	if err != nil {
		return nil, err
	}
	resp.Request = req
	return resp, nil
}

// CloseIdleConnections closes the connections in the idle pools; those in use are not
// affected.
func (c *Client) CloseIdleConnections() {
	c.mu.RLock()
	hosts := make([]*host, 0, len(c.hosts))
	for _, h := range c.hosts {
		hosts = append(hosts, h)
	}
	c.mu.RUnlock()
	for _, h := range hosts {
		h.mu.Lock()
		idle := h.idle
		h.idle = nil
		h.mu.Unlock()
		for _, cn := range idle {
			cn.nc.Close()
		}
	}
}

// hostKey names a pool: connections to one host:port, with or without TLS.
type hostKey struct {
	tls      bool
	hostport string
}

// host is one backend's pool of idle connections, most recently used last.
type host struct {
	c         *Client
	addr      string      // host:port to dial
	tlsConfig *tls.Config // nil for http

	mu       sync.Mutex
	idle     []*conn
	timer    *time.Timer // prunes idle connections past the idle timeout
	timerSet bool
}

func (c *Client) host(scheme, hostport string) (*host, error) {
	var k hostKey
	switch scheme {
	case "http":
	case "https":
		k.tls = true
	default:
		return nil, fmt.Errorf("h1: unsupported scheme %q", scheme)
	}
	k.hostport = hostport
	c.mu.RLock()
	h := c.hosts[k]
	c.mu.RUnlock()
	if h != nil {
		return h, nil
	}

	if hostport == "" || hasCTL(hostport) || strings.ContainsAny(hostport, " /?#@") {
		return nil, fmt.Errorf("h1: invalid host %q", hostport)
	}
	name, port, err := net.SplitHostPort(hostport)
	if err != nil { // no port
		name, port = hostport, ""
		if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
			name = name[1 : len(name)-1]
		}
	}
	if port == "" {
		port = "80"
		if k.tls {
			port = "443"
		}
	}
	if name == "" {
		return nil, fmt.Errorf("h1: invalid host %q", hostport)
	}
	h = &host{c: c, addr: net.JoinHostPort(name, port)}
	if k.tls {
		if c.tlsConfig != nil {
			h.tlsConfig = c.tlsConfig.Clone()
		} else {
			h.tlsConfig = &tls.Config{}
		}
		if h.tlsConfig.ServerName == "" {
			h.tlsConfig.ServerName = name
		}
		h.tlsConfig.NextProtos = []string{"http/1.1"}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if prior := c.hosts[k]; prior != nil {
		return prior, nil
	}
	c.hosts[k] = h
	return h, nil
}

// getIdle takes the most recently used idle connection, or returns nil. When that one has
// been idle too long, so have all the others: they are all closed.
func (h *host) getIdle() *conn {
	h.mu.Lock()
	n := len(h.idle)
	if n == 0 {
		h.mu.Unlock()
		return nil
	}
	cn := h.idle[n-1]
	if time.Since(cn.idleSince) < h.c.idleTimeout {
		h.idle[n-1] = nil
		h.idle = h.idle[:n-1]
		h.mu.Unlock()
		return cn
	}
	stale := h.idle
	h.idle = nil
	h.mu.Unlock()
	for _, cn := range stale {
		cn.nc.Close()
	}
	return nil
}

// put returns a connection to the idle pool, or closes it when the pool is full.
func (h *host) put(cn *conn) {
	cn.reused = true
	cn.idleSince = time.Now()
	h.mu.Lock()
	if len(h.idle) >= h.c.maxIdlePerHost {
		h.mu.Unlock()
		cn.nc.Close()
		return
	}
	h.idle = append(h.idle, cn)
	if !h.timerSet {
		h.timerSet = true
		if h.timer == nil {
			h.timer = time.AfterFunc(h.c.idleTimeout, h.prune)
		} else {
			h.timer.Reset(h.c.idleTimeout)
		}
	}
	h.mu.Unlock()
}

// prune closes the connections idle for longer than the idle timeout (the oldest are
// first in h.idle) and re-arms its timer for the next one to expire.
func (h *host) prune() {
	now := time.Now()
	h.mu.Lock()
	k := 0
	for k < len(h.idle) && now.Sub(h.idle[k].idleSince) >= h.c.idleTimeout {
		k++
	}
	stale := make([]*conn, k)
	copy(stale, h.idle[:k])
	n := copy(h.idle, h.idle[k:])
	clear(h.idle[n:])
	h.idle = h.idle[:n]
	if n > 0 {
		h.timer.Reset(h.idle[0].idleSince.Add(h.c.idleTimeout).Sub(now))
	} else {
		h.timerSet = false
	}
	h.mu.Unlock()
	for _, cn := range stale {
		cn.nc.Close()
	}
}

// dial opens a new connection, bounded by the dial timeout, the deadline and ctx.
func (h *host) dial(ctx context.Context, deadline time.Time) (*conn, error) {
	d := h.c.dialer
	if !deadline.IsZero() {
		d.Deadline = deadline
	}
	nc, err := d.DialContext(ctx, "tcp", h.addr)
	if err != nil {
		return nil, err
	}
	raw := nc
	if h.tlsConfig != nil {
		hd := time.Now().Add(h.c.handshake)
		if !deadline.IsZero() && deadline.Before(hd) {
			hd = deadline
		}
		tc := tls.Client(nc, h.tlsConfig)
		if err := nc.SetDeadline(hd); err != nil {
			nc.Close()
			return nil, err
		}
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		if err := nc.SetDeadline(time.Time{}); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	cn := &conn{h: h, nc: nc, peek: newPeeker(raw)}
	cn.abort = func() { cn.nc.Close() }
	return cn, nil
}

// alive reports whether an idle connection is still open and silent: a peek that must not
// block finds nothing to read, rather than the end of the stream or bytes. It looks at the
// TCP connection under a TLS one, and gives up on a connection that has anything to say (a
// close_notify, stray bytes), which a request could not use anyway. One non-blocking
// receive system call, no allocation.
func (cn *conn) alive() bool { return cn.peek.idle() }

// conn is one backend connection, used by one request at a time.
type conn struct {
	h         *host
	nc        net.Conn
	peek      peeker // looks at the TCP connection under nc (nc itself without TLS)
	abort     func() // closes nc: what a cancelled context does
	reused    bool   // it served a request before (and so may have been closed while idle)
	deadline  time.Time
	idleSince time.Time
}

// buffers are what a connection needs while in use, pooled across connections.
type buffers struct {
	br *bufio.Reader
	bw *bufio.Writer
	hb headBuf
}

// roundTrip writes r and reads the response head on cn. On failure cn is closed, and retry
// reports whether nothing of a response arrived on a reused connection.
func (cn *conn) roundTrip(ctx context.Context, r *Request, deadline time.Time) (_ *http.Response, retry bool, _ error) {
	if !deadline.Equal(cn.deadline) {
		if err := cn.nc.SetDeadline(deadline); err != nil {
			cn.nc.Close()
			return nil, cn.reused, err
		}
		cn.deadline = deadline
	}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, cn.abort)
	}
	b := cn.h.c.bufs.Get().(*buffers)
	b.bw.Reset(cn.nc)
	b.br.Reset(cn.nc)
	fail := func(err error, retry bool) (*http.Response, bool, error) {
		cn.release(stop, b, false)
		return nil, retry, err
	}

	if err := writeRequest(b.bw, r); err != nil {
		var re *requestError
		return fail(err, cn.reused && !errors.As(err, &re))
	}
	if _, err := b.br.Peek(1); err != nil {
		// Written, and nothing came back: only a request that may be sent twice is.
		return fail(err, cn.reused && r.idempotent())
	}
	resp := &response{}
	hd, err := readResponse(b.br, r.Method, &b.hb, &resp.Response)
	if err != nil {
		return fail(answerError(ctx, deadline, "read response head", err), false)
	}
	reuse := !hd.close && !r.Close
	resp.Close = !reuse
	if hd.framing == noBody {
		resp.Body = http.NoBody
		cn.release(stop, b, reuse)
		return &resp.Response, false, nil
	}
	resp.body = body{decoder: newDecoder(b.br, &b.hb, hd), cn: cn, b: b, stop: stop, ctx: ctx, deadline: deadline, reuse: reuse}
	resp.Body = &resp.body
	return &resp.Response, false, nil
}

// release ends cn's exchange: back to the pool when reuse allows and nothing is left
// unread, else closed. Either way the buffers go back to theirs.
func (cn *conn) release(stop func() bool, b *buffers, reuse bool) {
	if stop != nil && !stop() {
		reuse = false // the context's abort ran: cn is closed
	}
	if reuse && b.br.Buffered() > 0 {
		reuse = false // bytes nobody asked for
	}
	b.br.Reset(nil)
	b.bw.Reset(nil)
	cn.h.c.bufs.Put(b)
	if reuse {
		cn.h.put(cn)
	} else {
		cn.nc.Close()
	}
}

// response is a Response and its body in one allocation.
type response struct {
	http.Response
	body body
}

// body is a response body being read from its connection.
type body struct {
	decoder
	cn       *conn // nil once released
	b        *buffers
	stop     func() bool
	ctx      context.Context
	deadline time.Time
	reuse    bool
	err      error // what Read returns once released
}

// Read reads the body; at its end the connection returns to the pool.
func (b *body) Read(p []byte) (int, error) {
	if b.cn == nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := b.decoder.read(p)
	switch {
	case err == nil:
	case err == io.EOF:
		b.err = io.EOF
		b.cn.release(b.stop, b.b, b.reuse)
		b.cn, b.b = nil, nil
	default:
		b.err = answerError(b.ctx, b.deadline, "read response body", err)
		b.cn.release(b.stop, b.b, false)
		b.cn, b.b = nil, nil
		err = b.err
	}
	return n, err
}

// Close ends the body: unless it was read to its end, its connection is closed.
func (b *body) Close() error {
	if b.cn != nil {
		b.cn.release(b.stop, b.b, false)
		b.cn, b.b = nil, nil
		b.err = errClosed
	}
	return nil
}

var errClosed = errors.New("h1: read on closed response body")

// expired reports whether a deadline has passed.
func expired(deadline time.Time) bool {
	return !deadline.IsZero() && !time.Now().Before(deadline)
}

// wrap names a failure: ctx's cancellation or deadline when it is done, a timeoutError
// when the deadline has passed, else the cause.
func wrap(ctx context.Context, deadline time.Time, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("h1: %s: %w (%w)", op, cerr, err)
	}
	if expired(deadline) {
		return &timeoutError{op: op, err: err}
	}
	return fmt.Errorf("h1: %s: %w", op, err)
}

// answerError names a failure reading a response that has begun: the end of ctx or the
// deadline as wrap names them, else a *ProtocolError, since the backend's answer is broken
// (malformed, cut short, reset) and must not pass for a complete one.
func answerError(ctx context.Context, deadline time.Time, op string, err error) error {
	if ctx.Err() != nil || expired(deadline) {
		return wrap(ctx, deadline, op, err)
	}
	if pe := (*ProtocolError)(nil); errors.As(err, &pe) {
		return err
	}
	return &ProtocolError{Msg: op, Err: err}
}

// timeoutError is an exchange cut short by its deadline. It matches
// context.DeadlineExceeded, as net/http's errors do for a context deadline.
type timeoutError struct {
	op  string
	err error
}

func (e *timeoutError) Error() string        { return "h1: " + e.op + ": deadline exceeded: " + e.err.Error() }
func (e *timeoutError) Unwrap() error        { return e.err }
func (e *timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
func (e *timeoutError) Timeout() bool        { return true }
