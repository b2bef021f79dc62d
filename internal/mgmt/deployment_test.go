package mgmt

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
)

func TestCreateDeploymentSnapshotsTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)

	out, err := e.client.CreateDeployment(ctx(t), &apigateway.CreateDeploymentInput{
		RestApiId:        aws.String(apiID),
		Description:      aws.String("first"),
		StageName:        aws.String("dev"),
		StageDescription: aws.String("the dev stage"),
		Variables:        map[string]string{"backend": "pets.example.com:8080/v1"},
		TracingEnabled:   aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	if id := *out.Id; len(id) != deploymentIDLen || strings.Trim(id, idAlphabet) != "" {
		t.Errorf("deployment id %q; want %d lower-case alphanumerics", id, deploymentIDLen)
	}
	if *out.Description != "first" || out.CreatedDate == nil || out.ApiSummary != nil {
		t.Errorf("CreateDeployment = %+v; want description, createdDate, no apiSummary", out)
	}

	// The stored deployment is the data plane's input: the Deployment, the API id and an
	// exact copy of the API document.
	api, _ := storedAPI(t, e, apiID)
	dep, _ := storedJSON[model.DeploymentDocument](t, e, e.scope.DeploymentKey(apiID, *out.Id))
	if dep.RestAPIID != apiID || dep.ID != *out.Id || !reflect.DeepEqual(dep.Snapshot, api) {
		t.Errorf("stored deployment = %+v; want restApiId %s and a snapshot equal to the API", dep, apiID)
	}

	// Changing the API afterwards leaves the snapshot as it was.
	e.editAPI(t, apiID, func(doc *model.RestAPIDocument) { delete(doc.Resources, "pets01") })
	dep2, _ := storedJSON[model.DeploymentDocument](t, e, e.scope.DeploymentKey(apiID, *out.Id))
	if dep2.Snapshot.Resources["pets01"] == nil {
		t.Errorf("the snapshot changed with the API")
	}

	st, err := e.client.GetStage(ctx(t), &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("dev")})
	if err != nil {
		t.Fatalf("GetStage: %v", err)
	}
	if *st.DeploymentId != *out.Id || *st.Description != "the dev stage" || !st.TracingEnabled ||
		st.Variables["backend"] != "pets.example.com:8080/v1" || st.CacheClusterEnabled || st.CacheClusterStatus != types.CacheClusterStatusNotAvailable {
		t.Errorf("stage created by the deployment = %+v", st)
	}
	stored, _ := storedJSON[model.StageDocument](t, e, e.scope.StageKey(apiID, "dev"))
	if stored.RestAPIID != apiID || stored.StageName != "dev" {
		t.Errorf("stored stage = %+v", stored)
	}
}

func TestCreateDeploymentMovesAnExistingStage(t *testing.T) {
	t.Parallel()
	e, clk := newClockEnv(t)
	apiID := e.deployableAPI(t)
	first, err := e.client.CreateDeployment(ctx(t), &apigateway.CreateDeploymentInput{
		RestApiId: aws.String(apiID), StageName: aws.String("prod"), Variables: map[string]string{"a": "1", "b": "2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := e.client.GetStage(ctx(t), &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("prod")})
	clk.Advance(time.Minute)
	second, err := e.client.CreateDeployment(ctx(t), &apigateway.CreateDeploymentInput{
		RestApiId: aws.String(apiID), StageName: aws.String("prod"), StageDescription: aws.String("v2"),
		Variables: map[string]string{"b": "3"}, CacheClusterEnabled: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := e.client.GetStage(ctx(t), &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("prod")})
	if *after.DeploymentId != *second.Id || *after.DeploymentId == *first.Id {
		t.Errorf("stage deployment = %s; want the second, %s", *after.DeploymentId, *second.Id)
	}
	if want := map[string]string{"a": "1", "b": "3"}; !reflect.DeepEqual(after.Variables, want) {
		t.Errorf("variables = %v; want %v", after.Variables, want)
	}
	if !after.CacheClusterEnabled || after.CacheClusterStatus != types.CacheClusterStatusAvailable || after.CacheClusterSize != types.CacheClusterSizeSize0Point5Gb {
		t.Errorf("cache cluster = %v %s %s; want enabled, AVAILABLE, 0.5", after.CacheClusterEnabled, after.CacheClusterStatus, after.CacheClusterSize)
	}
	if !after.CreatedDate.Equal(*before.CreatedDate) || !after.LastUpdatedDate.After(*before.LastUpdatedDate) {
		t.Errorf("dates = created %v→%v, updated %v→%v; want created kept, updated moved", before.CreatedDate, after.CreatedDate, before.LastUpdatedDate, after.LastUpdatedDate)
	}
}

func TestCreateDeploymentRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	empty := e.createAPI(t)
	noIntegration := e.createAPI(t)
	e.editAPI(t, noIntegration, func(doc *model.RestAPIDocument) {
		doc.Resources[doc.RootResourceID].ResourceMethods = map[string]*model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE"}}
	})
	ok := e.deployableAPI(t)
	canary := &types.DeploymentCanarySettings{PercentTraffic: 50, StageVariableOverrides: map[string]string{"v": "canary"}}
	tests := []struct {
		name     string
		in       apigateway.CreateDeploymentInput
		code     string
		msg      string
		stageKey string // a stage that must not exist afterwards
	}{
		{"unknown API", apigateway.CreateDeploymentInput{RestApiId: aws.String("nope123456")},
			"NotFoundException", "Invalid API identifier specified " + testAccount + ":nope123456", ""},
		{"no methods", apigateway.CreateDeploymentInput{RestApiId: aws.String(empty), StageName: aws.String("dev")},
			"BadRequestException", "The REST API doesn't contain any methods", "dev"},
		{"no integration", apigateway.CreateDeploymentInput{RestApiId: aws.String(noIntegration), StageName: aws.String("dev")},
			"BadRequestException", "No integration defined for method", "dev"},
		{"canary without stage", apigateway.CreateDeploymentInput{RestApiId: aws.String(ok), CanarySettings: canary},
			"BadRequestException", "Invalid deployment content specified.Non null and non empty stageName must be provided for canary deployment. Provided value is null", ""},
		{"canary with empty stage", apigateway.CreateDeploymentInput{RestApiId: aws.String(ok), StageName: aws.String(""), CanarySettings: canary},
			"BadRequestException", "Invalid deployment content specified.Non null and non empty stageName must be provided for canary deployment. Provided value is ", ""},
		{"canary on a missing stage", apigateway.CreateDeploymentInput{RestApiId: aws.String(ok), StageName: aws.String("non-existing"), CanarySettings: canary},
			"BadRequestException", "Invalid deployment content specified.Stage non-existing must already be created before making a canary release deployment", "non-existing"},
		{"canary percentage above 100", apigateway.CreateDeploymentInput{RestApiId: aws.String(ok), StageName: aws.String("dev"),
			CanarySettings: &types.DeploymentCanarySettings{PercentTraffic: 150}},
			"BadRequestException", "Canary traffic percentage must be between 0.0 and 100.0", "dev"},
		{"bad stage name", apigateway.CreateDeploymentInput{RestApiId: aws.String(ok), StageName: aws.String("bad.name")},
			"BadRequestException", "Stage name only allows a-zA-Z0-9_-", "bad.name"},
		{"every variable problem", apigateway.CreateDeploymentInput{RestApiId: aws.String(ok), StageName: aws.String("dev"),
			Variables: map[string]string{"bad-name": "x", "ok": "no spaces"}},
			"BadRequestException", "Stage variable name 'bad-name' can only contain alphanumeric characters and underscores " +
				"Stage variable value for 'ok' must match the regular expression [A-Za-z0-9-._~:/?#&=,]+", "dev"},
		{"cache size", apigateway.CreateDeploymentInput{RestApiId: aws.String(ok), StageName: aws.String("dev"), CacheClusterSize: "2.0"},
			"ValidationException", "1 validation error detected: Value '2.0' at 'createDeploymentInput.cacheClusterSize' failed to satisfy constraint: Member must satisfy enum value set: [0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237]", "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.client.CreateDeployment(ctx(t), &tt.in)
			wantAPIError(t, "CreateDeployment", err, tt.code, tt.msg)
			if tt.stageKey != "" {
				if _, err := e.store.Get(ctx(t), e.scope.StageKey(*tt.in.RestApiId, tt.stageKey)); err == nil {
					t.Errorf("a refused deployment created stage %s", tt.stageKey)
				}
			}
		})
	}
	for _, api := range []string{empty, noIntegration} {
		kvs, _, _ := e.store.List(ctx(t), e.scope.DeploymentPrefix(api))
		if len(kvs) != 0 {
			t.Errorf("refused deployments were stored for %s: %d", api, len(kvs))
		}
	}
}

func TestCanaryReleaseDeployment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	base := e.deploy(t, apiID, "dev")
	out, err := e.client.CreateDeployment(ctx(t), &apigateway.CreateDeploymentInput{
		RestApiId: aws.String(apiID), StageName: aws.String("dev"),
		CanarySettings: &types.DeploymentCanarySettings{PercentTraffic: 50, StageVariableOverrides: map[string]string{"testVar": "canary"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.client.GetStage(ctx(t), &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("dev")})
	cs := st.CanarySettings
	if *st.DeploymentId != base || cs == nil || *cs.DeploymentId != *out.Id || cs.PercentTraffic != 50 || cs.StageVariableOverrides["testVar"] != "canary" || cs.UseStageCache {
		t.Fatalf("stage after a canary deployment = deployment %s canary %+v; want %s with canary %s at 50%%", *st.DeploymentId, cs, base, *out.Id)
	}
	// Neither the stage's deployment nor its canary's may be deleted.
	for _, id := range []string{base, *out.Id} {
		_, err := e.client.DeleteDeployment(ctx(t), &apigateway.DeleteDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: aws.String(id)})
		wantAPIError(t, "DeleteDeployment "+id, err, "BadRequestException", "Active stages pointing to this deployment must be moved or deleted")
	}
	deployments := func() int {
		t.Helper()
		kvs, _, err := e.store.List(ctx(t), e.scope.DeploymentPrefix(apiID))
		if err != nil {
			t.Fatal(err)
		}
		return len(kvs)
	}
	// While the canary is there, every deployment to the stage must be a canary's.
	before := deployments()
	_, err = e.client.CreateDeployment(ctx(t), &apigateway.CreateDeploymentInput{RestApiId: aws.String(apiID), StageName: aws.String("dev")})
	wantAPIError(t, "CreateDeployment without canarySettings", err, "BadRequestException",
		"Invalid deployment content specified.Non canary deployment not supported on stage dev because Canary is enabled. Provide CanarySettings in deploymentInput.")
	if n := deployments(); n != before {
		t.Errorf("the refused deployment was stored: %d deployments; want %d", n, before)
	}
	// A second canary deployment moves the canary; the stage stays on its deployment.
	out2, err := e.client.CreateDeployment(ctx(t), &apigateway.CreateDeploymentInput{
		RestApiId: aws.String(apiID), StageName: aws.String("dev"),
		CanarySettings: &types.DeploymentCanarySettings{PercentTraffic: 10.5},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, _ = e.client.GetStage(ctx(t), &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("dev")})
	if cs := st.CanarySettings; *st.DeploymentId != base || cs == nil || *cs.DeploymentId != *out2.Id || cs.PercentTraffic != 10.5 {
		t.Fatalf("stage after a second canary deployment = deployment %s canary %+v; want %s with canary %s at 10.5%%", *st.DeploymentId, cs, base, *out2.Id)
	}
	// The first canary's deployment is free again.
	if _, err := e.client.DeleteDeployment(ctx(t), &apigateway.DeleteDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: out.Id}); err != nil {
		t.Errorf("DeleteDeployment of the replaced canary's deployment: %v", err)
	}
	// Promotion (promote-canary-deployment): the canary's deployment onto the stage, then
	// the canary removed; deployments to the stage need no canarySettings any more.
	st2, err := e.client.UpdateStage(ctx(t), &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("dev"),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpCopy, From: aws.String("/canarySettings/deploymentId"), Path: aws.String("/deploymentId")},
			{Op: types.OpRemove, Path: aws.String("/canarySettings")},
		}})
	if err != nil || *st2.DeploymentId != *out2.Id || st2.CanarySettings != nil {
		t.Fatalf("UpdateStage promote = %+v, %v; want deployment %s and no canary", st2, err, *out2.Id)
	}
	next, err := e.client.CreateDeployment(ctx(t), &apigateway.CreateDeploymentInput{RestApiId: aws.String(apiID), StageName: aws.String("dev")})
	if err != nil {
		t.Fatalf("CreateDeployment after promotion: %v", err)
	}
	// Rollback: the stage back on the base deployment.
	st2, err = e.client.UpdateStage(ctx(t), &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("dev"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/deploymentId"), Value: aws.String(base)}}})
	if err != nil || *st2.DeploymentId != base {
		t.Fatalf("UpdateStage rollback = %+v, %v; want deployment %s", st2, err, base)
	}
	// The history: every deployment not deleted.
	list, err := e.client.GetDeployments(ctx(t), &apigateway.GetDeploymentsInput{RestApiId: aws.String(apiID)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, d := range list.Items {
		got[*d.Id] = true
	}
	if len(got) != 3 || !got[base] || !got[*out2.Id] || !got[*next.Id] {
		t.Errorf("GetDeployments = %v; want %s, %s and %s", got, base, *out2.Id, *next.Id)
	}
}

func TestDeploymentReadUpdateDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	id := e.deploy(t, apiID, "dev")

	got, err := e.client.GetDeployment(ctx(t), &apigateway.GetDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: aws.String(id)})
	if err != nil || *got.Id != id || got.ApiSummary != nil || got.Description != nil {
		t.Errorf("GetDeployment = %+v, %v; want id %s, no summary, no description", got, err, id)
	}
	got, err = e.client.GetDeployment(ctx(t), &apigateway.GetDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: aws.String(id), Embed: []string{"apisummary"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]types.MethodSnapshot{
		"/":     {"GET": {AuthorizationType: aws.String("NONE")}},
		"/pets": {"GET": {AuthorizationType: aws.String("AWS_IAM"), ApiKeyRequired: true}, "POST": {AuthorizationType: aws.String("NONE")}},
	}
	if len(got.ApiSummary) != len(want) {
		t.Errorf("apiSummary = %v; want %v", got.ApiSummary, want)
	}
	for path, methods := range want {
		for m, w := range methods {
			g, ok := got.ApiSummary[path][m]
			if !ok || *g.AuthorizationType != *w.AuthorizationType || g.ApiKeyRequired != w.ApiKeyRequired {
				t.Errorf("apiSummary[%s][%s] = %+v; want %+v", path, m, g, w)
			}
		}
	}
	// AWS documents the comma-separated form on the wire too.
	if code, body := e.rawGet(t, "/restapis/"+apiID+"/deployments/"+id+"?embed=foo,apisummary"); code != 200 || body["apiSummary"] == nil {
		t.Errorf("GET ?embed=foo,apisummary = %d %v; want the summary", code, body)
	}

	upd, err := e.client.UpdateDeployment(ctx(t), &apigateway.UpdateDeploymentInput{
		RestApiId: aws.String(apiID), DeploymentId: aws.String(id),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("renamed")}},
	})
	if err != nil || *upd.Description != "renamed" {
		t.Errorf("UpdateDeployment = %+v, %v", upd, err)
	}
	_, err = e.client.UpdateDeployment(ctx(t), &apigateway.UpdateDeploymentInput{
		RestApiId: aws.String(apiID), DeploymentId: aws.String(id),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("lost")},
			{Op: types.OpReplace, Path: aws.String("/id"), Value: aws.String("x")},
			{Op: types.OpRemove, Path: aws.String("/description")},
		},
	})
	wantAPIError(t, "UpdateDeployment invalid", err, "BadRequestException",
		"Invalid patch path  '/id' specified for op 'replace'. Must be one of: [/description] Invalid patch operation specified. Must be one of: [replace]")
	if again, _ := e.client.GetDeployment(ctx(t), &apigateway.GetDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: aws.String(id)}); *again.Description != "renamed" {
		t.Errorf("a rejected update changed the description to %q", *again.Description)
	}

	_, err = e.client.DeleteDeployment(ctx(t), &apigateway.DeleteDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: aws.String(id)})
	wantAPIError(t, "DeleteDeployment with a stage", err, "BadRequestException", "Active stages pointing to this deployment must be moved or deleted")
	if _, err := e.client.DeleteStage(ctx(t), &apigateway.DeleteStageInput{RestApiId: aws.String(apiID), StageName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteDeployment(ctx(t), &apigateway.DeleteDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: aws.String(id)}); err != nil {
		t.Fatalf("DeleteDeployment: %v", err)
	}
	_, err = e.client.GetDeployment(ctx(t), &apigateway.GetDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: aws.String(id)})
	wantAPIError(t, "GetDeployment deleted", err, "NotFoundException", "Invalid Deployment identifier specified")
	_, err = e.client.DeleteDeployment(ctx(t), &apigateway.DeleteDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: aws.String(id)})
	wantAPIError(t, "DeleteDeployment deleted", err, "NotFoundException", "Invalid Deployment identifier specified")
	_, err = e.client.GetDeployment(ctx(t), &apigateway.GetDeploymentInput{RestApiId: aws.String("nope123456"), DeploymentId: aws.String(id)})
	wantAPIError(t, "GetDeployment unknown API", err, "NotFoundException", "Invalid API identifier specified "+testAccount+":nope123456")
}

func TestGetDeploymentsPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	want := map[string]bool{}
	for range 5 {
		want[e.deploy(t, apiID, "")] = true
	}
	seen := map[string]bool{}
	pages := 0
	p := apigateway.NewGetDeploymentsPaginator(e.client, &apigateway.GetDeploymentsInput{RestApiId: aws.String(apiID), Limit: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, d := range out.Items {
			if seen[*d.Id] || !want[*d.Id] {
				t.Errorf("deployment %s listed twice or unknown", *d.Id)
			}
			seen[*d.Id] = true
		}
	}
	if pages != 3 || len(seen) != 5 {
		t.Errorf("GetDeployments = %d pages, %d deployments; want 3 pages, 5 deployments", pages, len(seen))
	}
	_, err := e.client.GetDeployments(ctx(t), &apigateway.GetDeploymentsInput{RestApiId: aws.String("nope123456")})
	wantAPIError(t, "GetDeployments unknown API", err, "NotFoundException", "Invalid API identifier specified "+testAccount+":nope123456")
}

// A stage write that starts pointing at a deployment rewrites the deployment unchanged in
// the same transaction, so that DeleteDeployment, conditional on the revision it checked,
// cannot delete it under the stage.
func TestStageWritesGuardTheirDeployment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	id := e.deploy(t, apiID, "")
	key := e.scope.DeploymentKey(apiID, id)
	before, err := e.store.Get(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateStage(ctx(t), &apigateway.CreateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("s1"), DeploymentId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	after, err := e.store.Get(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if after.Revision == before.Revision || string(after.Value) != string(before.Value) {
		t.Errorf("deployment after CreateStage: revision %d→%d, same bytes %v; want a new revision, same bytes",
			before.Revision, after.Revision, string(after.Value) == string(before.Value))
	}
}
