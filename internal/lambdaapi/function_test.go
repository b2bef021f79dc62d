package lambdaapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

const testRole = "arn:aws:iam::123456789012:role/lambda-role"

func createInput(name string, zip []byte) *lambdasdk.CreateFunctionInput {
	return &lambdasdk.CreateFunctionInput{
		FunctionName: aws.String(name),
		Role:         aws.String(testRole),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &types.FunctionCode{ZipFile: zip},
	}
}

// apiError returns err's AWS error code and message.
func apiError(err error) (code, msg string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}

func TestCreateGetListDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()

	out, err := e.client.CreateFunction(ctx, createInput("hello", fnZip))
	if err != nil {
		t.Fatalf("CreateFunction = %v", err)
	}
	sum := sha256.Sum256(fnZip)
	wantARN := "arn:aws:lambda:eu-west-1:123456789012:function:hello"
	if aws.ToString(out.FunctionArn) != wantARN || aws.ToString(out.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) ||
		out.CodeSize != int64(len(fnZip)) || aws.ToInt32(out.Timeout) != 3 || aws.ToInt32(out.MemorySize) != 128 ||
		aws.ToString(out.Version) != "$LATEST" || out.State != types.StateActive || out.LastUpdateStatus != types.LastUpdateStatusSuccessful ||
		out.PackageType != types.PackageTypeZip || len(out.Architectures) != 1 || out.Architectures[0] != types.ArchitectureX8664 ||
		aws.ToInt32(out.EphemeralStorage.Size) != 512 || out.TracingConfig.Mode != types.TracingModePassThrough {
		t.Errorf("CreateFunction() = %+v; want Lambda's configuration of the new function", out)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(out.LastModified)); err != nil {
		t.Errorf("CreateFunction().LastModified = %q; want Lambda's format: %v", aws.ToString(out.LastModified), err)
	}

	_, err = e.client.CreateFunction(ctx, createInput("hello", fnZip))
	if code, msg := apiError(err); code != "ResourceConflictException" || msg != "Function already exist: hello" {
		t.Errorf("CreateFunction(taken) = %q %q; want ResourceConflictException Function already exist: hello", code, msg)
	}

	got, err := e.client.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String(wantARN)})
	if err != nil {
		t.Fatalf("GetFunction(by ARN) = %v", err)
	}
	if aws.ToString(got.Configuration.RevisionId) != aws.ToString(out.RevisionId) || aws.ToString(got.Code.RepositoryType) != "S3" {
		t.Errorf("GetFunction() = %+v, %+v; want the created configuration and an S3 code location", got.Configuration, got.Code)
	}
	// Code.Location serves the zip itself.
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(fnZip) {
		t.Errorf("GET Code.Location %s = %d, %d bytes; want 200 and the %d-byte zip", aws.ToString(got.Code.Location), resp.StatusCode, len(body), len(fnZip))
	}

	cfg, err := e.client.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String("hello"), Qualifier: aws.String("$LATEST")})
	if err != nil || aws.ToString(cfg.FunctionName) != "hello" {
		t.Errorf("GetFunctionConfiguration(hello:$LATEST) = %+v, %v; want hello", cfg, err)
	}

	// Pages of ListFunctions, in name order.
	for _, n := range []string{"c-fn", "a-fn", "b-fn"} {
		if _, err := e.client.CreateFunction(ctx, createInput(n, smallZip)); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := lambdasdk.NewListFunctionsPaginator(e.client, &lambdasdk.ListFunctionsInput{MaxItems: aws.Int32(3)})
	npages := 0
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListFunctions = %v", err)
		}
		npages++
		for _, f := range p.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	if strings.Join(names, ",") != "a-fn,b-fn,c-fn,hello" || npages != 2 {
		t.Errorf("ListFunctions(MaxItems 3) = %v in %d pages; want a-fn,b-fn,c-fn,hello in 2", names, npages)
	}

	if _, err := e.client.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String("hello")}); err != nil {
		t.Fatalf("DeleteFunction = %v", err)
	}
	_, err = e.client.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("hello")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Function not found: "+wantARN || aws.ToString(nf.Type) != "User" {
		t.Errorf("GetFunction(deleted) = %v; want ResourceNotFoundException Function not found: %s", err, wantARN)
	}
	_, err = e.client.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String("hello")})
	if code, _ := apiError(err); code != "ResourceNotFoundException" {
		t.Errorf("DeleteFunction(deleted) = %v; want ResourceNotFoundException", err)
	}
}

func TestCreateFunctionErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	tests := []struct {
		name     string
		in       func() *lambdasdk.CreateFunctionInput
		wantCode string
		wantMsg  string
	}{
		{"timeout too long", func() *lambdasdk.CreateFunctionInput {
			in := createInput("t1", smallZip)
			in.Timeout = aws.Int32(901)
			return in
		}, "ValidationException", "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"two problems", func() *lambdasdk.CreateFunctionInput {
			in := createInput("t2", smallZip)
			in.Role = aws.String("not-a-role")
			in.MemorySize = aws.Int32(64)
			return in
		}, "ValidationException", "2 validation errors detected: Value 'not-a-role' at 'role' failed to satisfy constraint"},
		{"no handler", func() *lambdasdk.CreateFunctionInput {
			in := createInput("t3", smallZip)
			in.Handler = nil
			return in
		}, "InvalidParameterValueException", "Runtime and Handler are mandatory parameters for functions created with deployment package format Zip."},
		{"S3 code", func() *lambdasdk.CreateFunctionInput {
			in := createInput("t4", nil)
			in.Code = &types.FunctionCode{S3Bucket: aws.String("bucket"), S3Key: aws.String("fn.zip")}
			return in
		}, "InvalidParameterValueException", "Code.S3Bucket and Code.S3Key are not supported by gatehouse"},
		{"not a zip", func() *lambdasdk.CreateFunctionInput { return createInput("t5", []byte("not a zip")) },
			"InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"reserved environment", func() *lambdasdk.CreateFunctionInput {
			in := createInput("t6", smallZip)
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_REGION": "x", "OK": "y"}}
			return in
		}, "InvalidParameterValueException", "Reserved keys used in this request: AWS_REGION"},
		{"bad name", func() *lambdasdk.CreateFunctionInput { return createInput("no/slashes", smallZip) },
			"ValidationException", "at 'functionName' failed to satisfy constraint"},
		// The model's FunctionName pattern, as botocore's lambda 2015-03-31 model spells it.
		{"bad name quotes the model's pattern", func() *lambdasdk.CreateFunctionInput { return createInput("no/slashes", smallZip) },
			"ValidationException", "1 validation error detected: Value 'no/slashes' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
				`(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`},
		// The model's MemorySize is 128 to 32768; Lambda's own limit is 10240.
		{"memory above Lambda's limit", func() *lambdasdk.CreateFunctionInput {
			in := createInput("t7", smallZip)
			in.MemorySize = aws.Int32(10241)
			return in
		}, "ValidationException", "'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to 10240"},
		{"memory above the model's limit", func() *lambdasdk.CreateFunctionInput {
			in := createInput("t8", smallZip)
			in.MemorySize = aws.Int32(32769)
			return in
		}, "ValidationException", "1 validation error detected: Value '32769' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 32768"},
	}
	for _, tt := range tests {
		_, err := e.client.CreateFunction(ctx, tt.in())
		code, msg := apiError(err)
		if code != tt.wantCode || !strings.HasPrefix(msg, tt.wantMsg) && !strings.Contains(msg, tt.wantMsg) {
			t.Errorf("%s: CreateFunction = %s %q; want %s %q", tt.name, code, msg, tt.wantCode, tt.wantMsg)
		}
	}
	// Nothing was stored by a rejected call.
	list, err := e.client.ListFunctions(ctx, &lambdasdk.ListFunctionsInput{})
	if err != nil || len(list.Functions) != 0 {
		t.Errorf("ListFunctions after rejected creates = %v, %v; want none", list, err)
	}
}

func TestInvoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	in := createInput("echo", fnZip)
	in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "hi"}}
	if _, err := e.client.CreateFunction(ctx, in); err != nil {
		t.Fatal(err)
	}

	out, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"value":[1,"two"]}`)})
	if err != nil {
		t.Fatalf("Invoke = %v", err)
	}
	if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "" || aws.ToString(out.ExecutedVersion) != "$LATEST" ||
		string(out.Payload) != `{"function":"echo","greeting":"hi","value":[1,"two"]}` {
		t.Errorf("Invoke(echo) = %d %q %q %s; want 200, no function error, $LATEST and the echo", out.StatusCode, aws.ToString(out.FunctionError), aws.ToString(out.ExecutedVersion), out.Payload)
	}

	out, err = e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"fail":"boom"}`)})
	if err != nil {
		t.Fatalf("Invoke(fail) = %v", err)
	}
	var fe struct{ ErrorMessage, ErrorType string }
	json.Unmarshal(out.Payload, &fe)
	if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" || fe.ErrorMessage != "boom" {
		t.Errorf("Invoke(fail) = %d %q %s; want 200, Unhandled and errorMessage boom", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}

	// Event: 202 at once; the function runs in the background.
	touch := filepath.Join(t.TempDir(), "ran")
	payload, _ := json.Marshal(map[string]string{"touch": touch})
	out, err = e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeEvent, Payload: payload})
	if err != nil || out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Fatalf("Invoke(Event) = %+v, %v; want 202 and no payload", out, err)
	}
	testwait.Until(t, testwait.Patient, "the Event invocation's run", func() bool {
		b, err := os.ReadFile(touch)
		return err == nil && string(b) == "echo"
	})

	out, err = e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Errorf("Invoke(DryRun) = %+v, %v; want 204", out, err)
	}

	tests := []struct {
		name     string
		in       *lambdasdk.InvokeInput
		wantCode string
		wantMsg  string
	}{
		{"unknown", &lambdasdk.InvokeInput{FunctionName: aws.String("nope")}, "ResourceNotFoundException", "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope"},
		{"unknown version", &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Qualifier: aws.String("7")}, "ResourceNotFoundException", "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:echo:7"},
		{"not JSON", &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte("{")}, "InvalidRequestContentException", "Could not parse request body into json"},
		{"too large", &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`"` + strings.Repeat("x", 6291456) + `"`)}, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the Invoke operation"},
	}
	for _, tt := range tests {
		_, err := e.client.Invoke(ctx, tt.in)
		if code, msg := apiError(err); code != tt.wantCode || !strings.HasPrefix(msg, tt.wantMsg) {
			t.Errorf("%s: Invoke = %s %q; want %s %q", tt.name, code, msg, tt.wantCode, tt.wantMsg)
		}
	}

	// A runtime that cannot run here is stored, but invoking it is a clear error.
	java := createInput("java", smallZip)
	java.Runtime, java.Handler = types.RuntimeJava21, aws.String("example.Handler::handleRequest")
	if _, err := e.client.CreateFunction(ctx, java); err != nil {
		t.Fatalf("CreateFunction(java21) = %v", err)
	}
	_, err = e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("java")})
	if code, msg := apiError(err); code != "InvalidRuntimeException" || !strings.Contains(msg, "java21") {
		t.Errorf("Invoke(java21) = %s %q; want InvalidRuntimeException naming java21", code, msg)
	}
}

func TestUpdateFunction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	created, err := e.client.CreateFunction(ctx, createInput("upd", fnZip))
	if err != nil {
		t.Fatal(err)
	}
	invoke := func() string {
		out, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("upd"), Payload: []byte(`{}`)})
		if err != nil {
			t.Fatalf("Invoke = %v", err)
		}
		return string(out.Payload)
	}
	if got := invoke(); got != `{"function":"upd","greeting":"","value":null}` {
		t.Errorf("Invoke(before update) = %s", got)
	}

	cfg, err := e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("upd"),
		Environment:  &types.Environment{Variables: map[string]string{"GREETING": "updated"}},
		Timeout:      aws.Int32(10),
		Description:  aws.String("changed"),
		RevisionId:   created.RevisionId,
	})
	if err != nil {
		t.Fatalf("UpdateFunctionConfiguration = %v", err)
	}
	if aws.ToInt32(cfg.Timeout) != 10 || aws.ToString(cfg.Description) != "changed" || cfg.Environment.Variables["GREETING"] != "updated" ||
		aws.ToString(cfg.RevisionId) == aws.ToString(created.RevisionId) || aws.ToString(cfg.CodeSha256) != aws.ToString(created.CodeSha256) {
		t.Errorf("UpdateFunctionConfiguration() = %+v; want the new settings, a new RevisionId and the same code", cfg)
	}
	// The running function picks the new environment up.
	if got := invoke(); got != `{"function":"upd","greeting":"updated","value":null}` {
		t.Errorf("Invoke(after configuration update) = %s; want greeting updated", got)
	}

	// A stale RevisionId is refused.
	_, err = e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String("upd"), Timeout: aws.Int32(5), RevisionId: created.RevisionId})
	if code, _ := apiError(err); code != "PreconditionFailedException" {
		t.Errorf("UpdateFunctionConfiguration(stale RevisionId) = %v; want PreconditionFailedException", err)
	}

	newZip := withExtraFile(t, "VERSION", "2")
	code, err := e.client.UpdateFunctionCode(ctx, &lambdasdk.UpdateFunctionCodeInput{FunctionName: aws.String("upd"), ZipFile: newZip})
	if err != nil {
		t.Fatalf("UpdateFunctionCode = %v", err)
	}
	sum := sha256.Sum256(newZip)
	if aws.ToString(code.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) || code.CodeSize != int64(len(newZip)) || aws.ToInt32(code.Timeout) != 10 {
		t.Errorf("UpdateFunctionCode() = %+v; want the new zip's hash and size, the configuration kept", code)
	}
	if got := invoke(); got != `{"function":"upd","greeting":"updated","value":null}` {
		t.Errorf("Invoke(after code update) = %s", got)
	}
	_, err = e.client.UpdateFunctionCode(ctx, &lambdasdk.UpdateFunctionCodeInput{FunctionName: aws.String("nope"), ZipFile: newZip})
	if code, _ := apiError(err); code != "ResourceNotFoundException" {
		t.Errorf("UpdateFunctionCode(unknown) = %v; want ResourceNotFoundException", err)
	}

	// Reserved concurrency, read back by GetFunction as Terraform does.
	if _, err := e.client.PutFunctionConcurrency(ctx, &lambdasdk.PutFunctionConcurrencyInput{FunctionName: aws.String("upd"), ReservedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatalf("PutFunctionConcurrency = %v", err)
	}
	got, err := e.client.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("upd")})
	if err != nil || got.Concurrency == nil || aws.ToInt32(got.Concurrency.ReservedConcurrentExecutions) != 2 {
		t.Errorf("GetFunction().Concurrency = %+v, %v; want 2", got.Concurrency, err)
	}
	if _, err := e.client.DeleteFunctionConcurrency(ctx, &lambdasdk.DeleteFunctionConcurrencyInput{FunctionName: aws.String("upd")}); err != nil {
		t.Fatalf("DeleteFunctionConcurrency = %v", err)
	}
	gc, err := e.client.GetFunctionConcurrency(ctx, &lambdasdk.GetFunctionConcurrencyInput{FunctionName: aws.String("upd")})
	if err != nil || gc.ReservedConcurrentExecutions != nil {
		t.Errorf("GetFunctionConcurrency(after delete) = %+v, %v; want none", gc, err)
	}
}

func TestPermissionsAndTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	if _, err := e.client.CreateFunction(ctx, createInput("perm", smallZip)); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.GetPolicy(ctx, &lambdasdk.GetPolicyInput{FunctionName: aws.String("perm")})
	if code, msg := apiError(err); code != "ResourceNotFoundException" || msg != "The resource you requested does not exist." {
		t.Errorf("GetPolicy(no statements) = %s %q; want ResourceNotFoundException", code, msg)
	}

	add, err := e.client.AddPermission(ctx, &lambdasdk.AddPermissionInput{
		FunctionName: aws.String("perm"),
		StatementId:  aws.String("apigw"),
		Action:       aws.String("lambda:InvokeFunction"),
		Principal:    aws.String("apigateway.amazonaws.com"),
		SourceArn:    aws.String("arn:aws:execute-api:eu-west-1:123456789012:abc123/*/GET/hello"),
	})
	if err != nil {
		t.Fatalf("AddPermission = %v", err)
	}
	const wantStatement = `{"Sid":"apigw","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:eu-west-1:123456789012:function:perm","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:eu-west-1:123456789012:abc123/*/GET/hello"}}}`
	if aws.ToString(add.Statement) != wantStatement {
		t.Errorf("AddPermission().Statement = %s; want %s", aws.ToString(add.Statement), wantStatement)
	}
	_, err = e.client.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("perm"), StatementId: aws.String("apigw"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com")})
	if code, msg := apiError(err); code != "ResourceConflictException" || msg != "The statement id (apigw) provided already exists. Please provide a new statement id, or remove the existing statement." {
		t.Errorf("AddPermission(same id) = %s %q; want ResourceConflictException", code, msg)
	}

	pol, err := e.client.GetPolicy(ctx, &lambdasdk.GetPolicyInput{FunctionName: aws.String("perm")})
	if err != nil {
		t.Fatalf("GetPolicy = %v", err)
	}
	if want := `{"Version":"2012-10-17","Id":"default","Statement":[` + wantStatement + `]}`; aws.ToString(pol.Policy) != want {
		t.Errorf("GetPolicy().Policy = %s; want %s", aws.ToString(pol.Policy), want)
	}
	fc, _ := e.client.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String("perm")})
	if aws.ToString(pol.RevisionId) != aws.ToString(fc.RevisionId) {
		t.Errorf("GetPolicy().RevisionId = %s; want the function's %s", aws.ToString(pol.RevisionId), aws.ToString(fc.RevisionId))
	}

	if _, err := e.client.RemovePermission(ctx, &lambdasdk.RemovePermissionInput{FunctionName: aws.String("perm"), StatementId: aws.String("apigw")}); err != nil {
		t.Fatalf("RemovePermission = %v", err)
	}
	_, err = e.client.RemovePermission(ctx, &lambdasdk.RemovePermissionInput{FunctionName: aws.String("perm"), StatementId: aws.String("apigw")})
	if code, msg := apiError(err); code != "ResourceNotFoundException" || msg != "Statement apigw is not found in resource policy." {
		t.Errorf("RemovePermission(removed) = %s %q; want ResourceNotFoundException", code, msg)
	}

	arn := aws.ToString(fc.FunctionArn)
	if _, err := e.client.TagResource(ctx, &lambdasdk.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"team": "a", "env": "dev"}}); err != nil {
		t.Fatalf("TagResource = %v", err)
	}
	if _, err := e.client.UntagResource(ctx, &lambdasdk.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"env"}}); err != nil {
		t.Fatalf("UntagResource = %v", err)
	}
	tags, err := e.client.ListTags(ctx, &lambdasdk.ListTagsInput{Resource: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "a" {
		t.Errorf("ListTags = %v, %v; want team=a", tags, err)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{auth: true})
	ctx := context.Background()
	if _, err := e.client.ListFunctions(ctx, &lambdasdk.ListFunctionsInput{}); err != nil {
		t.Errorf("ListFunctions(signed with the right key) = %v", err)
	}
	_, err := newClient(e.url, testRegion, "wrong").ListFunctions(ctx, &lambdasdk.ListFunctionsInput{})
	if code, _ := apiError(err); code != "InvalidSignatureException" {
		t.Errorf("ListFunctions(wrong secret) = %v; want InvalidSignatureException", err)
	}
	resp, err := http.Get(e.url + "/2015-03-31/functions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("GET /2015-03-31/functions unsigned = %d %s; want 403 MissingAuthenticationTokenException", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"))
	}
}

// TestLocalCodeDirectory: the gatehouse extension, S3Bucket gatehouse-local naming a
// directory under --lambda-local-code-root.
func TestLocalCodeDirectory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	fnDir := filepath.Join(root, "fn")
	os.MkdirAll(fnDir, 0o755)
	unzipTo(t, fnZip, fnDir)
	e := newEnv(t, envOptions{localCodeRoot: root})

	in := createInput("local", nil)
	in.Code = &types.FunctionCode{S3Bucket: aws.String("gatehouse-local"), S3Key: aws.String(fnDir)}
	if _, err := e.client.CreateFunction(ctx, in); err != nil {
		t.Fatalf("CreateFunction(gatehouse-local %s) = %v", fnDir, err)
	}
	out, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("local"), Payload: []byte(`{"value":"dir"}`)})
	if err != nil || string(out.Payload) != `{"function":"local","greeting":"","value":"dir"}` {
		t.Errorf("Invoke(local) = %v, %v; want the echo", out, err)
	}

	outside := t.TempDir()
	in = createInput("outside", nil)
	in.Code = &types.FunctionCode{S3Bucket: aws.String("gatehouse-local"), S3Key: aws.String(outside)}
	_, err = e.client.CreateFunction(ctx, in)
	if code, msg := apiError(err); code != "InvalidParameterValueException" || !strings.Contains(msg, "is not under the local code root") {
		t.Errorf("CreateFunction(directory outside the root) = %s %q; want InvalidParameterValueException", code, msg)
	}
	off := newEnv(t, envOptions{})
	in = createInput("off", nil)
	in.Code = &types.FunctionCode{S3Bucket: aws.String("gatehouse-local"), S3Key: aws.String(fnDir)}
	_, err = off.client.CreateFunction(ctx, in)
	if code, msg := apiError(err); code != "InvalidParameterValueException" || !strings.Contains(msg, "is disabled") {
		t.Errorf("CreateFunction(gatehouse-local, disabled) = %s %q; want InvalidParameterValueException", code, msg)
	}
}

// tinyZip is a deployment package whose bootstrap says body: packages that differ by body.
func tinyZip(t *testing.T, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write([]byte("#!/bin/sh\n# " + body + "\n"))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCodeCollected: a package no function names any more is removed from disk and no
// longer downloadable by its hash; one another function still names stays.
func TestCodeCollected(t *testing.T) {
	t.Parallel()
	type step struct {
		op       string // create, update or delete
		fn, code string // function name; package name (a key of zips)
		wantErr  string // AWS error code the step must answer, "" for success
	}
	tests := []struct {
		name  string
		steps []step
		live  []string // packages kept, served by hash
		gone  []string // packages removed, 404 by hash
	}{
		{"delete the only user", []step{{"create", "f", "A", ""}, {"delete", "f", "", ""}}, nil, []string{"A"}},
		{"delete one of two users", []step{{"create", "f", "A", ""}, {"create", "g", "A", ""}, {"delete", "f", "", ""}}, []string{"A"}, nil},
		{"delete both users", []step{{"create", "f", "A", ""}, {"create", "g", "A", ""}, {"delete", "f", "", ""}, {"delete", "g", "", ""}}, nil, []string{"A"}},
		{"update the code", []step{{"create", "f", "A", ""}, {"update", "f", "B", ""}}, []string{"B"}, []string{"A"}},
		{"update the code of one of two users", []step{{"create", "f", "A", ""}, {"create", "g", "A", ""}, {"update", "f", "B", ""}}, []string{"A", "B"}, nil},
		{"update to the same code", []step{{"create", "f", "A", ""}, {"update", "f", "A", ""}}, []string{"A"}, nil},
		{"update back to a package another function uses", []step{{"create", "f", "A", ""}, {"create", "g", "B", ""}, {"update", "f", "B", ""}, {"delete", "g", "", ""}}, []string{"B"}, []string{"A"}},
		{"create of a taken name", []step{{"create", "f", "A", ""}, {"create", "f", "B", "ResourceConflictException"}}, []string{"A"}, []string{"B"}},
		{"update with a stale revision", []step{{"create", "f", "A", ""}, {"update-stale", "f", "B", "PreconditionFailedException"}}, []string{"A"}, []string{"B"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, envOptions{})
			zips := map[string][]byte{"A": tinyZip(t, "A"), "B": tinyZip(t, "B")}
			for _, s := range tt.steps {
				var err error
				switch s.op {
				case "create":
					_, err = e.client.CreateFunction(ctx, createInput(s.fn, zips[s.code]))
				case "update", "update-stale":
					in := &lambdasdk.UpdateFunctionCodeInput{FunctionName: aws.String(s.fn), ZipFile: zips[s.code]}
					if s.op == "update-stale" {
						in.RevisionId = aws.String("00000000-0000-0000-0000-000000000000")
					}
					_, err = e.client.UpdateFunctionCode(ctx, in)
				case "delete":
					_, err = e.client.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String(s.fn)})
				}
				if code, _ := apiError(err); code != s.wantErr || (s.wantErr == "" && err != nil) {
					t.Fatalf("%s %s %s = %v; want %q", s.op, s.fn, s.code, err, s.wantErr)
				}
			}
			for _, name := range tt.live {
				if status, files := e.codeState(t, zips[name]); status != 200 || files != 2 {
					t.Errorf("package %s: GET by hash = %d, %d files on disk; want 200 and the zip and its unzipped copy", name, status, files)
				}
			}
			for _, name := range tt.gone {
				if status, files := e.codeState(t, zips[name]); status != 404 || files != 0 {
					t.Errorf("package %s: GET by hash = %d, %d files on disk; want 404 and none", name, status, files)
				}
			}
		})
	}
}

// codeState returns how the code download answers for package z, and how many of its
// entries (the zip, the unzipped directory) the code store holds.
func (e *env) codeState(t *testing.T, z []byte) (status, files int) {
	t.Helper()
	sum := sha256.Sum256(z)
	h := hex.EncodeToString(sum[:])
	resp, err := http.Get(e.url + "/gatehouse/lambda/code/" + h + ".zip")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, name := range []string{h + ".zip", h} {
		if _, err := os.Lstat(filepath.Join(e.dataDir, "lambda", "code", name)); err == nil {
			files++
		}
	}
	return resp.StatusCode, files
}
