package mgmt

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/testwait"
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
// CreateApiKey would take (AWS's length, printable ASCII).
func FuzzParseAPIKeyCSV(f *testing.F) {
	f.Add("Key,name\napikey1234abcdefghij0123456789,MyFirstApiKey\n")
	f.Add("Enabled,Name,key,UsageplanIds\ntrue,K,apikey1234abcdefghij0123456789,\"c7y23b,glvrsr\"\n")
	f.Add("name,key\n\"unterminated")
	f.Fuzz(func(t *testing.T, in string) {
		keys, _, _ := parseAPIKeyCSV([]byte(in))
		for _, k := range keys {
			if apiKeyValueProblem(k.Value) != nil {
				t.Fatalf("key %q returned", k.Value)
			}
		}
	})
}

// TestImportAPIKeys: ImportApiKeys through the real SDK. Each case runs on a fresh server
// with plans gold and silver (both on the API's dev stage), bronze and ten more (no stages),
// and a key made by CreateApiKey; "{gold}" and the like in the file are the plans' ids. An
// error writes nothing: the stored keys and memberships are then as before.
func TestImportAPIKeys(t *testing.T) {
	t.Parallel()
	const (
		v1 = "importedKeyValue0000000001"
		v2 = "importedKeyValue0000000002"
		v0 = "existingKeyValue0000000000"
	)
	tests := []struct {
		name           string
		csv            string
		failOnWarnings bool
		wantCode       string // the error's code; "" for success
		wantIDs        int
		wantWarnings   int
		// check looks at the keys by value after a success.
		check func(t *testing.T, e *env, keys map[string]*model.APIKeyDocument, plans map[string]string)
	}{
		{name: "doc example 1", csv: "Key,name\n" + v1 + ",MyFirstApiKey\n", wantIDs: 1,
			check: func(t *testing.T, e *env, keys map[string]*model.APIKeyDocument, _ map[string]string) {
				if k := keys[v1]; k == nil || k.Name != "MyFirstApiKey" || !k.Enabled || len(k.UsagePlanIDs) != 0 {
					t.Errorf("imported key = %+v; want MyFirstApiKey, enabled, in no plan", k)
				}
			}},
		{name: "usage plans", csv: "Name,Key,Description,Enabled,UsagePlanIds\nA," + v1 + ",first,false,\"{gold},{bronze}\"\nB," + v2 + ",,TRUE,'{gold}'\n", wantIDs: 2,
			check: func(t *testing.T, e *env, keys map[string]*model.APIKeyDocument, plans map[string]string) {
				a, b := keys[v1], keys[v2]
				if a == nil || a.Name != "A" || a.Description != "first" || a.Enabled || !sameSet(a.UsagePlanIDs, plans["gold"], plans["bronze"]) {
					t.Errorf("key A = %+v; want A, first, disabled, in gold and bronze", a)
				}
				if b == nil || !b.Enabled || !sameSet(b.UsagePlanIDs, plans["gold"]) {
					t.Errorf("key B = %+v; want enabled, in gold", b)
				}
				for _, m := range []struct{ plan, key string }{{"gold", a.ID}, {"bronze", a.ID}, {"gold", b.ID}} {
					if !memberExists(t, e, plans[m.plan], m.key) {
						t.Errorf("no membership of %s in %s", m.key, m.plan)
					}
				}
			}},
		{name: "a short key is a warning", csv: "name,key\nok," + v1 + "\nshort,abc\n", wantIDs: 1, wantWarnings: 1},
		{name: "invalid characters are a warning", csv: "name,key\nbad,importedKeyValue 00000000\n", wantWarnings: 1},
		{name: "failonwarnings", csv: "name,key\nok," + v1 + "\nshort,abc\n", failOnWarnings: true, wantCode: "BadRequestException"},
		{name: "failonwarnings without warnings", csv: "name,key\nok," + v1 + "\n", failOnWarnings: true, wantIDs: 1},
		{name: "no Key column", csv: "name,value\nk," + v1 + "\n", wantCode: "BadRequestException"},
		{name: "empty file", csv: "", wantCode: "BadRequestException"},
		{name: "unknown plan writes nothing", csv: "name,key,usageplanids\nok," + v1 + ",{gold}\nbad," + v2 + ",nosuch\n", wantCode: "NotFoundException"},
		{name: "two plans on one stage", csv: "name,key,usageplanids\nk," + v1 + ",\"{gold},{silver}\"\n", wantCode: "ConflictException"},
		{name: "eleven plans", csv: "name,key,usageplanids\nk," + v1 + ",\"{bronze},{p0},{p1},{p2},{p3},{p4},{p5},{p6},{p7},{p8},{p9}\"\n", wantCode: "LimitExceededException"},
		{name: "ten plans", csv: "name,key,usageplanids\nk," + v1 + ",\"{p0},{p1},{p2},{p3},{p4},{p5},{p6},{p7},{p8},{p9}\"\n", wantIDs: 1},
		{name: "a taken value overwrites its key", csv: "name,key,description,enabled,usageplanids\nrenamed," + v0 + ",new,false,\"{gold},{bronze}\"\n", wantIDs: 1,
			check: func(t *testing.T, e *env, keys map[string]*model.APIKeyDocument, plans map[string]string) {
				k := keys[v0]
				if k == nil || k.ID != plans["existing"] || k.Name != "renamed" || k.Description != "new" || k.Enabled || !sameSet(k.UsagePlanIDs, plans["gold"], plans["bronze"]) {
					t.Errorf("overwritten key = %+v; want id %s renamed, new, disabled, in gold (already) and bronze", k, plans["existing"])
				}
			}},
		{name: "one value twice is one key", csv: "name,key,usageplanids\nfirst," + v1 + ",{gold}\nsecond," + v1 + ",{bronze}\n", wantIDs: 1,
			check: func(t *testing.T, e *env, keys map[string]*model.APIKeyDocument, plans map[string]string) {
				if k := keys[v1]; k == nil || k.Name != "second" || !sameSet(k.UsagePlanIDs, plans["gold"], plans["bronze"]) {
					t.Errorf("key = %+v; want second, in gold and bronze", k)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			apiID := e.stagedAPI(t, "dev")
			plans := map[string]string{
				"gold":   e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("gold"), ApiStages: stages(apiID, "dev")}),
				"silver": e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("silver"), ApiStages: stages(apiID, "dev")}),
				"bronze": e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("bronze")}),
			}
			for i := range 10 {
				plans[fmt.Sprintf("p%d", i)] = e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String(fmt.Sprintf("p%d", i))})
			}
			existing, err := e.client.CreateApiKey(ctx(t), &apigateway.CreateApiKeyInput{Name: aws.String("existing"), Value: aws.String(v0), Enabled: true})
			if err != nil {
				t.Fatal(err)
			}
			plans["existing"] = *existing.Id
			if _, err := e.addKey(plans["gold"], *existing.Id, t); err != nil {
				t.Fatal(err)
			}
			before := storeDump(t, e)

			body := tc.csv
			for name, id := range plans {
				body = strings.ReplaceAll(body, "{"+name+"}", id)
			}
			out, err := e.client.ImportApiKeys(ctx(t), &apigateway.ImportApiKeysInput{Body: []byte(body), Format: types.ApiKeysFormatCsv, FailOnWarnings: tc.failOnWarnings})
			if tc.wantCode != "" {
				if code, msg := apiErr(t, err); code != tc.wantCode {
					t.Errorf("ImportApiKeys = %s %q; want %s", code, msg, tc.wantCode)
				}
				if after := storeDump(t, e); !reflect.DeepEqual(after, before) {
					t.Errorf("a failed import changed the store:\nbefore %v\nafter  %v", before, after)
				}
				return
			}
			if err != nil {
				t.Fatalf("ImportApiKeys: %v", err)
			}
			if len(out.Ids) != tc.wantIDs || len(out.Warnings) != tc.wantWarnings {
				t.Fatalf("ImportApiKeys = ids %q, warnings %q; want %d ids, %d warnings", out.Ids, out.Warnings, tc.wantIDs, tc.wantWarnings)
			}
			keys := map[string]*model.APIKeyDocument{}
			for _, id := range append(out.Ids, plans["existing"]) {
				k, _ := storedJSON[model.APIKeyDocument](t, e, e.scope.APIKeyKey(id))
				keys[k.Value] = k
				if kv, err := e.store.Get(ctx(t), e.scope.APIKeyValueKey(k.Value)); err != nil || string(kv.Value) != id {
					t.Errorf("value of key %s reserved for %v (%v); want the key", id, kv, err)
				}
			}
			if tc.check != nil {
				tc.check(t, e, keys, plans)
			}
		})
	}
}

// TestImportAPIKeysFormat: format is required and must be csv; ImportRestApi, the other
// "?mode=import" operation, is still refused by name.
func TestImportAPIKeysFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := "name,key\nk,importedKeyValue0000000001\n"
	tests := []struct {
		path       string
		wantStatus int
		wantType   string
	}{
		{"/apikeys?mode=import", http.StatusBadRequest, "ValidationException"},
		{"/apikeys?mode=import&format=json", http.StatusBadRequest, "ValidationException"},
		{"/restapis?mode=import", http.StatusNotFound, "UnknownOperationException"},
		{"/apikeys?mode=import&format=csv", http.StatusCreated, ""},
	}
	for _, tc := range tests {
		resp, err := testClient.Post(e.url+tc.path, "text/csv", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus || resp.Header.Get("x-amzn-ErrorType") != tc.wantType {
			t.Errorf("POST %s = %d %q; want %d %q", tc.path, resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), tc.wantStatus, tc.wantType)
		}
	}
}

// sameSet reports whether got holds exactly want, in any order.
func sameSet(got []string, want ...string) bool {
	return len(got) == len(want) && !slices.ContainsFunc(want, func(w string) bool { return !slices.Contains(got, w) })
}

// storeDump is every key and value in the store, to compare before and after a call.
func storeDump(t *testing.T, e *env) map[string]string {
	t.Helper()
	kvs, _, err := e.store.List(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		out[kv.Key] = string(kv.Value)
	}
	return out
}

// importFile is an API key file of n keys, their values made unique by prefix, each in the
// plans listed.
func importFile(n int, prefix, plans string) string {
	var b strings.Builder
	b.WriteString("name,key,usageplanids\n")
	for i := range n {
		fmt.Fprintf(&b, "k%d,%s%020d,%s\n", i, prefix, i, plans)
	}
	return b.String()
}

// TestImportAPIKeysLimit: one import holds at most maxImportedKeys keys; a larger file is
// refused before anything is read or written.
func TestImportAPIKeysLimit(t *testing.T) {
	t.Parallel()
	s, _, _ := patchServer(t)
	var out importAPIKeysOutput
	serve(t, s, "POST", "/apikeys?mode=import&format=csv", importFile(maxImportedKeys+1, "v", ""), http.StatusTooManyRequests, nil)
	serve(t, s, "POST", "/apikeys?mode=import&format=csv", importFile(3, "v", ""), http.StatusCreated, &out)
	if len(out.IDs) != 3 {
		t.Errorf("import of 3 keys after a refused one = %v; want 3 ids", out.IDs)
	}
}

// BenchmarkImportAPIKeys: one import of maxImportedKeys new keys into one usage plan, over
// a memory store (the cost per key is the time divided by maxImportedKeys).
func BenchmarkImportAPIKeys(b *testing.B) {
	s, _, _ := patchServer(b)
	var plan struct{ ID string }
	serve(b, s, "POST", "/usageplans", `{"name":"bench"}`, http.StatusCreated, &plan)
	for i := 0; b.Loop(); i++ {
		serve(b, s, "POST", "/apikeys?mode=import&format=csv", importFile(maxImportedKeys, fmt.Sprintf("b%d", i), plan.ID), http.StatusCreated, nil)
	}
}

// TestImportAPIKeysConcurrent: imports of one value at once make one key: the losers of the
// value reservation retry and overwrite the winner's key, so that every import answers the
// same id and one key and one membership are stored.
func TestImportAPIKeysConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plan := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("shared")})
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf("name,key,usageplanids\nrun%d,concurrentKeyValue000000001,%s\n", i, plan)
			out, err := e.client.ImportApiKeys(ctx(t), &apigateway.ImportApiKeysInput{Body: []byte(body), Format: types.ApiKeysFormatCsv})
			errs[i] = err
			if err == nil && len(out.Ids) == 1 {
				ids[i] = out.Ids[0]
			}
		}()
	}
	testwait.Group(t, &wg, testwait.Patient, "the concurrent imports")
	for i := range n {
		if errs[i] != nil || ids[i] == "" || ids[i] != ids[0] {
			t.Errorf("import %d = id %q, %v; want the id every import answers (%q)", i, ids[i], errs[i], ids[0])
		}
	}
	keys, _, err := e.store.List(ctx(t), e.scope.APIKeyPrefix())
	if err != nil || len(keys) != 1 {
		t.Fatalf("stored keys = %d (%v); want 1", len(keys), err)
	}
	if got := keyPlans(t, e, ids[0]); !sameSet(got, plan) || !memberExists(t, e, plan, ids[0]) {
		t.Errorf("key's plans = %v, membership %v; want the plan once", got, memberExists(t, e, plan, ids[0]))
	}
}
