// Package awsapi is what the management listener's AWS APIs (apigateway in internal/mgmt,
// Lambda in internal/lambdaapi, IAM and STS in internal/iamapi) share, whatever their wire
// protocol: the request id every answer carries, the request body read once within a
// limit, and panic recovery. Each API keeps its own error shape: it passes the writer of
// its internal-failure answer and renders ReadBody's failures itself.
package awsapi

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// RequestIDHeader is the header AWS's services put their request id in.
const RequestIDHeader = "x-amzn-RequestId"

// Recovery says how an API answers a panic: the log, what it calls its calls in the log
// ("management call"), and the writer of its internal-failure error.
type Recovery struct {
	Log      *slog.Logger
	What     string
	Internal func(w http.ResponseWriter, requestID string)
}

// Serve runs next with a new request id, set as x-amzn-RequestId before anything is
// written. A panic in next is logged and answered with Internal, never a dropped
// connection; http.ErrAbortHandler (a stream cut on purpose) is re-raised.
func Serve(w http.ResponseWriter, r *http.Request, rec Recovery, next func(w http.ResponseWriter, r *http.Request, requestID string)) {
	requestID := NewRequestID()
	w.Header().Set(RequestIDHeader, requestID)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log := rec.Log
			if log == nil {
				log = slog.Default()
			}
			log.Error(rec.What+" panicked", "method", r.Method, "path", r.URL.Path, "request_id", requestID, "panic", v)
			rec.Internal(w, requestID)
		}
	}()
	next(w, r, requestID)
}

// ErrTooLarge is ReadBody's answer to a body longer than its limit.
var ErrTooLarge = errors.New("request body too large")

// ReadBody reads r's body, at most limit bytes: a longer one is ErrTooLarge, read no
// further than limit+1 bytes. Any other error is the read's.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}

// NewRequestID returns a random UUID (version 4), the form of AWS's request ids.
func NewRequestID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}
