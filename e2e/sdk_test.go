package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// mockAPI is a REST API with one MOCK method, GET /{path}, built with aws-sdk-go-v2.
type mockAPI struct {
	ID, RootID, ResourceID string
	client                 *apigateway.Client
}

// createMockAPI creates an API whose GET /{pathPart} answers 200 with body (a response
// template, so plain text is sent as is).
func createMockAPI(t *testing.T, c *apigateway.Client, name, pathPart, body string) *mockAPI {
	t.Helper()
	ctx := t.Context()
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	m := &mockAPI{ID: aws.ToString(api.Id), RootID: aws.ToString(api.RootResourceId), client: c}
	if m.RootID == "" {
		t.Fatalf("CreateRestApi: no rootResourceId in %+v", api)
	}
	res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &m.ID, ParentId: &m.RootID, PathPart: aws.String(pathPart)})
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	m.ResourceID = aws.ToString(res.Id)
	get := aws.String("GET")
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &m.ID, ResourceId: &m.ResourceID, HttpMethod: get, AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatalf("PutMethod: %v", err)
	}
	if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &m.ID, ResourceId: &m.ResourceID, HttpMethod: get, StatusCode: aws.String("200")}); err != nil {
		t.Fatalf("PutMethodResponse: %v", err)
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &m.ID, ResourceId: &m.ResourceID, HttpMethod: get,
		Type: types.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
		t.Fatalf("PutIntegration: %v", err)
	}
	m.setAnswer(t, body)
	return m
}

// setAnswer replaces the MOCK's response template: deployments made from now on answer body.
func (m *mockAPI) setAnswer(t *testing.T, body string) {
	t.Helper()
	if _, err := m.client.PutIntegrationResponse(t.Context(), &apigateway.PutIntegrationResponseInput{RestApiId: &m.ID, ResourceId: &m.ResourceID,
		HttpMethod: aws.String("GET"), StatusCode: aws.String("200"), SelectionPattern: aws.String(""),
		ResponseTemplates: map[string]string{"application/json": body}}); err != nil {
		t.Fatalf("PutIntegrationResponse: %v", err)
	}
}

// deploy creates a deployment, moving stage to it unless stage is "".
func (m *mockAPI) deploy(t *testing.T, stage string) string {
	t.Helper()
	in := &apigateway.CreateDeploymentInput{RestApiId: &m.ID}
	if stage != "" {
		in.StageName = &stage
	}
	d, err := m.client.CreateDeployment(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	return aws.ToString(d.Id)
}
