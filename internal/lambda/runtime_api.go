package lambda

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/h1server"
)

// The Lambda Runtime API, version 2018-06-01, as one process sees it on its own listener
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html). Status codes and error
// bodies are AWS's, as its runtime interface emulator gives them:
//
//	GET  /2018-06-01/runtime/invocation/next            200 + event, Lambda-Runtime-* headers
//	POST /2018-06-01/runtime/invocation/{id}/response   202 {"status":"OK"}
//	POST /2018-06-01/runtime/invocation/{id}/error      202 {"status":"OK"}
//	POST /2018-06-01/runtime/init/error                 202 {"status":"OK"}
//
// An id that is not the running invocation's: 400 InvalidRequestID. A call the runtime's
// state does not allow (a response with no invocation running, /next before answering,
// init/error after init): 403 InvalidStateTransition. A response over MaxResponseBytes: 413
// RequestEntityTooLarge, and the invocation ends with Function.ResponseSizeTooLarge.
// Malformed HTTP gets h1server's 400 and a closed connection; the invocation then ends when
// the process answers properly, exits or times out.
const (
	apiPrefix        = "/2018-06-01/runtime/"
	invocationPrefix = apiPrefix + "invocation/"
	nextPath         = invocationPrefix + "next"
	initErrorPath    = apiPrefix + "init/error"

	headerRequestID       = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline        = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID         = "Lambda-Runtime-Trace-Id"
	headerClientContext   = "Lambda-Runtime-Client-Context"
	headerCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	headerErrorType       = "Lambda-Runtime-Function-Error-Type"

	// AWS's names of the runtime's states, for InvalidStateTransition messages.
	stateStarted            = "Started"
	stateReady              = "Ready"
	stateRunning            = "Running"
	stateInitError          = "InitError"
	stateInvocationResponse = "InvocationResponse"
	stateInvocationError    = "InvocationErrorResponse"
)

var (
	jsonContentType = []string{"application/json"}
	statusOK        = []byte(`{"status":"OK"}`)
)

// ServeHTTP serves the Runtime API of this process.
func (pr *process) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == nextPath:
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		pr.next(w, r)
	case path == initErrorPath:
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		pr.initError(w, r)
	case strings.HasPrefix(path, invocationPrefix):
		rest := path[len(invocationPrefix):]
		var id string
		var isError bool
		switch {
		case strings.HasSuffix(rest, "/response"):
			id = rest[:len(rest)-len("/response")]
		case strings.HasSuffix(rest, "/error"):
			id, isError = rest[:len(rest)-len("/error")], true
		}
		if id == "" || strings.IndexByte(id, '/') >= 0 {
			notFound(w)
			return
		}
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		pr.answer(w, r, id, isError)
	default:
		notFound(w)
	}
}

// next waits for this process's next invocation and sends it. A runtime that closes its
// connection while it waits is no longer waiting: the invocation goes to the runtime's next
// /next instead of into a closed connection, where it would be lost until its timeout.
func (pr *process) next(w http.ResponseWriter, r *http.Request) {
	// Only a /next that waits is watched (h1server.WatchClose): one that finds its
	// invocation queued, as under load, answers at once and pays nothing.
	var watch context.Context
	var stopWatch func()
	defer func() {
		if stopWatch != nil {
			stopWatch()
		}
	}()
	gone := func() bool { return watch != nil && watch.Err() != nil }
	pr.mu.Lock()
	if pr.cur != nil {
		pr.mu.Unlock()
		stateError(w, stateRunning, stateReady)
		return
	}
	first := !pr.initialized
	pr.initialized = true
	for pr.queued == nil || gone() {
		if pr.dead.Load() || pr.terminating.Load() {
			pr.mu.Unlock()
			// Close the connection without an answer: the runtime sees the API go away.
			panic(http.ErrAbortHandler)
		}
		if gone() {
			// The client is gone. The wake this waiter may have taken belongs to the
			// runtime's live /next, if it already asks again.
			queued := pr.queued != nil
			pr.mu.Unlock()
			if queued {
				select {
				case pr.wake <- struct{}{}:
				default:
				}
			}
			return
		}
		pr.mu.Unlock()
		if watch == nil {
			watch, stopWatch = h1server.WatchClose(w, r)
		}
		select {
		case <-pr.wake:
		case <-pr.stopping:
		case <-pr.exited:
		case <-watch.Done():
		}
		pr.mu.Lock()
	}
	inv := pr.queued
	pr.queued = nil
	pr.cur = inv
	pr.logID = inv.id
	pr.capture = nil
	if inv.tail {
		pr.capture = inv
	}
	inv.state, inv.delivered = invWriting, true
	inv.handedAt = time.Now()
	inv.deadline = inv.handedAt.Add(pr.spec.Timeout)
	pr.timer.Reset(pr.spec.Timeout)
	pr.mu.Unlock()
	if first {
		pr.rt.log.Debug("lambda function initialized", "function", pr.spec.Name, "pid", pr.pid, "initDuration", time.Since(pr.started))
	}

	h := w.Header()
	v := &inv.hdr
	v[0] = inv.id
	v[1] = strconv.FormatInt(inv.deadline.UnixMilli(), 10)
	v[2] = pr.spec.ARN
	if inv.invokedARN != "" {
		v[2] = inv.invokedARN
	}
	v[3] = inv.traceID
	v[4] = strconv.Itoa(len(inv.payload))
	h[headerRequestID] = v[0:1:1]
	h[headerDeadline] = v[1:2:2]
	if v[2] != "" {
		h[headerFunctionARN] = v[2:3:3]
	}
	h[headerTraceID] = v[3:4:4]
	if inv.clientContext != "" {
		v[5] = inv.clientContext
		h[headerClientContext] = v[5:6:6]
	}
	if inv.cognitoID != "" {
		v[6] = inv.cognitoID
		h[headerCognitoIdentity] = v[6:7:7]
	}
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = v[4:5:5]
	w.WriteHeader(http.StatusOK)
	w.Write(inv.payload)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}

	pr.mu.Lock()
	if inv.state == invWriting {
		inv.state = invRunning
	}
	if inv.wrote != nil {
		close(inv.wrote)
		inv.wrote = nil
	}
	pr.mu.Unlock()
}

// answer takes the running invocation's response or error.
func (pr *process) answer(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	pr.mu.Lock()
	inv := pr.cur
	state := stateReady
	if !pr.initialized {
		state = stateStarted
	}
	match := inv != nil && inv.id == id
	var handedAt time.Time
	var tail bool
	if match {
		// Read under mu: once mu is released the invocation may time out, and its caller
		// recycle it (putInvocation) while this answer is still being read.
		handedAt, tail = inv.handedAt, inv.tail
	}
	pr.mu.Unlock()
	to := stateInvocationResponse
	if isError {
		to = stateInvocationError
	}
	if inv == nil {
		stateError(w, state, to)
		return
	}
	if !match {
		invalidRequestID(w)
		return
	}

	max := pr.rt.cfg.MaxResponseBytes
	body, tooLarge, err := readBody(r, max)
	if err != nil {
		// The connection broke mid-body: nothing arrived. The invocation ends when the
		// process answers again, exits or times out.
		return
	}
	var res Result
	switch {
	case tooLarge:
		res = Result{
			Payload:       errorJSON("Response payload size exceeded maximum allowed payload size ("+strconv.Itoa(max)+" bytes).", errorTypeResponseTooLarge),
			FunctionError: functionErrorUnhandled,
		}
	case isError:
		res = Result{Payload: errorBody(body, r.Header.Get(headerErrorType)), FunctionError: functionErrorUnhandled}
	default:
		res = Result{Payload: body}
	}
	res.Duration = time.Since(handedAt)
	if tail {
		// What the function printed before it answered is in the pipes or in drain.
		pr.catchUpOutput()
		res.MaxMemoryMB = maxMemoryMB(pr.pid)
	}

	pr.mu.Lock()
	if pr.cur != inv || inv.id != id {
		// It ended meanwhile (timed out, say): the answer is late.
		pr.mu.Unlock()
		invalidRequestID(w)
		return
	}
	wanted := pr.finishLocked(inv, res, nil)
	pr.timer.Stop()
	pr.mu.Unlock()
	pr.complete(inv, wanted, true)

	if tooLarge {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorJSON("Exceeded maximum allowed payload size ("+strconv.Itoa(max)+" bytes).", "RequestEntityTooLarge"))
		return
	}
	writeJSON(w, http.StatusAccepted, statusOK)
}

// initError takes a runtime's report that it cannot initialize; the process is then
// stopped and its pending invocation ends with the report.
func (pr *process) initError(w http.ResponseWriter, r *http.Request) {
	pr.mu.Lock()
	initialized, running := pr.initialized, pr.cur != nil
	pr.mu.Unlock()
	if initialized {
		from := stateReady
		if running {
			from = stateRunning
		}
		stateError(w, from, stateInitError)
		return
	}
	body, _, err := readBody(r, pr.rt.cfg.MaxResponseBytes)
	if err != nil {
		return
	}
	pr.mu.Lock()
	pr.initErr = errorBody(body, r.Header.Get(headerErrorType))
	pr.mu.Unlock()
	writeJSON(w, http.StatusAccepted, statusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	pr.rt.log.Warn("lambda function init error", "function", pr.spec.Name, "pid", pr.pid, "errorType", r.Header.Get(headerErrorType))
	pr.stop()
	pr.kill()
}

// errorBody is the invocation's error payload: what the runtime posted, or — when it posted
// nothing — one built from its Lambda-Runtime-Function-Error-Type header, as AWS does.
func errorBody(body []byte, errorType string) []byte {
	if len(body) > 0 {
		return body
	}
	if errorType == "" {
		errorType = "Runtime.Unknown"
	}
	return errorJSON(errorType, errorType)
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// readBody reads a request body of at most max bytes; tooLarge reports a larger one (read no
// further).
func readBody(r *http.Request, max int) (body []byte, tooLarge bool, err error) {
	if n := r.ContentLength; n >= 0 {
		if n > int64(max) {
			return nil, true, nil
		}
		body = make([]byte, n)
		_, err = io.ReadFull(r.Body, body)
		return body, false, err
	}
	bp := bodyPool.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= 1<<20 {
			*bp = buf[:0]
			bodyPool.Put(bp)
		}
	}()
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, rerr := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > max {
			return nil, true, nil
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, false, rerr
		}
	}
	return append([]byte(nil), buf...), false, nil
}

// errorJSON is Lambda's error document {"errorMessage":...,"errorType":...}.
func errorJSON(message, errorType string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{message, errorType})
	return b
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(body)
}

func stateError(w http.ResponseWriter, from, to string) {
	writeJSON(w, http.StatusForbidden, errorJSON("State transition from "+from+" to "+to+" failed for runtime. Error: State transition is not allowed", "InvalidStateTransition"))
}

func invalidRequestID(w http.ResponseWriter) {
	writeJSON(w, http.StatusBadRequest, errorJSON("Invalid request ID", "InvalidRequestID"))
}

func notFound(w http.ResponseWriter) {
	w.Header()["Content-Type"] = []string{"text/plain; charset=utf-8"}
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, "404 page not found\n")
}
