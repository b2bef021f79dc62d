package h1server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Connection states, for Shutdown: only an idle connection (waiting for a request) may be
// closed under its goroutine.
const (
	stateActive int32 = iota
	stateIdle
	stateClosed
)

const (
	bufSize = 4 << 10
	// maxDrain is how much of a request body the handler left unread is discarded to keep
	// the connection; more closes it (net/http's maxPostHandlerReadBytes).
	maxDrain = 256 << 10
)

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bufSize) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bufSize) }}
)

// conn is one client connection and everything reused across its requests.
type conn struct {
	srv        *Server
	rwc        net.Conn
	remoteAddr string
	state      atomic.Int32

	br *bufio.Reader
	bw *bufio.Writer

	tmpl   http.Request // the connection's context, copied into req for every request
	req    http.Request
	url    url.URL
	header http.Header
	vals   []string // backing for header values, one per field line
	sent   []string // header names as sent, where not canonical: pairs canonical, sent
	body   body
	w      response
	hdrBuf []byte // the header section when it does not fit br; released when idle

	// Deadline renewal (see Read and Write): readRenew is the read deadline's renewal period
	// in the current phase (zero: not renewed, the header and idle phases), readSince and
	// wroteSince the bytes moved since the read and write deadlines were last set.
	readRenew  time.Duration
	readSince  int
	wroteSince int
}

// Read reads from the connection for c.br. In a phase with a renewable deadline (a body) a
// deadline that passes after bytes arrived since it was set is set again and the read
// retried, so that the timeout bounds a stall and not the whole body, without a deadline
// call per read.
func (c *conn) Read(p []byte) (int, error) {
	for {
		n, err := c.rwc.Read(p)
		c.readSince += n
		if err == nil || c.readRenew == 0 || c.readSince == 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		c.armRead(c.readRenew)
		if n > 0 {
			return n, nil
		}
	}
}

// armRead sets a read deadline d from now, renewed on progress (see Read).
func (c *conn) armRead(d time.Duration) {
	c.readRenew, c.readSince = d, 0
	c.rwc.SetReadDeadline(time.Now().Add(d))
}

// armWrite starts a phase of writes (a response, or an informational one before it):
// WriteTimeout, if set, bounds each stall from now (see Write). The caller passes the
// time it read, so that a response reads the clock once for its deadline and its Date.
func (c *conn) armWrite(now time.Time) {
	if d := c.srv.WriteTimeout; d > 0 {
		c.wroteSince = 0
		c.rwc.SetWriteDeadline(now.Add(d))
	}
}

// Write writes to the connection for c.bw, renewing a write deadline that passes after
// bytes were written since it was set (see Server.WriteTimeout).
func (c *conn) Write(p []byte) (int, error) {
	done := 0
	for {
		n, err := c.rwc.Write(p[done:])
		done += n
		c.wroteSince += n
		if err == nil || c.wroteSince == 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return done, err
		}
		d := c.srv.WriteTimeout
		if d <= 0 {
			return done, err
		}
		c.wroteSince = 0
		c.rwc.SetWriteDeadline(time.Now().Add(d))
	}
}

func (s *Server) newConn(rwc net.Conn) *conn {
	c := &conn{srv: s, rwc: rwc, header: make(http.Header, 16)}
	if a := rwc.RemoteAddr(); a != nil {
		c.remoteAddr = a.String()
	}
	c.state.Store(stateIdle)
	return c
}

// serve reads requests and writes responses until the connection ends.
func (c *conn) serve() {
	s := c.srv
	c.setup()
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				s.logf("http: panic serving %v: %v\n%s", c.remoteAddr, p, buf)
			}
		} else if c.w.committed {
			c.bw.Flush()
		}
		c.close()
	}()

	for {
		if !c.readRequest() {
			return
		}
		c.w.reset(&c.req)
		s.Handler.ServeHTTP(&c.w, &c.req)
		keep := c.w.finish()
		c.body.mode = bodyDone
		c.req = http.Request{}
		if !keep || s.inShutdown.Load() {
			return
		}
	}
}

// setup readies a new connection's request template, response and buffers.
func (c *conn) setup() {
	s := c.srv
	ctx := context.WithValue(context.Background(), http.ServerContextKey, s)
	if a := c.rwc.LocalAddr(); a != nil {
		ctx = context.WithValue(ctx, http.LocalAddrContextKey, a)
	}
	ctx = context.WithValue(ctx, sentNamesKey{}, &c.sent) // outermost: found first
	tmpl, _ := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	c.tmpl = *tmpl
	c.tmpl.URL, c.tmpl.Header, c.tmpl.Host = nil, nil, ""
	c.body.c = c
	c.w.c = c
	c.w.header = make(http.Header, 16)

	c.br = readerPool.Get().(*bufio.Reader)
	c.br.Reset(c)
	c.bw = writerPool.Get().(*bufio.Writer)
	c.bw.Reset(c)
}

func (c *conn) close() {
	c.state.Store(stateClosed)
	c.rwc.Close()
	c.srv.trackConn(c, false)
	c.br.Reset(nil)
	readerPool.Put(c.br)
	c.bw.Reset(nil)
	writerPool.Put(c.bw)
	c.br, c.bw = nil, nil
}

// readRequest reads the next request into c.req; false means close the connection (after
// any error response it wrote).
func (c *conn) readRequest() bool {
	s := c.srv
	c.readRenew = 0 // the header and idle deadlines bound the whole phase
	if c.br.Buffered() == 0 {
		// Wait for a request, idle: Shutdown may close the connection meanwhile. An idle
		// connection keeps no large header buffer.
		c.hdrBuf = nil
		if d := s.idleTimeout(); d > 0 {
			c.rwc.SetReadDeadline(time.Now().Add(d))
		}
		c.state.Store(stateIdle)
		if s.inShutdown.Load() {
			return false
		}
		_, err := c.br.Peek(1)
		if !c.state.CompareAndSwap(stateIdle, stateActive) || err != nil {
			return false
		}
	}
	block, err := c.readHeaderBlock()
	if err != nil {
		switch {
		case errors.Is(err, errURITooLong):
			c.writeError(http.StatusRequestURITooLong, "URI Too Long")
		case errors.Is(err, errHeaderTooLarge):
			c.writeError(http.StatusRequestHeaderFieldsTooLarge, "Request Header Fields Too Large")
		case errors.Is(err, errMalformed):
			c.writeError(http.StatusBadRequest, "Bad Request")
		}
		return false // timeouts and I/O errors close silently, as net/http does
	}
	status, msg := c.parseRequest(block)
	if status != 0 {
		c.writeError(status, msg)
		return false
	}
	return true
}

var (
	errURITooLong     = errors.New("request URI too long")
	errHeaderTooLarge = errors.New("request header too large")
	errMalformed      = errors.New("malformed request")
)

// readHeaderBlock reads the request line and header section through the empty line that ends
// them and returns them as one string (the request's strings are substrings of it).
func (c *conn) readHeaderBlock() (string, error) {
	br, limit := c.br, c.srv.maxHeaderBytes()
	var acc []byte // non-nil once the header outgrows br
	scanned := 0
	deadlineSet := false
	for {
		view, _ := br.Peek(br.Buffered())
		if acc != nil {
			acc = append(acc, view...)
			br.Discard(len(view))
			view = acc
		}
		end := -1
		end, scanned = headerEnd(view, scanned)
		if end > limit || end < 0 && len(view) >= limit {
			if bytes.IndexByte(view[:min(len(view), limit)], '\n') < 0 {
				return "", errURITooLong
			}
			return "", errHeaderTooLarge
		}
		if end >= 0 {
			block := string(view[:end])
			if acc != nil {
				c.hdrBuf = acc[:0]
				if rest := acc[end:]; len(rest) > 0 {
					c.unread(rest)
				}
			} else {
				br.Discard(end)
			}
			return block, nil
		}
		if !deadlineSet {
			deadlineSet = true
			if d := c.srv.ReadHeaderTimeout; d > 0 {
				c.rwc.SetReadDeadline(time.Now().Add(d))
			}
		}
		var err error
		if acc == nil && br.Buffered() == br.Size() {
			// The header outgrows the reader: collect it in hdrBuf from here on.
			acc = append(c.hdrBuf[:0], view...)
			br.Discard(len(view))
		}
		if acc != nil {
			_, err = br.Peek(1)
		} else {
			_, err = br.Peek(br.Buffered() + 1)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if err == io.EOF {
				return "", errMalformed // a partial request, as net/http answers it
			}
			return "", err
		}
	}
}

// headerEnd returns the length of the header block in v (through its empty line), or -1,
// scanning from the line end search position from; next is where to resume.
func headerEnd(v []byte, from int) (end, next int) {
	i := from
	for {
		j := bytes.IndexByte(v[i:], '\n')
		if j < 0 {
			return -1, len(v)
		}
		j += i
		if j >= 1 && v[j-1] == '\n' || j >= 2 && v[j-1] == '\r' && v[j-2] == '\n' {
			return j + 1, j + 1
		}
		i = j + 1
	}
}

// unread puts back bytes read past the header section (rare: only when the header did not
// fit the reader) by chaining them before the connection.
func (c *conn) unread(rest []byte) {
	saved := append([]byte(nil), rest...)
	c.br.Reset(io.MultiReader(bytes.NewReader(saved), c))
}

// parseRequest fills c.req from a header block; a non-zero status is the error to answer
// (the connection then closes). The framing rules are RFC 9112's, and never more lenient
// than net/http's server (FuzzDifferential holds them against it, with the cases where we
// are deliberately stricter listed there).
func (c *conn) parseRequest(block string) (int, string) {
	// One empty line before the request-line is ignored (RFC 9112 §2.2); a second one makes
	// an empty request-line, refused below.
	if strings.HasPrefix(block, "\r\n") {
		block = block[2:]
	} else if strings.HasPrefix(block, "\n") {
		block = block[1:]
	}
	line, rest, _ := strings.Cut(block, "\n")
	line = strings.TrimSuffix(line, "\r")
	method, line, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(line, " ")
	if !ok1 || !ok2 || !validToken(method) || target == "" {
		return http.StatusBadRequest, "Bad Request"
	}
	var major, minor int
	switch proto {
	case "HTTP/1.1":
		major, minor = 1, 1
	case "HTTP/1.0":
		major, minor = 1, 0
	default:
		var ok bool
		if major, minor, ok = http.ParseHTTPVersion(proto); !ok {
			return http.StatusBadRequest, "Bad Request"
		}
		if major != 1 {
			return http.StatusHTTPVersionNotSupported, "HTTP Version Not Supported"
		}
	}
	if method == http.MethodConnect {
		// A tunnel is not an API request (API Gateway has no CONNECT method); nginx answers
		// it 405 as well.
		return http.StatusMethodNotAllowed, "Method Not Allowed"
	}

	r := &c.req
	*r = c.tmpl
	r.Method, r.Proto, r.ProtoMajor, r.ProtoMinor = method, proto, major, minor
	r.RequestURI, r.RemoteAddr = target, c.remoteAddr
	if !c.parseTarget(target) {
		return http.StatusBadRequest, "Bad Request"
	}
	r.URL = &c.url

	h := c.header
	clear(h)
	r.Header = h
	vals := c.vals[:0]
	sent := c.sent[:0]
	var host string
	hosts := 0
	var cl, te, conn, expect, trailer string
	cls, tes := 0, 0
	for rest != "" {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		l = strings.TrimSuffix(l, "\r")
		if l == "" {
			break
		}
		// A line beginning with white space (obs-fold, or a space before the colon) is not
		// a token: 400, as RFC 9112 §5.2 allows.
		k, v, ok := strings.Cut(l, ":")
		if !ok || !validToken(k) {
			return http.StatusBadRequest, "Bad Request"
		}
		v = strings.Trim(v, " \t")
		if !validValue(v) {
			return http.StatusBadRequest, "Bad Request"
		}
		sentName := k
		k = canonicalKey(k)
		switch k {
		case "Host":
			host, hosts = v, hosts+1
			continue // net/http moves Host to r.Host
		case "Content-Length":
			if cls > 0 {
				if v != cl {
					return http.StatusBadRequest, "Bad Request" // RFC 9112 §6.3 item 5
				}
				continue // the same value again: kept once, as net/http does
			}
			cl, cls = v, cls+1
		case "Transfer-Encoding":
			te, tes = v, tes+1
		case "Connection":
			if conn != "" {
				conn += ","
			}
			conn += v
		case "Expect":
			expect = v
		case "Trailer":
			if trailer != "" {
				trailer += ","
			}
			trailer += v
		}
		if old, ok := h[k]; ok {
			h[k] = append(old, v)
			continue
		}
		vals = append(vals, v)
		n := len(vals)
		h[k] = vals[n-1 : n : n]
		if sentName != k {
			sent = append(sent, k, sentName) // the first spelling of each name
		}
	}
	c.vals = vals
	c.sent = sent

	// RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host field is a 400, also in
	// absolute-form (whose authority then wins, §3.2.2), as net/http.
	if hosts > 1 || (hosts == 0 && minor >= 1) || !validHost(host) {
		return http.StatusBadRequest, "Bad Request"
	}
	r.Host = host
	if r.URL.Host != "" {
		r.Host = r.URL.Host
	}

	// Keep-alive: HTTP/1.1 unless "close"; HTTP/1.0 only when asked, and not with "close".
	r.Close = hasToken(conn, "close") || minor == 0 && !hasToken(conn, "keep-alive")

	// Body framing (RFC 9112 §6).
	c.body.reset()
	switch {
	case tes > 0:
		switch {
		case minor == 0:
			// HTTP/1.0 has no transfer codings: a sender that uses one disagrees with
			// whoever frames the message by Content-Length (RFC 9112 §6.1: faulty
			// framing, close). nginx answers 400; net/http ignores the header, which lets
			// the chunks' content run as another request.
			return http.StatusBadRequest, "Bad Request"
		case cls > 0:
			// Both framings: a smuggling attempt, or a proxy that mixed them (RFC 9112
			// §6.1 "ought to be handled as an error"; §6.3 closes after it at least).
			// nginx (since 1.21.1) answers 400 as well.
			return http.StatusBadRequest, "Bad Request"
		case tes > 1 || !strings.EqualFold(te, "chunked"):
			// Only one field, exactly "chunked" (as net/http and nginx): an empty,
			// unknown or stacked coding ("gzip, chunked", "chunked, chunked",
			// "identity") has no framing we implement (RFC 9112 §6.1: 501).
			return http.StatusNotImplemented, "Unsupported transfer encoding"
		case trailer != "" && (hasToken(trailer, "Transfer-Encoding") || hasToken(trailer, "Content-Length") || hasToken(trailer, "Trailer")):
			// Framing fields announced as trailers (RFC 9110 §6.5.1), as net/http.
			return http.StatusBadRequest, "Bad Request"
		}
		delete(h, "Transfer-Encoding") // in r.TransferEncoding, as net/http
		r.TransferEncoding = chunkedTE
		r.ContentLength = -1
		c.body.mode = bodyChunked
	case cls > 0:
		n, err := strconv.ParseUint(cl, 10, 63)
		if err != nil || cl[0] == '+' {
			return http.StatusBadRequest, "Bad Request"
		}
		r.ContentLength = int64(n)
		c.body.remaining = int64(n)
		if n > 0 {
			c.body.mode = bodyLength
		}
	}
	if c.body.mode == bodyNone {
		r.Body = http.NoBody
	} else {
		r.Body = &c.body
		// The body phase: ReadBodyTimeout bounds each stall, from the first Read (see
		// body.Read and conn.Read); without it, no deadline, as net/http without
		// ReadTimeout.
		if c.srv.ReadBodyTimeout <= 0 {
			c.rwc.SetReadDeadline(time.Time{})
		}
	}
	if expect != "" {
		if !strings.EqualFold(expect, "100-continue") {
			return http.StatusExpectationFailed, "Expectation Failed"
		}
		c.body.wantContinue = minor >= 1 && c.body.mode != bodyNone
	}
	return 0, ""
}

var chunkedTE = []string{"chunked"}

// parseTarget sets c.url from the request target; origin-form paths made of characters
// url.URL would not escape take a path without allocating. It refuses what RFC 9112 §3.2
// does not allow in a request-target and nginx refuses: control bytes anywhere (a NUL
// would otherwise reach a handler and the headers it writes), a fragment, and a path
// that decodes to a NUL (%00).
func (c *conn) parseTarget(target string) bool {
	path, query, hasQuery := strings.Cut(target, "?")
	if len(path) > 0 && path[0] == '/' && plainPath(path) {
		if !validQuery(query) {
			return false
		}
		c.url = url.URL{Path: path, RawQuery: query, ForceQuery: hasQuery && query == ""}
		return true
	}
	if target == "*" {
		c.url = url.URL{Path: "*"}
		return true
	}
	if strings.IndexByte(target, '#') >= 0 {
		return false
	}
	u, err := url.ParseRequestURI(target) // refuses control bytes
	if err != nil || strings.IndexByte(u.Path, 0) >= 0 {
		return false
	}
	c.url = *u
	return true
}

// validQuery reports whether q has no control byte and no '#'.
func validQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		if b := q[i]; b < ' ' || b == 0x7f || b == '#' {
			return false
		}
	}
	return true
}

// plainPath reports whether p has only bytes url.URL keeps unescaped in a path, so that
// Path = p and RawPath = "".
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		if !pathByte[p[i]] {
			return false
		}
	}
	return true
}

var pathByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-_.~$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

var tokenByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte[s[i]] {
			return false
		}
	}
	return true
}

// validValue rejects control bytes other than horizontal tab.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// validHost allows the bytes net/http allows in a Host header.
func validHost(s string) bool {
	for i := 0; i < len(s); i++ {
		if !hostByte[s[i]] {
			return false
		}
	}
	return true
}

var hostByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!$%&'()*+,-.:;=[]_~" {
		t[c] = true
	}
	return t
}()

// canonicalKey is textproto.CanonicalMIMEHeaderKey for a token, without allocating when the
// key is canonical already.
func canonicalKey(k string) string {
	upper := true
	for i := 0; i < len(k); i++ {
		b := k[i]
		if upper && 'a' <= b && b <= 'z' || !upper && 'A' <= b && b <= 'Z' {
			return canonicalSlow(k)
		}
		upper = b == '-'
	}
	return k
}

func canonicalSlow(k string) string {
	buf := []byte(k)
	upper := true
	for i, b := range buf {
		if upper && 'a' <= b && b <= 'z' {
			buf[i] = b - ('a' - 'A')
		} else if !upper && 'A' <= b && b <= 'Z' {
			buf[i] = b + ('a' - 'A')
		}
		upper = b == '-'
	}
	return string(buf)
}

// hasToken reports whether the comma-separated list v holds token, case-insensitively.
func hasToken(v, token string) bool {
	for v != "" {
		var t string
		t, v, _ = strings.Cut(v, ",")
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// writeError answers a request that could not be read, and the connection closes.
func (c *conn) writeError(status int, msg string) {
	body := strconv.Itoa(status) + " " + msg
	fmt.Fprintf(c.bw, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", status, http.StatusText(status), len(body), body)
	// Its own second: bytes written for an earlier response on the connection must not
	// make Write renew this deadline by WriteTimeout.
	c.wroteSince = 0
	c.rwc.SetWriteDeadline(time.Now().Add(time.Second))
	c.bw.Flush()
}
