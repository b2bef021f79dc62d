package integration

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/mapping"
)

// TestProxyEventContextOrder holds the proxy event's requestContext and identity to the key
// order that $context and $context.identity have in mapping templates (mapping.ContextKeys):
// the order is written twice, once as the event's JSON and once as the templates' map keys,
// and AWS builds both from the same facts.
func TestProxyEventContextOrder(t *testing.T) {
	t.Parallel()
	raw := appendProxyEvent(nil, testInvocation(), nil)
	var event struct {
		RequestContext json.RawMessage `json:"requestContext"`
	}
	if err := json.Unmarshal(raw, &event); err != nil {
		t.Fatalf("appendProxyEvent = %s; not JSON: %v", raw, err)
	}
	rc, identity := objectKeys(t, event.RequestContext)
	if want := mapping.ContextKeys(""); !slices.Equal(rc, want) {
		t.Errorf("requestContext keys = %q; want $context's %q", rc, want)
	}
	ids, _ := objectKeys(t, identity)
	if want := mapping.ContextKeys("identity."); !slices.Equal(ids, want) {
		t.Errorf("requestContext.identity keys = %q; want $context.identity's %q", ids, want)
	}
}

// objectKeys returns the keys of the JSON object raw in order, and the value of its
// "identity" key.
func objectKeys(t *testing.T, raw json.RawMessage) (keys []string, identity json.RawMessage) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not a JSON object (%v)", raw, err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		k := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: value of %q: %v", raw, k, err)
		}
		keys = append(keys, k)
		if k == "identity" {
			identity = v
		}
	}
	return keys, identity
}

// TestProxyEventAPIKey: a request admitted with an API key carries it in
// requestContext.identity (apiKey, apiKeyId); one without has neither member.
func TestProxyEventAPIKey(t *testing.T) {
	t.Parallel()
	identity := func(apiKey, apiKeyID string) map[string]any {
		inv := testInvocation()
		inv.APIKey, inv.APIKeyID = apiKey, apiKeyID
		return eventIdentity(t, inv)
	}
	got := identity("abcdefghijklmnopqrstuv", "k1x2y3")
	if got["apiKey"] != "abcdefghijklmnopqrstuv" || got["apiKeyId"] != "k1x2y3" || got["sourceIp"] == nil {
		t.Errorf("identity with a key = %v; want apiKey, apiKeyId and the rest", got)
	}
	got = identity("", "")
	if _, has := got["apiKey"]; has {
		t.Errorf("identity without a key = %v; want no apiKey member", got)
	}
	if _, has := got["apiKeyId"]; has {
		t.Errorf("identity without a key = %v; want no apiKeyId member", got)
	}
}
