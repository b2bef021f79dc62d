package mgmt

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
)

func TestDocumentationVersionLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	e.deploy(t, apiID, "prod")
	part := e.createPart(t, apiID, types.DocumentationPartLocation{Type: types.DocumentationPartTypeApi}, `{"description":"v1"}`)

	v1, err := e.client.CreateDocumentationVersion(ctx(t), &apigateway.CreateDocumentationVersionInput{RestApiId: aws.String(apiID),
		DocumentationVersion: aws.String("1.0"), Description: aws.String("first"), StageName: aws.String("prod")})
	if err != nil || *v1.Version != "1.0" || *v1.Description != "first" || v1.CreatedDate == nil {
		t.Fatalf("CreateDocumentationVersion = %+v, %v", v1, err)
	}
	st, err := e.client.GetStage(ctx(t), &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("prod")})
	if err != nil || aws.ToString(st.DocumentationVersion) != "1.0" {
		t.Errorf("stage after CreateDocumentationVersion with stageName = %+v, %v; want documentationVersion 1.0", st, err)
	}
	// The version keeps the parts as they were.
	if _, err := e.client.UpdateDocumentationPart(ctx(t), &apigateway.UpdateDocumentationPartInput{RestApiId: aws.String(apiID), DocumentationPartId: part.Id,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/properties"), Value: aws.String(`{"description":"v2"}`)}}}); err != nil {
		t.Fatal(err)
	}
	stored, _ := storedJSON[model.DocumentationVersionDocument](t, e, e.scope.DocumentationVersionKey(apiID, "1.0"))
	if len(stored.Parts) != 1 || stored.Parts[0].Properties != `{"description":"v1"}` {
		t.Errorf("stored version parts = %+v; want the part as it was", stored.Parts)
	}
	// Deployments carry no documentation.
	if _, err := e.client.CreateDeployment(ctx(t), &apigateway.CreateDeploymentInput{RestApiId: aws.String(apiID)}); err != nil {
		t.Fatal(err)
	}
	deps, _, err := e.store.List(ctx(t), e.scope.DeploymentPrefix(apiID))
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range deps {
		var d model.DeploymentDocument
		if err := jsonUnmarshal(kv.Value, &d); err != nil || d.Snapshot == nil || d.Snapshot.DocumentationParts != nil {
			t.Errorf("deployment %s snapshot has documentation parts: %v", kv.Key, err)
		}
	}

	_, err = e.client.CreateDocumentationVersion(ctx(t), &apigateway.CreateDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("1.0")})
	wantAPIError(t, "a second 1.0", err, "ConflictException", msgDocVersionExists)
	_, err = e.client.CreateDocumentationVersion(ctx(t), &apigateway.CreateDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("")})
	wantAPIError(t, "an empty version", err, "BadRequestException", msgDocVersionMissing)
	_, err = e.client.CreateDocumentationVersion(ctx(t), &apigateway.CreateDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("a/b")})
	wantAPIError(t, "a version with a slash", err, "BadRequestException", msgDocVersionSlash)
	_, err = e.client.CreateDocumentationVersion(ctx(t), &apigateway.CreateDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("2.0"), StageName: aws.String("nosuch")})
	wantAPIError(t, "an unknown stage", err, "NotFoundException", "Invalid stage identifier specified")
	_, err = e.client.CreateDocumentationVersion(ctx(t), &apigateway.CreateDocumentationVersionInput{RestApiId: aws.String("nosuchapi"), DocumentationVersion: aws.String("1.0")})
	wantAPIError(t, "an unknown API", err, "NotFoundException", "Invalid API identifier specified 123456789012:nosuchapi")
	if _, err := e.client.GetDocumentationVersion(ctx(t), &apigateway.GetDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("2.0")}); err == nil {
		t.Error("the refused 2.0 was written")
	}

	for _, v := range []string{"1.1", "0.9"} {
		if _, err := e.client.CreateDocumentationVersion(ctx(t), &apigateway.CreateDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := e.client.GetDocumentationVersions(ctx(t), &apigateway.GetDocumentationVersionsInput{RestApiId: aws.String(apiID), Limit: aws.Int32(2)})
	if err != nil || len(page.Items) != 2 || *page.Items[0].Version != "0.9" || *page.Items[1].Version != "1.0" || aws.ToString(page.Position) != "1.1" {
		t.Fatalf("GetDocumentationVersions limit 2 = %+v, %v", page, err)
	}
	page, err = e.client.GetDocumentationVersions(ctx(t), &apigateway.GetDocumentationVersionsInput{RestApiId: aws.String(apiID), Position: page.Position})
	if err != nil || len(page.Items) != 1 || *page.Items[0].Version != "1.1" || page.Position != nil {
		t.Fatalf("GetDocumentationVersions second page = %+v, %v", page, err)
	}

	up, err := e.client.UpdateDocumentationVersion(ctx(t), &apigateway.UpdateDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("1.0"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("renamed")}}})
	if err != nil || *up.Description != "renamed" || *up.Version != "1.0" {
		t.Errorf("UpdateDocumentationVersion = %+v, %v", up, err)
	}
	_, err = e.client.UpdateDocumentationVersion(ctx(t), &apigateway.UpdateDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("1.0"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/version"), Value: aws.String("3")}}})
	wantAPIError(t, "UpdateDocumentationVersion /version", err, "BadRequestException", "Invalid patch path  '/version' specified for op 'replace'. Must be one of: [/description]")
	_, err = e.client.UpdateDocumentationVersion(ctx(t), &apigateway.UpdateDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("9"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("x")}}})
	wantAPIError(t, "UpdateDocumentationVersion unknown", err, "NotFoundException", "Invalid Documentation version specified")

	// UpdateStage accepts only a version the API has.
	_, err = e.client.UpdateStage(ctx(t), &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("prod"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/documentationVersion"), Value: aws.String("9")}}})
	wantAPIError(t, "UpdateStage to an unknown version", err, "BadRequestException", "Invalid Documentation version specified")
	st2, err := e.client.UpdateStage(ctx(t), &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("prod"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/documentationVersion"), Value: aws.String("1.1")}}})
	if err != nil || aws.ToString(st2.DocumentationVersion) != "1.1" {
		t.Errorf("UpdateStage to 1.1 = %+v, %v", st2, err)
	}
	depID := e.deploy(t, apiID, "")
	_, err = e.client.CreateStage(ctx(t), &apigateway.CreateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("beta"), DeploymentId: aws.String(depID), DocumentationVersion: aws.String("9")})
	wantAPIError(t, "CreateStage with an unknown version", err, "BadRequestException", "Invalid Documentation version specified")

	if _, err := e.client.DeleteDocumentationVersion(ctx(t), &apigateway.DeleteDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("1.0")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetDocumentationVersion(ctx(t), &apigateway.GetDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("1.0")})
	wantAPIError(t, "GetDocumentationVersion after delete", err, "NotFoundException", "Invalid Documentation version specified")
	_, err = e.client.DeleteDocumentationVersion(ctx(t), &apigateway.DeleteDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String("1.0")})
	wantAPIError(t, "DeleteDocumentationVersion twice", err, "NotFoundException", "Invalid Documentation version specified")
	_, err = e.client.GetDocumentationVersions(ctx(t), &apigateway.GetDocumentationVersionsInput{RestApiId: aws.String("nosuchapi")})
	wantAPIError(t, "GetDocumentationVersions of an unknown API", err, "NotFoundException", "Invalid API identifier specified 123456789012:nosuchapi")

	// DeleteRestApi takes the versions with it.
	if _, err := e.client.DeleteRestApi(ctx(t), &apigateway.DeleteRestApiInput{RestApiId: aws.String(apiID)}); err != nil {
		t.Fatal(err)
	}
	if kvs, _, err := e.store.List(ctx(t), e.scope.DocumentationVersionPrefix(apiID)); err != nil || len(kvs) != 0 {
		t.Errorf("documentation versions after DeleteRestApi = %d, %v; want none", len(kvs), err)
	}
}

// createDocumentationVersion snapshots the API's documentation as version, for stages that
// name it.
func (e *env) createDocumentationVersion(t *testing.T, apiID, version string) {
	t.Helper()
	if _, err := e.client.CreateDocumentationVersion(ctx(t), &apigateway.CreateDocumentationVersionInput{RestApiId: aws.String(apiID), DocumentationVersion: aws.String(version)}); err != nil {
		t.Fatalf("CreateDocumentationVersion %s: %v", version, err)
	}
}
