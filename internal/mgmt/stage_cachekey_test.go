package mgmt

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store"
)

// A stage with its cache enabled is stored with a cache data key of 32 random bytes, which
// no operation returns; disabling the cache drops it, and enabling it again makes a new one.
func TestStageCacheDataKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	dep := e.deploy(t, apiID, "")
	stored := func(name string) []byte {
		t.Helper()
		var sd model.StageDocument
		if _, err := store.GetJSON(context.Background(), e.store, e.scope.StageKey(apiID, name), &sd); err != nil {
			t.Fatal(err)
		}
		return sd.CacheDataKey
	}
	if _, err := e.client.CreateStage(ctx(t), &apigateway.CreateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("plain"), DeploymentId: aws.String(dep)}); err != nil {
		t.Fatal(err)
	}
	if k := stored("plain"); k != nil {
		t.Errorf("stage without a cache: key %x; want none", k)
	}
	if _, err := e.client.CreateStage(ctx(t), &apigateway.CreateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("c"), DeploymentId: aws.String(dep),
		CacheClusterEnabled: true}); err != nil {
		t.Fatal(err)
	}
	k1 := stored("c")
	if len(k1) != 32 || bytes.Equal(k1, make([]byte, 32)) {
		t.Fatalf("cached stage key = %x; want 32 random bytes", k1)
	}
	for _, name := range []string{"c", "plain"} {
		code, body := e.rawGet(t, "/restapis/"+apiID+"/stages/"+name)
		for k := range body {
			if strings.Contains(strings.ToLower(k), "key") {
				t.Errorf("GetStage %s (%d) returns %q", name, code, k)
			}
		}
	}
	patch := func(name, value string) {
		t.Helper()
		if _, err := e.client.UpdateStage(ctx(t), &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String(name),
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/cacheClusterEnabled"), Value: aws.String(value)}}}); err != nil {
			t.Fatal(err)
		}
	}
	patch("plain", "true")
	if k := stored("plain"); len(k) != 32 {
		t.Errorf("UpdateStage enabling the cache: key %x; want 32 bytes", k)
	}
	patch("c", "true")
	if k := stored("c"); !bytes.Equal(k, k1) {
		t.Errorf("an update keeping the cache changed its key")
	}
	patch("c", "false")
	if k := stored("c"); k != nil {
		t.Errorf("cache disabled: key %x; want none", k)
	}
	patch("c", "true")
	if k := stored("c"); len(k) != 32 || bytes.Equal(k, k1) {
		t.Errorf("cache enabled again: key %x; want a new one", k)
	}
}
