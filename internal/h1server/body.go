package h1server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"time"
)

type bodyMode uint8

const (
	bodyNone    bodyMode = iota // no body: r.Body is http.NoBody
	bodyLength                  // Content-Length bytes
	bodyChunked                 // chunked transfer coding
	bodyDone                    // the handler returned: reads fail
)

var (
	errChunk         = errors.New("h1server: malformed chunked request body")
	errChunkOverhead = errors.New("h1server: chunked request body has too much non-data")
)

// maxChunkDigits is the longest chunk-size in hex digits, leading zeros included, as
// net/http's: a zero-padded size is not a reason to wait for more of the line.
const maxChunkDigits = 16

// body reads a request body from the connection. One is reused for all the connection's
// requests.
type body struct {
	c            *conn
	mode         bodyMode
	remaining    int64 // bytes left: of the body (bodyLength) or of the current chunk
	inChunk      bool  // bodyChunked: remaining counts a chunk's data
	sawEOF       bool
	closed       bool
	wantContinue bool  // the client expects 100 Continue before it sends the body
	armed        bool  // the body's read deadline is set (at the first Read)
	timedOut     bool  // a read passed ReadBodyTimeout: the request is answered 408
	excess       int64 // chunked: framing bytes beyond what the data justifies (net/http's)
	err          error
}

func (b *body) reset() { *b = body{c: b.c} }

// Read reads the body, answering "Expect: 100-continue" first if the client asked for it.
func (b *body) Read(p []byte) (int, error) {
	switch {
	case b.mode == bodyDone || b.closed:
		return 0, http.ErrBodyReadAfterClose
	case b.sawEOF:
		return 0, io.EOF
	case b.err != nil:
		return 0, b.err
	case len(p) == 0:
		return 0, nil
	}
	if b.wantContinue {
		b.wantContinue = false
		b.c.w.writeContinue()
	}
	if !b.armed {
		// The body phase starts when the handler asks for it, so that ReadBodyTimeout
		// measures the client's stalls, not the handler's work before reading.
		b.armed = true
		if d := b.c.srv.ReadBodyTimeout; d > 0 {
			b.c.armRead(d)
		}
	}
	n, err := b.read(p)
	if err != nil && err != io.EOF {
		b.err = err
		b.timedOut = errors.Is(err, os.ErrDeadlineExceeded)
	}
	return n, err
}

func (b *body) read(p []byte) (int, error) {
	br := b.c.br
	if b.mode == bodyChunked && !b.inChunk {
		if err := b.nextChunk(); err != nil {
			return 0, err
		}
		if b.sawEOF {
			return 0, io.EOF
		}
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := br.Read(p)
	b.remaining -= int64(n)
	if b.remaining > 0 {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return n, err
	}
	if b.mode == bodyLength {
		b.sawEOF = true
		return n, io.EOF
	}
	// The chunk's data ends with CRLF.
	b.inChunk = false
	if err := b.crlf(); err != nil {
		return n, err
	}
	return n, nil
}

// crlf reads the CRLF that ends a chunk's data; a bare LF is refused, as by net/http.
func (b *body) crlf() error {
	br := b.c.br
	c, err := br.ReadByte()
	if err == nil && c == '\r' {
		c, err = br.ReadByte()
		if err == nil && c == '\n' {
			return nil
		}
	}
	if err != nil {
		return unexpected(err)
	}
	return errChunk
}

// nextChunk reads a chunk-size line; a zero size ends the body, after the trailer section,
// which is read and dropped.
func (b *body) nextChunk() error {
	line, err := b.line()
	if err != nil {
		return err
	}
	// chunk-size [ chunk-ext ] (RFC 9112 §7.1.1): the extensions are ignored, white space
	// is allowed at the line's end only (not before ';', as net/http).
	b.excess += int64(len(line)) + 2
	line = bytes.TrimRight(line, " \t")
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	if len(line) == 0 || len(line) > maxChunkDigits {
		return errChunk
	}
	var n uint64
	for _, c := range line {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return errChunk
		}
		n = n<<4 | uint64(c)
	}
	if max := b.c.srv.MaxChunkSize; n > math.MaxInt64 || max > 0 && n > uint64(max) {
		// Refused now: waiting for data the handler would refuse anyway holds the
		// connection. net/http's "body too large" error, so that a handler can answer
		// 413 as it would to http.MaxBytesReader.
		return &http.MaxBytesError{Limit: b.c.srv.MaxChunkSize}
	}
	// As net/http: 16 bytes of framing per chunk plus twice its data are fine; more than
	// 16 KiB beyond that (tiny chunks with long extensions) is a waste of our time.
	if b.excess = max(b.excess-16-2*int64(n), 0); b.excess > 16<<10 {
		return errChunkOverhead
	}
	if n > 0 {
		b.remaining, b.inChunk = int64(n), true
		return nil
	}
	// The trailer section: field lines, read and dropped, within MaxHeaderBytes.
	limit := b.c.srv.maxHeaderBytes()
	for {
		line, err := b.line()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			b.sawEOF = true
			return nil
		}
		if limit -= len(line); limit < 0 || !validField(line) {
			return errChunk
		}
	}
}

// validField reports whether line is a field line: a token, a colon and a value without
// control bytes (obs-fold is refused, as in the header section).
func validField(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	return i > 0 && validToken(string(line[:i])) && validValue(string(line[i+1:]))
}

// line reads a line of at most the reader's size, without its CRLF. A line must end with
// CRLF and hold no other CR (RFC 9112 §7.1; net/http refuses a bare LF here too).
func (b *body) line() ([]byte, error) {
	line, err := b.c.br.ReadSlice('\n')
	if err != nil {
		if err == bufio.ErrBufferFull {
			return nil, errChunk
		}
		return nil, unexpected(err)
	}
	if n := len(line); n < 2 || bytes.IndexByte(line, '\r') != n-2 {
		return nil, errChunk
	}
	return line[:len(line)-2], nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Close marks the body closed; what is left unread then closes the connection after the
// response.
func (b *body) Close() error {
	if b.mode != bodyDone {
		b.closed = true
	}
	return nil
}

// drain discards what the handler left of the body, so that the next request can be read;
// false means the connection cannot be reused.
func (b *body) drain() bool {
	switch {
	case b.mode == bodyNone || b.sawEOF:
		return true
	case b.closed || b.err != nil || b.wantContinue:
		// Unread after 100-continue was not sent: the client may or may not send the body.
		return false
	}
	if d := b.c.srv.ReadHeaderTimeout; d > 0 && b.c.srv.ReadBodyTimeout <= 0 {
		// Without a body timeout, the drain is still bounded (Read arms it otherwise).
		b.c.rwc.SetReadDeadline(time.Now().Add(d))
	}
	n, err := io.CopyN(io.Discard, b, maxDrain+1)
	return err == io.EOF && n <= maxDrain
}
