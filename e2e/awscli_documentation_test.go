package e2e

import (
	"path/filepath"
	"testing"
)

// TestAWSCLIDocumentation documents an API with the real aws CLI as AWS's guide does: parts
// at locations (the defaults filled in, a second part at a location refused), listed with
// filters, imported from an OpenAPI file, snapshotted as a version the stage is associated
// with.
func TestAWSCLIDocumentation(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	cli := newAWSCLI(t, g.AdminURL, "AKIAE2ETESTCLIDOCS01", "e2e-cli-docs-secret")
	v := vars{"import": filepath.Join(t.TempDir(), "docs.json")}
	steps := []cliStep{
		{name: "create-rest-api",
			args: []string{"create-rest-api", "--name", "e2e-docs"},
			save: map[string]string{"api": "id", "root": "rootResourceId"}},
		{name: "put-method",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "GET", "--authorization-type", "NONE"}},
		{name: "put-integration",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "GET", "--type", "MOCK"}},
		{name: "create-deployment",
			args: []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "prod"}},
		{name: "create-documentation-part METHOD",
			args: []string{"create-documentation-part", "--rest-api-id", "<api>", "--location", "type=METHOD,path=/pets,method=GET", "--properties", `{"description":"Lists the pets."}`},
			want: fields{"location.type": "METHOD", "location.path": "/pets", "location.method": "GET", "properties": `{"description":"Lists the pets."}`},
			save: map[string]string{"part": "id"}},
		{name: "create-documentation-part RESPONSE defaults",
			args: []string{"create-documentation-part", "--rest-api-id", "<api>", "--location", "type=RESPONSE", "--properties", `{}`},
			want: fields{"location.path": "/", "location.method": "*", "location.statusCode": "*"}},
		{name: "create-documentation-part at a taken location",
			args:    []string{"create-documentation-part", "--rest-api-id", "<api>", "--location", "type=METHOD,path=/pets,method=GET", "--properties", `{}`},
			wantErr: "ConflictException", wantMsg: "Documentation part already exists for the specified location: type 'METHOD', path '/pets', method 'GET'."},
		{name: "create-documentation-part with properties that are no object",
			args:    []string{"create-documentation-part", "--rest-api-id", "<api>", "--location", "type=API", "--properties", `not json`},
			wantErr: "BadRequestException", wantMsg: "Invalid documentation part properties: must be a JSON object"},
		{name: "get-documentation-parts",
			args: []string{"get-documentation-parts", "--rest-api-id", "<api>"},
			want: fields{"items.#": 2}},
		{name: "get-documentation-parts --type METHOD",
			args: []string{"get-documentation-parts", "--rest-api-id", "<api>", "--type", "METHOD"},
			want: fields{"items.#": 1, "items.0.id": "<part>"}},
		{name: "get-documentation-parts --location-status UNDOCUMENTED",
			args: []string{"get-documentation-parts", "--rest-api-id", "<api>", "--location-status", "UNDOCUMENTED"},
			want: fields{"items.#": 1, "items.0.location.type": "RESPONSE"}},
		{name: "update-documentation-part",
			args: []string{"update-documentation-part", "--rest-api-id", "<api>", "--documentation-part-id", "<part>", "--patch-operations", `op=replace,path=/properties,value='{"description":"All the pets."}'`},
			want: fields{"properties": `{"description":"All the pets."}`}},
		{name: "write the import file", do: func(t *testing.T, v vars) {
			writeFile(t, v["import"], `{"swagger":"2.0","info":{"title":"e2e-docs","version":"1"},"paths":{},
"x-amazon-apigateway-documentation":{"version":"1","documentationParts":[
{"location":{"type":"API"},"properties":{"description":"The pets API."}}]}}`)
		}},
		{name: "import-documentation-parts merge",
			args: []string{"import-documentation-parts", "--rest-api-id", "<api>", "--mode", "merge", "--body", "fileb://<import>"},
			want: fields{"ids.#": 1}},
		{name: "get-documentation-parts after the merge",
			args: []string{"get-documentation-parts", "--rest-api-id", "<api>"},
			want: fields{"items.#": 3}},
		{name: "create-documentation-version for prod",
			args: []string{"create-documentation-version", "--rest-api-id", "<api>", "--documentation-version", "1.0.0", "--stage-name", "prod", "--description", "first release"},
			want: fields{"version": "1.0.0", "description": "first release"}},
		{name: "get-stage names the version",
			args: []string{"get-stage", "--rest-api-id", "<api>", "--stage-name", "prod"},
			want: fields{"documentationVersion": "1.0.0"}},
		{name: "get-documentation-versions",
			args: []string{"get-documentation-versions", "--rest-api-id", "<api>"},
			want: fields{"items.#": 1, "items.0.version": "1.0.0"}},
		{name: "update-stage to a version that does not exist",
			args:    []string{"update-stage", "--rest-api-id", "<api>", "--stage-name", "prod", "--patch-operations", "op=replace,path=/documentationVersion,value=9.9"},
			wantErr: "BadRequestException", wantMsg: "Invalid Documentation version specified"},
		{name: "import-documentation-parts overwrite",
			args: []string{"import-documentation-parts", "--rest-api-id", "<api>", "--mode", "overwrite", "--body", "fileb://<import>"},
			want: fields{"ids.#": 1}},
		{name: "get-documentation-parts after the overwrite",
			args: []string{"get-documentation-parts", "--rest-api-id", "<api>"},
			want: fields{"items.#": 1, "items.0.location.type": "API"}},
		{name: "delete-documentation-version",
			args: []string{"delete-documentation-version", "--rest-api-id", "<api>", "--documentation-version", "1.0.0"}},
		{name: "get-documentation-version after delete",
			args:    []string{"get-documentation-version", "--rest-api-id", "<api>", "--documentation-version", "1.0.0"},
			wantErr: "NotFoundException", wantMsg: "Invalid Documentation version specified"},
	}
	runScript(t, cli, v, steps)
}
