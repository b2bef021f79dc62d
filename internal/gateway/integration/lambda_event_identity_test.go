package integration

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// eventIdentity is the requestContext.identity of the proxy event built for inv.
func eventIdentity(t *testing.T, inv *invoke.Invocation) map[string]any {
	t.Helper()
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

// TestProxyEventIAMIdentity: an AWS_IAM caller fills requestContext.identity's accountId,
// caller, user, userArn and accessKey; without one they are null, as AWS sends them.
func TestProxyEventIAMIdentity(t *testing.T) {
	t.Parallel()
	identity := func(id invoke.Identity) map[string]any {
		inv := testInvocation()
		inv.Identity = id
		return eventIdentity(t, inv)
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

// TestProxyEventVPCEndpoint: a request through a VPC endpoint listener carries the endpoint
// and its VPC in requestContext.identity (vpceId, vpcId), and $context.identity.vpceId and
// vpcId have them; a request on the public listener has neither member.
func TestProxyEventVPCEndpoint(t *testing.T) {
	t.Parallel()
	inv := testInvocation()
	inv.SourceVPCE, inv.SourceVPC = "vpce-0123456789abcdef0", "vpc-0abc1234"
	got := eventIdentity(t, inv)
	if got["vpceId"] != "vpce-0123456789abcdef0" || got["vpcId"] != "vpc-0abc1234" {
		t.Errorf("identity through a VPC endpoint = %v; want vpceId and vpcId", got)
	}
	for name, want := range map[string]string{"identity.vpceId": "vpce-0123456789abcdef0", "identity.vpcId": "vpc-0abc1234"} {
		if v, ok := inv.ContextVar(name); !ok || v != want {
			t.Errorf("ContextVar(%q) = %q, %v; want %q", name, v, ok, want)
		}
	}
	inv.SourceVPC = "" // --vpce ADDR=vpce-id without a VPC
	if got := eventIdentity(t, inv); got["vpcId"] != nil {
		t.Errorf("identity through an endpoint of no VPC: vpcId = %v; want null", got["vpcId"])
	}
	got = eventIdentity(t, testInvocation())
	if _, has := got["vpceId"]; has {
		t.Errorf("identity on the public listener = %v; want no vpceId", got)
	}
	if _, ok := testInvocation().ContextVar("identity.vpceId"); ok {
		t.Error("ContextVar(identity.vpceId) on the public listener has a value")
	}
}
