package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
)

// demoAPIName names the API --demo creates.
const demoAPIName = "gatehouse-demo"

// seedDemo creates and deploys the demo API through the management API's own operations,
// unless an API of that name exists, and prints how to call it.
func seedDemo(ctx context.Context, admin http.Handler, dataURL string, cfg config, stdout io.Writer) error {
	c := &demoClient{ctx: ctx, h: admin}
	var apis struct {
		Items []struct{ ID, Name string } `json:"item"`
	}
	if err := c.do("GET", "/restapis?limit=500", nil, &apis); err != nil {
		return err
	}
	apiID := ""
	for _, a := range apis.Items {
		if a.Name == demoAPIName {
			apiID = a.ID
		}
	}
	if apiID == "" {
		var err error
		if apiID, err = c.createDemo(); err != nil {
			return err
		}
	}
	u, _ := url.Parse(dataURL)
	fmt.Fprintf(stdout, `
The demo API %s is deployed to stage "demo". Try:
  curl -s %s/restapis/%s/demo/_user_request_/hello
  curl -s %s/restapis/%s/demo/_user_request_/pets
  curl -s -X POST %s/restapis/%s/demo/_user_request_/pets
  curl -s -H 'Host: %s.%s' %s/demo/hello
`, apiID, dataURL, apiID, dataURL, apiID, dataURL, apiID, apiID, cfg.Domain, u.String())
	return nil
}

// createDemo builds the demo API: MOCK integrations only, so it needs no backend.
func (c *demoClient) createDemo() (string, error) {
	var api struct {
		ID             string `json:"id"`
		RootResourceID string `json:"rootResourceId"`
	}
	if err := c.do("POST", "/restapis", map[string]any{"name": demoAPIName, "description": "created by gatehouse serve --demo"}, &api); err != nil {
		return "", err
	}
	base := "/restapis/" + api.ID
	var hello, pets struct {
		ID string `json:"id"`
	}
	if err := c.do("POST", base+"/resources/"+api.RootResourceID, map[string]any{"pathPart": "hello"}, &hello); err != nil {
		return "", err
	}
	if err := c.do("POST", base+"/resources/"+api.RootResourceID, map[string]any{"pathPart": "pets"}, &pets); err != nil {
		return "", err
	}
	mock := func(resourceID, method string, status int, body string) error {
		m := base + "/resources/" + resourceID + "/methods/" + method
		code := fmt.Sprint(status)
		steps := []struct {
			method, path string
			in           any
		}{
			{"PUT", m, map[string]any{"authorizationType": "NONE"}},
			{"PUT", m + "/responses/" + code, map[string]any{"responseModels": map[string]string{"application/json": "Empty"}}},
			{"PUT", m + "/integration", map[string]any{"type": "MOCK", "requestTemplates": map[string]string{"application/json": fmt.Sprintf(`{"statusCode": %d}`, status)}}},
			{"PUT", m + "/integration/responses/" + code, map[string]any{"selectionPattern": "", "responseTemplates": map[string]string{"application/json": body}}},
		}
		for _, s := range steps {
			if err := c.do(s.method, s.path, s.in, nil); err != nil {
				return err
			}
		}
		return nil
	}
	if err := mock(hello.ID, "GET", 200, `{"message": "Hello from gatehouse"}`); err != nil {
		return "", err
	}
	if err := mock(pets.ID, "GET", 200, `[{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}]`); err != nil {
		return "", err
	}
	if err := mock(pets.ID, "POST", 201, `{"created": true}`); err != nil {
		return "", err
	}
	if err := c.do("POST", base+"/deployments", map[string]any{"stageName": "demo", "description": "demo"}, nil); err != nil {
		return "", err
	}
	return api.ID, nil
}

// demoClient calls the management API in-process, as an administrator.
type demoClient struct {
	ctx context.Context
	h   http.Handler
}

func (c *demoClient) do(method, path string, in, out any) error {
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
	}
	if out != nil {
		return json.Unmarshal(rec.Body.Bytes(), out)
	}
	return nil
}
