package e2e

import (
	"path/filepath"
	"testing"
)

// TestAWSCLIImportAPIKeys drives ImportApiKeys with the real aws CLI as a user would: a CSV
// file in AWS's API key file format, read with fileb://, whose keys join a usage plan; a
// bad row is a warning, --fail-on-warnings refuses the file, and a file naming an unknown
// usage plan writes nothing.
func TestAWSCLIImportAPIKeys(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	cli := newAWSCLI(t, g.AdminURL, "AKIAE2ETESTCLIKEYS01", "e2e-cli-keys-secret")
	dir := t.TempDir()
	v := vars{
		"keys":     filepath.Join(dir, "keys.csv"),
		"warned":   filepath.Join(dir, "warned.csv"),
		"unknown":  filepath.Join(dir, "unknown.csv"),
		"noheader": filepath.Join(dir, "noheader.csv"),
	}
	const (
		valueA = "cliImportedKeyValue00000000A"
		valueB = "cliImportedKeyValue00000000B"
	)

	steps := []cliStep{
		{name: "create-usage-plan",
			args: []string{"create-usage-plan", "--name", "cli-gold", "--throttle", "rateLimit=10,burstLimit=5"},
			want: fields{"name": "cli-gold"},
			save: map[string]string{"plan": "id"}},
		{name: "write the API key files", do: func(t *testing.T, v vars) {
			// AWS's documented example 3: columns in any order, case-insensitive, the plans
			// quoted; a row with a short key is a warning.
			writeFile(t, v["keys"], "Enabled,Name,key,UsageplanIds,Description\n"+
				"false,cli-a,"+valueA+",\""+v["plan"]+"\",first imported\n"+
				"TRUE,cli-b,"+valueB+",'"+v["plan"]+"',\n"+
				"true,cli-short,tooShort,,\n")
			writeFile(t, v["warned"], "name,key\ncli-c,cliImportedKeyValue00000000C\ncli-short,tooShort\n")
			writeFile(t, v["unknown"], "name,key,usageplanids\ncli-d,cliImportedKeyValue00000000D,nosuchplan\n")
			writeFile(t, v["noheader"], "cliImportedKeyValue00000000E\n")
		}},
		{name: "import-api-keys",
			args: []string{"import-api-keys", "--body", "fileb://<keys>", "--format", "csv"},
			want: fields{"ids.#": 2, "warnings.#": 1, "warnings.0": "Line 4: Key must be between 20 and 128 characters"},
			save: map[string]string{"a": "ids.0", "b": "ids.1"}},
		{name: "get-api-key shows the first row",
			args: []string{"get-api-key", "--api-key", "<a>", "--include-value"},
			want: fields{"id": "<a>", "name": "cli-a", "value": valueA, "enabled": false, "description": "first imported"}},
		{name: "get-api-key shows the second row",
			args: []string{"get-api-key", "--api-key", "<b>"},
			want: fields{"id": "<b>", "name": "cli-b", "enabled": true, "value": absent}},
		{name: "get-usage-plan-keys has both",
			args: []string{"get-usage-plan-keys", "--usage-plan-id", "<plan>"},
			want: fields{"items.#": 2},
			check: func(t *testing.T, answer any, v vars) {
				for _, id := range []string{v["a"], v["b"]} {
					if itemWith(t, answer, "items", "id", id) == nil {
						t.Errorf("usage plan has no key %s", id)
					}
				}
			}},
		{name: "importing the file again overwrites the same keys",
			args: []string{"import-api-keys", "--body", "fileb://<keys>", "--format", "csv"},
			want: fields{"ids.#": 2, "ids.0": "<a>", "ids.1": "<b>"}},
		{name: "import-api-keys --fail-on-warnings refuses a file with warnings",
			args:    []string{"import-api-keys", "--body", "fileb://<warned>", "--format", "csv", "--fail-on-warnings"},
			wantErr: "BadRequestException", wantMsg: "Line 3: Key must be between 20 and 128 characters"},
		{name: "import-api-keys with an unknown usage plan",
			args:    []string{"import-api-keys", "--body", "fileb://<unknown>", "--format", "csv"},
			wantErr: "NotFoundException"},
		{name: "import-api-keys without a header",
			args:    []string{"import-api-keys", "--body", "fileb://<noheader>", "--format", "csv"},
			wantErr: "BadRequestException"},
		{name: "get-api-keys: the refused files wrote nothing",
			args: []string{"get-api-keys"},
			want: fields{"items.#": 2}},
	}
	runScript(t, cli, v, steps)
	g.stop()
	g.expectNoErrorLogs()
}
