package integration

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// TestProxyEventIAMIdentity: an AWS_IAM caller fills requestContext.identity's accountId,
// caller, user, userArn and accessKey; without one they are null, as AWS sends them.
func TestProxyEventIAMIdentity(t *testing.T) {
	t.Parallel()
	identity := func(id invoke.Identity) map[string]any {
		inv := testInvocation()
		inv.Identity = id
		var event struct {
			RequestContext struct {
				Identity map[string]any `json:"identity"`
			} `json:"requestContext"`
		}
		raw := appendProxyEvent(nil, inv, nil)
		if err := json.Unmarshal(raw, &event); err != nil {
			t.Fatalf("appendProxyEvent = %s; not JSON: %v", raw, err)
		}
		return event.RequestContext.Identity
	}
	got := identity(invoke.Identity{AccountID: "123456789012", Caller: "AIDAALICE", User: "AIDAALICE",
		UserARN: "arn:aws:iam::123456789012:user/alice", AccessKey: "AKIAALICE"})
	for k, want := range map[string]string{"accountId": "123456789012", "caller": "AIDAALICE", "user": "AIDAALICE",
		"userArn": "arn:aws:iam::123456789012:user/alice", "accessKey": "AKIAALICE"} {
		if got[k] != want {
			t.Errorf("identity[%q] = %v; want %q", k, got[k], want)
		}
	}
	got = identity(invoke.Identity{})
	for _, k := range []string{"accountId", "caller", "user", "userArn", "accessKey"} {
		if v, has := got[k]; !has || v != nil {
			t.Errorf("identity without an IAM caller: %q = %v (present %v); want null", k, v, has)
		}
	}
}
