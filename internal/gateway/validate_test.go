package gateway

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// validatedAPI is an API whose POST /pets checks its body against the model Pet, which
// refers to the model Tag by its canonical URL.
func validatedAPI(apiID, petSchema string) *apigateway.RestAPIDocument {
	m := mockMethod(`{"created": true}`)
	m.RequestValidatorID = "v1"
	m.RequestModels = map[string]string{"$default": "Pet"}
	doc := buildAPI(apiID, map[string]*apigateway.Method{"POST /pets": m}, nil)
	doc.Models = map[string]*apigateway.Model{
		"Pet": {ID: "m1", Name: "Pet", ContentType: "application/json", Schema: petSchema},
		"Tag": {ID: "m2", Name: "Tag", ContentType: "application/json", Schema: `{"type":"string","maxLength":3}`},
	}
	doc.RequestValidators = map[string]*apigateway.RequestValidator{"v1": {ID: "v1", ValidateRequestBody: true}}
	return doc
}

func TestRequestValidationStage(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	srv := startServer(t, s, Config{Logger: testLogger(t)})
	post := func(body string) (int, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/restapis/val1/dev/_user_request_/pets", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		srv.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	pet := `{"type":"object","required":["tag"],"properties":{"tag":{"$ref":"https://apigateway.amazonaws.com/restapis/val1/models/Tag"}}}`
	deploy(t, s, validatedAPI("val1", pet), "d1", "dev", nil)
	waitFor(t, servedStage(srv, "val1", "dev", "d1"))

	// $ref between models resolves to the other model of the same API.
	tests := []struct {
		body   string
		status int
		want   string
	}{
		{`{"tag":"abc"}`, 200, `{"created": true}`},
		{`{"tag":"abcd"}`, 400, `{"message":"Invalid request body"}`},
		{``, 400, `{"message":"Invalid request body"}`},
		{`{"tag":`, 400, `{"message":"Invalid request body"}`},
	}
	for _, tt := range tests {
		if code, body := post(tt.body); code != tt.status || body != tt.want {
			t.Errorf("POST %q = %d %s; want %d %s", tt.body, code, body, tt.status, tt.want)
		}
	}

	// A schema that does not compile fails the stage's compilation: the old deployment keeps
	// serving and the error names the model.
	deploy(t, s, validatedAPI("val1", `{"type":"object","properties":{"tag":{"$ref":"https://apigateway.amazonaws.com/restapis/val1/models/Nope"}}}`), "d2", "dev", nil)
	waitFor(t, func() bool { return srv.StageErrors()["val1/dev"] != nil })
	if err := srv.StageErrors()["val1/dev"]; !strings.Contains(err.Error(), `model "Pet"`) {
		t.Errorf("StageErrors = %v; want it to name model Pet", err)
	}
	if code, _ := post(`{"tag":"abc"}`); code != 200 {
		t.Errorf("after a bad deployment POST = %d; want the old stage's 200", code)
	}
}
