package awsapi_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/awsapi"
)

var uuid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestServe(t *testing.T) {
	t.Parallel()
	rec := awsapi.Recovery{Log: slog.New(slog.DiscardHandler), What: "test call", Internal: func(w http.ResponseWriter, id string) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("internal " + id))
	}}
	tests := []struct {
		name       string
		next       func(w http.ResponseWriter, r *http.Request, id string)
		wantStatus int
		wantBody   string // with the request id in place of ID
	}{
		{"answers", func(w http.ResponseWriter, r *http.Request, id string) { w.Write([]byte("ok " + id)) }, 200, "ok ID"},
		{"panics", func(w http.ResponseWriter, r *http.Request, id string) { panic("boom") }, 500, "internal ID"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		awsapi.Serve(w, httptest.NewRequest("GET", "/", nil), rec, tt.next)
		id := w.Header().Get("x-amzn-RequestId")
		if !uuid.MatchString(id) || w.Code != tt.wantStatus || w.Body.String() != strings.ReplaceAll(tt.wantBody, "ID", id) {
			t.Errorf("Serve(%s) = %d %q, request id %q; want %d %q with a UUID", tt.name, w.Code, w.Body.String(), id, tt.wantStatus, tt.wantBody)
		}
	}
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("Serve re-raised %v; want http.ErrAbortHandler", v)
		}
	}()
	awsapi.Serve(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), rec, func(http.ResponseWriter, *http.Request, string) { panic(http.ErrAbortHandler) })
}

func TestReadBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body    string
		limit   int64
		wantErr error
	}{
		{"abc", 3, nil},
		{"abcd", 3, awsapi.ErrTooLarge},
		{"", 0, nil},
	}
	for _, tt := range tests {
		b, err := awsapi.ReadBody(httptest.NewRequest("POST", "/", strings.NewReader(tt.body)), tt.limit)
		if !errors.Is(err, tt.wantErr) || (err == nil && string(b) != tt.body) {
			t.Errorf("ReadBody(%q, %d) = %q, %v; want %v", tt.body, tt.limit, b, err, tt.wantErr)
		}
	}
}
