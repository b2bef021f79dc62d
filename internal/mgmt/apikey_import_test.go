package mgmt

import (
	"slices"
	"testing"
)

// TestParseAPIKeyCSV: AWS's documented examples parse; bad rows are warnings.
func TestParseAPIKeyCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		want     []importedKey
		warnings int
		err      bool
	}{
		{"doc example 1", "Key,name\napikey1234abcdefghij0123456789,MyFirstApiKey\n",
			[]importedKey{{Name: "MyFirstApiKey", Value: "apikey1234abcdefghij0123456789", Enabled: true}}, 0, false},
		{"doc example 2", "Name,key,description,Enabled,usageplanIds\nMyFirstApiKey,apikey1234abcdefghij0123456789,An imported key,TRUE,c7y23b\n",
			[]importedKey{{Name: "MyFirstApiKey", Value: "apikey1234abcdefghij0123456789", Description: "An imported key", Enabled: true, UsagePlanIDs: []string{"c7y23b"}}}, 0, false},
		{"doc example 3", "Enabled,Name,key,UsageplanIds\nfalse,MyFirstApiKey,apikey1234abcdefghij0123456789,\"c7y23b,glvrsr\"\n",
			[]importedKey{{Name: "MyFirstApiKey", Value: "apikey1234abcdefghij0123456789", UsagePlanIDs: []string{"c7y23b", "glvrsr"}}}, 0, false},
		{"short key", "name,key\nk,short\n", nil, 1, false},
		{"no key column", "name\nk\n", nil, 0, true},
		{"empty", "", nil, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, warnings, err := parseAPIKeyCSV([]byte(tc.in))
			if (err != nil) != tc.err || len(warnings) != tc.warnings {
				t.Fatalf("err %v warnings %q", err, warnings)
			}
			if !slices.EqualFunc(got, tc.want, func(a, b importedKey) bool {
				return a.Name == b.Name && a.Value == b.Value && a.Description == b.Description && a.Enabled == b.Enabled && slices.Equal(a.UsagePlanIDs, b.UsagePlanIDs)
			}) {
				t.Errorf("got %+v; want %+v", got, tc.want)
			}
		})
	}
}

// FuzzParseAPIKeyCSV: any input parses without a panic, and every key returned has a value
// of AWS's length.
func FuzzParseAPIKeyCSV(f *testing.F) {
	f.Add("Key,name\napikey1234abcdefghij0123456789,MyFirstApiKey\n")
	f.Add("Enabled,Name,key,UsageplanIds\ntrue,K,apikey1234abcdefghij0123456789,\"c7y23b,glvrsr\"\n")
	f.Add("name,key\n\"unterminated")
	f.Fuzz(func(t *testing.T, in string) {
		keys, _, _ := parseAPIKeyCSV([]byte(in))
		for _, k := range keys {
			if len(k.Value) < minAPIKeyValueLen || len(k.Value) > maxAPIKeyValueLen {
				t.Fatalf("key %q returned", k.Value)
			}
		}
	})
}
