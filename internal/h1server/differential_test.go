package h1server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzDifferential feeds the same bytes to h1server's request parser and to net/http's
// (http.ReadRequest plus the checks net/http's Server adds: a Host for HTTP/1.1, valid
// header names and values, HTTP/1.x, Expect) and fails when they frame the first message
// differently: method, target, version, Host, header fields, body length and bytes, where
// the next message starts, and whether the connection may be kept. h1server accepting what
// net/http refuses always fails; h1server refusing what net/http accepts fails unless it
// is one of the deliberate strictnesses in stricterThanNetHTTP.
func FuzzDifferential(f *testing.F) {
	for _, ex := range exchanges {
		f.Add([]byte(ex.send))
	}
	for _, ex := range framingExchanges {
		if len(ex.send) < 4<<10 {
			f.Add([]byte(ex.send))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		differential(t, data)
	})
}

// FuzzDifferentialChunked is FuzzDifferential on the bytes after a chunked request's
// header: the chunked decoder (chunk sizes, extensions, data CRLFs, trailers).
func FuzzDifferentialChunked(f *testing.F) {
	for _, b := range []string{
		"0\r\n\r\n", "3\r\nabc\r\n0\r\n\r\n", "3;a=b\r\nabc\r\n0\r\nX: y\r\n\r\n",
		"A\r\n0123456789\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", "3 \r\nabc\r\n0\r\n\r\n",
		"3\nabc\r\n0\r\n\r\n", "3\r\nabc\n0\r\n\r\n", "0000000000000003\r\nabc\r\n0\r\n\r\n", "41\r\n" + strings.Repeat("x", 65) + "\r\n0\r\n\r\n",
		"1;" + strings.Repeat("e", 100) + "\r\nx\r\n0\r\n\r\n", "0\r\n\n", "0\r\nX: a\r\n b\r\n\r\n", "fffffffffffffffff\r\n",
	} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, append([]byte("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), body...))
	})
}

// fuzzMaxChunk is the fuzz server's MaxChunkSize: small, so that the fuzzer reaches it.
const fuzzMaxChunk = 64

// message is how a parser framed the first request of some bytes.
type message struct {
	method, uri, proto string
	major, minor       int
	host               string
	path, rawQuery     string
	escapedPath        string
	header             http.Header
	contentLength      int64
	te                 []string
	body               []byte
	keep               bool   // the connection may be kept after it
	rest               []byte // what follows the message
}

func differential(t *testing.T, data []byte) {
	// A parser that hangs on some input is a finding too: the fuzzer does not report it.
	watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("parsing hangs on %q", data)) })
	defer watchdog.Stop()
	h, hok := parseH1(data)
	n, nok := parseNetHTTP(data)
	if hok && !nok && (bytes.HasPrefix(data, []byte("\r\n")) || bytes.HasPrefix(data, []byte("\n"))) {
		// RFC 9112 §2.2: one empty line before the request-line is ignored; net/http's
		// server ignores such bytes only after a POST, http.ReadRequest never.
		n, nok = parseNetHTTP(data[1+bytes.IndexByte(data, '\n'):])
	}
	switch {
	case hok && !nok:
		t.Fatalf("h1server accepts what net/http refuses: %q\nh1server: %+v", data, h)
	case !hok && nok:
		if why := stricterThanNetHTTP(data, n); why == "" {
			t.Fatalf("h1server refuses what net/http accepts (not a listed strictness): %q\nnet/http: %+v", data, n)
		}
		return
	case !hok:
		return
	}
	// Both accept: the same message. net/http's Pragma: no-cache quirk (it adds
	// Cache-Control) and its move of Trailer to req.Trailer are not framing.
	if _, ok := h.header["Cache-Control"]; !ok && n.header.Get("Cache-Control") == "no-cache" && len(h.header["Pragma"]) > 0 && h.header["Pragma"][0] == "no-cache" {
		delete(n.header, "Cache-Control")
	}
	if len(h.te) > 0 {
		delete(h.header, "Trailer")
	}
	if h.keep && !n.keep {
		t.Fatalf("h1server keeps the connection where net/http closes it: %q", data)
	}
	if !h.keep {
		h.rest, n.rest = nil, nil // what follows a closing message is never read
	}
	n.keep = h.keep // h1server may close where net/http keeps (e.g. after a 408)
	if len(h.header) == 0 && len(n.header) == 0 {
		h.header, n.header = nil, nil
	}
	if !reflect.DeepEqual(h, n) {
		t.Fatalf("framed differently: %q\nh1server: %+v\nnet/http: %+v", data, h, n)
	}
}

// stricterThanNetHTTP names the deliberate strictness under which h1server refuses a
// message net/http accepts, or "" if none applies.
func stricterThanNetHTTP(data []byte, n message) string {
	raw := rawHeader(data)
	chunked := len(n.te) > 0
	switch {
	case len(raw["Transfer-Encoding"]) > 0 && n.minor == 0:
		return "Transfer-Encoding on HTTP/1.0: faulty framing (RFC 9112 §6.1; nginx 400; net/http ignores it)"
	case len(raw["Transfer-Encoding"]) > 0 && len(raw["Content-Length"]) > 0:
		return "Transfer-Encoding with Content-Length (RFC 9112 §6.1 'ought to be handled as an error'; nginx 400; net/http drops Content-Length)"
	case strings.Contains(n.uri, "#"):
		return "a fragment in the request-target (RFC 9112 §3.2 has none; net/http puts it in the path)"
	case strings.Contains(n.path, "\x00"):
		return "a path that decodes to NUL (%00; nginx 400)"
	case n.method == http.MethodConnect:
		return "CONNECT (no tunnels; nginx 405)"
	case hasObsFold(data):
		return "obs-fold (RFC 9112 §5.2 lets a server refuse it with 400; net/http unfolds it)"
	case chunked && hasBareLF(chunkedSection(data, n)):
		return "a bare LF in the chunked framing (RFC 9112 §7.1 lines end with CRLF; net/http refuses it in chunk lines, but its trailer reader takes one)"
	case chunked && badTrailerField(chunkedSection(data, n)):
		return "a trailer line that is not a valid field line (net/http's trailer reader is textproto's, laxer than its header checks)"
	case chunked && len(n.body) > fuzzMaxChunk:
		return "a chunk larger than Server.MaxChunkSize (refused at once)"
	case n.header.Get("Expect") != "" && !strings.EqualFold(n.header.Get("Expect"), "100-continue"):
		return "an Expect list holding 100-continue with more (net/http looks for the token; we take only the exact value, as nginx)"
	}
	return ""
}

// chunkedSection is the part of data net/http read as the chunked body: from the end of
// the header section to what it left.
func chunkedSection(data []byte, n message) []byte {
	end, _ := headerEnd(data, 0)
	if end < 0 || end > len(data)-len(n.rest) {
		return nil
	}
	return data[end : len(data)-len(n.rest)]
}

// badTrailerField walks the chunks of a chunked body net/http accepted and reports
// whether a line of its trailer section is not a valid field line.
func badTrailerField(sec []byte) bool {
	for {
		i := bytes.IndexByte(sec, '\n')
		if i < 0 {
			return false
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(sec[:i], "\r \t"), []byte(";"))
		sec = sec[i+1:]
		var n uint64
		for _, c := range size {
			switch {
			case '0' <= c && c <= '9':
				c -= '0'
			case 'a' <= c && c <= 'f':
				c -= 'a' - 10
			case 'A' <= c && c <= 'F':
				c -= 'A' - 10
			}
			n = n<<4 | uint64(c)
		}
		if n == 0 {
			for len(sec) > 0 {
				var line []byte
				line, sec, _ = bytes.Cut(sec, []byte("\n"))
				line = bytes.TrimSuffix(line, []byte("\r"))
				if len(line) == 0 {
					return false
				}
				if !validField(line) {
					return true
				}
			}
			return false
		}
		if n+2 > uint64(len(sec)) {
			return false
		}
		sec = sec[n+2:]
	}
}

// hasBareLF reports whether b has a LF not preceded by CR.
func hasBareLF(b []byte) bool {
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			return true
		}
	}
	return false
}

// hasObsFold reports whether a field line of data's header section or trailer section
// begins with white space.
func hasObsFold(data []byte) bool {
	return bytes.Contains(data, []byte("\n ")) || bytes.Contains(data, []byte("\n\t"))
}

// rawHeader is data's header section as textproto reads it, before net/http's framing
// edits (it drops Transfer-Encoding and Content-Length); nil if it does not parse.
func rawHeader(data []byte) textproto.MIMEHeader {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	if _, err := tp.ReadLine(); err != nil {
		return nil
	}
	h, _ := tp.ReadMIMEHeader()
	return h
}

// parseH1 runs h1server's parser and body reader on data, without a socket.
func parseH1(data []byte) (message, bool) {
	s := &Server{MaxHeaderBytes: 64 << 10, MaxChunkSize: fuzzMaxChunk}
	bc := &byteConn{r: bytes.NewReader(data)}
	c := s.newConn(bc)
	c.setup()
	defer c.close()
	if !c.readRequest() {
		return message{}, false
	}
	r := &c.req
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return message{}, false
	}
	rest, _ := io.ReadAll(c.br)
	m := message{method: r.Method, uri: r.RequestURI, proto: r.Proto, major: r.ProtoMajor, minor: r.ProtoMinor, host: r.Host,
		path: r.URL.Path, rawQuery: r.URL.RawQuery, escapedPath: r.URL.EscapedPath(), header: r.Header.Clone(),
		contentLength: r.ContentLength, te: r.TransferEncoding, body: body, keep: !r.Close, rest: rest}
	return m, true
}

// parseNetHTTP runs net/http's parser on data, with its server's checks.
func parseNetHTTP(data []byte) (message, bool) {
	br := bufio.NewReader(bytes.NewReader(data))
	r, err := http.ReadRequest(br)
	if err != nil || r.ProtoMajor != 1 {
		return message{}, false
	}
	// net/http's conn.readRequest and serve. Its golang.org/x/net/http/httpguts checks
	// are the same tables as h1server's validHost, validToken and validValue (the bytes
	// of RFC 3986 reg-name/IP-literal, RFC 9110 tchar, and no CTL but HTAB), so those are
	// used here rather than a new module.
	hosts, haveHost := rawHeader(data)["Host"] // http.ReadRequest drops it from r.Header
	if r.ProtoAtLeast(1, 1) && (!haveHost || len(hosts) == 0) && r.Method != "CONNECT" {
		return message{}, false
	}
	if len(hosts) == 1 && !validHost(hosts[0]) {
		return message{}, false
	}
	for k, vv := range r.Header {
		if !validToken(k) {
			return message{}, false
		}
		for _, v := range vv {
			if !validValue(v) {
				return message{}, false
			}
		}
	}
	if e := r.Header.Get("Expect"); e != "" && !hasToken(strings.Join(r.Header["Expect"], ","), "100-continue") {
		return message{}, false // 417
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return message{}, false
	}
	rest, _ := io.ReadAll(br)
	te := r.TransferEncoding
	if len(te) == 0 {
		te = nil
	}
	m := message{method: r.Method, uri: r.RequestURI, proto: r.Proto, major: r.ProtoMajor, minor: r.ProtoMinor, host: r.Host,
		path: r.URL.Path, rawQuery: r.URL.RawQuery, escapedPath: r.URL.EscapedPath(), header: r.Header,
		contentLength: r.ContentLength, te: te, body: body, keep: !r.Close, rest: rest}
	return m, true
}

// byteConn is a net.Conn reading from bytes and discarding writes: the parser's input
// without a socket.
type byteConn struct {
	r *bytes.Reader
}

func (c *byteConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *byteConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *byteConn) Close() error                     { return nil }
func (c *byteConn) LocalAddr() net.Addr              { return fakeAddr{} }
func (c *byteConn) RemoteAddr() net.Addr             { return fakeAddr{} }
func (c *byteConn) SetDeadline(time.Time) error      { return nil }
func (c *byteConn) SetReadDeadline(time.Time) error  { return nil }
func (c *byteConn) SetWriteDeadline(time.Time) error { return nil }

type fakeAddr struct{}

func (fakeAddr) Network() string { return "tcp" }
func (fakeAddr) String() string  { return "192.0.2.1:1234" }
