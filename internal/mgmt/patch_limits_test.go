package mgmt

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// TestUpdateRefusesTooManyPatchOperations sends one operation more than the bound to every
// Update operation: each answers BadRequestException before reading the store, and the
// bound itself is accepted.
func TestUpdateRefusesTooManyPatchOperations(t *testing.T) {
	t.Parallel()
	s, apiID, rootID := patchServer(t)
	root := "/restapis/" + apiID + "/resources/" + rootID
	paths := []string{
		"/account",
		"/restapis/" + apiID,
		root,
		root + "/methods/GET",
		root + "/methods/GET/responses/200",
		root + "/methods/GET/integration",
		root + "/methods/GET/integration/responses/200",
		"/restapis/" + apiID + "/deployments/abc123",
		"/restapis/" + apiID + "/stages/prod",
		"/restapis/" + apiID + "/models/Empty",
		"/restapis/" + apiID + "/requestvalidators/abc123",
		"/restapis/" + apiID + "/gatewayresponses/DEFAULT_4XX",
	}
	n := awsjson.MaxPatchOperations + 1
	body := string(patchBody(n, func(int) string { return `{"op":"replace","path":"/description","value":"x"}` }))
	want := fmt.Sprintf(`{"message":"Too many patch operations: %d. At most %d are allowed in one request."}`, n, awsjson.MaxPatchOperations)
	for _, path := range paths {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("PATCH", path, strings.NewReader(body)))
		if rec.Code != http.StatusBadRequest || rec.Header().Get("x-amzn-ErrorType") != "BadRequestException" || rec.Body.String() != want {
			t.Errorf("PATCH %s with %d operations = %d %s %.300s; want 400 BadRequestException %s", path, n, rec.Code, rec.Header().Get("x-amzn-ErrorType"), rec.Body.String(), want)
		}
	}
	body = string(patchBody(awsjson.MaxPatchOperations, func(i int) string {
		return fmt.Sprintf(`{"op":"replace","path":"/description","value":"d%d"}`, i)
	}))
	serve(t, s, "PATCH", "/restapis/"+apiID, body, http.StatusOK, nil)
}

// TestBinaryMediaTypesBound checks the bound on a REST API's binaryMediaTypes at create and
// update, the patch that only passes through a longer list included.
func TestBinaryMediaTypesBound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mediaTypes := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("application/x-%d", i)
		}
		return out
	}
	tooMany := fmt.Sprintf("Too many binary media types: %d. At most %d are allowed.", MaxBinaryMediaTypes+1, MaxBinaryMediaTypes)

	_, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("many"), BinaryMediaTypes: mediaTypes(MaxBinaryMediaTypes + 1)})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != tooMany {
		t.Errorf("CreateRestApi with %d binaryMediaTypes = %s %q; want BadRequestException %q", MaxBinaryMediaTypes+1, code, msg, tooMany)
	}
	api, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("bound"), BinaryMediaTypes: mediaTypes(MaxBinaryMediaTypes)})
	if err != nil {
		t.Fatalf("CreateRestApi with %d binaryMediaTypes: %v", MaxBinaryMediaTypes, err)
	}

	add := func(v string) types.PatchOperation {
		return types.PatchOperation{Op: types.OpAdd, Path: aws.String("/binaryMediaTypes/" + strings.ReplaceAll(v, "/", "~1"))}
	}
	_, err = e.client.UpdateRestApi(ctx(t), &apigateway.UpdateRestApiInput{RestApiId: api.Id, PatchOperations: []types.PatchOperation{add("image/png")}})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != tooMany {
		t.Errorf("UpdateRestApi adding the %dth binary media type = %s %q; want BadRequestException %q", MaxBinaryMediaTypes+1, code, msg, tooMany)
	}
	// Growing past the bound and back within one call is fine: the bound is on the result.
	ops := []types.PatchOperation{add("image/png"), add("image/gif"),
		{Op: types.OpRemove, Path: aws.String("/binaryMediaTypes/application~1x-0")},
		{Op: types.OpRemove, Path: aws.String("/binaryMediaTypes/application~1x-1")}}
	got, err := e.client.UpdateRestApi(ctx(t), &apigateway.UpdateRestApiInput{RestApiId: api.Id, PatchOperations: ops})
	if err != nil {
		t.Fatalf("UpdateRestApi that ends within the bound: %v", err)
	}
	if n := len(got.BinaryMediaTypes); n != MaxBinaryMediaTypes || got.BinaryMediaTypes[n-1] != "image/gif" {
		t.Errorf("UpdateRestApi binaryMediaTypes = %d ending %q; want %d ending image/gif", n, got.BinaryMediaTypes[n-1], MaxBinaryMediaTypes)
	}
}
