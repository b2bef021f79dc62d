package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// An integration response's payload is held to what AWS holds it to: at most MaxPayload
// bytes, and complete. AWS buffers the whole answer before it replies (REST APIs), so that
// a backend that dies mid-body gets the client an error, never a short body passed off as
// whole. The non-proxy integrations buffer too (readPayload); HTTP_PROXY buffers what
// fits in proxyPrefetch and streams the rest (proxyBody), ending the client's connection
// without the last chunk when the rest fails, as nginx does once it has begun an answer.

// proxyPrefetch is how much of an HTTP_PROXY body is read before the answer starts, in
// bytes (the edge's copy buffer): a body that ends within it is answered whole, with its
// Content-Length, and one that fails within it gets 502 instead of a partial answer.
const proxyPrefetch = 32 << 10

// responseTooLarge is an integration response over MaxPayload. AWS logs "Execution failed
// due to configuration error: Integration response of reported length 10548739 is larger
// than allowed maximum of 10485760 bytes" and answers 500 {"message": "Internal server
// error"} (reported at repost.aws/questions/QUQx1CzpQHRWqZW-bjSUukTw and in
// github.com/Ge0rg3/requests-ip-rotator/issues/37; not recorded by us): a configuration
// error, API_CONFIGURATION_ERROR's 500.
func responseTooLarge(cause error) error {
	return invoke.ConfigurationError.Because(cause)
}

// badAnswer is a backend answer that came but is broken: malformed, ambiguously framed,
// with an oversized head, cut short or reset mid-body. 502, as nginx answers an upstream's
// invalid or truncated response and as AWS answers a malformed Lambda proxy response; the
// stage's INTEGRATION_FAILURE gateway response shapes it (AWS's answer to a broken HTTP
// backend is not recorded).
func badAnswer(err error) error {
	return invoke.BrokenAnswer.Because(
		fmt.Errorf("integration endpoint's answer: %w", err))
}

// mapAnswerError maps a failure reading a response body: past the deadline
// INTEGRATION_TIMEOUT, else a broken answer.
func mapAnswerError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return invoke.Timeout.Because(err)
	}
	return badAnswer(err)
}

// readPayload buffers a backend response body, up to MaxPayload, the failure mapped.
func readPayload(ctx context.Context, resp *http.Response) ([]byte, error) {
	n := resp.ContentLength
	if n > MaxPayload {
		return nil, responseTooLarge(fmt.Errorf("integration response of reported length %d is larger than allowed maximum of %d bytes", n, MaxPayload))
	}
	var buf bytes.Buffer
	if n > 0 {
		buf.Grow(int(n))
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, MaxPayload+1)); err != nil {
		return nil, mapAnswerError(ctx, err)
	}
	if buf.Len() > MaxPayload {
		return nil, responseTooLarge(fmt.Errorf("integration response is larger than allowed maximum of %d bytes", MaxPayload))
	}
	return buf.Bytes(), nil
}

// proxyBody sets out's body from an HTTP_PROXY backend's response: none (a HEAD answer, a
// 204); the whole body, read ahead into a pooled buffer, when it ends within proxyPrefetch
// bytes (the backend's connection is then free before the client is answered); else a
// stream of what was read and the rest, cut at MaxPayload. A Content-Length over
// MaxPayload, or a body that fails within the prefetch, is an error and nothing is
// answered. cancel (when not nil) is called once the body is done with.
func (h *httpIntegration) proxyBody(ctx context.Context, resp *http.Response, cancel context.CancelFunc, out *invoke.Response) error {
	done := func() {
		resp.Body.Close()
		if cancel != nil {
			cancel()
		}
	}
	n := resp.ContentLength
	if resp.Body == http.NoBody || n == 0 {
		done()
		out.Stream, out.ContentLength = http.NoBody, n // HEAD keeps the backend's length
		return nil
	}
	if n > MaxPayload {
		done()
		return responseTooLarge(fmt.Errorf("integration response of reported length %d is larger than allowed maximum of %d bytes", n, MaxPayload))
	}
	bp := h.prefetch.Get().(*[]byte)
	buf := *bp
	if n > 0 && n < int64(len(buf)) {
		buf = buf[:n]
	}
	read, err := fill(resp.Body, buf)
	whole := err == io.EOF || err == nil && int64(read) == n // a sized body needs no EOF to end
	if err != nil && err != io.EOF {
		h.prefetch.Put(bp)
		done()
		return mapAnswerError(ctx, err)
	}
	s := &proxyStream{h: h, buf: bp, head: buf[:read], body: resp.Body, left: MaxPayload - int64(read), cancel: cancel}
	out.Stream, out.ContentLength = s, n
	if whole {
		done()
		s.body, s.cancel = nil, nil
		out.ContentLength = int64(read)
	}
	return nil
}

// fill reads from r until buf is full (nil) or r ends (io.EOF) or fails, and reports how
// many bytes it read.
func fill(r io.Reader, buf []byte) (int, error) {
	read := 0
	for read < len(buf) {
		n, err := r.Read(buf[read:])
		read += n
		if err != nil {
			return read, err
		}
	}
	return read, nil
}

// errStreamTooLarge ends a streamed integration response at MaxPayload: the edge then cuts
// the client's connection, since its answer has begun.
var errStreamTooLarge = fmt.Errorf("integration response is larger than allowed maximum of %d bytes", MaxPayload)

// proxyStream is an HTTP_PROXY body: the bytes read ahead, then (when they are not the
// whole body) the rest from the backend, limited to MaxPayload in all. Its errors reach the
// edge, which ends the client's connection without completing the answer.
type proxyStream struct {
	h      *httpIntegration
	buf    *[]byte       // the pooled prefetch buffer head is in; nil once returned
	head   []byte        // read ahead, not yet returned
	body   io.ReadCloser // the rest; nil when head is the whole body
	left   int64         // bytes the body may still yield within MaxPayload
	cancel context.CancelFunc
}

func (s *proxyStream) Read(p []byte) (int, error) {
	if len(s.head) > 0 {
		n := copy(p, s.head)
		s.head = s.head[n:]
		return n, nil
	}
	if s.body == nil {
		return 0, io.EOF
	}
	n, err := s.body.Read(p)
	s.left -= int64(n)
	if s.left < 0 {
		return n + int(s.left), errStreamTooLarge
	}
	return n, err
}

func (s *proxyStream) Close() error {
	var err error
	if s.body != nil {
		err = s.body.Close()
	}
	if s.buf != nil {
		s.head = nil
		s.h.prefetch.Put(s.buf)
		s.buf = nil
	}
	if s.cancel != nil {
		s.cancel()
	}
	return err
}
