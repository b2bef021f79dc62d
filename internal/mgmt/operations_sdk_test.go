package mgmt

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestSDKSeesAWSShapedRefusals: the real SDK reads the model-driven refusals as AWS's: an
// unserved operation is named, an enum outside its set is a ValidationException, and
// CreateRestApi's own rules are BadRequestExceptions.
func TestSDKSeesAWSShapedRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	_, err := e.client.CreateVpcLink(ctx(t), &apigateway.CreateVpcLinkInput{Name: aws.String("k"), TargetArns: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/n/1"}})
	if code, msg := apiErr(t, err); code != "UnknownOperationException" || !strings.HasPrefix(msg, "CreateVpcLink (POST /vpclinks) is not supported by gatehouse yet") || !strings.Contains(msg, "docs/compatibility.md") {
		t.Errorf("CreateVpcLink = %s %q; want UnknownOperationException naming CreateVpcLink and docs/compatibility.md", code, msg)
	}

	_, err = e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("a"),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{"wrong"}, IpAddressType: "wrong"}})
	code, msg := apiErr(t, err)
	if code != "ValidationException" || !strings.HasPrefix(msg, "2 validation errors detected: Value '[wrong]' at 'createRestApiInput.endpointConfiguration.types'") {
		t.Errorf("CreateRestApi with bad enums = %s %q", code, msg)
	}

	_, err = e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("a"),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypeEdge, types.EndpointTypeRegional}}})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != msgManyEndpointTypes {
		t.Errorf("CreateRestApi with two types = %s %q; want BadRequestException %q", code, msg, msgManyEndpointTypes)
	}

	out, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("p"),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypePrivate}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.EndpointConfiguration.IpAddressType; got != types.IpAddressTypeDualstack {
		t.Errorf("PRIVATE API's ipAddressType = %q; want dualstack", got)
	}
	got, err := e.client.GetRestApi(ctx(t), &apigateway.GetRestApiInput{RestApiId: out.Id})
	if err != nil || got.Tags == nil {
		t.Errorf("GetRestApi = %v, tags %v; want tags {} present", err, got.Tags)
	}
}
