package iamapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	model "github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/iamapi"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/memory"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

const (
	account               = "123456789012"
	adminKey, adminSecret = "AKIAADMINTEST0000001", "admin-test-secret"
)

var testClient = &http.Client{Timeout: testwait.Patient}

// newServer serves the IAM API over a memory store; admin says whether admin credentials
// are configured (else development mode).
func newServer(t *testing.T, admin bool, st store.Store) string {
	t.Helper()
	if st == nil {
		m := memory.New()
		t.Cleanup(func() { m.Close() })
		st = m
	}
	cfg := iamapi.Config{Store: st, Scope: model.Scope{AccountID: account}, Region: "eu-west-1", Logger: slog.New(slog.DiscardHandler)}
	if admin {
		cfg.AdminKeys = map[string]string{adminKey: adminSecret}
	}
	srv := httptest.NewServer(iamapi.New(cfg))
	t.Cleanup(srv.Close)
	return srv.URL
}

func iamClient(url, key, secret string) *iam.Client {
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1, HTTPClient: testClient,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
}

func stsClient(url, key, secret string) *sts.Client {
	return sts.New(sts.Options{Region: "eu-west-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1, HTTPClient: testClient,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
}

// apiError returns err's AWS error code and HTTP status.
func apiError(t *testing.T, err error) (string, int, string) {
	t.Helper()
	var ae smithy.APIError
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("error = %v; want an AWS API error", err)
	}
	return ae.ErrorCode(), re.HTTPStatusCode(), ae.ErrorMessage()
}

func wantError(t *testing.T, what string, err error, code string, status int, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s = success; want %d %s", what, status, code)
	}
	gotCode, gotStatus, gotMessage := apiError(t, err)
	if gotCode != code || gotStatus != status || (message != "" && gotMessage != message) {
		t.Errorf("%s = %d %s %q; want %d %s %q", what, gotStatus, gotCode, gotMessage, status, code, message)
	}
}

// TestUserLifecycle drives a user through the real SDK client: created, read, listed, given
// two access keys (not a third) and an inline policy, refused deletion while it has either,
// then emptied and deleted.
func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	url := newServer(t, true, nil)
	c := iamClient(url, adminKey, adminSecret)
	ctx := t.Context()

	created, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/team/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}})
	if err != nil {
		t.Fatal(err)
	}
	u := created.User
	if aws.ToString(u.Arn) != "arn:aws:iam::123456789012:user/team/alice" || aws.ToString(u.Path) != "/team/" || !validID(aws.ToString(u.UserId), "AIDA", 17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") || u.CreateDate == nil {
		t.Errorf("CreateUser = %+v; want arn:aws:iam::123456789012:user/team/alice, an AIDA id and a date", u)
	}
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	wantError(t, "CreateUser ALICE beside alice", err, "EntityAlreadyExists", 409, "User with name ALICE already exists.")

	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("Alice")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.User.UserId) != aws.ToString(u.UserId) || aws.ToString(got.User.UserName) != "alice" || len(got.User.Tags) != 1 {
		t.Errorf("GetUser Alice = %+v; want alice as created, with its tag", got.User)
	}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Users) != 1 || aws.ToString(list.Users[0].UserName) != "alice" || !list.IsTruncated || aws.ToString(list.Marker) == "" {
		t.Fatalf("ListUsers MaxItems=1 = %d users, truncated %v marker %q; want alice and a marker", len(list.Users), list.IsTruncated, aws.ToString(list.Marker))
	}
	rest, err := c.ListUsers(ctx, &iam.ListUsersInput{Marker: list.Marker})
	if err != nil {
		t.Fatal(err)
	}
	if len(rest.Users) != 1 || aws.ToString(rest.Users[0].UserName) != "bob" || rest.IsTruncated {
		t.Errorf("ListUsers after the marker = %+v; want bob alone", rest.Users)
	}
	team, err := c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/team")})
	if err != nil || len(team.Users) != 1 {
		t.Errorf("ListUsers PathPrefix=/team = %v, %v; want alice alone", team, err)
	}

	var keys []string
	for range 2 {
		k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		ak := k.AccessKey
		if !validID(aws.ToString(ak.AccessKeyId), "AKIA", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") || len(aws.ToString(ak.SecretAccessKey)) != 40 || ak.Status != types.StatusTypeActive || aws.ToString(ak.UserName) != "alice" {
			t.Errorf("CreateAccessKey = %+v; want an active AKIA key with a 40-character secret", ak)
		}
		keys = append(keys, aws.ToString(ak.AccessKeyId))
	}
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	wantError(t, "a third CreateAccessKey", err, "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
	listed, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	var listedIDs []string
	for _, m := range listed.AccessKeyMetadata {
		listedIDs = append(listedIDs, aws.ToString(m.AccessKeyId))
	}
	if !slices.Equal(listedIDs, keys) {
		t.Errorf("ListAccessKeys = %v; want %v", listedIDs, keys)
	}

	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:a1b2c3/prod/GET/items+more"}]}`
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("invoke"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	pol, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("invoke")})
	if err != nil {
		t.Fatal(err)
	}
	if decoded, err := urlDecode(aws.ToString(pol.PolicyDocument)); err != nil || decoded != doc || strings.ContainsAny(aws.ToString(pol.PolicyDocument), "{+") {
		t.Errorf("GetUserPolicy document = %q (decoded %q, %v); want %s percent-encoded", aws.ToString(pol.PolicyDocument), decoded, err, doc)
	}
	names, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice")})
	if err != nil || !slices.Equal(names.PolicyNames, []string{"invoke"}) {
		t.Errorf("ListUserPolicies = %v, %v; want [invoke]", names, err)
	}
	groups, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")})
	if err != nil || len(groups.Groups) != 0 || groups.IsTruncated {
		t.Errorf("ListGroupsForUser = %+v, %v; want none, not truncated", groups, err)
	}
	attached, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("alice")})
	if err != nil || len(attached.AttachedPolicies) != 0 || attached.IsTruncated {
		t.Errorf("ListAttachedUserPolicies = %+v, %v; want none, not truncated", attached, err)
	}
	_, err = c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("nobody")})
	wantError(t, "ListGroupsForUser of an unknown user", err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")

	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantError(t, "DeleteUser with access keys", err, "DeleteConflict", 409, "Cannot delete entity, must delete access keys first.")
	for _, k := range keys {
		if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(keys[0])})
	wantError(t, "DeleteAccessKey twice", err, "NoSuchEntity", 404, "The Access Key with id "+keys[0]+" cannot be found.")
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantError(t, "DeleteUser with a policy", err, "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
	if _, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("invoke")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("invoke")})
	wantError(t, "GetUserPolicy after its deletion", err, "NoSuchEntity", 404, "The user policy with name invoke cannot be found.")
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) || aws.ToString(nse.Message) != "The user with name alice cannot be found." {
		t.Errorf("GetUser after DeleteUser = %v; want NoSuchEntityException \"The user with name alice cannot be found.\"", err)
	}
}

func validID(id, prefix string, n int, alphabet string) bool {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || len(rest) != n {
		return false
	}
	for _, c := range rest {
		if !strings.ContainsRune(alphabet, c) {
			return false
		}
	}
	return true
}

func urlDecode(s string) (string, error) { return url.PathUnescape(s) }

// TestCallers checks who each credential is: the admin keys are the account's root, an IAM
// user's active key is that user (for GetCallerIdentity and GetUser's caller), an inactive or
// unknown key or a wrong secret is refused with IAM's codes, and a user's key may not manage
// IAM.
func TestCallers(t *testing.T) {
	t.Parallel()
	url := newServer(t, true, nil)
	ctx := t.Context()
	admin := iamClient(url, adminKey, adminSecret)
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
	carol, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}

	root, err := stsClient(url, adminKey, adminSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(root.Arn) != "arn:aws:iam::123456789012:root" || aws.ToString(root.UserId) != account || aws.ToString(root.Account) != account {
		t.Errorf("GetCallerIdentity as the admin = %+v, %v; want the account's root", root, err)
	}
	me, err := stsClient(url, id, secret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(me.Arn) != "arn:aws:iam::123456789012:user/carol" || aws.ToString(me.UserId) != aws.ToString(carol.User.UserId) || aws.ToString(me.Account) != account {
		t.Errorf("GetCallerIdentity as carol = %+v, %v; want carol's ARN and id", me, err)
	}
	self, err := admin.GetUser(ctx, &iam.GetUserInput{})
	if err != nil || aws.ToString(self.User.Arn) != "arn:aws:iam::123456789012:root" || aws.ToString(self.User.UserId) != account {
		t.Errorf("GetUser without a name as the admin = %+v, %v; want the root", self, err)
	}

	_, err = iamClient(url, id, secret).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantError(t, "CreateUser with carol's key", err, "AccessDenied", 403,
		"User: arn:aws:iam::123456789012:user/carol is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/mallory because no identity-based policy allows the iam:CreateUser action")
	// With an inline policy, a user's key may do what it allows, and nothing it denies.
	const selfService = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:GetUser","iam:ListAccessKeys","iam:ListUsers"],"Resource":"arn:aws:iam::123456789012:user/${aws:username}"},
		{"Effect":"Deny","Action":"iam:ListAccessKeys","Resource":"*"}]}`
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("self"), PolicyDocument: aws.String(selfService)}); err != nil {
		t.Fatal(err)
	}
	asCarol := iamClient(url, id, secret)
	if me, err := asCarol.GetUser(ctx, &iam.GetUserInput{}); err != nil || aws.ToString(me.User.UserName) != "carol" {
		t.Errorf("GetUser without a name as carol, allowed by her policy = %+v, %v; want carol", me, err)
	}
	_, err = asCarol.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("admin-only")})
	wantError(t, "GetUser of another user as carol", err, "AccessDenied", 403,
		"User: arn:aws:iam::123456789012:user/carol is not authorized to perform: iam:GetUser on resource: arn:aws:iam::123456789012:user/admin-only because no identity-based policy allows the iam:GetUser action")
	_, err = asCarol.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	wantError(t, "ListAccessKeys as carol, allowed and denied", err, "AccessDenied", 403,
		"User: arn:aws:iam::123456789012:user/carol is not authorized to perform: iam:ListAccessKeys on resource: arn:aws:iam::123456789012:user/carol with an explicit deny in an identity-based policy")

	_, err = stsClient(url, id, "wrong-secret").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "GetCallerIdentity with a wrong secret", err, "SignatureDoesNotMatch", 403, "")
	_, err = stsClient(url, "AKIAUNKNOWNKEY000001", "x").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "GetCallerIdentity with an unknown key", err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")

	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("carol"), AccessKeyId: aws.String(id), Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	listed, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("carol")})
	if err != nil || len(listed.AccessKeyMetadata) != 1 || listed.AccessKeyMetadata[0].Status != types.StatusTypeInactive {
		t.Errorf("ListAccessKeys after UpdateAccessKey Inactive = %+v, %v; want the key Inactive", listed, err)
	}
	_, err = stsClient(url, id, secret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "GetCallerIdentity with an inactive key", err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")

	// Development mode: an unsigned call or an unknown key acts as the root; a user's key is
	// still verified and is still the user.
	dev := newServer(t, false, nil)
	devAdmin := iamClient(dev, "AKIAANYTHING00000001", "anything")
	if _, err := devAdmin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dave")}); err != nil {
		t.Fatal(err)
	}
	dk, err := devAdmin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dave")})
	if err != nil {
		t.Fatal(err)
	}
	dave, err := stsClient(dev, aws.ToString(dk.AccessKey.AccessKeyId), aws.ToString(dk.AccessKey.SecretAccessKey)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(dave.Arn) != "arn:aws:iam::123456789012:user/dave" {
		t.Errorf("GetCallerIdentity as dave in development mode = %+v, %v; want dave", dave, err)
	}
	_, err = stsClient(dev, aws.ToString(dk.AccessKey.AccessKeyId), "wrong").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "GetCallerIdentity with dave's key and a wrong secret in development mode", err, "SignatureDoesNotMatch", 403, "")
	if created := post(t, dev, "Action=CreateUser&Version=2010-05-08&UserName=untagged", http.StatusOK); strings.Contains(created, "<Tags") {
		t.Errorf("CreateUser without tags = %s; want no Tags element", created)
	}
	body := post(t, dev, "Action=GetCallerIdentity&Version=2011-06-15", http.StatusOK)
	if !strings.Contains(body, "<Arn>arn:aws:iam::123456789012:root</Arn>") || !strings.HasPrefix(body, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`) {
		t.Errorf("unsigned GetCallerIdentity in development mode = %s; want the root in STS's shape", body)
	}
	// Signed in the server's region rather than IAM's us-east-1: accepted.
	eu := iam.New(iam.Options{Region: "eu-west-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1, HTTPClient: testClient,
		Credentials: credentials.NewStaticCredentialsProvider(adminKey, adminSecret, "")})
	if _, err := eu.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("ListUsers signed for eu-west-1 (the server's region) = %v; want success", err)
	}
}

// post sends an unsigned query-protocol call and returns the body, checking the status.
func post(t *testing.T, url, form string, status int) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", url+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != "text/xml" || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("POST / %s = %d %q (request id %q) %s; want %d text/xml with a request id", form, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("x-amzn-RequestId"), b, status)
	}
	return string(b)
}

// TestErrors checks IAM's validation and errors on the wire: the XML error shape, codes,
// statuses and messages.
func TestErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t, false, nil)
	post(t, srv, "Action=CreateUser&Version=2010-05-08&UserName=erin", http.StatusOK)
	long := strings.Repeat("a", 65)
	tests := []struct {
		form    string
		status  int
		code    string
		message string
	}{
		{"Action=Frobnicate&Version=2010-05-08", 400, "InvalidAction", "Could not find operation Frobnicate for version 2010-05-08"},
		{"Action=CreateUser&Version=2009-01-01&UserName=x", 400, "InvalidAction", "Could not find operation CreateUser for version 2009-01-01"},
		{"Action=GetCallerIdentity&Version=2010-05-08", 400, "InvalidAction", "Could not find operation GetCallerIdentity for version 2010-05-08"},
		{"Action=CreateUser&Version=2010-05-08", 400, "ValidationError", "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{"Action=CreateUser&Version=2010-05-08&UserName=a+b&Path=team", 400, "ValidationError",
			`2 validation errors detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; Value 'team' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`},
		{"Action=CreateUser&Version=2010-05-08&UserName=" + long, 400, "ValidationError", "1 validation error detected: Value '" + long + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"Action=CreateUser&Version=2010-05-08&UserName=Erin", 409, "EntityAlreadyExists", "User with name Erin already exists."},
		{"Action=CreateUser&Version=2010-05-08&UserName=f&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=A&Tags.member.2.Value=2", 400, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"Action=GetUser&Version=2010-05-08&UserName=nobody", 404, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"Action=DeleteUser&Version=2010-05-08&UserName=nobody", 404, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"Action=CreateAccessKey&Version=2010-05-08&UserName=nobody", 404, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"Action=GetLoginProfile&Version=2010-05-08&UserName=erin", 404, "NoSuchEntity", "Login Profile for User erin cannot be found."},
		{"Action=PutUserPolicy&Version=2010-05-08&UserName=erin&PolicyName=p&PolicyDocument=not+json", 400, "MalformedPolicyDocument", "Syntax errors in policy."},
		{"Action=PutUserPolicy&Version=2010-05-08&UserName=erin&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}`), 400, "MalformedPolicyDocument", "Policy statement must contain actions."},
		{"Action=PutUserPolicy&Version=2010-05-08&UserName=erin&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}`), 400, "MalformedPolicyDocument", "Policy statement must contain resources."},
		{"Action=PutUserPolicy&Version=2010-05-08&UserName=erin&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`), 400, "MalformedPolicyDocument", "Policy document should not specify a principal."},
		{"Action=PutUserPolicy&Version=2010-05-08&UserName=erin&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Version":"2013-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`), 400, "MalformedPolicyDocument", "The policy failed legacy parsing"},
		{"Action=PutUserPolicy&Version=2010-05-08&UserName=erin&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::`+strings.Repeat("x", 2048)+`"}}`), 409, "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user erin"},
		{"Action=UpdateAccessKey&Version=2010-05-08&UserName=erin&AccessKeyId=AKIAAAAAAAAAAAAAAAAA&Status=Off", 400, "ValidationError", "1 validation error detected: Value 'Off' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"},
		{"Action=UpdateAccessKey&Version=2010-05-08&UserName=erin&AccessKeyId=AKIAAAAAAAAAAAAAAAAA&Status=Inactive", 404, "NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found."},
		{"Action=DeleteUserPolicy&Version=2010-05-08&UserName=erin&PolicyName=none", 404, "NoSuchEntity", "The user policy with name none cannot be found."},
		{"Action=CreateUser&Version=2010-05-08&UserName=%zz", 400, "MalformedQueryString", ""},
	}
	for _, tt := range tests {
		body := post(t, srv, tt.form, tt.status)
		typ := "Sender"
		want := `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>` + typ + `</Type><Code>` + tt.code + `</Code><Message>` + xmlEscape(tt.message) + `</Message></Error><RequestId>`
		if tt.message == "" {
			want = `<Code>` + tt.code + `</Code>`
		}
		if tt.code == "InvalidAction" && strings.Contains(tt.form, "GetCallerIdentity") {
			want = strings.Replace(want, "iam.amazonaws.com/doc/2010-05-08", "sts.amazonaws.com/doc/2011-06-15", 1)
		}
		if !strings.Contains(body, want) {
			t.Errorf("POST / %s = %s; want %s", tt.form, body, want)
		}
	}
	// A rejected call wrote nothing: erin has no policy.
	if body := post(t, srv, "Action=ListUserPolicies&Version=2010-05-08&UserName=erin", http.StatusOK); strings.Contains(body, "<member>") {
		t.Errorf("ListUserPolicies after refused puts = %s; want none", body)
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", `"`, "&#34;").Replace(s)
}

// panicStore panics on List: a failure of gatehouse's own becomes a 500 ServiceFailure.
type panicStore struct{ store.Store }

func (panicStore) List(context.Context, string) ([]store.KV, int64, error) { panic("boom") }

func TestPanicIsServiceFailure(t *testing.T) {
	t.Parallel()
	m := memory.New()
	t.Cleanup(func() { m.Close() })
	url := newServer(t, false, panicStore{m})
	body := post(t, url, "Action=ListUsers&Version=2010-05-08", http.StatusInternalServerError)
	if !strings.Contains(body, "<Type>Receiver</Type><Code>ServiceFailure</Code>") {
		t.Errorf("ListUsers over a panicking store = %s; want a Receiver ServiceFailure", body)
	}
}

// TestStoredLayout checks the documents the data plane reads (internal/iam's layout): a
// user created as "Mixed.Case" is at UserKey("Mixed.Case"), its key's document names it so,
// found as "mixed.case" by the API, and DeleteUser frees the name in every case.
func TestStoredLayout(t *testing.T) {
	t.Parallel()
	m := memory.New()
	t.Cleanup(func() { m.Close() })
	url := newServer(t, true, m)
	c := iamClient(url, adminKey, adminSecret)
	ctx := t.Context()
	scope := model.Scope{AccountID: account}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("Mixed.Case")}); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("mixed.case")})
	if err != nil {
		t.Fatal(err)
	}
	var key model.AccessKeyDocument
	if _, err := store.GetJSON(ctx, m, scope.AccessKeyKey(aws.ToString(k.AccessKey.AccessKeyId)), &key); err != nil || key.UserName != "Mixed.Case" || key.Status != model.StatusActive {
		t.Fatalf("stored access key = %+v, %v; want Mixed.Case's, active", key, err)
	}
	var user model.UserDocument
	if _, err := store.GetJSON(ctx, m, scope.UserKey(key.UserName), &user); err != nil || !slices.Equal(user.AccessKeyIDs, []string{key.AccessKeyID}) {
		t.Fatalf("stored user at UserKey(%q) = %+v, %v; want it with the key", key.UserName, user, err)
	}
	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("MIXED.CASE"), AccessKeyId: k.AccessKey.AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("mixed.CASE")}); err != nil {
		t.Fatal(err)
	}
	if kvs, _, err := m.List(ctx, scope.Prefix()); err != nil || len(kvs) != 0 {
		t.Errorf("after DeleteUser the account's IAM keys = %v, %v; want none", kvs, err)
	}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mixed.case")}); err != nil {
		t.Errorf("CreateUser mixed.case after Mixed.Case's deletion = %v; want success", err)
	}
}
