package lambdaapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/gatehouse/gatehouse/internal/lambda"
	"github.com/gatehouse/gatehouse/internal/lambdacall"
)

const fnARN = "arn:aws:lambda:eu-west-1:123456789012:function:"

// setGreeting changes $LATEST's GREETING: a configuration change a version can be told by.
func setGreeting(t *testing.T, e *env, name, greeting string) {
	t.Helper()
	if _, err := e.client.UpdateFunctionConfiguration(context.Background(), &lambdasdk.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name), Environment: &types.Environment{Variables: map[string]string{"GREETING": greeting}},
	}); err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err is the AWS error code (and, when msg is set, says msg).
func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	got, gotMsg := apiError(err)
	if got != code || (msg != "" && gotMsg != msg) {
		t.Errorf("%s: error = %s %q; want %s %q", what, got, gotMsg, code, msg)
	}
}

// TestPublishVersion publishes, lists and reads versions with the SDK: numbers are never
// reused, an unchanged $LATEST publishes nothing, the preconditions answer AWS's errors.
func TestPublishVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	in := createInput("pv", smallZip)
	in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "one"}}
	created, err := e.client.CreateFunction(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := e.client.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("pv"), Description: aws.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v1.Version) != "1" || aws.ToString(v1.FunctionArn) != fnARN+"pv:1" || aws.ToString(v1.Description) != "first" ||
		aws.ToString(v1.RevisionId) == aws.ToString(created.RevisionId) || aws.ToString(v1.CodeSha256) != aws.ToString(created.CodeSha256) {
		t.Errorf("PublishVersion = %s %s %q rev %s; want 1 %s \"first\" with its own RevisionId", aws.ToString(v1.Version), aws.ToString(v1.FunctionArn), aws.ToString(v1.Description), aws.ToString(v1.RevisionId), fnARN+"pv:1")
	}
	again, err := e.client.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("pv")})
	if err != nil || aws.ToString(again.Version) != "1" || aws.ToString(again.RevisionId) != aws.ToString(v1.RevisionId) {
		t.Errorf("PublishVersion of an unchanged $LATEST = %v, %v; want version 1 again", again, err)
	}

	setGreeting(t, e, "pv", "two")
	latest, err := e.client.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String("pv")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("pv"), CodeSha256: aws.String("AAAA")})
	wantCode(t, "PublishVersion with another CodeSha256", err, "InvalidParameterValueException",
		"CodeSHA256 (AAAA) is different from current CodeSHA256 in $LATEST ("+aws.ToString(latest.CodeSha256)+"). Please try again with the CodeSHA256 in $LATEST.")
	_, err = e.client.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("pv"), RevisionId: created.RevisionId})
	wantCode(t, "PublishVersion with a stale RevisionId", err, "PreconditionFailedException", "")
	v2, err := e.client.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("pv"), CodeSha256: latest.CodeSha256, RevisionId: latest.RevisionId})
	if err != nil || aws.ToString(v2.Version) != "2" || v2.Environment.Variables["GREETING"] != "two" {
		t.Fatalf("PublishVersion after a change = %v, %v; want version 2 with GREETING two", v2, err)
	}

	// Deleting the last version does not free its number.
	if _, err := e.client.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String("pv"), Qualifier: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	setGreeting(t, e, "pv", "three")
	v3, err := e.client.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("pv")})
	if err != nil || aws.ToString(v3.Version) != "3" {
		t.Fatalf("PublishVersion after deleting version 2 = %v, %v; want version 3", v3, err)
	}

	// ListVersionsByFunction: $LATEST first, then by number, in pages.
	var got []string
	var marker *string
	for {
		out, err := e.client.ListVersionsByFunction(ctx, &lambdasdk.ListVersionsByFunctionInput{FunctionName: aws.String("pv"), MaxItems: aws.Int32(1), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			got = append(got, aws.ToString(v.Version)+"="+aws.ToString(v.FunctionArn))
		}
		if marker = out.NextMarker; marker == nil {
			break
		}
	}
	want := []string{"$LATEST=" + fnARN + "pv:$LATEST", "1=" + fnARN + "pv:1", "3=" + fnARN + "pv:3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ListVersionsByFunction pages = %v; want %v", got, want)
	}

	all, err := e.client.ListFunctions(ctx, &lambdasdk.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
	if err != nil || len(all.Functions) != 3 || aws.ToString(all.Functions[2].FunctionArn) != fnARN+"pv:3" {
		t.Errorf("ListFunctions(FunctionVersion ALL) = %v, %v; want $LATEST, 1 and 3", all, err)
	}
	plain, err := e.client.ListFunctions(ctx, &lambdasdk.ListFunctionsInput{})
	if err != nil || len(plain.Functions) != 1 {
		t.Errorf("ListFunctions = %v, %v; want $LATEST only", plain, err)
	}

	// A version is read by Qualifier, by qualified name and by qualified ARN.
	for _, in := range []*lambdasdk.GetFunctionConfigurationInput{
		{FunctionName: aws.String("pv"), Qualifier: aws.String("1")},
		{FunctionName: aws.String("pv:1")},
		{FunctionName: aws.String(fnARN + "pv:1")},
	} {
		out, err := e.client.GetFunctionConfiguration(ctx, in)
		if err != nil || aws.ToString(out.Version) != "1" || out.Environment.Variables["GREETING"] != "one" {
			t.Errorf("GetFunctionConfiguration(%s, %s) = %v, %v; want version 1", aws.ToString(in.FunctionName), aws.ToString(in.Qualifier), out, err)
		}
	}
	gf, err := e.client.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("pv"), Qualifier: aws.String("3")})
	if err != nil || aws.ToString(gf.Configuration.FunctionArn) != fnARN+"pv:3" {
		t.Errorf("GetFunction(pv, 3) = %v, %v", gf, err)
	}
	_, err = e.client.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("pv"), Qualifier: aws.String("7")})
	wantCode(t, "GetFunction of version 7", err, "ResourceNotFoundException", "Function not found: "+fnARN+"pv:7")
	_, err = e.client.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String("pv"), Qualifier: aws.String("$LATEST")})
	wantCode(t, "DeleteFunction of $LATEST", err, "InvalidParameterValueException", "$LATEST version cannot be deleted without deleting the function.")

	// Versions survive a restart: a new registry on the same store sees them.
	fn, err := lambda.NewRegistry(e.store, lambda.Scope{AccountID: testAccount, Region: testRegion}, nil).Get(ctx, "pv")
	if err != nil || len(fn.Versions) != 2 || fn.LastVersion != 3 {
		t.Errorf("after a restart: %v versions, last %v, %v; want 2 versions, last 3", len(fn.Versions), fn.LastVersion, err)
	}
}

// TestPublishOnUpdate publishes with Publish on CreateFunction, UpdateFunctionCode and
// UpdateFunctionConfiguration: each answers the version it published.
func TestPublishOnUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	in := createInput("pu", smallZip)
	in.Publish = true
	c, err := e.client.CreateFunction(ctx, in)
	if err != nil || aws.ToString(c.Version) != "1" || aws.ToString(c.FunctionArn) != fnARN+"pu:1" {
		t.Fatalf("CreateFunction with Publish = %v, %v; want version 1", c, err)
	}
	u, err := e.client.UpdateFunctionCode(ctx, &lambdasdk.UpdateFunctionCodeInput{FunctionName: aws.String("pu"), ZipFile: withExtraFile(t, "x", "2"), Publish: true})
	if err != nil || aws.ToString(u.Version) != "2" {
		t.Fatalf("UpdateFunctionCode with Publish = %v, %v; want version 2", u, err)
	}
	uc, err := e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String("pu"), Timeout: aws.Int32(9)})
	if err != nil || aws.ToString(uc.Version) != "$LATEST" {
		t.Fatalf("UpdateFunctionConfiguration = %v, %v; want $LATEST", uc, err)
	}
	p, err := e.client.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("pu")})
	if err != nil || aws.ToString(p.Version) != "3" || aws.ToInt32(p.Timeout) != 9 {
		t.Fatalf("PublishVersion = %v, %v; want version 3 with timeout 9", p, err)
	}
	// Each version keeps its package; deleting the function collects them all.
	fn, err := e.registry.Get(ctx, "pu")
	if err != nil {
		t.Fatal(err)
	}
	refs, err := e.registry.CodeRefs(ctx)
	v1Hex := lambda.CodeHexOf(fn.Versions[0].Configuration.CodeSha256)
	if err != nil || !refs[v1Hex] || !refs[fn.CodeHex()] || v1Hex == fn.CodeHex() {
		t.Fatalf("CodeRefs = %v, %v; want version 1's and $LATEST's packages", refs, err)
	}
	// UpdateFunctionCode replaced $LATEST's package, but version 1 still names it: kept.
	if _, err := os.Stat(filepath.Join(e.dataDir, "lambda", "code", v1Hex+".zip")); err != nil {
		t.Errorf("version 1's package after $LATEST's code changed: %v; want it kept", err)
	}
	if _, err := e.client.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String("pu")}); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(e.dataDir, "lambda", "code", "*.zip"))
	if len(left) != 0 {
		t.Errorf("after DeleteFunction the code store holds %v; want nothing", left)
	}
}

// TestAliases drives CreateAlias, GetAlias, ListAliases, UpdateAlias and DeleteAlias with
// the SDK, and the errors Lambda answers for a bad alias.
func TestAliases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	if _, err := e.client.CreateFunction(ctx, createInput("al", smallZip)); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"one", "two"} {
		setGreeting(t, e, "al", g)
		if _, err := e.client.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("al")}); err != nil {
			t.Fatal(err)
		}
	}
	live, err := e.client.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("al"), Name: aws.String("live"), FunctionVersion: aws.String("1"), Description: aws.String("prod")})
	if err != nil || aws.ToString(live.AliasArn) != fnARN+"al:live" || aws.ToString(live.FunctionVersion) != "1" || aws.ToString(live.RevisionId) == "" {
		t.Fatalf("CreateAlias = %+v, %v", live, err)
	}
	if _, err := e.client.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("al"), Name: aws.String("beta"), FunctionVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}

	bad := []struct {
		name string
		in   lambdasdk.CreateAliasInput
		code string
		msg  string
	}{
		{"taken", lambdasdk.CreateAliasInput{Name: aws.String("live"), FunctionVersion: aws.String("1")}, "ResourceConflictException", "Alias already exists: " + fnARN + "al:live"},
		{"all digits", lambdasdk.CreateAliasInput{Name: aws.String("123"), FunctionVersion: aws.String("1")}, "ValidationException",
			"1 validation error detected: Value '123' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"},
		{"unknown version", lambdasdk.CreateAliasInput{Name: aws.String("x"), FunctionVersion: aws.String("7")}, "ResourceNotFoundException", "Function not found: " + fnARN + "al:7"},
		{"weight over 1", lambdasdk.CreateAliasInput{Name: aws.String("x"), FunctionVersion: aws.String("1"), RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 1.5}}},
			"ValidationException", "1 validation error detected: Value '{2=1.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]"},
		{"routes to itself", lambdasdk.CreateAliasInput{Name: aws.String("x"), FunctionVersion: aws.String("1"), RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.5}}},
			"InvalidParameterValueException", "Invalid function version 1. Function version 1 is already included in routing configuration."},
		{"two additional versions", lambdasdk.CreateAliasInput{Name: aws.String("x"), FunctionVersion: aws.String("$LATEST"), RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.1, "2": 0.1}}},
			"InvalidParameterValueException", ""},
		{"routes from $LATEST", lambdasdk.CreateAliasInput{Name: aws.String("x"), FunctionVersion: aws.String("$LATEST"), RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.1}}},
			"InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version"},
	}
	for _, tt := range bad {
		in := tt.in
		in.FunctionName = aws.String("al")
		_, err := e.client.CreateAlias(ctx, &in)
		wantCode(t, "CreateAlias "+tt.name, err, tt.code, tt.msg)
	}

	got, err := e.client.GetAlias(ctx, &lambdasdk.GetAliasInput{FunctionName: aws.String("al"), Name: aws.String("live")})
	if err != nil || aws.ToString(got.Description) != "prod" || aws.ToString(got.RevisionId) != aws.ToString(live.RevisionId) {
		t.Errorf("GetAlias = %+v, %v", got, err)
	}
	_, err = e.client.GetAlias(ctx, &lambdasdk.GetAliasInput{FunctionName: aws.String("al"), Name: aws.String("nope")})
	wantCode(t, "GetAlias of an unknown alias", err, "ResourceNotFoundException", "Alias not found: "+fnARN+"al:nope")

	list := func(fv *string) string {
		t.Helper()
		out, err := e.client.ListAliases(ctx, &lambdasdk.ListAliasesInput{FunctionName: aws.String("al"), FunctionVersion: fv})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range out.Aliases {
			names = append(names, aws.ToString(a.Name)+"="+aws.ToString(a.FunctionVersion))
		}
		return strings.Join(names, " ")
	}
	if got := list(nil); got != "beta=2 live=1" {
		t.Errorf("ListAliases = %s; want beta=2 live=1", got)
	}
	if got := list(aws.String("1")); got != "live=1" {
		t.Errorf("ListAliases(FunctionVersion 1) = %s; want live=1", got)
	}

	// UpdateAlias: a stale RevisionId is refused; routing is set and cleared.
	_, err = e.client.UpdateAlias(ctx, &lambdasdk.UpdateAliasInput{FunctionName: aws.String("al"), Name: aws.String("live"), FunctionVersion: aws.String("2"), RevisionId: aws.String("stale")})
	wantCode(t, "UpdateAlias with a stale RevisionId", err, "PreconditionFailedException", "")
	up, err := e.client.UpdateAlias(ctx, &lambdasdk.UpdateAliasInput{FunctionName: aws.String("al"), Name: aws.String("live"), RevisionId: live.RevisionId,
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.25}}})
	if err != nil || aws.ToString(up.FunctionVersion) != "1" || up.RoutingConfig.AdditionalVersionWeights["2"] != 0.25 || aws.ToString(up.Description) != "prod" {
		t.Fatalf("UpdateAlias with routing = %+v, %v", up, err)
	}
	_, err = e.client.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String("al"), Qualifier: aws.String("2")})
	wantCode(t, "DeleteFunction of a version aliases use", err, "ResourceConflictException", "Unable to delete version because the following aliases reference it: [beta live]")
	up, err = e.client.UpdateAlias(ctx, &lambdasdk.UpdateAliasInput{FunctionName: aws.String("al"), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}})
	if err != nil || up.RoutingConfig != nil {
		t.Fatalf("UpdateAlias clearing the routing = %+v, %v; want no RoutingConfig", up, err)
	}

	// An alias reads as its version, with the alias's ARN.
	cfg, err := e.client.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String("al:live")})
	if err != nil || aws.ToString(cfg.Version) != "1" || aws.ToString(cfg.FunctionArn) != fnARN+"al:live" {
		t.Errorf("GetFunctionConfiguration(al:live) = %v, %v; want version 1 at the alias's ARN", cfg, err)
	}

	for _, name := range []string{"live", "live"} { // the second is a no-op, as in Lambda
		if _, err := e.client.DeleteAlias(ctx, &lambdasdk.DeleteAliasInput{FunctionName: aws.String("al"), Name: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := list(nil); got != "beta=2" {
		t.Errorf("ListAliases after DeleteAlias = %s; want beta=2", got)
	}
}

// TestInvokeQualified invokes versions and aliases through the Lambda API: each runs its
// version's configuration in its own process, X-Amz-Executed-Version says which ran, and a
// routing alias runs both versions.
func TestInvokeQualified(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(1, 2))
	e := newEnv(t, envOptions{strict: true, rand: func() float64 { mu.Lock(); defer mu.Unlock(); return r.Float64() }})
	in := createInput("iq", fnZip)
	in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "one"}}
	in.Publish = true
	if _, err := e.client.CreateFunction(ctx, in); err != nil {
		t.Fatal(err)
	}
	setGreeting(t, e, "iq", "two")
	if _, err := e.client.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("iq")}); err != nil {
		t.Fatal(err)
	}
	setGreeting(t, e, "iq", "latest")
	if _, err := e.client.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("iq"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}

	type answer struct{ Greeting, Version string }
	invoke := func(name, qualifier string) (answer, string) {
		t.Helper()
		out, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String(name), Qualifier: aws.String(qualifier), Payload: []byte(`{"version":true}`)})
		if qualifier == "" {
			out, err = e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"version":true}`)})
		}
		if err != nil {
			t.Fatalf("Invoke(%s, %s): %v", name, qualifier, err)
		}
		var a answer
		if err := json.Unmarshal(out.Payload, &a); err != nil {
			t.Fatalf("Invoke(%s, %s) = %s: %v", name, qualifier, out.Payload, err)
		}
		return a, aws.ToString(out.ExecutedVersion)
	}
	tests := []struct {
		name, qualifier         string
		greeting, version, exec string
	}{
		{"iq", "", "latest", "$LATEST", "$LATEST"},
		{"iq", "$LATEST", "latest", "$LATEST", "$LATEST"},
		{"iq", "1", "one", "1", "1"},
		{"iq:2", "", "two", "2", "2"},
		{fnARN + "iq:2", "", "two", "2", "2"},
		{"iq", "live", "one", "1", "1"},
		{fnARN + "iq:live", "", "one", "1", "1"},
	}
	for _, tt := range tests {
		a, exec := invoke(tt.name, tt.qualifier)
		if a.Greeting != tt.greeting || a.Version != tt.version || exec != tt.exec {
			t.Errorf("Invoke(%s, %q) = greeting %q, AWS_LAMBDA_FUNCTION_VERSION %q, X-Amz-Executed-Version %q; want %q, %q, %q",
				tt.name, tt.qualifier, a.Greeting, a.Version, exec, tt.greeting, tt.version, tt.exec)
		}
	}
	_, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("iq"), Qualifier: aws.String("9")})
	wantCode(t, "Invoke of version 9", err, "ResourceNotFoundException", "Function not found: "+fnARN+"iq:9")

	// A routing alias at 0.5: both versions run, each answering as itself.
	if _, err := e.client.UpdateAlias(ctx, &lambdasdk.UpdateAliasInput{FunctionName: aws.String("iq"), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for range 40 {
		a, exec := invoke("iq", "live")
		if a.Version != exec || (exec == "1") != (a.Greeting == "one") {
			t.Fatalf("Invoke(iq, live) ran version %s with greeting %s, answered X-Amz-Executed-Version %s", a.Version, a.Greeting, exec)
		}
		seen[exec]++
	}
	if seen["1"] == 0 || seen["2"] == 0 || seen["1"]+seen["2"] != 40 {
		t.Errorf("40 invocations of a 50%% alias ran %v; want both versions 1 and 2", seen)
	}

	// The data plane's Invoker resolves the same way, with each qualifier's own policy.
	if _, err := e.client.AddPermission(ctx, &lambdasdk.AddPermissionInput{
		FunctionName: aws.String("iq"), Qualifier: aws.String("live"), StatementId: aws.String("apigw"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("apigateway.amazonaws.com"), SourceArn: aws.String("arn:aws:execute-api:eu-west-1:123456789012:api1/*/GET/*"),
	}); err != nil {
		t.Fatal(err)
	}
	pol, err := e.client.GetPolicy(ctx, &lambdasdk.GetPolicyInput{FunctionName: aws.String("iq"), Qualifier: aws.String("live")})
	if err != nil || !strings.Contains(aws.ToString(pol.Policy), `"Resource":"`+fnARN+`iq:live"`) {
		t.Errorf("GetPolicy(iq, live) = %v, %v; want the statement on the alias's ARN", pol, err)
	}
	_, err = e.client.GetPolicy(ctx, &lambdasdk.GetPolicyInput{FunctionName: aws.String("iq")})
	wantCode(t, "GetPolicy of $LATEST, whose policy is empty", err, "ResourceNotFoundException", "")
	src := "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/GET/x"
	for _, tt := range []struct {
		arn    string
		denied bool
	}{
		{fnARN + "iq:live", false},
		{fnARN + "iq", true},
		{fnARN + "iq:1", true}, // the version's own policy is empty: AWS checks the qualifier invoked
	} {
		res, err := e.invoker.Invoke(ctx, lambdacall.Invocation{FunctionARN: tt.arn, SourceARN: src, Payload: []byte(`{"version":true}`)})
		var ad interface{ AccessDenied() bool }
		if denied := errors.As(err, &ad); denied != tt.denied {
			t.Errorf("Invoke(%s) = %s, %v; want denied %v", tt.arn, res.Payload, err, tt.denied)
		}
	}
	// Version 2 runs by its own ARN (a permission on the function covers no version: add one).
	if _, err := e.client.AddPermission(ctx, &lambdasdk.AddPermissionInput{
		FunctionName: aws.String("iq"), Qualifier: aws.String("2"), StatementId: aws.String("apigw"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("apigateway.amazonaws.com"),
	}); err != nil {
		t.Fatal(err)
	}
	res, err := e.invoker.Invoke(ctx, lambdacall.Invocation{FunctionARN: fnARN + "iq:2", SourceARN: src, Payload: []byte(`{"version":true}`)})
	if err != nil || !strings.Contains(string(res.Payload), `"greeting":"two","value":null,"version":"2"`) || res.ExecutedVersion != "2" {
		t.Errorf("Invoke(iq:2) = %s (executed %q), %v; want version 2's answer", res.Payload, res.ExecutedVersion, err)
	}
	// The data plane's hot path draws per call too.
	dp := map[string]int{}
	for range 40 {
		res, err := e.invoker.Invoke(ctx, lambdacall.Invocation{FunctionARN: fnARN + "iq:live", SourceARN: src, Payload: []byte(`{"version":true}`)})
		if err != nil {
			t.Fatal(err)
		}
		var a answer
		json.Unmarshal(res.Payload, &a)
		if a.Version != res.ExecutedVersion {
			t.Errorf("Invoke(iq:live) ran version %q but says it executed %q", a.Version, res.ExecutedVersion)
		}
		dp[a.Version]++
	}
	if dp["1"] == 0 || dp["2"] == 0 {
		t.Errorf("40 data-plane invocations of a 50%% alias ran %v; want both versions 1 and 2", dp)
	}
	_, err = e.invoker.Invoke(ctx, lambdacall.Invocation{FunctionARN: fnARN + "iq:nope", SourceARN: src})
	var nf *lambda.NotFoundError
	if !errors.As(err, &nf) || nf.Error() != "Function not found: "+fnARN+"iq:nope" {
		t.Errorf("Invoke(iq:nope) = %v; want Function not found: %siq:nope", err, fnARN)
	}
}
