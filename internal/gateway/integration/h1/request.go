package h1

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
)

// requestError is a request the client refuses to write (a bad method, target, Host or
// header field). It never warrants a retry.
type requestError struct{ msg string }

func (e *requestError) Error() string { return "h1: " + e.msg }

// writeRequest writes r's head and body to bw and flushes it. Header fields go out in map
// order (nothing needs them sorted); Host, Content-Length and Transfer-Encoding entries of
// r.Header are ignored, as net/http ignores them: the client frames the body itself. A
// Trailer entry is sent (API Gateway sends a mapped one; with a Content-Length body it
// announces nothing). Names must be tokens and values free of control bytes (CR, LF, NUL, ...), else
// nothing useful is sent and the connection must be dropped.
func writeRequest(bw *bufio.Writer, r *Request) error {
	if r.Method == "" || !isToken(r.Method) {
		return &requestError{fmt.Sprintf("invalid method %q", r.Method)}
	}
	if r.Target == "" || hasCTL(r.Target) {
		return &requestError{fmt.Sprintf("invalid request target %q", r.Target)}
	}
	hostHeader := r.HostHeader
	if hostHeader == "" {
		hostHeader = r.Host
	}
	if hasCTL(hostHeader) || containsSpace(hostHeader) {
		return &requestError{fmt.Sprintf("invalid Host %q", hostHeader)}
	}
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(r.Target)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(hostHeader)
	bw.WriteString("\r\n")
	for k, vs := range r.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding":
			continue
		}
		if k == "" || !isToken(k) {
			return &requestError{fmt.Sprintf("invalid header field name %q", k)}
		}
		for _, v := range vs {
			if hasCTLExceptTab(v) {
				return &requestError{fmt.Sprintf("invalid header field value for %q", k)}
			}
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(trimOWS(v))
			bw.WriteString("\r\n")
		}
	}
	if r.Close {
		bw.WriteString("Connection: close\r\n")
	}
	switch {
	case r.stream != nil && r.streamLen < 0:
		bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		cw := httputil.NewChunkedWriter(bw)
		if _, err := io.Copy(cw, r.stream); err != nil {
			return err
		}
		if err := cw.Close(); err != nil {
			return err
		}
		bw.WriteString("\r\n") // no trailer
	case r.stream != nil:
		writeContentLength(bw, r.streamLen)
		if n, err := io.CopyN(bw, r.stream, r.streamLen); err != nil {
			if err == io.EOF {
				return &requestError{fmt.Sprintf("request body of %d bytes is shorter than its ContentLength %d", n, r.streamLen)}
			}
			return err
		}
	case len(r.Body) > 0 || sendsZeroLength(r.Method):
		writeContentLength(bw, int64(len(r.Body)))
		bw.Write(r.Body)
	default:
		bw.WriteString("\r\n")
	}
	return bw.Flush()
}

func writeContentLength(bw *bufio.Writer, n int64) {
	bw.WriteString("Content-Length: ")
	bw.Write(strconv.AppendInt(bw.AvailableBuffer(), n, 10))
	bw.WriteString("\r\n\r\n")
}

// sendsZeroLength reports whether a bodiless request says Content-Length: 0, as net/http
// does for the methods servers expect a body with.
func sendsZeroLength(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			return false
		}
	}
	return true
}

func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return true
		}
	}
	return false
}

func hasCTLExceptTab(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return true
		}
	}
	return false
}

func containsSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return true
		}
	}
	return false
}
