package e2e

import (
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestTerraformIAM applies testdata/terraform-iam (aws_caller_identity, aws_iam_user with a
// path and a tag, aws_iam_access_key, aws_iam_user_policy) with the real Terraform and AWS
// provider, signed with the admin credentials: the provider's own STS call finds the root
// of gatehouse's account, the new key signs as the new user, a second plan finds nothing to
// change, and destroy removes it all.
func TestTerraformIAM(t *testing.T) {
	t.Parallel()
	const rootKey, rootSecret = "AKIAE2ETERRAFORMIAM1", "e2e-terraform-iam-secret"
	creds := filepath.Join(t.TempDir(), "admin-credentials")
	writeFile(t, creds, "[default]\naws_access_key_id = "+rootKey+"\naws_secret_access_key = "+rootSecret+"\n")
	g := startGatehouse(t, options{credentials: creds, args: []string{"--account-id", "210987654321"}})
	internet := newRecordingProxy(t)
	tf := newTerraform(t, internet.URL, "terraform-iam")
	vars := []string{"-var", "endpoint=" + g.AdminURL}

	tf.run(t, append([]string{"apply", "-auto-approve", "-input=false"}, vars...)...)
	out := tf.outputs(t)
	if out["account_id"] != "210987654321" || out["caller_arn"] != "arn:aws:iam::210987654321:root" {
		t.Errorf("aws_caller_identity = %s %s; want the account 210987654321 and its root", out["account_id"], out["caller_arn"])
	}
	if out["user_arn"] != "arn:aws:iam::210987654321:user/e2e/e2e-invoker" || out["access_key_id"] == "" || out["secret_access_key"] == "" {
		t.Fatalf("outputs = user %s key %s; want the user's ARN and a key", out["user_arn"], out["access_key_id"])
	}

	ctx := t.Context()
	userCreds := credentials.NewStaticCredentialsProvider(out["access_key_id"], out["secret_access_key"], "")
	me, err := sts.New(sts.Options{Region: testRegion, BaseEndpoint: aws.String(g.AdminURL), Credentials: userCreds, RetryMaxAttempts: 1}).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(me.Arn) != out["user_arn"] || aws.ToString(me.UserId) != out["user_id"] {
		t.Errorf("GetCallerIdentity with the Terraform-made key = %+v, %v; want %s", me, err, out["user_arn"])
	}
	root := iam.New(iam.Options{Region: testRegion, BaseEndpoint: aws.String(g.AdminURL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(rootKey, rootSecret, "")})
	pol, err := root.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("e2e-invoker"), PolicyName: aws.String("invoke-prod")})
	if err != nil || pol.PolicyDocument == nil {
		t.Errorf("GetUserPolicy invoke-prod = %v, %v; want the policy Terraform put", pol, err)
	}

	t.Run("a second plan has nothing to change", func(t *testing.T) {
		out, code := tf.exec(t, append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars...)...)
		if code != 0 {
			t.Errorf("terraform plan -detailed-exitcode: exit status %d; want 0 (no changes):\n%s", code, planSummary(out))
		}
	})

	tf.run(t, append([]string{"destroy", "-auto-approve", "-input=false"}, vars...)...)
	users, err := root.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil || len(users.Users) != 0 {
		t.Errorf("ListUsers after destroy = %v, %v; want none", users, err)
	}
	if hosts := internet.hosts(); len(hosts) > 0 {
		t.Errorf("Terraform tried to reach the internet: %v", hosts)
	}
	g.expectNoErrorLogs()
}
