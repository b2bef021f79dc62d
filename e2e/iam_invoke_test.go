package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestIAMInvoke: a method with authorizationType AWS_IAM, all made with aws-sdk-go-v2 on
// the management listener, admits a request signed with a key the IAM API created for a
// user whose inline policy allows it, and with the root's (admin) key; it refuses an
// unsigned request, and the user's key once it is deactivated. The integration sees the
// caller in $context.identity.
func TestIAMInvoke(t *testing.T) {
	t.Parallel()
	const rootKey, rootSecret = "AKIAE2EIAMINVOKE0001", "e2e-iam-invoke-root-secret"
	creds := filepath.Join(t.TempDir(), "admin-credentials")
	writeFile(t, creds, "[default]\naws_access_key_id = "+rootKey+"\naws_secret_access_key = "+rootSecret+"\n")
	g := startGatehouse(t, options{credentials: creds})
	ctx := t.Context()
	c := g.client(rootKey, rootSecret)

	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("iam-invoke")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	id := aws.ToString(api.Id)
	res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &id, ParentId: api.RootResourceId, PathPart: aws.String("whoami")})
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	get := aws.String("GET")
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &id, ResourceId: res.Id, HttpMethod: get, AuthorizationType: aws.String("AWS_IAM")}); err != nil {
		t.Fatalf("PutMethod: %v", err)
	}
	if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &id, ResourceId: res.Id, HttpMethod: get, StatusCode: aws.String("200")}); err != nil {
		t.Fatalf("PutMethodResponse: %v", err)
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &id, ResourceId: res.Id, HttpMethod: get,
		Type: types.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
		t.Fatalf("PutIntegration: %v", err)
	}
	if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &id, ResourceId: res.Id, HttpMethod: get,
		StatusCode: aws.String("200"), SelectionPattern: aws.String(""),
		ResponseTemplates: map[string]string{"application/json": `$context.identity.userArn $context.identity.accessKey`}}); err != nil {
		t.Fatalf("PutIntegrationResponse: %v", err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &id, StageName: aws.String("prod")}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}

	ic := iam.New(iam.Options{Region: testRegion, BaseEndpoint: aws.String(g.AdminURL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(rootKey, rootSecret, "")})
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("invoker")}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:` +
		testRegion + `:` + testAccount + `:` + id + `/prod/GET/*"}]}`
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("invoker"), PolicyName: aws.String("invoke"), PolicyDocument: &policy}); err != nil {
		t.Fatalf("PutUserPolicy: %v", err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("invoker")})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	userKey, userSecret := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)

	u := g.pathURL(id, "prod") + "/whoami"
	signedGet := func(akid, secret string) httpResult {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret},
			r, hex.EncodeToString(sum[:]), "execute-api", testRegion, time.Now()); err != nil {
			t.Fatal(err)
		}
		return mustCall(t, http.MethodGet, u, "", r.Header, "")
	}
	wantUser := "arn:aws:iam::" + testAccount + ":user/invoker " + userKey
	var last httpResult
	if !waitFor(propagateDeadline, func() bool { last = signedGet(userKey, userSecret); return last.Status == 200 }) || last.Body != wantUser {
		t.Fatalf("GET whoami signed by the user = %d %s; want 200 %s", last.Status, last.Body, wantUser)
	}
	if r := signedGet(rootKey, rootSecret); r.Status != 200 || r.Body != "arn:aws:iam::"+testAccount+":root "+rootKey {
		t.Errorf("GET whoami signed by the root = %d %s; want 200 with the root's ARN", r.Status, r.Body)
	}
	if r := mustCall(t, http.MethodGet, u, "", nil, ""); r.Status != 403 || r.Body != `{"message":"Missing Authentication Token"}` {
		t.Errorf("unsigned GET whoami = %d %s; want 403 Missing Authentication Token", r.Status, r.Body)
	}
	if _, err := ic.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("invoker"), AccessKeyId: &userKey, Status: "Inactive"}); err != nil {
		t.Fatalf("UpdateAccessKey: %v", err)
	}
	if !waitFor(propagateDeadline, func() bool { last = signedGet(userKey, userSecret); return last.Status == 403 }) ||
		!strings.Contains(last.Body, "The security token included in the request is invalid.") {
		t.Fatalf("GET whoami with the deactivated key = %d %s; want 403 invalid token", last.Status, last.Body)
	}
}
