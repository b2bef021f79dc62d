package mgmt

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
)

func TestCreateStageDefaultsOnTheWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	dep := e.deploy(t, apiID, "")
	e.createDocumentationVersion(t, apiID, "v123")
	out, err := e.client.CreateStage(ctx(t), &apigateway.CreateStageInput{
		RestApiId: aws.String(apiID), StageName: aws.String("s1"), DeploymentId: aws.String(dep),
		Description: aws.String("my stage"), DocumentationVersion: aws.String("v123"),
	})
	if err != nil {
		t.Fatalf("CreateStage: %v", err)
	}
	if !out.CreatedDate.Equal(*out.LastUpdatedDate) {
		t.Errorf("createdDate %v != lastUpdatedDate %v", out.CreatedDate, out.LastUpdatedDate)
	}
	// The recorded shape (test_create_update_stages "create-stage"): exactly these fields.
	code, body := e.rawGet(t, "/restapis/"+apiID+"/stages/s1")
	if code != 200 {
		t.Fatalf("GET stage = %d %v", code, body)
	}
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	wantKeys := []string{"cacheClusterEnabled", "cacheClusterStatus", "createdDate", "deploymentId", "description", "documentationVersion", "lastUpdatedDate", "methodSettings", "stageName", "tracingEnabled"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("stage fields = %v; want %v", keys, wantKeys)
	}
	if ms, ok := body["methodSettings"].(map[string]any); !ok || len(ms) != 0 {
		t.Errorf("methodSettings = %#v; want {}", body["methodSettings"])
	}
	if body["cacheClusterEnabled"] != false || body["tracingEnabled"] != false || body["cacheClusterStatus"] != "NOT_AVAILABLE" {
		t.Errorf("stage defaults = %v", body)
	}
	if _, ok := body["createdDate"].(float64); !ok {
		t.Errorf("createdDate = %#v; want epoch seconds", body["createdDate"])
	}
}

func TestCreateStageRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	dep := e.deploy(t, apiID, "taken")
	tests := []struct {
		name string
		in   apigateway.CreateStageInput
		code string
		msg  string
	}{
		{"duplicate", apigateway.CreateStageInput{StageName: aws.String("taken"), DeploymentId: aws.String(dep)}, "ConflictException", "Stage already exists"},
		{"unknown deployment", apigateway.CreateStageInput{StageName: aws.String("s2"), DeploymentId: aws.String("nope00")}, "NotFoundException", "Invalid Deployment identifier specified"},
		{"unknown canary deployment", apigateway.CreateStageInput{StageName: aws.String("s3"), DeploymentId: aws.String(dep),
			CanarySettings: &types.CanarySettings{DeploymentId: aws.String("deploy")}}, "BadRequestException", "Deployment id does not exist"},
		{"bad name", apigateway.CreateStageInput{StageName: aws.String("a b"), DeploymentId: aws.String(dep)}, "BadRequestException", "Stage name only allows a-zA-Z0-9_-"},
		{"every problem at once", apigateway.CreateStageInput{StageName: aws.String("a/b"), DeploymentId: aws.String(dep),
			Variables: map[string]string{"x": ""}, CanarySettings: &types.CanarySettings{PercentTraffic: 101}},
			"BadRequestException", "Stage name only allows a-zA-Z0-9_- Stage variable value for 'x' must match the regular expression [A-Za-z0-9-._~:/?#&=,]+ Canary traffic percentage must be between 0.0 and 100.0"},
		{"cache size", apigateway.CreateStageInput{StageName: aws.String("s4"), DeploymentId: aws.String(dep), CacheClusterSize: "1"},
			"ValidationException", "1 validation error detected: Value '1' at 'createStageInput.cacheClusterSize' failed to satisfy constraint: Member must satisfy enum value set: [0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.RestApiId = aws.String(apiID)
			_, err := e.client.CreateStage(ctx(t), &in)
			wantAPIError(t, "CreateStage", err, tt.code, tt.msg)
		})
	}
	_, err := e.client.CreateStage(ctx(t), &apigateway.CreateStageInput{RestApiId: aws.String("nope123456"), StageName: aws.String("s"), DeploymentId: aws.String(dep)})
	wantAPIError(t, "CreateStage unknown API", err, "NotFoundException", "Invalid API identifier specified "+testAccount+":nope123456")
}

func TestStageListGetDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	d1 := e.deploy(t, apiID, "stage1")
	d2 := e.deploy(t, apiID, "stage2")
	canary, err := e.client.CreateStage(ctx(t), &apigateway.CreateStageInput{
		RestApiId: aws.String(apiID), StageName: aws.String("stage3"), DeploymentId: aws.String(d1),
		CanarySettings: &types.CanarySettings{PercentTraffic: 40, StageVariableOverrides: map[string]string{"testVar": "canary1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A canary created without a deployment starts on the stage's.
	if cs := canary.CanarySettings; cs == nil || *cs.DeploymentId != d1 || cs.PercentTraffic != 40 {
		t.Errorf("canary = %+v; want deployment %s at 40%%", cs, d1)
	}
	names := func(filter string) []string {
		in := &apigateway.GetStagesInput{RestApiId: aws.String(apiID)}
		if filter != "" {
			in.DeploymentId = aws.String(filter)
		}
		out, err := e.client.GetStages(ctx(t), in)
		if err != nil {
			t.Fatalf("GetStages: %v", err)
		}
		var ns []string
		for _, st := range out.Item {
			ns = append(ns, *st.StageName)
		}
		return ns
	}
	for _, tt := range []struct {
		filter string
		want   []string
	}{{"", []string{"stage1", "stage2", "stage3"}}, {d1, []string{"stage1", "stage3"}}, {d2, []string{"stage2"}}, {"nope00", nil}} {
		if got := names(tt.filter); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("GetStages(deploymentId=%q) = %v; want %v", tt.filter, got, tt.want)
		}
	}
	// The wire name is "item", with no pagination.
	if code, body := e.rawGet(t, "/restapis/"+apiID+"/stages?deploymentId=nope00"); code != 200 || body["item"] == nil {
		t.Errorf("GET stages = %d %v; want an empty \"item\" list", code, body)
	}

	if _, err := e.client.DeleteStage(ctx(t), &apigateway.DeleteStageInput{RestApiId: aws.String(apiID), StageName: aws.String("stage2")}); err != nil {
		t.Fatalf("DeleteStage: %v", err)
	}
	for _, call := range []struct {
		name string
		err  error
	}{
		{"GetStage deleted", func() error {
			_, err := e.client.GetStage(ctx(t), &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("stage2")})
			return err
		}()},
		{"DeleteStage deleted", func() error {
			_, err := e.client.DeleteStage(ctx(t), &apigateway.DeleteStageInput{RestApiId: aws.String(apiID), StageName: aws.String("stage2")})
			return err
		}()},
		{"UpdateStage deleted", func() error {
			_, err := e.client.UpdateStage(ctx(t), &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("stage2")})
			return err
		}()},
	} {
		wantAPIError(t, call.name, call.err, "NotFoundException", "Invalid stage identifier specified")
	}
	_, err = e.client.GetStages(ctx(t), &apigateway.GetStagesInput{RestApiId: aws.String("nope123456")})
	wantAPIError(t, "GetStages unknown API", err, "NotFoundException", "Invalid API identifier specified "+testAccount+":nope123456")
	// The deleted stage's deployment is free again.
	if _, err := e.client.DeleteDeployment(ctx(t), &apigateway.DeleteDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: aws.String(d2)}); err != nil {
		t.Errorf("DeleteDeployment after its stage went: %v", err)
	}
}

// op builds a patch operation.
func op(o types.Op, path string, value ...string) types.PatchOperation {
	p := types.PatchOperation{Op: o, Path: aws.String(path)}
	if len(value) > 0 {
		p.Value = aws.String(value[0])
	}
	return p
}

func TestUpdateStage(t *testing.T) {
	t.Parallel()
	e, clk := newClockEnv(t)
	apiID := e.deployableAPI(t)
	d1 := e.deploy(t, apiID, "")
	d2 := e.deploy(t, apiID, "")
	e.createDocumentationVersion(t, apiID, "v2")
	// Each case runs on a fresh stage created from d1 with variables {keep: "1"}.
	n := 0
	fresh := func(t *testing.T) string {
		n++
		name := "s" + string(rune('a'+n))
		if _, err := e.client.CreateStage(ctx(t), &apigateway.CreateStageInput{
			RestApiId: aws.String(apiID), StageName: aws.String(name), DeploymentId: aws.String(d1), Variables: map[string]string{"keep": "1"},
		}); err != nil {
			t.Fatal(err)
		}
		return name
	}
	defaults := *defaultMethodSetting()
	tests := []struct {
		name  string
		ops   []types.PatchOperation
		check func(st *model.Stage) bool
	}{
		{"description and documentation version", []types.PatchOperation{op(types.OpReplace, "/description", "stage new"), op(types.OpReplace, "/documentationVersion", "v2")},
			func(st *model.Stage) bool { return st.Description == "stage new" && st.DocumentationVersion == "v2" }},
		{"rollback to another deployment", []types.PatchOperation{op(types.OpReplace, "/deploymentId", d2)},
			func(st *model.Stage) bool { return st.DeploymentID == d2 }},
		{"variables add, replace, remove", []types.PatchOperation{op(types.OpAdd, "/variables/a", "x"), op(types.OpReplace, "/variables/b", "y:z/1"), op(types.OpRemove, "/variables/keep")},
			func(st *model.Stage) bool {
				return reflect.DeepEqual(st.Variables, map[string]string{"a": "x", "b": "y:z/1"})
			}},
		{"cache cluster", []types.PatchOperation{op(types.OpReplace, "/cacheClusterEnabled", "TRUE"), op(types.OpReplace, "/cacheClusterSize", "6.1")},
			func(st *model.Stage) bool {
				return st.CacheClusterEnabled && st.CacheClusterSize == "6.1" && st.CacheClusterStatus == "AVAILABLE"
			}},
		{"tracing and client certificate", []types.PatchOperation{op(types.OpReplace, "/tracingEnabled", "true"), op(types.OpReplace, "/clientCertificateId", "abc123")},
			func(st *model.Stage) bool { return st.TracingEnabled && st.ClientCertificateID == "abc123" }},
		{"access log settings", []types.PatchOperation{op(types.OpReplace, "/accessLogSettings/format", "$context.requestId"), op(types.OpReplace, "/accessLogSettings/destinationArn", "arn:aws:logs:us-east-1:123456789012:log-group:x")},
			func(st *model.Stage) bool {
				return st.AccessLogSettings != nil && st.AccessLogSettings.Format == "$context.requestId" && st.AccessLogSettings.DestinationArn == "arn:aws:logs:us-east-1:123456789012:log-group:x"
			}},
		{"access log settings removed", []types.PatchOperation{op(types.OpReplace, "/accessLogSettings/format", "x"), op(types.OpRemove, "/accessLogSettings")},
			func(st *model.Stage) bool { return st.AccessLogSettings == nil }},
		{"wildcard method settings from AWS's defaults", []types.PatchOperation{op(types.OpReplace, "/*/*/caching/enabled", "true")},
			func(st *model.Stage) bool {
				want := defaults
				want.CachingEnabled = true
				return len(st.MethodSettings) == 1 && reflect.DeepEqual(*st.MethodSettings["*/*"], want)
			}},
		{"every method setting", []types.PatchOperation{
			op(types.OpReplace, "/~1pets/GET/metrics/enabled", "true"),
			op(types.OpReplace, "/~1pets/GET/logging/loglevel", "INFO"),
			op(types.OpReplace, "/~1pets/GET/logging/dataTrace", "true"),
			op(types.OpReplace, "/~1pets/GET/throttling/burstLimit", "10"),
			op(types.OpReplace, "/~1pets/GET/throttling/rateLimit", "2.5"),
			op(types.OpReplace, "/~1pets/GET/caching/enabled", "true"),
			op(types.OpReplace, "/~1pets/GET/caching/ttlInSeconds", "60"),
			op(types.OpReplace, "/~1pets/GET/caching/dataEncrypted", "true"),
			op(types.OpReplace, "/~1pets/GET/caching/requireAuthorizationForCacheControl", "false"),
			op(types.OpReplace, "/~1pets/GET/caching/unauthorizedCacheControlHeaderStrategy", "FAIL_WITH_403"),
		}, func(st *model.Stage) bool {
			want := model.MethodSetting{MetricsEnabled: true, LoggingLevel: "INFO", DataTraceEnabled: true, ThrottlingBurstLimit: 10, ThrottlingRateLimit: 2.5,
				CachingEnabled: true, CacheTTLInSeconds: 60, CacheDataEncrypted: true, UnauthorizedCacheControlHeaderStrategy: "FAIL_WITH_403"}
			return len(st.MethodSettings) == 1 && reflect.DeepEqual(*st.MethodSettings["pets/GET"], want)
		}},
		{"a new entry starts from */*, which later changes do not reach", []types.PatchOperation{
			op(types.OpReplace, "/*/*/throttling/burstLimit", "123"),
			op(types.OpReplace, "/*/*/caching/enabled", "true"),
			op(types.OpReplace, "/~1test/GET/throttling/burstLimit", "124"),
			op(types.OpReplace, "/*/*/throttling/burstLimit", "100"),
		}, func(st *model.Stage) bool {
			all, test := st.MethodSettings["*/*"], st.MethodSettings["test/GET"]
			return all != nil && test != nil && all.ThrottlingBurstLimit == 100 && test.ThrottlingBurstLimit == 124 && test.CachingEnabled
		}},
		{"a nested resource path and the wildcard entry removed", []types.PatchOperation{
			op(types.OpReplace, "/~1pets~1{id}/ANY/metrics/enabled", "true"),
			op(types.OpReplace, "/*/*/metrics/enabled", "true"),
			op(types.OpRemove, "/*/*"),
		}, func(st *model.Stage) bool {
			return len(st.MethodSettings) == 1 && st.MethodSettings["pets/{id}/ANY"] != nil && st.MethodSettings["pets/{id}/ANY"].MetricsEnabled
		}},
		// aws_api_gateway_method_settings sends "/" + method_path + "/" + setting, unescaped.
		{"Terraform's unescaped method paths", []types.PatchOperation{
			op(types.OpReplace, "/pets/{id}/GET/metrics/enabled", "true"),
			op(types.OpReplace, "//GET/logging/loglevel", "ERROR"),
			op(types.OpReplace, "/~1pets~1{id}/GET/caching/enabled", "true"),
		}, func(st *model.Stage) bool {
			ms, root := st.MethodSettings["pets/{id}/GET"], st.MethodSettings["/GET"]
			return len(st.MethodSettings) == 2 && ms != nil && ms.MetricsEnabled && ms.CachingEnabled && root != nil && root.LoggingLevel == "ERROR"
		}},
		{"removing one setting restores its default", []types.PatchOperation{
			op(types.OpReplace, "/*/*/logging/loglevel", "ERROR"),
			op(types.OpReplace, "/*/*/caching/ttlInSeconds", "5"),
			op(types.OpRemove, "/*/*/logging/loglevel"),
			op(types.OpRemove, "/*/*/caching/ttlInSeconds"),
		}, func(st *model.Stage) bool { return reflect.DeepEqual(*st.MethodSettings["*/*"], defaults) }},
		// test_create_canary_deployment_by_stage_update: a canary appears on replace, on the
		// stage's deployment at 0% unless the path sets them.
		{"canary created by its deployment", []types.PatchOperation{op(types.OpReplace, "/canarySettings/deploymentId", d2)},
			func(st *model.Stage) bool {
				return reflect.DeepEqual(st.CanarySettings, &model.CanarySettings{DeploymentID: d2})
			}},
		{"canary created by its percentage", []types.PatchOperation{op(types.OpReplace, "/canarySettings/percentTraffic", "50")},
			func(st *model.Stage) bool {
				return reflect.DeepEqual(st.CanarySettings, &model.CanarySettings{DeploymentID: d1, PercentTraffic: 50})
			}},
		{"canary overrides and cache, then removed", []types.PatchOperation{
			op(types.OpReplace, "/canarySettings/stageVariableOverrides/testVar", "updated"),
			op(types.OpReplace, "/canarySettings/useStageCache", "true"),
			op(types.OpRemove, "/canarySettings"),
		}, func(st *model.Stage) bool { return st.CanarySettings == nil }},
		{"canary override removed", []types.PatchOperation{
			op(types.OpReplace, "/canarySettings/stageVariableOverrides/a", "1"),
			op(types.OpReplace, "/canarySettings/stageVariableOverrides/b", "2"),
			op(types.OpRemove, "/canarySettings/stageVariableOverrides/a"),
			op(types.OpReplace, "/canarySettings/useStageCache", "true"),
		}, func(st *model.Stage) bool {
			return reflect.DeepEqual(st.CanarySettings, &model.CanarySettings{DeploymentID: d1, StageVariableOverrides: map[string]string{"b": "2"}, UseStageCache: true})
		}},
		// test_update_stage_with_copy_ops "update-stage-with-copy-2": promotion by copy.
		{"canary promoted by copy", []types.PatchOperation{
			op(types.OpReplace, "/canarySettings/deploymentId", d2),
			op(types.OpReplace, "/canarySettings/stageVariableOverrides/keep", "override"),
			op(types.OpReplace, "/canarySettings/percentTraffic", "0.0"),
			{Op: types.OpCopy, From: aws.String("/canarySettings/deploymentId"), Path: aws.String("/deploymentId")},
			{Op: types.OpCopy, From: aws.String("/canarySettings/stageVariableOverrides"), Path: aws.String("/variables")},
		}, func(st *model.Stage) bool {
			return st.DeploymentID == d2 && st.Variables["keep"] == "override" && st.CanarySettings != nil && st.CanarySettings.DeploymentID == d2
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fresh(t)
			before, _ := storedJSON[model.StageDocument](t, e, e.scope.StageKey(apiID, name))
			clk.Advance(time.Second)
			out, err := e.client.UpdateStage(ctx(t), &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String(name), PatchOperations: tt.ops})
			if err != nil {
				t.Fatalf("UpdateStage: %v", err)
			}
			st, _ := storedJSON[model.StageDocument](t, e, e.scope.StageKey(apiID, name))
			if !tt.check(&st.Stage) {
				t.Errorf("UpdateStage(%v) stored %+v", tt.ops, st.Stage)
			}
			if !st.LastUpdatedDate.Time().After(before.LastUpdatedDate.Time()) || !out.LastUpdatedDate.Equal(st.LastUpdatedDate.Time()) {
				t.Errorf("lastUpdatedDate %v → %v (answered %v); want it moved", before.LastUpdatedDate.Time(), st.LastUpdatedDate.Time(), out.LastUpdatedDate)
			}
		})
	}
}

func TestUpdateStageRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	e.deploy(t, apiID, "dev")
	invalid := func(path string) string {
		return "Invalid method setting path: " + path + ". Must be one of: " + stageUpdatePaths
	}
	tests := []struct {
		name string
		ops  []types.PatchOperation
		code string
		msg  string
	}{
		// test_create_update_stages "error-update-doc-version", "error-update-tags".
		{"unknown field", []types.PatchOperation{op(types.OpReplace, "/documentation_version", "123")}, "BadRequestException", invalid("/documentation_version")},
		{"tags", []types.PatchOperation{op(types.OpReplace, "/tags/tag1", "value1")}, "BadRequestException", invalid("/tags/tag1")},
		// test_update_stage_canary_deployment_validation.
		{"remove canary overrides map", []types.PatchOperation{op(types.OpRemove, "/canarySettings/stageVariableOverrides")}, "BadRequestException",
			"Cannot remove method setting canarySettings/stageVariableOverrides because there is no method setting for this method "},
		{"remove canary bad path", []types.PatchOperation{op(types.OpRemove, "/canarySettings/badPath")}, "BadRequestException",
			"Cannot remove method setting canarySettings/badPath because there is no method setting for this method "},
		{"replace whole canary", []types.PatchOperation{op(types.OpReplace, "/canarySettings", "test")}, "BadRequestException", invalid("/canarySettings")},
		{"replace canary bad path", []types.PatchOperation{op(types.OpReplace, "/canarySettings/badPath", "badPath")}, "BadRequestException", invalid("/canarySettings/badPath")},
		{"canary percentage above 100", []types.PatchOperation{op(types.OpReplace, "/canarySettings/percentTraffic", "100.5")}, "BadRequestException",
			"Canary traffic percentage must be between 0.0 and 100.0"},
		{"canary percentage below 0", []types.PatchOperation{op(types.OpReplace, "/canarySettings/percentTraffic", "-0.1")}, "BadRequestException",
			"Canary traffic percentage must be between 0.0 and 100.0"},
		{"canary percentage not a number", []types.PatchOperation{op(types.OpReplace, "/canarySettings/percentTraffic", "ten")}, "BadRequestException",
			"Canary traffic percentage must be between 0.0 and 100.0"},
		{"add canary deployment", []types.PatchOperation{op(types.OpAdd, "/canarySettings/deploymentId", "abc")}, "BadRequestException", "Invalid add operation with path: /canarySettings/deploymentId"},
		{"unknown canary deployment", []types.PatchOperation{op(types.OpReplace, "/canarySettings/deploymentId", "deploy")}, "BadRequestException", "Deployment id does not exist"},
		{"unknown deployment", []types.PatchOperation{op(types.OpReplace, "/deploymentId", "deploy")}, "BadRequestException", "Deployment id does not exist"},
		// test_update_stage_remove_wildcard "delete-error".
		{"remove missing wildcard", []types.PatchOperation{op(types.OpRemove, "/*/*")}, "BadRequestException",
			"Cannot remove method setting */* because there is no method setting for this method "},
		// test_update_stage_with_copy_ops.
		{"copy the wrong way", []types.PatchOperation{{Op: types.OpCopy, Path: aws.String("/canarySettings/stageVariableOverrides"), From: aws.String("/variables")}}, "BadRequestException",
			"Invalid copy operation with path: /canarySettings/stageVariableOverrides and from /variables. Valid copy:path are [/deploymentId, /variables] and valid copy:from are [/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]"},
		{"promote without canary", []types.PatchOperation{{Op: types.OpCopy, From: aws.String("/canarySettings/deploymentId"), Path: aws.String("/deploymentId")}}, "BadRequestException",
			"Promotion not available. Canary does not exist."},
		{"bad op", []types.PatchOperation{op("wrong", "/description", "x"), op(types.OpReplace, "/description", "y"), op("bad", "/x")}, "ValidationException",
			"2 validation errors detected: Value 'wrong' at 'updateStageInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]; " +
				"Value 'bad' at 'updateStageInput.patchOperations.3.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"},
		{"every problem, nothing applied", []types.PatchOperation{
			op(types.OpReplace, "/description", "lost"),
			op(types.OpReplace, "/variables/bad-name", "x"),
			op(types.OpReplace, "/*/*/logging/loglevel", "LOUD"),
			op(types.OpReplace, "/*/*/caching/ttlInSeconds", "3601"),
			op(types.OpReplace, "/cacheClusterEnabled", "yes"),
			op(types.OpReplace, "/~1pets/FETCH/metrics/enabled", "true"),
		}, "BadRequestException",
			"Stage variable name 'bad-name' can only contain alphanumeric characters and underscores " +
				"Invalid logging level 'LOUD'. Must be one of: [OFF, ERROR, INFO] " +
				"Invalid cache TTL 3601: must be between 0 and 3600 seconds " +
				"Invalid boolean value 'yes' for /cacheClusterEnabled " +
				invalid("/~1pets/FETCH/metrics/enabled")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before, rev := storedJSON[model.StageDocument](t, e, e.scope.StageKey(apiID, "dev"))
			_, err := e.client.UpdateStage(ctx(t), &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("dev"), PatchOperations: tt.ops})
			wantAPIError(t, "UpdateStage", err, tt.code, tt.msg)
			after, rev2 := storedJSON[model.StageDocument](t, e, e.scope.StageKey(apiID, "dev"))
			if rev2 != rev || !reflect.DeepEqual(before, after) {
				t.Errorf("a rejected update changed the stage: %+v → %+v", before, after)
			}
		})
	}
}
