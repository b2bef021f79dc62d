package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/memory"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// The harness of the Update* fuzz targets (update_fuzz_test.go). Each input runs against a
// fresh in-memory store holding one realistic API, built once per process through the real
// handlers: resources /pets and /pets/{petId}, a GET method with request parameters, a
// model and a validator, its method response, an HTTP integration (stage-variable URI,
// parameter mappings, a template) with two integration responses, a MOCK POST on the root,
// a customized DEFAULT_4XX, a deployment with stage "prod", and an account setting. The
// patch goes through the PATCH route the aws CLI uses, and the target checks:
//
//   - no panic and no 5xx;
//   - a 4xx is AWS-shaped (x-amzn-ErrorType, a JSON body with a message) and changes nothing
//     in the store, byte for byte (no partial write; the GET before and after agree);
//   - after a 2xx, the GET answers what the PATCH answered, a document that re-serialises
//     unchanged; the stored API and stage pass the checks their Put/Create operations make;
//     CreateDeployment succeeds; and the data plane (gateway.Server over the same store)
//     compiles the deployed stage.

// fuzzFixture is the template API's ids.
type fuzzFixture struct {
	kvs          []store.KV // every document of the template store
	apiID        string
	rootID       string
	petsID       string
	petID        string
	validatorID  string
	deploymentID string
	docPartID    string // the API's documentation part, at the METHOD GET /pets/{petId}
}

var (
	fuzzFixtureOnce sync.Once
	fuzzFixtureVal  *fuzzFixture
	fuzzFixtureErr  error
)

// fuzzScope is the scope of every fuzz store.
var fuzzScope = apigateway.Scope{AccountID: testAccount, Region: "us-east-1"}

// newFuzzServer is a management server over st that logs nothing.
func newFuzzServer(st store.Store) *Server {
	return New(Config{Store: st, Scope: fuzzScope, Logger: slog.New(slog.DiscardHandler)})
}

// fuzzCall is one management call through the server's router: status, headers, body.
func fuzzCall(h http.Handler, method, path, body string) (int, http.Header, []byte) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

// buildFuzzFixture builds the template API through the real handlers.
func buildFuzzFixture() (*fuzzFixture, error) {
	st := memory.New()
	defer st.Close()
	s := newFuzzServer(st)
	fx := &fuzzFixture{}
	step := func(method, path, body string, want int, out any) error {
		code, _, b := fuzzCall(s, method, path, body)
		if code != want {
			return fmt.Errorf("%s %s = %d %s; want %d", method, path, code, b, want)
		}
		if out != nil {
			return json.Unmarshal(b, out)
		}
		return nil
	}
	var api struct {
		ID             string `json:"id"`
		RootResourceID string `json:"rootResourceId"`
	}
	var id struct {
		ID string `json:"id"`
	}
	if err := step("POST", "/restapis", `{"name":"fuzz","binaryMediaTypes":["image/png"]}`, 201, &api); err != nil {
		return nil, err
	}
	fx.apiID, fx.rootID = api.ID, api.RootResourceID
	base := "/restapis/" + fx.apiID
	if err := step("POST", base+"/resources/"+fx.rootID, `{"pathPart":"pets"}`, 201, &id); err != nil {
		return nil, err
	}
	fx.petsID = id.ID
	if err := step("POST", base+"/resources/"+fx.petsID, `{"pathPart":"{petId}"}`, 201, &id); err != nil {
		return nil, err
	}
	fx.petID = id.ID
	steps := []struct {
		method, path, body string
		want               int
		out                any
	}{
		{"POST", base + "/models", `{"name":"Pet","contentType":"application/json","schema":"{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}"}`, 201, nil},
		{"POST", base + "/models", `{"name":"Pets","contentType":"application/json","schema":"{\"type\":\"array\",\"items\":{\"$ref\":\"https://apigateway.amazonaws.com/restapis/` + fx.apiID + `/models/Pet\"}}"}`, 201, nil},
		{"POST", base + "/requestvalidators", `{"name":"all","validateRequestBody":true,"validateRequestParameters":true}`, 201, &id},
	}
	for _, st := range steps {
		if err := step(st.method, st.path, st.body, st.want, st.out); err != nil {
			return nil, err
		}
	}
	fx.validatorID = id.ID
	pet := base + "/resources/" + fx.petID + "/methods/GET"
	root := base + "/resources/" + fx.rootID + "/methods/POST"
	steps = []struct {
		method, path, body string
		want               int
		out                any
	}{
		{"PUT", pet, `{"authorizationType":"NONE","requestParameters":{"method.request.path.petId":true,"method.request.header.h":false,"method.request.querystring.q":false},"requestModels":{"application/json":"Pet"},"requestValidatorId":"` + fx.validatorID + `"}`, 201, nil},
		{"PUT", pet + "/responses/200", `{"responseParameters":{"method.response.header.x-id":false},"responseModels":{"application/json":"Pet"}}`, 201, nil},
		{"PUT", pet + "/responses/404", `{"responseModels":{"application/json":"Error"}}`, 201, nil},
		{"PUT", pet + "/integration", `{"type":"HTTP","httpMethod":"GET","uri":"http://${stageVariables.host}/pets/{id}","requestParameters":{"integration.request.path.id":"method.request.path.petId","integration.request.header.h":"method.request.header.h","integration.request.querystring.q":"'static'"},"requestTemplates":{"application/json":"{\"id\": \"$input.params('petId')\"}"}}`, 201, nil},
		{"PUT", pet + "/integration/responses/200", `{"selectionPattern":"","responseParameters":{"method.response.header.x-id":"integration.response.header.x-id"},"responseTemplates":{"application/json":"$input.json('$')"}}`, 201, nil},
		{"PUT", pet + "/integration/responses/404", `{"selectionPattern":"404","responseTemplates":{"application/json":"{\"message\": \"not found\"}"}}`, 201, nil},
		{"PUT", root, `{"authorizationType":"NONE"}`, 201, nil},
		{"PUT", root + "/integration", `{"type":"MOCK","requestTemplates":{"application/json":"{\"statusCode\": 200}"}}`, 201, nil},
		{"PUT", root + "/integration/responses/200", `{"selectionPattern":""}`, 201, nil},
		{"PUT", base + "/gatewayresponses/DEFAULT_4XX", `{"responseParameters":{"gatewayresponse.header.x-gw":"'gw'"},"responseTemplates":{"application/json":"{\"error\": \"$context.error.messageString\"}"}}`, 201, nil},
		{"POST", base + "/deployments", `{"stageName":"prod","description":"first","variables":{"host":"backend.example"}}`, 201, &id},
		{"PATCH", "/account", `{"patchOperations":[{"op":"replace","path":"/cloudwatchRoleArn","value":"arn:aws:iam::123456789012:role/logs"}]}`, 200, nil},
	}
	for _, st := range steps {
		if err := step(st.method, st.path, st.body, st.want, st.out); err != nil {
			return nil, err
		}
	}
	fx.deploymentID = id.ID
	if err := step("POST", base+"/documentation/parts", `{"location":{"type":"METHOD","path":"/pets/{petId}","method":"GET"},"properties":"{\"description\":\"a pet\"}"}`, 201, &id); err != nil {
		return nil, err
	}
	fx.docPartID = id.ID
	if err := step("POST", base+"/documentation/versions", `{"documentationVersion":"v1","description":"first"}`, 201, nil); err != nil {
		return nil, err
	}
	kvs, _, err := st.List(context.Background(), "")
	if err != nil {
		return nil, err
	}
	fx.kvs = kvs
	return fx, nil
}

// loadFuzzFixture returns the template API, building it on first use.
func loadFuzzFixture(t *testing.T) *fuzzFixture {
	t.Helper()
	fuzzFixtureOnce.Do(func() { fuzzFixtureVal, fuzzFixtureErr = buildFuzzFixture() })
	if fuzzFixtureErr != nil {
		t.Fatalf("build the fuzz API: %v", fuzzFixtureErr)
	}
	return fuzzFixtureVal
}

// updateTarget is one Update operation under fuzz.
type updateTarget struct {
	// path is the resource's path: PATCH changes it, GET reads it.
	path func(fx *fuzzFixture) string
	// check, when set, checks the document a 2xx GET returned beyond re-serialising.
	check func(t *testing.T, fx *fuzzFixture, st store.Store, body []byte)
	// wantStatus is the operation's success status (200; UpdateMethodResponse's is 201).
	wantStatus int
}

// nullValue in a seed stands for an absent "value" member.
const nullValue = "\x00null"

// fuzzPatch is the fuzz input of every Update target: up to two patch operations. Bits of
// flags: 1 and 2 make op 1's and op 2's value absent, 4 sends no operation at all.
type fuzzPatch struct {
	op, path, value, from string
	op2, path2, value2    string
	flags                 uint8
}

// addPatchSeeds adds seeds given as (op, path, value) triples, one or two per seed; a value
// of nullValue is absent. A fourth element of a single triple is its "from".
func addPatchSeeds(f *testing.F, seeds ...[]string) {
	for _, s := range seeds {
		var p fuzzPatch
		val := func(v string, bit uint8) string {
			if v == nullValue {
				p.flags |= bit
				return ""
			}
			return v
		}
		switch len(s) {
		case 0:
			p.flags = 4
		case 3, 4:
			p.op, p.path, p.value = s[0], s[1], val(s[2], 1)
			if len(s) == 4 {
				p.from = s[3]
			}
		case 6:
			p.op, p.path, p.value = s[0], s[1], val(s[2], 1)
			p.op2, p.path2, p.value2 = s[3], s[4], val(s[5], 2)
		default:
			panic(fmt.Sprintf("seed %q: want 3, 4 or 6 strings", s))
		}
		f.Add(p.op, p.path, p.value, p.from, p.op2, p.path2, p.value2, p.flags)
	}
}

// ops returns the patch operations of p, with the fixture's ids put in for $API, $ROOT,
// $PETS, $PET, $VALIDATOR and $DEPLOYMENT (the ids are random, the seeds fixed).
func (p fuzzPatch) ops(fx *fuzzFixture) []awsjson.PatchOperation {
	if p.flags&4 != 0 {
		return []awsjson.PatchOperation{}
	}
	ids := strings.NewReplacer("$API", fx.apiID, "$ROOT", fx.rootID, "$PETS", fx.petsID, "$PET", fx.petID,
		"$VALIDATOR", fx.validatorID, "$DEPLOYMENT", fx.deploymentID)
	str := func(v string, null bool) *string {
		if null {
			return nil
		}
		v = ids.Replace(v)
		return &v
	}
	ops := []awsjson.PatchOperation{{Op: p.op, Path: ids.Replace(p.path), Value: str(p.value, p.flags&1 != 0), From: p.from}}
	if p.op2 != "" || p.path2 != "" {
		ops = append(ops, awsjson.PatchOperation{Op: p.op2, Path: ids.Replace(p.path2), Value: str(p.value2, p.flags&2 != 0)})
	}
	return ops
}

// fuzzUpdate runs target with the fuzzed patch operations.
func fuzzUpdate(f *testing.F, target updateTarget) {
	f.Fuzz(func(t *testing.T, op, path, value, from, op2, path2, value2 string, flags uint8) {
		runUpdate(t, target, func(fx *fuzzFixture) []byte {
			ops := fuzzPatch{op, path, value, from, op2, path2, value2, flags}.ops(fx)
			body, err := json.Marshal(awsjson.PatchRequest{PatchOperations: ops})
			if err != nil {
				t.Fatalf("encode %+v: %v", ops, err)
			}
			return body
		})
	})
}

// runUpdate is one input of an Update target: see the harness's comment for what it checks.
func runUpdate(t *testing.T, target updateTarget, patchBody func(fx *fuzzFixture) []byte) {
	t.Helper()
	fx := loadFuzzFixture(t)
	body := patchBody(fx)
	st := memory.New()
	defer st.Close()
	ctx := context.Background()
	put := make([]store.Op, len(fx.kvs))
	for i, kv := range fx.kvs {
		put[i] = store.Op{Key: kv.Key, Value: kv.Value, IfRevision: store.Absent}
	}
	if _, err := st.Txn(ctx, put...); err != nil {
		t.Fatalf("load the fuzz API: %v", err)
	}
	s := newFuzzServer(st)

	getPath := target.path(fx)
	getCode, _, before := fuzzCall(s, "GET", getPath, "")
	if getCode != http.StatusOK {
		t.Fatalf("GET %s before = %d %s", getPath, getCode, before)
	}
	dumpBefore := dumpStore(t, st)
	patchPath := getPath
	code, h, resp := fuzzCall(s, "PATCH", patchPath, string(body))
	switch {
	case code >= 500:
		t.Fatalf("PATCH %s %s = %d %s; want no internal error", patchPath, body, code, resp)
	case code >= 400:
		var e struct {
			Message *string `json:"message"`
		}
		if h.Get("x-amzn-ErrorType") == "" || json.Unmarshal(resp, &e) != nil || e.Message == nil || *e.Message == "" {
			t.Fatalf("PATCH %s %s = %d %q (x-amzn-ErrorType %q); want an AWS-shaped error", patchPath, body, code, resp, h.Get("x-amzn-ErrorType"))
		}
		if after := dumpStore(t, st); !reflect.DeepEqual(after, dumpBefore) {
			t.Fatalf("PATCH %s %s = %d %s, yet the store changed:\nbefore %s\nafter  %s", patchPath, body, code, resp, dumpBefore, after)
		}
		if getCode, _, after := fuzzCall(s, "GET", getPath, ""); getCode != http.StatusOK || !bytes.Equal(after, before) {
			t.Fatalf("PATCH %s %s = %d %s, yet GET %s changed:\nbefore %s\nafter  %d %s", patchPath, body, code, resp, getPath, before, getCode, after)
		}
		return
	case code != target.wantStatus:
		t.Fatalf("PATCH %s %s = %d %s; want %d or a 4xx", patchPath, body, code, resp, target.wantStatus)
	}
	if !json.Valid(resp) {
		t.Fatalf("PATCH %s %s = %d %q; want a JSON body", patchPath, body, code, resp)
	}
	getCode, _, after := fuzzCall(s, "GET", getPath, "")
	if getCode != http.StatusOK {
		t.Fatalf("after PATCH %s %s: GET %s = %d %s", patchPath, body, getPath, getCode, after)
	}
	checkReserialises(t, after)
	if !equalJSON(resp, after) {
		t.Fatalf("PATCH %s %s = %d %s; yet GET %s = %s", patchPath, body, code, resp, getPath, after)
	}
	if target.check != nil {
		target.check(t, fx, st, after)
	}
	if problems := checkStored(t, st, fx); len(problems) > 0 {
		t.Fatalf("PATCH %s %s = %d %s stored what Put/Create would refuse:\n%s", patchPath, body, code, resp, strings.Join(problems, "\n"))
	}
	deployment := `{"stageName":"prod"}`
	var sd apigateway.StageDocument
	if _, err := store.GetJSON(context.Background(), st, fuzzScope.StageKey(fx.apiID, "prod"), &sd); err == nil && sd.CanarySettings != nil {
		// A stage with a canary takes canary deployments only, as AWS's does.
		deployment = `{"stageName":"prod","canarySettings":{"percentTraffic":10}}`
	}
	depCode, _, dep := fuzzCall(s, "POST", "/restapis/"+fx.apiID+"/deployments", deployment)
	if depCode != http.StatusCreated {
		t.Fatalf("after PATCH %s %s: CreateDeployment = %d %s; want 201", patchPath, body, depCode, dep)
	}
	if errs := compileStages(t, st); len(errs) > 0 {
		t.Fatalf("after PATCH %s %s: the data plane does not compile the deployed stage: %v", patchPath, body, errs)
	}
}

// dumpStore returns every key of st with its revision and value: a refused update writes
// nothing at all, not even the same bytes again.
func dumpStore(t *testing.T, st store.Store) map[string]string {
	t.Helper()
	kvs, _, err := st.List(context.Background(), "")
	if err != nil {
		t.Fatalf("list the store: %v", err)
	}
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		out[kv.Key] = fmt.Sprintf("r%d %s", kv.Revision, kv.Value)
	}
	return out
}

// checkReserialises checks that a GET body is a JSON object that decodes and encodes back
// to the same value.
func checkReserialises(t *testing.T, body []byte) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET body %q is not a JSON object: %v", body, err)
	}
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("re-encode GET body %q: %v", body, err)
	}
	var w map[string]any
	if err := json.Unmarshal(again, &w); err != nil || !reflect.DeepEqual(v, w) {
		t.Fatalf("GET body %q does not re-serialise: %s (%v)", body, again, err)
	}
}

// equalJSON reports whether a and b are the same JSON value.
func equalJSON(a, b []byte) bool {
	var va, vb any
	return json.Unmarshal(a, &va) == nil && json.Unmarshal(b, &vb) == nil && reflect.DeepEqual(va, vb)
}

// checkStored returns every problem of the stored API, stage and deployment that the
// operations creating them would refuse.
func checkStored(t *testing.T, st store.Store, fx *fuzzFixture) []string {
	t.Helper()
	ctx := context.Background()
	// The API is a head and one document per resource (apidoc.go): read it as the server
	// does, through a server of its own so that no cache stands between it and the store.
	doc, err := newFuzzServer(st).loadAPIOr(ctx, fx.apiID, store.ErrNotFound)
	if err != nil {
		t.Fatalf("read the API: %v", err)
	}
	problems := checkAPIDocument(doc)
	var sd apigateway.StageDocument
	if _, err := store.GetJSON(ctx, st, fuzzScope.StageKey(fx.apiID, "prod"), &sd); err != nil {
		t.Fatalf("read stage prod: %v", err)
	}
	problems = append(problems, checkStageDocument(t, st, fx, &sd)...)
	var dd apigateway.DeploymentDocument
	if _, err := store.GetJSON(ctx, st, fuzzScope.DeploymentKey(fx.apiID, fx.deploymentID), &dd); err != nil {
		t.Fatalf("read deployment: %v", err)
	}
	if dd.Snapshot == nil || dd.RestAPIID != fx.apiID {
		problems = append(problems, fmt.Sprintf("deployment %s lost its snapshot or API", fx.deploymentID))
	}
	return problems
}

// checkAPIDocument runs the checks of every Put/Create operation over a whole API.
func checkAPIDocument(doc *apigateway.RestAPIDocument) []string {
	var problems []string
	add := func(where string, ps ...string) {
		for _, p := range ps {
			if p != "" {
				problems = append(problems, where+": "+p)
			}
		}
	}
	root := doc.Resources[doc.RootResourceID]
	if root == nil || root.Path != "/" || root.ParentID != "" || root.PathPart != "" {
		add("root", fmt.Sprintf("root resource %+v", root))
	}
	for _, id := range slices.Sorted(maps.Keys(doc.Resources)) {
		r := doc.Resources[id]
		where := "resource " + id
		if r.ID != id {
			add(where, "id "+r.ID)
		}
		if id == doc.RootResourceID {
			continue
		}
		parent := doc.Resources[r.ParentID]
		switch {
		case parsePathPart(r.PathPart) == pathPartInvalid:
			add(where, "path part "+r.PathPart)
		case parent == nil:
			add(where, "no parent "+r.ParentID)
		case r.Path != childPath(parent.Path, r.PathPart):
			add(where, "path "+r.Path+" under "+parent.Path)
		case parsePathPart(parent.PathPart) == pathPartGreedy:
			add(where, "child of greedy "+parent.Path)
		default:
			if err := checkPlacement(doc, parent, r.PathPart, r.ID); err != nil {
				add(where, err.Error())
			}
		}
	}
	for where, m := range methodsByPath(doc) {
		mc := *m
		add(where, checkAuthorization(doc, &mc)...)
		add(where, checkMethodRequestParams(m.RequestParameters)...)
		add(where, checkModels(doc, m.RequestModels)...)
		if err := checkRequestValidator(doc, m.RequestValidatorID); err != nil {
			add(where, err.Message)
		}
		for code, mr := range m.MethodResponses {
			add(where+" response "+code, statusCodeProblem(code))
			add(where+" response "+code, checkMethodResponseParams(mr.ResponseParameters)...)
			add(where+" response "+code, checkModels(doc, mr.ResponseModels)...)
		}
		ig := m.MethodIntegration
		if ig == nil {
			continue
		}
		declared := declaringAll(m)
		add(where+" integration", checkIntegration(declared, ig)...)
		for code, ir := range ig.IntegrationResponses {
			add(where+" integration response "+code, statusCodeProblem(code))
			add(where+" integration response "+code, checkIntegrationResponse(declared, ir)...)
			if err := checkSelectionPattern(ig, ir); err != nil {
				add(where+" integration response "+code, err.Error())
			}
		}
	}
	for name, md := range doc.Models {
		add("model "+name, checkModelName(name))
		if err := checkModelSchema(doc, name, md.Schema); err != nil {
			add("model "+name, err.Message)
		}
	}
	for id, v := range doc.RequestValidators {
		if v.ID != id {
			add("validator "+id, fmt.Sprintf("%+v", v))
		}
	}
	for typ, gr := range doc.GatewayResponses {
		where := "gateway response " + string(typ)
		if _, ok := apigateway.LookupGatewayResponseType(typ); !ok {
			add(where, "unknown type")
		}
		if gr.StatusCode != "" {
			add(where, statusCodeProblem(gr.StatusCode))
		}
		var p problemList
		for _, k := range slices.Sorted(maps.Keys(gr.ResponseParameters)) {
			checkGatewayResponseParameter(&p, k, gr.ResponseParameters[k])
		}
		for _, ct := range slices.Sorted(maps.Keys(gr.ResponseTemplates)) {
			checkContentType(&p, ct)
		}
		if err := p.err(); err != nil {
			add(where, err.Error())
		}
	}
	return problems
}

// declaringAll returns a copy of m that declares every method request parameter its
// integration maps and every method response header its integration responses map. AWS
// lets UpdateMethod and UpdateMethodResponse remove a parameter a mapping still names
// (the mapping is refused only when the integration is next put or updated:
// hashicorp/terraform-provider-aws#39801), so such a dangling name is no problem of the
// stored API; the form of every mapping still is.
func declaringAll(m *apigateway.Method) *apigateway.Method {
	out := *m
	out.RequestParameters = maps.Clone(m.RequestParameters)
	if out.RequestParameters == nil {
		out.RequestParameters = map[string]bool{}
	}
	out.MethodResponses = map[string]*apigateway.MethodResponse{}
	for code, mr := range m.MethodResponses {
		c := *mr
		out.MethodResponses[code] = &c
	}
	ig := m.MethodIntegration
	for _, v := range ig.RequestParameters {
		if _, _, ok := parseMethodRequestParam(v); ok {
			out.RequestParameters[v] = false
		}
	}
	for code, ir := range ig.IntegrationResponses {
		mr := out.MethodResponses[code]
		if mr == nil {
			mr = &apigateway.MethodResponse{StatusCode: code}
			out.MethodResponses[code] = mr
		}
		mr.ResponseParameters = maps.Clone(mr.ResponseParameters)
		if mr.ResponseParameters == nil {
			mr.ResponseParameters = map[string]bool{}
		}
		for k := range ir.ResponseParameters {
			mr.ResponseParameters[k] = false
		}
	}
	return &out
}

// checkStageDocument runs CreateStage's checks over the stored stage.
func checkStageDocument(t *testing.T, st store.Store, fx *fuzzFixture, sd *apigateway.StageDocument) []string {
	t.Helper()
	var p problemList
	if msg := stageNameProblem(sd.StageName); msg != "" {
		p.addf("%s", msg)
	}
	checkStageVariables(&p, sd.Variables)
	if sd.CacheClusterSize != "" {
		if msg := cacheClusterSizeProblem("cacheClusterSize", sd.CacheClusterSize); msg != "" {
			p.addf("%s", msg)
		}
	}
	deps := []string{sd.DeploymentID}
	if cs := sd.CanarySettings; cs != nil {
		if msg := percentTrafficProblem(cs.PercentTraffic); msg != "" {
			p.addf("%s", msg)
		}
		checkStageVariables(&p, cs.StageVariableOverrides)
		deps = append(deps, cs.DeploymentID)
	}
	for _, id := range deps {
		if _, err := st.Get(context.Background(), fuzzScope.DeploymentKey(fx.apiID, id)); err != nil {
			p.addf("deployment %q: %v", id, err)
		}
	}
	for key := range sd.MethodSettings {
		if sp := parseStagePath("/" + key + "/metrics/enabled"); sp.Kind != stagePathMethodSetting || sp.Key != key {
			p.addf("method settings key %q", key)
		}
	}
	var out []string
	for _, e := range p {
		out = append(out, "stage prod: "+e.Message)
	}
	return out
}

// compileStages runs the data plane over st until it has loaded every stage, and returns
// the stages that do not compile.
func compileStages(t *testing.T, st store.Store) map[string]error {
	t.Helper()
	gw := gateway.New(gateway.Config{Store: st, Scope: fuzzScope})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx) }()
	defer func() {
		cancel()
		testwait.Recv(t, done, 10*time.Second, "the data plane's stop")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !gw.Ready() { // polled finely: this runs once per fuzz input
		if time.Now().After(deadline) {
			t.Fatalf("the data plane did not load the store within 10s")
		}
		time.Sleep(100 * time.Microsecond)
	}
	out := map[string]error{}
	for id, err := range gw.StageErrors() {
		if errs := compileErrors(err); len(errs) > 0 {
			out[id] = errors.Join(errs...)
		}
	}
	return out
}

// compileErrors splits a stage's compile error into its problems.
func compileErrors(err error) []error {
	if u, ok := errors.Unwrap(err).(interface{ Unwrap() []error }); ok {
		return u.Unwrap()
	}
	return []error{err}
}
