package invoke

import (
	"net/http"
	"testing"
)

func TestIncomingTrace(t *testing.T) {
	const generated = "Root=1-6b0fb592-22cffc7bcbf8fa5668d5b5a0"
	for _, c := range []struct{ in, want string }{
		{"Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1", "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"},
		{"Root=1-3152b799-8954dae64eda91bc9a23a7e8", "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=cbf8fa5668d5b5a0"},
		{"Root=1-3152b799-8954dae64eda91bc9a23a7e8;Sampled=0", "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Sampled=0;Parent=cbf8fa5668d5b5a0"},
		{"Self=1-3152b799-8954dae64eda91bc9a23a7e8", generated},
		{"", generated},
	} {
		if got := IncomingTrace(c.in, generated); got != c.want {
			t.Errorf("IncomingTrace(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

// TestHeaderRules pins a few rules of the table against what AWS records, one per rule.
func TestHeaderRules(t *testing.T) {
	for _, c := range []struct {
		name string
		rule HeaderRule
		want bool
	}{
		{"te", Hidden, true}, {"Content-Encoding", Hidden, false}, {"Host", NotProxied, true},
		{"Via", DroppedToHTTP, true}, {"Referer", DroppedToAWS, true}, {"Referer", DroppedToHTTP, false},
		{"Content-Length", Refused, true}, {"Authorization", Refused, false}, {"Authorization", RefusedAWS, true},
		{"Trailer", Refused | RefusedAWS, false}, {"Server", RemappedProxy, true}, {"User-Agent", RemappedMapped, true},
		{"User-Agent", RemappedMock, false}, {"Transfer-Encoding", DroppedFromAnswer, true},
	} {
		if got := HeaderRules(c.name)&c.rule != 0; got != c.want {
			t.Errorf("%s has rule %b = %v; want %v", c.name, c.rule, got, c.want)
		}
	}
	if got := RemappedName("WWW-Authenticate"); got != "x-amzn-Remapped-WWW-Authenticate" {
		t.Errorf("RemappedName(WWW-Authenticate) = %q", got)
	}
}

// FuzzIncomingTrace: whatever the client sends, the trace is the generated one or the
// client's value, kept as sent, with a Parent only appended.
func FuzzIncomingTrace(f *testing.F) {
	f.Add("Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1")
	f.Add("Root=1-3152b799-8954dae64eda91bc9a23a7e8")
	f.Add("Root=;Parent=")
	f.Add("")
	const generated = "Root=1-6b0fb592-22cffc7bcbf8fa5668d5b5a0"
	f.Fuzz(func(t *testing.T, v string) {
		got := IncomingTrace(v, generated)
		if got != generated && got != v && got != v+";Parent=cbf8fa5668d5b5a0" {
			t.Fatalf("IncomingTrace(%q) = %q", v, got)
		}
	})
}

// TestHeaderKeyValue: a resolved HeaderKey reads what HeaderValue reads, by any casing.
func TestHeaderKeyValue(t *testing.T) {
	t.Parallel()
	r := &Request{Host: "api.example.com", Header: http.Header{
		"Authorization":  {"first", "last"},
		"Content-Length": {"12"},
		"X-Empty":        {},
	}}
	for _, name := range []string{"Authorization", "authorization", "AUTHORIZATION", "Host", "host", "Content-Length", "content-length", "X-Empty", "X-Missing", "Connection"} {
		want, wantOK := r.HeaderValue(name)
		got, ok := r.HeaderKeyValue(NewHeaderKey(name))
		if got != want || ok != wantOK {
			t.Errorf("HeaderKeyValue(%q) = %q, %v; HeaderValue says %q, %v", name, got, ok, want, wantOK)
		}
	}
	if got, ok := (&Request{}).HeaderKeyValue(NewHeaderKey("Host")); got != "" || ok {
		t.Errorf("HeaderKeyValue(Host) without a host = %q, %v; want none", got, ok)
	}
}
