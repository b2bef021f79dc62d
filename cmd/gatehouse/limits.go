package main

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// adminLimits bounds the bodies of management requests, which are read before they are
// authenticated (a SigV4 signature covers the payload's hash): a Content-Length over
// maxBody is answered 413 at once, a body is cut at maxBody, and a body that stalls for
// stall fails its read (the operation answers its own error and net/http closes the
// connection), so that an unauthenticated caller cannot hold connections with a body it
// never sends. The whole request stays within requestTimeout (net/http's ReadTimeout,
// which the per-read deadlines must not extend).
func adminLimits(next http.Handler, maxBody int64, stall, requestTimeout time.Duration) http.Handler {
	tooLarge := &awsjson.Error{Status: http.StatusRequestEntityTooLarge, Type: "RequestEntityTooLargeException",
		Message: "Request must be smaller than " + strconv.FormatInt(maxBody, 10) + " bytes"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			w.Header().Set("Connection", "close")
			awsjson.WriteError(w, tooLarge)
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		b := &stallBody{
			ReadCloser: http.MaxBytesReader(w, r.Body, maxBody),
			rc:         http.NewResponseController(w),
			stall:      stall,
			end:        time.Now().Add(requestTimeout),
		}
		r.Body = b
		next.ServeHTTP(w, r)
		if !b.done {
			// net/http reads what the handler left of a body (up to 256 KiB) to keep the
			// connection: a refused caller's stalled body must not hold it longer than a
			// stall.
			b.rc.SetReadDeadline(time.Now().Add(stall))
		}
	})
}

// stallBody gives each Read of a request body stall to make progress, within end.
type stallBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	stall time.Duration
	end   time.Time // the request's deadline
	done  bool
}

func (b *stallBody) Read(p []byte) (int, error) {
	if b.done {
		return b.ReadCloser.Read(p)
	}
	d := time.Now().Add(b.stall)
	if d.After(b.end) {
		d = b.end
	}
	b.rc.SetReadDeadline(d)
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == io.EOF:
		// The body is over: back to the request's deadline, which net/http's background
		// read after the body must not hit before the handler is done.
		b.done = true
		b.rc.SetReadDeadline(b.end)
	case err != nil:
		// Broken or stalled: the deadline stays, so that net/http's attempt to read the
		// rest (to keep the connection) fails at once and the connection closes.
		b.done = true
	}
	return n, err
}
