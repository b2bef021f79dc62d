package mgmt

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// testAuthorizerURI is a Lambda invocation URI as AWS wants one.
const testAuthorizerURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations"

const testUserPool = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"

// tokenAuthorizer creates a TOKEN authorizer on apiID and returns its id.
func tokenAuthorizer(t *testing.T, e *env, apiID string) string {
	t.Helper()
	out, err := e.client.CreateAuthorizer(ctx(t), &apigateway.CreateAuthorizerInput{RestApiId: &apiID, Name: aws.String("tok"), Type: types.AuthorizerTypeToken,
		AuthorizerUri: aws.String(testAuthorizerURI), IdentitySource: aws.String("method.request.header.Authorization")})
	if err != nil {
		t.Fatalf("CreateAuthorizer: %v", err)
	}
	return *out.Id
}

// cognitoAuthorizer creates a COGNITO_USER_POOLS authorizer on apiID and returns its id.
func cognitoAuthorizer(t *testing.T, e *env, apiID string) string {
	t.Helper()
	out, err := e.client.CreateAuthorizer(ctx(t), &apigateway.CreateAuthorizerInput{RestApiId: &apiID, Name: aws.String("pool"), Type: types.AuthorizerTypeCognitoUserPools,
		ProviderARNs: []string{testUserPool}, IdentitySource: aws.String("method.request.header.Authorization")})
	if err != nil {
		t.Fatalf("CreateAuthorizer(cognito): %v", err)
	}
	return *out.Id
}

func TestAuthorizerLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client
	apiID, _ := newAPI(t, e)

	created, err := c.CreateAuthorizer(ctx(t), &apigateway.CreateAuthorizerInput{RestApiId: &apiID, Name: aws.String("tok"), Type: types.AuthorizerTypeToken,
		AuthorizerUri: aws.String(testAuthorizerURI), IdentitySource: aws.String("method.request.header.Authorization"), IdentityValidationExpression: aws.String("^Bearer .+$")})
	if err != nil {
		t.Fatalf("CreateAuthorizer: %v", err)
	}
	id := *created.Id
	if len(id) != 6 || strings.Trim(id, idAlphabet) != "" || created.AuthorizerResultTtlInSeconds == nil || *created.AuthorizerResultTtlInSeconds != 300 || created.Type != types.AuthorizerTypeToken {
		t.Errorf("CreateAuthorizer = id %q ttl %v type %q; want a 6-character id, ttl 300, TOKEN", id, created.AuthorizerResultTtlInSeconds, created.Type)
	}

	got, err := c.GetAuthorizer(ctx(t), &apigateway.GetAuthorizerInput{RestApiId: &apiID, AuthorizerId: &id})
	if err != nil || *got.Name != "tok" || *got.AuthorizerUri != testAuthorizerURI || *got.IdentityValidationExpression != "^Bearer .+$" {
		t.Fatalf("GetAuthorizer = %+v, %v", got, err)
	}

	// Paging: position and limit as the other Get* lists.
	for range 2 {
		tokenAuthorizer(t, e, apiID)
	}
	var ids []string
	var position *string
	for {
		page, err := c.GetAuthorizers(ctx(t), &apigateway.GetAuthorizersInput{RestApiId: &apiID, Limit: aws.Int32(2), Position: position})
		if err != nil {
			t.Fatalf("GetAuthorizers: %v", err)
		}
		for _, a := range page.Items {
			ids = append(ids, *a.Id)
		}
		if page.Position == nil {
			break
		}
		position = page.Position
	}
	if len(ids) != 3 || !slices.IsSorted(ids) || !slices.Contains(ids, id) {
		t.Errorf("GetAuthorizers pages = %v; want the 3 ids in order", ids)
	}

	upd, err := c.UpdateAuthorizer(ctx(t), &apigateway.UpdateAuthorizerInput{RestApiId: &apiID, AuthorizerId: &id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String("renamed")},
		{Op: types.OpReplace, Path: aws.String("/authorizerResultTtlInSeconds"), Value: aws.String("0")},
		{Op: types.OpReplace, Path: aws.String("/type"), Value: aws.String("REQUEST")},
		{Op: types.OpReplace, Path: aws.String("/identitySource"), Value: aws.String("")},
		{Op: types.OpReplace, Path: aws.String("/authType"), Value: aws.String("custom")},
		{Op: types.OpReplace, Path: aws.String("/authorizerCredentials"), Value: aws.String("arn:aws:iam::123456789012:role/invoke")},
	}})
	if err != nil {
		t.Fatalf("UpdateAuthorizer: %v", err)
	}
	if *upd.Name != "renamed" || *upd.AuthorizerResultTtlInSeconds != 0 || upd.Type != types.AuthorizerTypeRequest || upd.IdentitySource != nil || *upd.AuthType != "custom" || *upd.AuthorizerCredentials != "arn:aws:iam::123456789012:role/invoke" {
		t.Errorf("UpdateAuthorizer = %+v", upd)
	}

	if _, err := c.DeleteAuthorizer(ctx(t), &apigateway.DeleteAuthorizerInput{RestApiId: &apiID, AuthorizerId: &id}); err != nil {
		t.Fatalf("DeleteAuthorizer: %v", err)
	}
	for name, call := range map[string]func() error{
		"GetAuthorizer": func() error {
			_, err := c.GetAuthorizer(ctx(t), &apigateway.GetAuthorizerInput{RestApiId: &apiID, AuthorizerId: &id})
			return err
		},
		"DeleteAuthorizer": func() error {
			_, err := c.DeleteAuthorizer(ctx(t), &apigateway.DeleteAuthorizerInput{RestApiId: &apiID, AuthorizerId: &id})
			return err
		},
		"UpdateAuthorizer": func() error {
			_, err := c.UpdateAuthorizer(ctx(t), &apigateway.UpdateAuthorizerInput{RestApiId: &apiID, AuthorizerId: &id, PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String("x")}}})
			return err
		},
	} {
		if code, msg := apiErr(t, call()); code != "NotFoundException" || msg != "Invalid Authorizer identifier specified" {
			t.Errorf("%s(deleted) = %s %q", name, code, msg)
		}
	}

	_, err = c.GetAuthorizers(ctx(t), &apigateway.GetAuthorizersInput{RestApiId: aws.String("nope000000")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid API identifier specified 123456789012:nope000000" {
		t.Errorf("GetAuthorizers(unknown API) = %s %q", code, msg)
	}
	_, err = c.CreateAuthorizer(ctx(t), &apigateway.CreateAuthorizerInput{RestApiId: aws.String("nope000000"), Name: aws.String("a"), Type: types.AuthorizerTypeToken,
		AuthorizerUri: aws.String(testAuthorizerURI), IdentitySource: aws.String("method.request.header.Authorization")})
	if code, msg := apiErr(t, err); code != "ConflictException" || msg != "Unable to complete operation due to concurrent modification. Please try again later." {
		t.Errorf("CreateAuthorizer(unknown API) = %s %q", code, msg)
	}
}

// createCase is one CreateAuthorizer input and AWS's answer.
type createCase struct {
	name string
	in   apigateway.CreateAuthorizerInput
	// msg is the BadRequestException's message; "" means accepted.
	msg string
}

func TestCreateAuthorizerValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, _ := newAPI(t, e)
	const (
		msgURI   = "Invalid Authorizer URI: %s. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation."
		msgToken = "Invalid token source expression: %s. The source must be a method request header, matching 'method.request.header.[a-zA-Z0-9._-]+'"
	)
	f := func(format, v string) string { return strings.Replace(format, "%s", v, 1) }
	hdr := aws.String("method.request.header.Authorization")
	uri := aws.String(testAuthorizerURI)
	tests := []createCase{
		{name: "token", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, AuthorizerUri: uri, IdentitySource: hdr}},
		{name: "token without uri", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, IdentitySource: hdr}, msg: f(msgURI, "null")},
		{name: "token uri region placeholder", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, IdentitySource: hdr,
			AuthorizerUri: aws.String("arn:aws:apigateway:region:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:f/invocations")},
			msg: f(msgURI, "arn:aws:apigateway:region:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:f/invocations")},
		{name: "token uri not lambda", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, IdentitySource: hdr, AuthorizerUri: aws.String("https://example.com/auth")},
			msg: f(msgURI, "https://example.com/auth")},
		{name: "token uri with stage variable", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, IdentitySource: hdr,
			AuthorizerUri: aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations")}},
		{name: "token without source", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, AuthorizerUri: uri}, msg: f(msgToken, "null")},
		{name: "token with two sources", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, AuthorizerUri: uri, IdentitySource: aws.String("method.request.header.a, method.request.header.b")},
			msg: f(msgToken, "method.request.header.a, method.request.header.b")},
		{name: "token from query string", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, AuthorizerUri: uri, IdentitySource: aws.String("method.request.querystring.key")},
			msg: f(msgToken, "method.request.querystring.key")},
		{name: "token bad regexp", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, AuthorizerUri: uri, IdentitySource: hdr, IdentityValidationExpression: aws.String("(")},
			msg: "Invalid identity validation expression specified: ("},
		{name: "ttl above 3600", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, AuthorizerUri: uri, IdentitySource: hdr, AuthorizerResultTtlInSeconds: aws.Int32(3601)},
			msg: "Invalid authorizer result TTL specified: 3601. It must be between 0 and 3600 seconds"},
		{name: "ttl 3600", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, AuthorizerUri: uri, IdentitySource: hdr, AuthorizerResultTtlInSeconds: aws.Int32(3600)}},
		{name: "negative ttl", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, AuthorizerUri: uri, IdentitySource: hdr, AuthorizerResultTtlInSeconds: aws.Int32(-1)},
			msg: "Invalid authorizer result TTL specified: -1. It must be between 0 and 3600 seconds"},
		{name: "request sources", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeRequest, AuthorizerUri: uri,
			IdentitySource: aws.String("method.request.header.a, method.request.querystring.b,stageVariables.c, context.d")}},
		{name: "request without source, caching on", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeRequest, AuthorizerUri: uri},
			msg: "Identity source must be set if authorizer caching is enabled (TTL is greater than 0)"},
		{name: "request without source, caching off", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeRequest, AuthorizerUri: uri, AuthorizerResultTtlInSeconds: aws.Int32(0)}},
		{name: "request path parameter source", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeRequest, AuthorizerUri: uri, IdentitySource: aws.String("method.request.path.id")},
			msg: "Invalid identity source expression: method.request.path.id. The source must be a method request header or query string, a stage variable or a context variable"},
		{name: "cognito", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeCognitoUserPools, ProviderARNs: []string{testUserPool}, IdentitySource: hdr}},
		{name: "cognito without pools", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeCognitoUserPools, IdentitySource: hdr},
			msg: "Provider ARNs must be specified for a COGNITO_USER_POOLS authorizer"},
		{name: "cognito bad pool", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeCognitoUserPools, ProviderARNs: []string{"arn:aws:iam::123456789012:role/r"}, IdentitySource: hdr},
			msg: "Invalid provider ARN specified: arn:aws:iam::123456789012:role/r. It must be a Cognito user pool ARN"},
		{name: "bad credentials", in: apigateway.CreateAuthorizerInput{Type: types.AuthorizerTypeToken, AuthorizerUri: uri, IdentitySource: hdr, AuthorizerCredentials: aws.String("role")},
			msg: "Invalid ARN specified in the request"},
		// Every problem of one call at once, in the order of the fields.
		{name: "all at once", in: apigateway.CreateAuthorizerInput{Name: aws.String(" "), Type: types.AuthorizerTypeToken, AuthorizerResultTtlInSeconds: aws.Int32(4000)},
			msg: "Authorizer name must be non-empty " + f(msgURI, "null") + " Invalid authorizer result TTL specified: 4000. It must be between 0 and 3600 seconds " + f(msgToken, "null")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := tc.in
			in.RestApiId = &apiID
			if in.Name == nil {
				in.Name = aws.String(tc.name)
			}
			_, err := e.client.CreateAuthorizer(ctx(t), &in)
			if tc.msg == "" {
				if err != nil {
					t.Errorf("CreateAuthorizer(%s) = %v; want accepted", tc.name, err)
				}
				return
			}
			if code, msg := apiErr(t, err); code != "BadRequestException" || msg != tc.msg {
				t.Errorf("CreateAuthorizer(%s) = %s %q; want BadRequestException %q", tc.name, code, msg, tc.msg)
			}
		})
	}

	// The model's checks come first: a type outside the enum, a name absent.
	status, _, body := raw(t, e, http.MethodPost, "/restapis/"+apiID+"/authorizers", `{"name":"a","type":"JWT"}`)
	if status != http.StatusBadRequest || !strings.Contains(body["message"].(string), "'createAuthorizerInput.type' failed to satisfy constraint") {
		t.Errorf("CreateAuthorizer(type JWT) = %d %v; want the model's ValidationException", status, body)
	}
}

func TestUpdateAuthorizerValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, _ := newAPI(t, e)
	tok := tokenAuthorizer(t, e, apiID)
	pool := cognitoAuthorizer(t, e, apiID)
	op := func(o types.Op, path, v string) types.PatchOperation {
		return types.PatchOperation{Op: o, Path: aws.String(path), Value: aws.String(v)}
	}
	tests := []struct {
		name string
		id   string
		ops  []types.PatchOperation
		msg  string // "" means accepted
		// arns are the providerARNs after an accepted update.
		arns []string
	}{
		{name: "unknown path", id: tok, ops: []types.PatchOperation{op(types.OpReplace, "/id", "x")},
			msg: "Invalid patch path  '/id' specified for op 'replace'. Must be one of: " + authorizerPatchPaths},
		{name: "add a scalar", id: tok, ops: []types.PatchOperation{op(types.OpAdd, "/name", "x")},
			msg: "Invalid patch path  '/name' specified for op 'add'. Please choose supported operations"},
		{name: "ttl not a number", id: tok, ops: []types.PatchOperation{op(types.OpReplace, "/authorizerResultTtlInSeconds", "soon")},
			msg: "Invalid authorizer result TTL specified: soon. It must be a whole number of seconds"},
		{name: "problems of the result together", id: tok, ops: []types.PatchOperation{op(types.OpReplace, "/authorizerUri", "x"), op(types.OpReplace, "/identitySource", "")},
			msg: "Invalid Authorizer URI: x. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation. " +
				"Invalid token source expression: null. The source must be a method request header, matching 'method.request.header.[a-zA-Z0-9._-]+'"},
		{name: "type outside the enum", id: tok, ops: []types.PatchOperation{op(types.OpReplace, "/type", "JWT")},
			msg: "Invalid authorizer type specified: JWT. Valid options are TOKEN,REQUEST,COGNITO_USER_POOLS"},
		{name: "add a pool as the value", id: pool, ops: []types.PatchOperation{op(types.OpAdd, "/providerARNs", "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Second")},
			arns: []string{testUserPool, "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Second"}},
		{name: "remove a pool in the path", id: pool, ops: []types.PatchOperation{{Op: types.OpRemove, Path: aws.String("/providerARNs/arn:aws:cognito-idp:us-east-1:123456789012:userpool~1us-east-1_Second")}},
			arns: []string{testUserPool}},
		{name: "remove the last pool", id: pool, ops: []types.PatchOperation{{Op: types.OpRemove, Path: aws.String("/providerARNs/" + testUserPool)}},
			msg: "Provider ARNs must be specified for a COGNITO_USER_POOLS authorizer"},
		{name: "replace the pools", id: pool, ops: []types.PatchOperation{op(types.OpReplace, "/providerARNs", "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_A, "+testUserPool)},
			arns: []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_A", testUserPool}},
	}
	for _, tc := range tests { // in order: the pool cases build on each other
		out, err := e.client.UpdateAuthorizer(ctx(t), &apigateway.UpdateAuthorizerInput{RestApiId: &apiID, AuthorizerId: aws.String(tc.id), PatchOperations: tc.ops})
		if tc.msg == "" {
			if err != nil {
				t.Errorf("UpdateAuthorizer(%s) = %v; want accepted", tc.name, err)
			} else if !slices.Equal(out.ProviderARNs, tc.arns) {
				t.Errorf("UpdateAuthorizer(%s) providerARNs = %v; want %v", tc.name, out.ProviderARNs, tc.arns)
			}
			continue
		}
		if code, msg := apiErr(t, err); code != "BadRequestException" || msg != tc.msg {
			t.Errorf("UpdateAuthorizer(%s) = %s %q; want BadRequestException %q", tc.name, code, msg, tc.msg)
		}
	}
	// A refused update wrote nothing.
	got, err := e.client.GetAuthorizer(ctx(t), &apigateway.GetAuthorizerInput{RestApiId: &apiID, AuthorizerId: &tok})
	if err != nil || *got.AuthorizerUri != testAuthorizerURI || *got.Name != "tok" {
		t.Errorf("GetAuthorizer after refused updates = %+v, %v", got, err)
	}
}

func TestMethodAuthorizers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client
	apiID, rootID := newAPI(t, e)
	tok := tokenAuthorizer(t, e, apiID)
	pool := cognitoAuthorizer(t, e, apiID)
	child, err := c.CreateResource(ctx(t), &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: &rootID, PathPart: aws.String("test")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, verb, auth, authorizer string
		scopes                       []string
		ok                           bool
		wantScopes                   []string
	}{
		{name: "custom with token", verb: "GET", auth: "CUSTOM", authorizer: tok, scopes: []string{"read"}, ok: true},
		{name: "cognito with pool", verb: "POST", auth: "COGNITO_USER_POOLS", authorizer: pool, scopes: []string{"read"}, ok: true, wantScopes: []string{"read"}},
		{name: "custom unknown id", verb: "PUT", auth: "CUSTOM", authorizer: "abc123"},
		{name: "custom with pool", verb: "PUT", auth: "CUSTOM", authorizer: pool},
		{name: "cognito with token", verb: "PUT", auth: "COGNITO_USER_POOLS", authorizer: tok},
	}
	for _, tc := range tests {
		out, err := c.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: child.Id, HttpMethod: aws.String(tc.verb),
			AuthorizationType: aws.String(tc.auth), AuthorizerId: aws.String(tc.authorizer), AuthorizationScopes: tc.scopes})
		if !tc.ok {
			if code, msg := apiErr(t, err); code != "BadRequestException" || msg != msgAuthorizerRequired {
				t.Errorf("PutMethod(%s) = %s %q; want BadRequestException %q", tc.name, code, msg, msgAuthorizerRequired)
			}
			continue
		}
		if err != nil {
			t.Errorf("PutMethod(%s) = %v", tc.name, err)
			continue
		}
		if *out.AuthorizerId != tc.authorizer || !slices.Equal(out.AuthorizationScopes, tc.wantScopes) {
			t.Errorf("PutMethod(%s) = authorizer %v scopes %v; want %s %v", tc.name, *out.AuthorizerId, out.AuthorizationScopes, tc.authorizer, tc.wantScopes)
		}
	}

	// UpdateMethod: switching the type without the authorizer that fits is refused.
	_, err = c.UpdateMethod(ctx(t), &apigateway.UpdateMethodInput{RestApiId: &apiID, ResourceId: child.Id, HttpMethod: aws.String("GET"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/authorizationType"), Value: aws.String("COGNITO_USER_POOLS")}}})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != msgAuthorizerRequired {
		t.Errorf("UpdateMethod(CUSTOM → COGNITO with a TOKEN authorizer) = %s %q", code, msg)
	}
	upd, err := c.UpdateMethod(ctx(t), &apigateway.UpdateMethodInput{RestApiId: &apiID, ResourceId: child.Id, HttpMethod: aws.String("GET"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/authorizationType"), Value: aws.String("COGNITO_USER_POOLS")},
		{Op: types.OpReplace, Path: aws.String("/authorizerId"), Value: aws.String(pool)},
	}})
	if err != nil || *upd.AuthorizerId != pool {
		t.Fatalf("UpdateMethod(to COGNITO with the pool) = %+v, %v", upd, err)
	}

	// Deleting an authorizer a method uses: 409, naming it and the method.
	_, err = c.DeleteAuthorizer(ctx(t), &apigateway.DeleteAuthorizerInput{RestApiId: &apiID, AuthorizerId: &pool})
	if code, msg := apiErr(t, err); code != "ConflictException" || msg != "Cannot delete authorizer 'pool', is referenced in method: GET//test" {
		t.Errorf("DeleteAuthorizer(in use) = %s %q", code, msg)
	}
	for _, verb := range []string{"GET", "POST"} {
		if _, err := c.DeleteMethod(ctx(t), &apigateway.DeleteMethodInput{RestApiId: &apiID, ResourceId: child.Id, HttpMethod: aws.String(verb)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteAuthorizer(ctx(t), &apigateway.DeleteAuthorizerInput{RestApiId: &apiID, AuthorizerId: &pool}); err != nil {
		t.Errorf("DeleteAuthorizer(no longer used) = %v", err)
	}
	// A root method is "VERB//".
	if _, err := c.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("ANY"), AuthorizationType: aws.String("CUSTOM"), AuthorizerId: &tok}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteAuthorizer(ctx(t), &apigateway.DeleteAuthorizerInput{RestApiId: &apiID, AuthorizerId: &tok})
	if code, msg := apiErr(t, err); code != "ConflictException" || msg != "Cannot delete authorizer 'tok', is referenced in method: ANY//" {
		t.Errorf("DeleteAuthorizer(used by the root) = %s %q", code, msg)
	}
}

// fakeRuntime records what the authorizer operations ask of the data plane.
type fakeRuntime struct {
	mu       sync.Mutex
	flushed  []string
	invoked  []*model.Authorizer
	requests []*model.TestInvokeAuthorizerRequest
	err      error
}

var _ AuthorizerRuntime = (*fakeRuntime)(nil)

func (f *fakeRuntime) FlushStageAuthorizersCache(_ context.Context, apiID, stage string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushed = append(f.flushed, apiID+"/"+stage)
	return f.err
}

func (f *fakeRuntime) TestInvokeAuthorizer(_ context.Context, _ string, a *model.Authorizer, vars map[string]string, in *model.TestInvokeAuthorizerRequest) (*model.TestInvokeAuthorizerResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invoked = append(f.invoked, a)
	f.requests = append(f.requests, in)
	if f.err != nil {
		return nil, f.err
	}
	return &model.TestInvokeAuthorizerResponse{ClientStatus: 200, Log: "ok", Latency: 3, PrincipalID: "user-" + vars["who"],
		Policy: `{"Version":"2012-10-17"}`, Authorization: map[string][]string{"Authorization": {in.Headers["Authorization"]}}}, nil
}

func TestAuthorizerRuntime(t *testing.T) {
	t.Parallel()
	rt := &fakeRuntime{}
	e := newConfigEnv(t, func(c *Config) { c.Authorizers = rt })
	c := e.client
	apiID := e.stagedAPI(t, "prod")
	tok := tokenAuthorizer(t, e, apiID)

	status, _, body := raw(t, e, http.MethodDelete, "/restapis/"+apiID+"/stages/prod/cache/authorizers", "")
	if status != http.StatusAccepted || body != nil {
		t.Errorf("FlushStageAuthorizersCache = %d %v; want 202 and no body", status, body)
	}
	_, err := c.FlushStageAuthorizersCache(ctx(t), &apigateway.FlushStageAuthorizersCacheInput{RestApiId: &apiID, StageName: aws.String("nope")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid stage identifier specified" {
		t.Errorf("FlushStageAuthorizersCache(unknown stage) = %s %q", code, msg)
	}
	rt.mu.Lock()
	if !slices.Equal(rt.flushed, []string{apiID + "/prod"}) {
		t.Errorf("flushed = %v; want only %s/prod", rt.flushed, apiID)
	}
	rt.mu.Unlock()

	out, err := c.TestInvokeAuthorizer(ctx(t), &apigateway.TestInvokeAuthorizerInput{RestApiId: &apiID, AuthorizerId: &tok,
		Headers: map[string]string{"Authorization": "Bearer x"}, StageVariables: map[string]string{"who": "ann"}, PathWithQueryString: aws.String("/pets?a=1")})
	if err != nil {
		t.Fatalf("TestInvokeAuthorizer: %v", err)
	}
	if out.ClientStatus != 200 || *out.PrincipalId != "user-ann" || out.Authorization["Authorization"][0] != "Bearer x" || out.Latency != 3 {
		t.Errorf("TestInvokeAuthorizer = %+v", out)
	}
	rt.mu.Lock()
	if len(rt.invoked) != 1 || rt.invoked[0].ID != tok || rt.requests[0].PathWithQueryString != "/pets?a=1" {
		t.Errorf("runtime saw %+v %+v", rt.invoked, rt.requests)
	}
	rt.mu.Unlock()

	_, err = c.TestInvokeAuthorizer(ctx(t), &apigateway.TestInvokeAuthorizerInput{RestApiId: &apiID, AuthorizerId: aws.String("nope00")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid Authorizer identifier specified" {
		t.Errorf("TestInvokeAuthorizer(unknown) = %s %q", code, msg)
	}

	// A runtime's AWS-shaped refusal is passed on as it is.
	rt.mu.Lock()
	rt.err = awsjson.BadRequest("the function failed")
	rt.mu.Unlock()
	_, err = c.TestInvokeAuthorizer(ctx(t), &apigateway.TestInvokeAuthorizerInput{RestApiId: &apiID, AuthorizerId: &tok})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != "the function failed" {
		t.Errorf("TestInvokeAuthorizer(runtime refuses) = %s %q", code, msg)
	}
	rt.mu.Lock()
	rt.err = errors.New("boom")
	rt.mu.Unlock()
	status, _, _ = raw(t, e, http.MethodPost, "/restapis/"+apiID+"/authorizers/"+tok, `{}`)
	if status != http.StatusInternalServerError {
		t.Errorf("TestInvokeAuthorizer(runtime fails) = %d; want 500", status)
	}
}

func TestAuthorizerRuntimeUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.stagedAPI(t, "prod")
	tok := tokenAuthorizer(t, e, apiID)
	_, err := e.client.FlushStageAuthorizersCache(ctx(t), &apigateway.FlushStageAuthorizersCacheInput{RestApiId: &apiID, StageName: aws.String("prod")})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != ErrAuthorizerRuntimeUnavailable.Message {
		t.Errorf("FlushStageAuthorizersCache without a runtime = %s %q", code, msg)
	}
	_, err = e.client.TestInvokeAuthorizer(ctx(t), &apigateway.TestInvokeAuthorizerInput{RestApiId: &apiID, AuthorizerId: &tok})
	if code, msg := apiErr(t, err); code != "BadRequestException" || msg != ErrAuthorizerRuntimeUnavailable.Message {
		t.Errorf("TestInvokeAuthorizer without a runtime = %s %q", code, msg)
	}
}
