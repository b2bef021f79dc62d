package h1server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

var pendingPool = sync.Pool{New: func() any { b := make([]byte, 0, bufSize); return &b }}

// response is the http.ResponseWriter (and http.Flusher) of one request; one is reused for
// all the connection's requests.
type response struct {
	c      *conn
	req    *http.Request
	header http.Header

	status        int
	wroteHeader   bool  // a final status is set
	committed     bool  // the status line and header are in c.bw
	contentLength int64 // -1: unknown
	written       int64
	chunked       bool
	noBody        bool // HEAD, 1xx, 204, 304: nothing goes on the wire after the header
	closeAfter    bool
	handlerDone   bool
	pending       *[]byte // body held until the header is committed, or a chunk's data
	err           error   // the first write error
	scratch       [32]byte
}

var _ http.Flusher = (*response)(nil)

func (w *response) reset(r *http.Request) {
	h, c := w.header, w.c
	clear(h)
	*w = response{c: c, req: r, header: h, contentLength: -1}
}

func (w *response) Header() http.Header { return w.header }

// WriteHeader sends an informational (1xx) header at once, or sets the final status.
func (w *response) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	if w.wroteHeader {
		w.c.srv.logf("http: superfluous response.WriteHeader call (%d after %d)", code, w.status)
		return
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		if w.err != nil {
			return
		}
		bw := w.c.bw
		bw.WriteString(statusLine(code))
		w.writeFields()
		bw.WriteString("\r\n")
		w.c.armWrite(time.Now())
		w.err = bw.Flush()
		if code == http.StatusContinue {
			w.c.body.wantContinue = false
		}
		return
	}
	w.wroteHeader, w.status = true, code
	if v := w.header["Content-Length"]; len(v) > 0 {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil || n < 0 {
			w.c.srv.logf("http: invalid Content-Length of %q", v[0])
			delete(w.header, "Content-Length")
		} else {
			w.contentLength = n
		}
	}
}

// Write writes body bytes; before the header is committed they wait in a buffer, so that a
// body that fits is sent with a Content-Length.
func (w *response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.contentLength >= 0 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.committed {
		if w.c.body.timedOut {
			// The client stalled its body: it gets 408 (finish), not this response.
			w.err = errBodyTimeout
			return 0, w.err
		}
		if w.contentLength >= 0 {
			w.commit(p)
		} else {
			if w.pending == nil {
				w.pending = pendingPool.Get().(*[]byte)
			}
			buf := *w.pending
			if len(buf)+len(p) <= cap(buf) {
				*w.pending = append(buf, p...)
				return len(p), nil
			}
			if len(buf) > 0 {
				w.commit(buf)
			} else {
				w.commit(p)
			}
		}
	}
	if w.noBody {
		return len(p), nil
	}
	if !w.chunked {
		w.flushPending()
		_, err := w.c.bw.Write(p)
		return w.result(len(p), err)
	}
	if w.pending != nil && len(*w.pending)+len(p) <= cap(*w.pending) {
		*w.pending = append(*w.pending, p...)
		return len(p), nil
	}
	w.flushPending()
	return w.result(len(p), w.writeChunk(p))
}

func (w *response) result(n int, err error) (int, error) {
	if err != nil && w.err == nil {
		w.err = err
	}
	if w.err != nil {
		return 0, w.err
	}
	return n, nil
}

// Flush sends the header and what is buffered to the client.
func (w *response) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return
	}
	if !w.committed && w.c.body.timedOut {
		w.err = errBodyTimeout
		return
	}
	if !w.committed {
		var p []byte
		if w.pending != nil {
			p = *w.pending
		}
		w.commit(p)
	}
	w.flushPending()
	if w.err == nil {
		w.err = w.c.bw.Flush()
	}
}

// flushPending writes the buffered body (as a chunk when chunking).
func (w *response) flushPending() {
	if w.pending == nil {
		return
	}
	if p := *w.pending; len(p) > 0 && !w.noBody {
		if w.chunked {
			w.writeChunk(p)
		} else {
			w.c.bw.Write(p)
		}
	}
	*w.pending = (*w.pending)[:0]
}

// writeChunk writes p as a chunk; the error is the connection's (c.bw keeps the first).
func (w *response) writeChunk(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	bw := w.c.bw
	bw.Write(strconv.AppendInt(w.scratch[:0], int64(len(p)), 16))
	bw.WriteString("\r\n")
	bw.Write(p)
	_, err := bw.WriteString("\r\n")
	return err
}

// finish completes the response after the handler returned; false means close the
// connection.
func (w *response) finish() bool {
	w.handlerDone = true
	if !w.committed && w.c.body.timedOut {
		// ReadBodyTimeout passed: whatever the handler answered (it saw a read error), the
		// client is told it was too slow, as nginx's client_body_timeout answers, and the
		// connection closes (the rest of the body may still come).
		w.releasePending()
		w.c.writeError(http.StatusRequestTimeout, "Request Timeout")
		return false
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		var p []byte
		if w.pending != nil {
			p = *w.pending
		}
		w.commit(p)
	}
	w.flushPending()
	w.releasePending()
	if w.chunked {
		w.c.bw.WriteString("0\r\n\r\n")
	} else if !w.noBody && w.contentLength >= 0 && w.written != w.contentLength {
		w.closeAfter = true // the client would wait for the missing bytes
	}
	if w.err == nil {
		w.err = w.c.bw.Flush()
	}
	b := &w.c.body
	return !w.closeAfter && w.err == nil && (b.mode == bodyNone || b.sawEOF)
}

func (w *response) releasePending() {
	if w.pending != nil {
		*w.pending = (*w.pending)[:0]
		pendingPool.Put(w.pending)
		w.pending = nil
	}
}

// errBodyTimeout fails a handler's writes after its request body timed out.
var errBodyTimeout = errors.New("h1server: request body read timed out; the client is answered 408")

// writeContinue answers "Expect: 100-continue" when the handler first reads the body.
func (w *response) writeContinue() {
	if w.committed || w.err != nil {
		return
	}
	bw := w.c.bw
	bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	w.c.armWrite(time.Now())
	w.err = bw.Flush()
}

// commit writes the status line and header to c.bw, choosing the body's framing; p is the
// body's beginning, for a Content-Length or a sniffed Content-Type.
func (w *response) commit(p []byte) {
	w.committed = true
	c, r, h := w.c, w.req, w.header
	if !c.body.drain() {
		w.closeAfter = true
	}
	now := time.Now()
	c.armWrite(now) // the response phase, from after the drain's reads (bounded on their own)
	if r.Close || c.srv.inShutdown.Load() {
		w.closeAfter = true
	}
	if v := h["Connection"]; len(v) > 0 && hasToken(strings.Join(v, ","), "close") {
		w.closeAfter = true
	}
	code := w.status
	_, haveTE := h["Transfer-Encoding"]
	var contentType string
	if _, haveType := h["Content-Type"]; !haveType && !haveTE && bodyAllowed(code) && len(p) > 0 {
		contentType = http.DetectContentType(p)
	}
	var setLength, setChunked bool
	switch {
	case !bodyAllowed(code):
		w.noBody = true
		delete(h, "Content-Type")
		delete(h, "Content-Length")
		delete(h, "Transfer-Encoding")
		contentType = ""
	case r.Method == http.MethodHead:
		w.noBody = true
		if w.contentLength < 0 && w.handlerDone && len(p) > 0 && !haveTE {
			w.contentLength, setLength = int64(len(p)), true
		}
	case w.contentLength >= 0:
		delete(h, "Transfer-Encoding")
	case w.handlerDone && !haveTE:
		w.contentLength, setLength = int64(len(p)), true
	case r.ProtoAtLeast(1, 1):
		w.chunked, setChunked = true, true
		delete(h, "Transfer-Encoding")
		delete(h, "Content-Length")
	default:
		w.closeAfter = true // HTTP/1.0: the body ends with the connection
		delete(h, "Transfer-Encoding")
	}

	bw := c.bw
	bw.WriteString(statusLine(code))
	connHeader := ""
	if w.closeAfter {
		if r.ProtoAtLeast(1, 1) {
			delete(h, "Connection")
			connHeader = "close"
		}
	} else if !r.ProtoAtLeast(1, 1) {
		delete(h, "Connection")
		connHeader = "keep-alive"
	}
	w.writeFields()
	if _, ok := h["Date"]; !ok {
		bw.WriteString("Date: ")
		bw.Write(c.srv.date.get(now))
		bw.WriteString("\r\n")
	}
	if contentType != "" {
		bw.WriteString("Content-Type: ")
		bw.WriteString(contentType)
		bw.WriteString("\r\n")
	}
	if setLength {
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(w.scratch[:0], w.contentLength, 10))
		bw.WriteString("\r\n")
	}
	if setChunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if connHeader != "" {
		bw.WriteString("Connection: ")
		bw.WriteString(connHeader)
		bw.WriteString("\r\n")
	}
	bw.WriteString("\r\n")
}

// writeFields writes the handler's header fields, skipping invalid names and turning line
// breaks in values into spaces, as net/http does.
func (w *response) writeFields() {
	bw := w.c.bw
	for k, vv := range w.header {
		if !validToken(k) {
			continue
		}
		for _, v := range vv {
			bw.WriteString(k)
			bw.WriteString(": ")
			if strings.ContainsAny(v, "\r\n") {
				v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
			}
			bw.WriteString(strings.TrimSpace(v))
			bw.WriteString("\r\n")
		}
	}
}

// bodyAllowed reports whether a response with this status may have a body.
func bodyAllowed(code int) bool {
	return !(code >= 100 && code <= 199 || code == http.StatusNoContent || code == http.StatusNotModified)
}

var statusLines = func() (t [600]string) {
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			t[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n"
		}
	}
	return t
}()

func statusLine(code int) string {
	if code < len(statusLines) && statusLines[code] != "" {
		return statusLines[code]
	}
	return "HTTP/1.1 " + strconv.Itoa(code) + " status code " + strconv.Itoa(code) + "\r\n"
}
