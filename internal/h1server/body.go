package h1server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"time"
)

type bodyMode uint8

const (
	bodyNone    bodyMode = iota // no body: r.Body is http.NoBody
	bodyLength                  // Content-Length bytes
	bodyChunked                 // chunked transfer coding
	bodyDone                    // the handler returned: reads fail
)

var errChunk = errors.New("h1server: malformed chunked request body")

// body reads a request body from the connection. One is reused for all the connection's
// requests.
type body struct {
	c            *conn
	mode         bodyMode
	remaining    int64 // bytes left: of the body (bodyLength) or of the current chunk
	inChunk      bool  // bodyChunked: remaining counts a chunk's data
	sawEOF       bool
	closed       bool
	wantContinue bool // the client expects 100 Continue before it sends the body
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
	n, err := b.read(p)
	if err != nil && err != io.EOF {
		b.err = err
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

func (b *body) crlf() error {
	br := b.c.br
	c, err := br.ReadByte()
	if err == nil && c == '\r' {
		c, err = br.ReadByte()
	}
	if err != nil {
		return unexpected(err)
	}
	if c != '\n' {
		return errChunk
	}
	return nil
}

// nextChunk reads a chunk-size line; a zero size ends the body, after the trailer section,
// which is read and dropped.
func (b *body) nextChunk() error {
	line, err := b.line()
	if err != nil {
		return err
	}
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 || len(line) > 15 {
		return errChunk
	}
	var n int64
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
		n = n<<4 | int64(c)
	}
	if n > 0 {
		b.remaining, b.inChunk = n, true
		return nil
	}
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
		if limit -= len(line); limit < 0 {
			return errChunk
		}
	}
}

// line reads a line of at most the reader's size, without its CRLF.
func (b *body) line() ([]byte, error) {
	line, err := b.c.br.ReadSlice('\n')
	if err != nil {
		return nil, unexpected(err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
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
	if d := b.c.srv.ReadHeaderTimeout; d > 0 {
		b.c.rwc.SetReadDeadline(time.Now().Add(d))
	}
	n, err := io.CopyN(io.Discard, b, maxDrain+1)
	return err == io.EOF && n <= maxDrain
}
