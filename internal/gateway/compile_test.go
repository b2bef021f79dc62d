package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// TestStageValueFailsOnlyItsMethod deploys stages where one method's integration URI is made
// invalid by the stage's variables (unset, or a value that is no host): AWS deploys such a
// stage and only that method answers 500 "Internal server error" (API_CONFIGURATION_ERROR),
// so the stage must compile and its other methods serve.
func TestStageValueFailsOnlyItsMethod(t *testing.T) {
	t.Parallel()
	const lambdaURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
	tests := []struct {
		name   string
		broken *apigateway.Method
		vars   map[string]string
	}{
		{"http_proxy unset host", proxyMethod("http://${stageVariables.host}/pets/{id}"), nil},
		{"http_proxy empty host", proxyMethod("http://${stageVariables.host}/pets/{id}"), map[string]string{"host": ""}},
		{"http_proxy host with two ports", proxyMethod("http://${stageVariables.host}/pets"), map[string]string{"host": "a:b:c"}},
		{"http_proxy host with a brace", proxyMethod("https://${stageVariables.host}/pets"), map[string]string{"host": "a{b}"}},
		{"http host unset", &apigateway.Method{MethodIntegration: &apigateway.Integration{
			Type: apigateway.IntegrationHTTP, HTTPMethod: "GET", URI: "http://${stageVariables.host}/pets"}}, nil},
		{"aws_proxy function unset", &apigateway.Method{MethodIntegration: &apigateway.Integration{
			Type: apigateway.IntegrationAWSProxy, HTTPMethod: "POST", URI: lambdaURI + "${stageVariables.fn}/invocations"}}, nil},
		{"aws lambda function unset", &apigateway.Method{MethodIntegration: &apigateway.Integration{
			Type: apigateway.IntegrationAWS, HTTPMethod: "POST", URI: lambdaURI + "${stageVariables.fn}/invocations"}}, nil},
		{"aws service region unset", &apigateway.Method{MethodIntegration: &apigateway.Integration{
			Type: apigateway.IntegrationAWS, HTTPMethod: "GET", URI: "arn:aws:apigateway:${stageVariables.region}:s3:path/bucket/key"}}, nil},
		{"aws service path with a brace", &apigateway.Method{MethodIntegration: &apigateway.Integration{
			Type: apigateway.IntegrationAWS, HTTPMethod: "GET", URI: "arn:aws:apigateway:us-east-1:s3:path/${stageVariables.bucket}/key"}},
			map[string]string{"bucket": "a{"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			apiID := "sv" + string(rune('a'+i))
			deploy(t, s, buildAPI(apiID, map[string]*apigateway.Method{
				"GET /ok":     mockMethod(`{"ok":true}`),
				"GET /broken": tt.broken,
			}, nil), "d1", "prod", tt.vars)
			srv := startServer(t, s, Config{Logger: testLogger(t)})
			if errs := srv.StageErrors(); len(errs) > 0 {
				t.Errorf("StageErrors() = %v; want none", errs)
			}
			for _, c := range []struct {
				path, body, errorType string
				status                int
			}{
				{"/ok", `{"ok":true}`, "", http.StatusOK},
				{"/broken", `{"message": "Internal server error"}`, "ApiConfigurationException", http.StatusInternalServerError},
			} {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, httptest.NewRequest("GET", "/restapis/"+apiID+"/prod/_user_request_"+c.path, nil))
				if rec.Code != c.status || rec.Body.String() != c.body {
					t.Errorf("GET %s = %d %s; want %d %s", c.path, rec.Code, rec.Body, c.status, c.body)
				}
				if got := hget(rec.Header(), "x-amzn-ErrorType"); got != c.errorType {
					t.Errorf("GET %s x-amzn-ErrorType = %q; want %q", c.path, got, c.errorType)
				}
			}
		})
	}
}
