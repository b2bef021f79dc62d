package e2e

import (
	"encoding/json"
	"testing"
)

// TestCanaryCLI releases a new version of an API through a canary with the real aws CLI, as
// AWS's developer guide does it (create-canary-deployment, promote-canary-deployment): a
// base deployment on stage prod, a canary deployment of a changed API at 50% with a stage
// variable override, both versions answering on the one stage, the canary promoted, and
// the stage rolled back by switching its deploymentId.
func TestCanaryCLI(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	cli := newAWSCLI(t, g.AdminURL, "AKIAE2ETESTCANARY001", "e2e-canary-secret")
	v := vars{}

	// A MOCK at / telling which version answered, whether it ran as the canary, on which
	// deployment, and with which stage variable.
	template := func(version string) string {
		return `{"version":"` + version + `","canary":"$context.isCanaryRequest","deploymentId":"$context.deploymentId","color":"$stageVariables.color"}`
	}
	// answers sends n requests to prod and returns how many each (version, canary,
	// deploymentId, color) answer got.
	answers := func(t *testing.T, n int) map[answer]int {
		t.Helper()
		base, host := g.hostURL(v["api"])
		got := map[answer]int{}
		for range n {
			r := mustCall(t, "GET", base+"/prod/", host, nil, "")
			var a answer
			if r.Status != 200 || json.Unmarshal([]byte(r.Body), &a) != nil {
				t.Fatalf("GET /prod/ = %d %q; want 200 and the MOCK's answer", r.Status, r.Body)
			}
			got[a]++
		}
		return got
	}
	// onlyAnswer waits until every one of 20 requests gets want.
	onlyAnswer := func(t *testing.T, want answer) {
		t.Helper()
		var got map[answer]int
		if !waitFor(propagateDeadline, func() bool {
			got = answers(t, 20)
			return got[want] == 20
		}) {
			t.Fatalf("answers of 20 requests = %v; want only %+v", got, want)
		}
	}
	base := func(v vars) answer { return answer{"v1", "false", v["dep1"], "blue"} }

	steps := []cliStep{
		{name: "create-rest-api",
			args: []string{"create-rest-api", "--name", "e2e-canary"},
			save: map[string]string{"api": "id", "root": "rootResourceId"}},
		{name: "put-method GET /",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "GET", "--authorization-type", "NONE"}},
		{name: "put-method-response",
			args: []string{"put-method-response", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "GET", "--status-code", "200"}},
		{name: "put-integration MOCK",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "GET",
				"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`}},
		{name: "put-integration-response v1",
			args: []string{"put-integration-response", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "GET",
				"--status-code", "200", "--selection-pattern", "", "--response-templates", mustJSON(map[string]string{"application/json": template("v1")})}},
		{name: "create-deployment: the base version on prod",
			args: []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "prod", "--variables", "color=blue"},
			save: map[string]string{"dep1": "id"}},
		{name: "data plane: the base version", do: func(t *testing.T, v vars) { onlyAnswer(t, base(v)) }},

		// The new version, released to half the traffic.
		{name: "update-integration-response v2",
			args: []string{"update-integration-response", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "GET",
				"--status-code", "200", "--patch-operations", mustJSON([]map[string]string{{"op": "replace", "path": "/responseTemplates/application~1json", "value": template("v2")}})}},
		{name: "create-deployment with --canary-settings",
			args: []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "prod", "--description", "v2 canary",
				"--canary-settings", "percentTraffic=50,useStageCache=false,stageVariableOverrides={color=green}"},
			want: fields{"description": "v2 canary"},
			save: map[string]string{"dep2": "id"}},
		{name: "get-stage: the stage on the base version, the canary on the new one",
			args: []string{"get-stage", "--rest-api-id", "<api>", "--stage-name", "prod"},
			want: fields{"deploymentId": "<dep1>", "variables.color": "blue", "canarySettings.deploymentId": "<dep2>",
				"canarySettings.percentTraffic": 50.0, "canarySettings.stageVariableOverrides.color": "green", "canarySettings.useStageCache": false}},
		{name: "create-deployment without --canary-settings on the canary's stage",
			args:    []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "prod"},
			wantErr: "BadRequestException",
			wantMsg: "Invalid deployment content specified.Non canary deployment not supported on stage prod because Canary is enabled. Provide CanarySettings in deploymentInput."},
		{name: "create-deployment with --canary-settings on a stage that does not exist",
			args:    []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "nope", "--canary-settings", "percentTraffic=5"},
			wantErr: "BadRequestException",
			wantMsg: "Invalid deployment content specified.Stage nope must already be created before making a canary release deployment"},
		{name: "delete-deployment of the canary's deployment",
			args:    []string{"delete-deployment", "--rest-api-id", "<api>", "--deployment-id", "<dep2>"},
			wantErr: "BadRequestException", wantMsg: "Active stages pointing to this deployment must be moved or deleted"},
		{name: "update-stage: a canary percentage above 100",
			args:    []string{"update-stage", "--rest-api-id", "<api>", "--stage-name", "prod", "--patch-operations", "op=replace,path=/canarySettings/percentTraffic,value=100.5"},
			wantErr: "BadRequestException"},
		{name: "data plane: both versions answer on prod", do: func(t *testing.T, v vars) {
			canary := answer{"v2", "true", v["dep2"], "green"}
			seen := map[answer]int{}
			if !waitFor(propagateDeadline, func() bool {
				for a, n := range answers(t, 20) {
					seen[a] += n
				}
				return seen[canary] > 0 && seen[base(v)] > 0
			}) {
				t.Fatalf("answers = %v; want both %+v and %+v", seen, base(v), canary)
			}
			for a := range seen {
				if a != base(v) && a != canary {
					t.Errorf("an answer of neither version: %+v (%d times)", a, seen[a])
				}
			}
		}},

		// Promotion: the canary's deployment and variables onto the stage, the canary
		// removed.
		{name: "update-stage promotes the canary",
			args: []string{"update-stage", "--rest-api-id", "<api>", "--stage-name", "prod", "--patch-operations",
				"op=copy,from=/canarySettings/deploymentId,path=/deploymentId",
				"op=copy,from=/canarySettings/stageVariableOverrides,path=/variables",
				"op=remove,path=/canarySettings"},
			want: fields{"deploymentId": "<dep2>", "variables.color": "green", "canarySettings": absent}},
		{name: "data plane: only the new version answers", do: func(t *testing.T, v vars) {
			onlyAnswer(t, answer{"v2", "false", v["dep2"], "green"})
		}},
		{name: "get-deployments: the history",
			args: []string{"get-deployments", "--rest-api-id", "<api>"},
			want: fields{"items.#": 2},
			check: func(t *testing.T, answer any, v vars) {
				for _, id := range []string{v["dep1"], v["dep2"]} {
					if itemWith(t, answer, "items", "id", id) == nil {
						t.Errorf("items has no deployment %s", id)
					}
				}
				if d := itemWith(t, answer, "items", "id", v["dep2"]); d != nil && d["description"] != "v2 canary" {
					t.Errorf("deployment %s description = %v; want v2 canary", v["dep2"], d["description"])
				}
			}},

		// Rollback: the stage back on the base deployment.
		{name: "update-stage rolls back to the base deployment",
			args: []string{"update-stage", "--rest-api-id", "<api>", "--stage-name", "prod", "--patch-operations",
				"op=replace,path=/deploymentId,value=<dep1>", "op=replace,path=/variables/color,value=blue"},
			want: fields{"deploymentId": "<dep1>", "variables.color": "blue"}},
		{name: "data plane: the base version again", do: func(t *testing.T, v vars) { onlyAnswer(t, base(v)) }},
		{name: "delete-deployment of the version no stage serves",
			args: []string{"delete-deployment", "--rest-api-id", "<api>", "--deployment-id", "<dep2>"}},
		{name: "get-deployments after the delete",
			args: []string{"get-deployments", "--rest-api-id", "<api>"},
			want: fields{"items.#": 1, "items.0.id": "<dep1>"}},
	}
	runScript(t, cli, v, steps)
	g.expectNoErrorLogs()
}

// answer is what the canary test's MOCK says.
type answer struct {
	Version      string `json:"version"`
	Canary       string `json:"canary"`
	DeploymentID string `json:"deploymentId"`
	Color        string `json:"color"`
}
