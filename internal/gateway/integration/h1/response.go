package h1

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
)

// MaxHeaderBytes bounds a response head (status line and header fields, with their line
// ends) and, separately, a chunked body's trailer section, in bytes.
const MaxHeaderBytes = 64 << 10

// max1xx bounds the informational responses skipped before the final one, as net/http does.
const max1xx = 5

var (
	errHeaderTooLarge = &ProtocolError{Msg: fmt.Sprintf("response header exceeds %d bytes", MaxHeaderBytes)}
	errSwitching      = &ProtocolError{Msg: "backend switched protocols (101), which is not supported"}
	errTooMany1xx     = &ProtocolError{Msg: "too many 1xx informational responses"}
)

// ProtocolError is a backend's answer the client refuses or could not finish reading: a
// malformed status line or header field, a head over MaxHeaderBytes, an ambiguous or
// unsupported framing, a head or body cut short or reset. Its connection is closed, never
// reused. A gateway answers it with 502; the end of the caller's context or deadline is
// never one (those keep their own errors).
type ProtocolError struct {
	Msg string
	Err error // the cause when it is an I/O error (io.ErrUnexpectedEOF, a reset), else nil
}

func (e *ProtocolError) Error() string {
	if e.Err != nil {
		return "h1: " + e.Msg + ": " + e.Err.Error()
	}
	return "h1: " + e.Msg
}

func (e *ProtocolError) Unwrap() error { return e.Err }

func malformed(what string, line []byte) error {
	if len(line) > 64 {
		line = line[:64]
	}
	return &ProtocolError{Msg: fmt.Sprintf("malformed %s %q", what, line)}
}

// field locates one header field inside headBuf.scratch.
type field struct{ name, nameEnd, value, valueEnd int }

// headBuf is the scratch space a response head is parsed in, reused across requests.
type headBuf struct {
	scratch []byte
	fields  []field
}

// framing is how a response body is delimited.
type framing uint8

const (
	noBody   framing = iota // HEAD, 1xx, 204, 304, Content-Length: 0
	sized                   // Content-Length
	chunked                 // Transfer-Encoding: chunked
	untilEOF                // neither: the body ends when the backend closes
)

// head is a parsed final response head.
type head struct {
	framing framing
	length  int64 // body bytes when sized
	close   bool  // the connection cannot be reused after this response
	// closeAsked: the backend said Connection: close.
	closeAsked bool
}

// readResponse reads a response head for a request made with method from br into resp
// (StatusCode, Status, Proto*, Header, ContentLength, Close), skipping 1xx informational
// responses. The body that follows is described by the returned head; nothing of it is
// read. The rules are net/http's (transfer.go) so that callers see the same Response.
func readResponse(br *bufio.Reader, method string, hb *headBuf, resp *http.Response) (head, error) {
	for n := 0; ; n++ {
		if err := readHead(br, hb, resp); err != nil {
			return head{}, err
		}
		code := resp.StatusCode
		if code == 101 {
			return head{}, errSwitching
		}
		if code >= 200 {
			break
		}
		if n == max1xx {
			return head{}, errTooMany1xx
		}
	}
	return frame(resp, method)
}

// readHead reads one status line and header section.
func readHead(br *bufio.Reader, hb *headBuf, resp *http.Response) error {
	hb.scratch = hb.scratch[:0]
	hb.fields = hb.fields[:0]

	// Status line: HTTP/1.x SP 3DIGIT [SP reason].
	line, err := readLine(br, hb)
	if err != nil {
		return err
	}
	statusEnd := len(hb.scratch)
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
		line[8] != ' ' || !digit(line[9]) || !digit(line[10]) || !digit(line[11]) ||
		(len(line) > 12 && line[12] != ' ') || line[9] == '0' {
		return malformed("status line", line)
	}
	for _, c := range line[12:] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return malformed("status line", line)
		}
	}
	minor := int(line[7] - '0')
	code := int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')

	// Header fields: name ":" OWS value OWS. Obsolete line folding is refused (RFC 9112
	// §5.2 lets a gateway reject it).
	for {
		start := len(hb.scratch)
		line, err := readLine(br, hb)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 0 {
			break
		}
		colon := -1
		for i, c := range line {
			if c == ':' {
				colon = i
				break
			}
			if !tokenByte(c) {
				return malformed("header line", line)
			}
		}
		if colon <= 0 {
			return malformed("header line", line)
		}
		canonicalize(line[:colon])
		v, ve := colon+1, len(line)
		for v < ve && (line[v] == ' ' || line[v] == '\t') {
			v++
		}
		for ve > v && (line[ve-1] == ' ' || line[ve-1] == '\t') {
			ve--
		}
		for _, c := range line[v:ve] {
			if c < ' ' && c != '\t' || c == 0x7f {
				return malformed("header value", line)
			}
		}
		hb.fields = append(hb.fields, field{start, start + colon, start + v, start + ve})
	}

	// One string holds the whole head; names, values and Status are slices of it.
	s := string(hb.scratch)
	resp.Status = s[9:statusEnd]
	resp.StatusCode = code
	resp.Proto = s[:8]
	resp.ProtoMajor, resp.ProtoMinor = 1, minor
	h := make(http.Header, len(hb.fields))
	vals := make([]string, len(hb.fields))
	for i, f := range hb.fields {
		k := s[f.name:f.nameEnd]
		vals[i] = s[f.value:f.valueEnd]
		if prior, ok := h[k]; ok {
			h[k] = append(prior, vals[i])
		} else {
			h[k] = vals[i : i+1 : i+1]
		}
	}
	resp.Header = h
	return nil
}

// readLine appends the next line to hb.scratch without its line end (LF or CRLF) and
// returns it, keeping the whole head within MaxHeaderBytes.
func readLine(br *bufio.Reader, hb *headBuf) ([]byte, error) {
	start := len(hb.scratch)
	for {
		frag, err := br.ReadSlice('\n')
		if len(hb.scratch)+len(frag) > MaxHeaderBytes {
			return nil, errHeaderTooLarge
		}
		hb.scratch = append(hb.scratch, frag...)
		switch err {
		case nil:
			line := hb.scratch[start : len(hb.scratch)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			for _, c := range line {
				if c == '\r' {
					return nil, malformed("line (bare CR)", line)
				}
			}
			hb.scratch = hb.scratch[:start+len(line)]
			return line, nil
		case bufio.ErrBufferFull:
			continue
		default:
			if err == io.EOF && len(hb.scratch) > start {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// frame applies RFC 9112 §6.3, more strictly than net/http where the framing is ambiguous
// (as nginx does): Transfer-Encoding must be exactly "chunked", in an HTTP/1.1 response
// without Content-Length (both, or Transfer-Encoding in HTTP/1.0, are faulty framing that
// may smuggle a second response: §6.1); Content-Length must be one valid number (repeats of
// it are merged); HEAD, 1xx, 204 and 304 have no body whatever the headers say, and a 204
// that announces one anyway (§6.1 and RFC 9110 §8.6 forbid it) ends its connection; without
// either the body runs until the backend closes. Once the framing is settled,
// Transfer-Encoding is removed from the header, as are the fields Connection lists
// (RemoveConnectionOptions: listing Content-Length there changes nothing) and Connection
// itself when it says close, as net/http drops it.
func frame(resp *http.Response, method string) (head, error) {
	h := resp.Header
	hd, err := readFraming(resp, method)
	if err != nil {
		return head{}, err
	}
	delete(h, "Transfer-Encoding")
	RemoveConnectionOptions(h)
	if resp.ProtoMinor >= 1 && hd.closeAsked {
		delete(h, "Connection")
	}
	return hd, nil
}

// readFraming decides frame's head from resp's header, changing only resp.ContentLength and
// merged repeats of Content-Length.
func readFraming(resp *http.Response, method string) (head, error) {
	h := resp.Header
	var hd head
	conn := h["Connection"]
	hd.closeAsked = containsToken(conn, "close")
	hd.close = hd.closeAsked || resp.ProtoMinor == 0 && !containsToken(conn, "keep-alive")

	te, hasTE := h["Transfer-Encoding"]
	cl := h["Content-Length"]
	if hasTE {
		switch {
		case len(cl) > 0:
			return head{}, &ProtocolError{Msg: "response has both Transfer-Encoding and Content-Length"}
		case resp.ProtoMinor == 0:
			return head{}, &ProtocolError{Msg: "HTTP/1.0 response has Transfer-Encoding"}
		case len(te) != 1 || !equalFold(te[0], "chunked"):
			return head{}, &ProtocolError{Msg: fmt.Sprintf("unsupported transfer encoding %q", te)}
		}
	}

	length := int64(-1)
	if len(cl) > 0 {
		first := trimOWS(cl[0])
		for _, v := range cl[1:] {
			if trimOWS(v) != first {
				return head{}, &ProtocolError{Msg: fmt.Sprintf("multiple Content-Length values %q", cl)}
			}
		}
		if len(cl) > 1 {
			h["Content-Length"] = cl[:1:1]
		}
		n, err := strconv.ParseUint(first, 10, 63)
		if err != nil || first == "" || first[0] == '+' {
			return head{}, &ProtocolError{Msg: fmt.Sprintf("bad Content-Length %q", first)}
		}
		length = int64(n)
	}

	switch code := resp.StatusCode; {
	case method == http.MethodHead:
		resp.ContentLength = length
	case code == 204 && (hasTE || length > 0):
		// It may be followed by the body it announces: the connection's next bytes
		// cannot be trusted to be the next response.
		hd.close = true
		resp.ContentLength = 0
	case code < 200 || code == 204 || code == 304:
		resp.ContentLength = 0
	case hasTE:
		resp.ContentLength = -1
		hd.framing = chunked
	case length == 0:
		resp.ContentLength = 0
	case length > 0:
		resp.ContentLength = length
		hd.framing, hd.length = sized, length
	default:
		resp.ContentLength = -1
		hd.framing = untilEOF
		hd.close = true
	}
	return hd, nil
}

// decoder reads a body as its head frames it, from the connection's reader.
type decoder struct {
	br        *bufio.Reader
	hb        *headBuf
	framing   framing
	remaining int64     // sized: bytes left
	chunks    io.Reader // chunked: the chunk decoder
}

func newDecoder(br *bufio.Reader, hb *headBuf, hd head) decoder {
	d := decoder{br: br, hb: hb, framing: hd.framing, remaining: hd.length}
	if hd.framing == chunked {
		d.chunks = httputil.NewChunkedReader(br)
	}
	return d
}

// read returns the body's bytes, and io.EOF at its end: with the last bytes of a sized
// body, after the trailer section of a chunked one, when the connection ends for one
// delimited by close. A sized body cut short is io.ErrUnexpectedEOF. It reads nothing past
// the body.
func (d *decoder) read(p []byte) (n int, err error) {
	switch d.framing {
	case noBody:
		return 0, io.EOF
	case sized:
		if d.remaining == 0 {
			return 0, io.EOF
		}
		if int64(len(p)) > d.remaining {
			p = p[:d.remaining]
		}
		n, err = d.br.Read(p)
		d.remaining -= int64(n)
		switch {
		case d.remaining == 0:
			err = io.EOF
		case err == io.EOF:
			err = io.ErrUnexpectedEOF
		}
	case chunked:
		n, err = d.chunks.Read(p)
		if err == io.EOF {
			if terr := skipTrailer(d.br, d.hb); terr != nil {
				err = terr
			}
			d.framing = noBody
		}
	default: // untilEOF
		n, err = d.br.Read(p)
	}
	return n, err
}

// skipTrailer reads the trailer section after the last chunk, up to its empty line, and
// drops it.
func skipTrailer(br *bufio.Reader, hb *headBuf) error {
	hb.scratch = hb.scratch[:0]
	for {
		line, err := readLine(br, hb)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if line[0] == ' ' || line[0] == '\t' || bytesIndexByte(line, ':') <= 0 {
			return malformed("trailer line", line)
		}
	}
}

func bytesIndexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func digit(c byte) bool { return '0' <= c && c <= '9' }

// tokenByte reports whether c may appear in a header field name (RFC 9110 tchar).
func tokenByte(c byte) bool {
	if c >= 0x80 {
		return false
	}
	return tchar[c]
}

var tchar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// canonicalize rewrites a valid field name in place the way textproto.CanonicalMIMEHeaderKey
// does: upper case at the start and after each hyphen, lower case elsewhere.
func canonicalize(b []byte) {
	upper := true
	for i, c := range b {
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
		upper = c == '-'
	}
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// RemoveConnectionOptions deletes from h the fields its Connection header lists (RFC 9110
// §7.6.1: they concern only the connection they came on, and a proxy removes them before
// forwarding the message), leaving Connection itself. Keys are canonical, as in any
// http.Header the client and the gateway build.
func RemoveConnectionOptions(h http.Header) {
	conn := h["Connection"]
	if len(conn) == 0 {
		return
	}
	for k := range h {
		if k != "Connection" && ConnectionOption(conn, k) {
			delete(h, k)
		}
	}
}

// ConnectionOption reports whether the Connection header values conn list the field name,
// ASCII case-insensitively: a field a proxy must not forward (RFC 9110 §7.6.1).
func ConnectionOption(conn []string, name string) bool { return containsToken(conn, name) }

// containsToken reports whether a comma-separated list in any of values holds token,
// ASCII case-insensitively.
func containsToken(values []string, token string) bool {
	for _, v := range values {
		for v != "" {
			var item string
			item, v = v, ""
			for i := 0; i < len(item); i++ {
				if item[i] == ',' {
					item, v = item[:i], item[i+1:]
					break
				}
			}
			if strings.EqualFold(trimOWS(item), token) {
				return true
			}
		}
	}
	return false
}

// equalFold compares s with a lower-case ASCII token, ignoring ASCII case.
func equalFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
