package mgmt

import "github.com/gatehouse/gatehouse/internal/mgmt/awsjson"

// routes lists every operation of the management API, at AWS's paths with AWS's URI labels
// (botocore's apigateway 2015-07-09 service model).
func (s *Server) routes() {
	// Account.
	s.handle("GET /account", s.GetAccount)
	s.handle("PATCH /account", s.UpdateAccount)

	// REST APIs.
	s.handle("POST /restapis", s.CreateRestAPI)
	s.handle("GET /restapis", s.GetRestAPIs)
	s.handle("GET /restapis/{restapi_id}", s.GetRestAPI)
	s.handleAs("GET /restapis/{$}", awsjson.Lookup("GetRestApi"), s.GetRestAPIWithoutID)
	s.handle("PATCH /restapis/{restapi_id}", s.UpdateRestAPI)
	s.handle("DELETE /restapis/{restapi_id}", s.DeleteRestAPI)

	// Resources.
	s.handle("POST /restapis/{restapi_id}/resources/{parent_id}", s.CreateResource)
	s.handle("GET /restapis/{restapi_id}/resources", s.GetResources)
	s.handle("GET /restapis/{restapi_id}/resources/{resource_id}", s.GetResource)
	s.handle("PATCH /restapis/{restapi_id}/resources/{resource_id}", s.UpdateResource)
	s.handle("DELETE /restapis/{restapi_id}/resources/{resource_id}", s.DeleteResource)

	// Methods and method responses.
	s.handle("PUT /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}", s.PutMethod)
	s.handle("GET /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}", s.GetMethod)
	s.handle("PATCH /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}", s.UpdateMethod)
	s.handle("DELETE /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}", s.DeleteMethod)
	s.handle("PUT /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}", s.PutMethodResponse)
	s.handle("GET /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}", s.GetMethodResponse)
	s.handle("PATCH /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}", s.UpdateMethodResponse)
	s.handle("DELETE /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}", s.DeleteMethodResponse)

	// Integrations and integration responses.
	s.handle("PUT /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration", s.PutIntegration)
	s.handle("GET /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration", s.GetIntegration)
	s.handle("PATCH /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration", s.UpdateIntegration)
	s.handle("DELETE /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration", s.DeleteIntegration)
	s.handle("PUT /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}", s.PutIntegrationResponse)
	s.handle("GET /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}", s.GetIntegrationResponse)
	s.handle("PATCH /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}", s.UpdateIntegrationResponse)
	s.handle("DELETE /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}", s.DeleteIntegrationResponse)

	// Deployments.
	s.handle("POST /restapis/{restapi_id}/deployments", s.CreateDeployment)
	s.handle("GET /restapis/{restapi_id}/deployments", s.GetDeployments)
	s.handle("GET /restapis/{restapi_id}/deployments/{deployment_id}", s.GetDeployment)
	s.handle("PATCH /restapis/{restapi_id}/deployments/{deployment_id}", s.UpdateDeployment)
	s.handle("DELETE /restapis/{restapi_id}/deployments/{deployment_id}", s.DeleteDeployment)

	// Stages.
	s.handle("POST /restapis/{restapi_id}/stages", s.CreateStage)
	s.handle("GET /restapis/{restapi_id}/stages", s.GetStages)
	s.handle("GET /restapis/{restapi_id}/stages/{stage_name}", s.GetStage)
	s.handle("PATCH /restapis/{restapi_id}/stages/{stage_name}", s.UpdateStage)
	s.handle("DELETE /restapis/{restapi_id}/stages/{stage_name}", s.DeleteStage)

	// Models.
	s.handle("POST /restapis/{restapi_id}/models", s.CreateModel)
	s.handle("GET /restapis/{restapi_id}/models", s.GetModels)
	s.handle("GET /restapis/{restapi_id}/models/{model_name}", s.GetModel)
	s.handle("PATCH /restapis/{restapi_id}/models/{model_name}", s.UpdateModel)
	s.handle("DELETE /restapis/{restapi_id}/models/{model_name}", s.DeleteModel)
	s.handle("GET /restapis/{restapi_id}/models/{model_name}/default_template", s.GetModelTemplate)

	// Request validators.
	s.handle("POST /restapis/{restapi_id}/requestvalidators", s.CreateRequestValidator)
	s.handle("GET /restapis/{restapi_id}/requestvalidators", s.GetRequestValidators)
	s.handle("GET /restapis/{restapi_id}/requestvalidators/{requestvalidator_id}", s.GetRequestValidator)
	s.handle("PATCH /restapis/{restapi_id}/requestvalidators/{requestvalidator_id}", s.UpdateRequestValidator)
	s.handle("DELETE /restapis/{restapi_id}/requestvalidators/{requestvalidator_id}", s.DeleteRequestValidator)

	// Authorizers (authorizer.go). TestInvokeAuthorizer is POST at an authorizer's own path.
	s.handle("POST /restapis/{restapi_id}/authorizers", s.CreateAuthorizer)
	s.handle("GET /restapis/{restapi_id}/authorizers", s.GetAuthorizers)
	s.handle("GET /restapis/{restapi_id}/authorizers/{authorizer_id}", s.GetAuthorizer)
	s.handle("PATCH /restapis/{restapi_id}/authorizers/{authorizer_id}", s.UpdateAuthorizer)
	s.handle("DELETE /restapis/{restapi_id}/authorizers/{authorizer_id}", s.DeleteAuthorizer)
	s.handle("POST /restapis/{restapi_id}/authorizers/{authorizer_id}", s.TestInvokeAuthorizer)
	s.handle("DELETE /restapis/{restapi_id}/stages/{stage_name}/cache/authorizers", s.FlushStageAuthorizersCache)

	// The stage response cache (stagecache.go).
	s.handle("DELETE /restapis/{restapi_id}/stages/{stage_name}/cache/data", s.FlushStageCache)

	// Gateway responses.
	s.handle("GET /restapis/{restapi_id}/gatewayresponses", s.GetGatewayResponses)
	s.handle("GET /restapis/{restapi_id}/gatewayresponses/{response_type}", s.GetGatewayResponse)
	s.handle("PUT /restapis/{restapi_id}/gatewayresponses/{response_type}", s.PutGatewayResponse)
	s.handle("PATCH /restapis/{restapi_id}/gatewayresponses/{response_type}", s.UpdateGatewayResponse)
	s.handle("DELETE /restapis/{restapi_id}/gatewayresponses/{response_type}", s.DeleteGatewayResponse)

	// Documentation parts and versions (documentation.go, documentation_import.go,
	// documentation_version.go).
	s.handle("POST /restapis/{restapi_id}/documentation/parts", s.CreateDocumentationPart)
	s.handle("GET /restapis/{restapi_id}/documentation/parts", s.GetDocumentationParts)
	s.handle("PUT /restapis/{restapi_id}/documentation/parts", s.ImportDocumentationParts)
	s.handle("GET /restapis/{restapi_id}/documentation/parts/{part_id}", s.GetDocumentationPart)
	s.handle("PATCH /restapis/{restapi_id}/documentation/parts/{part_id}", s.UpdateDocumentationPart)
	s.handle("DELETE /restapis/{restapi_id}/documentation/parts/{part_id}", s.DeleteDocumentationPart)
	s.handle("POST /restapis/{restapi_id}/documentation/versions", s.CreateDocumentationVersion)
	s.handle("GET /restapis/{restapi_id}/documentation/versions", s.GetDocumentationVersions)
	s.handle("GET /restapis/{restapi_id}/documentation/versions/{doc_version}", s.GetDocumentationVersion)
	s.handle("PATCH /restapis/{restapi_id}/documentation/versions/{doc_version}", s.UpdateDocumentationVersion)
	s.handle("DELETE /restapis/{restapi_id}/documentation/versions/{doc_version}", s.DeleteDocumentationVersion)

	// API keys (apikey.go, apikey_import.go).
	s.handle("POST /apikeys", s.CreateAPIKey)
	s.handle("POST /apikeys?mode=import", s.ImportAPIKeys)
	s.handle("GET /apikeys", s.GetAPIKeys)
	s.handle("GET /apikeys/{api_Key}", s.GetAPIKey)
	s.handle("PATCH /apikeys/{api_Key}", s.UpdateAPIKey)
	s.handle("DELETE /apikeys/{api_Key}", s.DeleteAPIKey)

	// Tags (tags.go). The SDKs and the aws CLI percent-encode the ARN's slashes; a client that
	// does not is served too.
	s.handleAs("GET /tags/{resource_arn...}", awsjson.OperationAt("GET /tags/{resource_arn}"), s.GetTags)
	s.handleAs("PUT /tags/{resource_arn...}", awsjson.OperationAt("PUT /tags/{resource_arn}"), s.TagResource)
	s.handleAs("DELETE /tags/{resource_arn...}", awsjson.OperationAt("DELETE /tags/{resource_arn}"), s.UntagResource)

	// Usage plans (usageplan.go, usageplankey.go, usage.go).
	s.handle("POST /usageplans", s.CreateUsagePlan)
	s.handle("GET /usageplans", s.GetUsagePlans)
	s.handle("GET /usageplans/{usageplanId}", s.GetUsagePlan)
	s.handle("PATCH /usageplans/{usageplanId}", s.UpdateUsagePlan)
	s.handle("DELETE /usageplans/{usageplanId}", s.DeleteUsagePlan)
	s.handle("POST /usageplans/{usageplanId}/keys", s.CreateUsagePlanKey)
	s.handle("GET /usageplans/{usageplanId}/keys", s.GetUsagePlanKeys)
	s.handle("GET /usageplans/{usageplanId}/keys/{keyId}", s.GetUsagePlanKey)
	s.handle("DELETE /usageplans/{usageplanId}/keys/{keyId}", s.DeleteUsagePlanKey)
	s.handle("GET /usageplans/{usageplanId}/usage", s.GetUsage)
	s.handle("PATCH /usageplans/{usageplanId}/keys/{keyId}/usage", s.UpdateUsage)
}
