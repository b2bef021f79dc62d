package mgmt

import (
	"maps"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store/memory"
)

// TestTagsLifecycle tags and untags a REST API and a stage through the SDK: the tags given at
// create are the ones GetTags answers, TagResource adds and replaces, UntagResource removes
// (an absent key is no error), and GetRestApi/GetStage answer the same tags.
func TestTagsLifecycle(t *testing.T) {
	e := newEnv(t)
	out, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("tagged"), Tags: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	apiID := *out.Id
	e.editAPI(t, apiID, func(doc *model.RestAPIDocument) {
		doc.Resources[doc.RootResourceID].ResourceMethods = map[string]*model.Method{"GET": mockMethod("GET", "NONE", false)}
	})
	e.deploy(t, apiID, "")
	deps, err := e.client.GetDeployments(ctx(t), &apigateway.GetDeploymentsInput{RestApiId: &apiID})
	if err != nil || len(deps.Items) != 1 {
		t.Fatalf("GetDeployments = %v, %v", deps, err)
	}
	if _, err := e.client.CreateStage(ctx(t), &apigateway.CreateStageInput{RestApiId: &apiID, StageName: aws.String("dev"),
		DeploymentId: deps.Items[0].Id, Tags: map[string]string{"tier": "dev"}}); err != nil {
		t.Fatalf("CreateStage: %v", err)
	}
	apiARN := "arn:aws:apigateway:us-east-1::/restapis/" + apiID
	stageARN := apiARN + "/stages/dev"

	getTags := func(arn string) map[string]string {
		t.Helper()
		out, err := e.client.GetTags(ctx(t), &apigateway.GetTagsInput{ResourceArn: &arn})
		if err != nil {
			t.Fatalf("GetTags(%s): %v", arn, err)
		}
		return out.Tags
	}
	for _, c := range []struct {
		arn  string
		want map[string]string
	}{{apiARN, map[string]string{"team": "a"}}, {stageARN, map[string]string{"tier": "dev"}}} {
		if got := getTags(c.arn); !maps.Equal(got, c.want) {
			t.Errorf("GetTags(%s) = %v; want the create's %v", c.arn, got, c.want)
		}
		if _, err := e.client.TagResource(ctx(t), &apigateway.TagResourceInput{ResourceArn: aws.String(c.arn), Tags: map[string]string{"team": "b", "env": "x"}}); err != nil {
			t.Fatalf("TagResource(%s): %v", c.arn, err)
		}
		want := maps.Clone(c.want)
		maps.Copy(want, map[string]string{"team": "b", "env": "x"})
		if got := getTags(c.arn); !maps.Equal(got, want) {
			t.Errorf("GetTags(%s) after TagResource = %v; want %v", c.arn, got, want)
		}
		if _, err := e.client.UntagResource(ctx(t), &apigateway.UntagResourceInput{ResourceArn: aws.String(c.arn), TagKeys: []string{"env", "absent"}}); err != nil {
			t.Fatalf("UntagResource(%s): %v", c.arn, err)
		}
		delete(want, "env")
		if got := getTags(c.arn); !maps.Equal(got, want) {
			t.Errorf("GetTags(%s) after UntagResource = %v; want %v", c.arn, got, want)
		}
	}
	api, err := e.client.GetRestApi(ctx(t), &apigateway.GetRestApiInput{RestApiId: &apiID})
	if err != nil || !maps.Equal(api.Tags, map[string]string{"team": "b"}) {
		t.Errorf("GetRestApi tags = %v, %v; want team=b", api.Tags, err)
	}
	st, err := e.client.GetStage(ctx(t), &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("dev")})
	if err != nil || !maps.Equal(st.Tags, map[string]string{"tier": "dev", "team": "b"}) {
		t.Errorf("GetStage tags = %v, %v; want tier=dev, team=b", st.Tags, err)
	}

	// Removing every tag leaves an empty object in GetTags and GetRestApi.
	if _, err := e.client.UntagResource(ctx(t), &apigateway.UntagResourceInput{ResourceArn: &apiARN, TagKeys: []string{"team"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	if code, body := e.rawGet(t, "/tags/"+apiARN); code != http.StatusOK || len(body) != 1 || body["tags"] == nil {
		t.Errorf("GET /tags/%s = %d %v; want 200 {\"tags\":{}}", apiARN, code, body)
	}
	if _, body := e.rawGet(t, "/restapis/"+apiID); body["tags"] == nil {
		t.Errorf("GetRestApi = %v; want \"tags\": {}", body)
	}
}

// TestTagsErrors: unknown resources answer NotFoundException as GetRestApi and GetStage do;
// an ARN of no taggable resource is BadRequestException; bad tags are refused.
func TestTagsErrors(t *testing.T) {
	e := newEnv(t)
	apiID := e.createAPI(t)
	base := "arn:aws:apigateway:us-east-1::/restapis/"
	for _, c := range []struct {
		arn, code, msg string
	}{
		{base + "nosuchapi1", "NotFoundException", "Invalid API identifier specified " + testAccount + ":nosuchapi1"},
		{base + apiID + "/stages/nosuch", "NotFoundException", "Invalid stage identifier specified"},
		{base + "nosuchapi1/stages/dev", "NotFoundException", "Invalid API identifier specified " + testAccount + ":nosuchapi1"},
		{"arn:aws:apigateway:eu-west-1::/restapis/" + apiID, "BadRequestException", "Invalid ARN specified in the request: arn:aws:apigateway:eu-west-1::/restapis/" + apiID},
		{base + apiID + "/resources/abc", "BadRequestException", "Invalid ARN specified in the request: " + base + apiID + "/resources/abc"},
		{"not-an-arn", "BadRequestException", "Invalid ARN specified in the request: not-an-arn"},
	} {
		_, err := e.client.GetTags(ctx(t), &apigateway.GetTagsInput{ResourceArn: aws.String(c.arn)})
		wantAPIError(t, "GetTags("+c.arn+")", err, c.code, c.msg)
		_, err = e.client.TagResource(ctx(t), &apigateway.TagResourceInput{ResourceArn: aws.String(c.arn), Tags: map[string]string{"k": "v"}})
		wantAPIError(t, "TagResource("+c.arn+")", err, c.code, c.msg)
		_, err = e.client.UntagResource(ctx(t), &apigateway.UntagResourceInput{ResourceArn: aws.String(c.arn), TagKeys: []string{"k"}})
		wantAPIError(t, "UntagResource("+c.arn+")", err, c.code, c.msg)
	}
	_, err := e.client.TagResource(ctx(t), &apigateway.TagResourceInput{ResourceArn: aws.String(base + apiID), Tags: map[string]string{"aws:x": "v"}})
	wantAPIError(t, "TagResource aws: key", err, "BadRequestException", "Tag key 'aws:x' must not start with 'aws:'")

	// 50 tags fit; a 51st is LimitExceededException and changes nothing.
	fifty := map[string]string{}
	for i := range maxTags {
		fifty["k"+strconv.Itoa(i)] = "v"
	}
	if _, err := e.client.TagResource(ctx(t), &apigateway.TagResourceInput{ResourceArn: aws.String(base + apiID), Tags: fifty}); err != nil {
		t.Fatalf("TagResource with %d tags: %v", maxTags, err)
	}
	_, err = e.client.TagResource(ctx(t), &apigateway.TagResourceInput{ResourceArn: aws.String(base + apiID), Tags: map[string]string{"one": "more"}})
	wantAPIError(t, "TagResource 51st tag", err, "LimitExceededException", "A resource can have at most 50 tags")
	tags, err := e.client.GetTags(ctx(t), &apigateway.GetTagsInput{ResourceArn: aws.String(base + apiID)})
	if err != nil || !maps.Equal(tags.Tags, fifty) {
		t.Errorf("GetTags after the refused 51st tag = %d tags, %v; want the %d", len(tags.Tags), err, maxTags)
	}
}

// FuzzTaggableResource: any resource_arn either names a REST API or stage (whose tags can be
// read) or is refused with an AWS error; nothing panics.
func FuzzTaggableResource(f *testing.F) {
	for _, s := range []string{
		"arn:aws:apigateway:us-east-1::/restapis/abc",
		"arn:aws:apigateway:us-east-1::/restapis/abc/stages/dev",
		"arn:aws:apigateway:us-east-1::/restapis//stages/dev",
		"arn:aws:apigateway:us-east-1::/restapis/abc/resources/r1",
		"arn:aws:apigateway:eu-west-1::/restapis/abc",
		"arn:aws:apigateway:us-east-1::/",
		"",
	} {
		f.Add(s)
	}
	st := memory.New()
	f.Cleanup(func() { st.Close() })
	srv := &Server{store: st, scope: model.Scope{AccountID: testAccount, Region: "us-east-1"}}
	f.Fuzz(func(t *testing.T, arn string) {
		res, err := srv.taggableResource(arn)
		if err != nil {
			if _, ok := err.(*awsjson.Error); !ok {
				t.Fatalf("taggableResource(%q) = %v; want an AWS error", arn, err)
			}
			return
		}
		if _, err := res.load(t.Context()); err != nil {
			if _, ok := err.(*awsjson.Error); !ok {
				t.Fatalf("load(%q) = %v; want an AWS error (NotFound)", arn, err)
			}
		}
	})
}
