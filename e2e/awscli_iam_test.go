package e2e

import (
	"path/filepath"
	"testing"
)

// TestAWSCLIIAM drives the IAM and STS API with the real aws CLI as a user would, signed
// with the admin credentials (the account's root): a user with a tag, an access key, an
// inline policy put from a file, the lists, sts get-caller-identity with the user's own key
// (its ARN), IAM's refusals (a third key, deleting a user that still has keys or policies,
// a malformed policy, an unknown user), then everything deleted.
func TestAWSCLIIAM(t *testing.T) {
	t.Parallel()
	const rootKey, rootSecret = "AKIAE2EIAMROOTKEY001", "e2e-iam-root-secret"
	dir := t.TempDir()
	creds := filepath.Join(dir, "admin-credentials")
	writeFile(t, creds, "[default]\naws_access_key_id = "+rootKey+"\naws_secret_access_key = "+rootSecret+"\n")
	g := startGatehouse(t, options{credentials: creds, args: []string{"--account-id", "123456789012"}})
	iam := newAWSCLI(t, g.AdminURL, rootKey, rootSecret)
	iam.service = "iam"
	policy := filepath.Join(dir, "policy.json")
	writeFile(t, policy, `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:us-east-1:123456789012:*/prod/GET/*"}]
}`)
	bad := filepath.Join(dir, "bad.json")
	writeFile(t, bad, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*"}]}`)
	v := vars{"policy": policy, "bad": bad}

	runScript(t, iam, v, []cliStep{
		{name: "create-user",
			args: []string{"create-user", "--user-name", "ci-deployer", "--path", "/ci/", "--tags", "Key=team,Value=platform"},
			want: fields{"User.UserName": "ci-deployer", "User.Path": "/ci/", "User.Arn": "arn:aws:iam::123456789012:user/ci/ci-deployer", "User.Tags.0.Key": "team"},
			save: map[string]string{"userid": "User.UserId"}},
		{name: "create-user again", args: []string{"create-user", "--user-name", "CI-Deployer"},
			wantErr: "EntityAlreadyExists", wantMsg: "User with name CI-Deployer already exists."},
		{name: "get-user", args: []string{"get-user", "--user-name", "ci-deployer"},
			want: fields{"User.UserId": "<userid>", "User.Arn": "arn:aws:iam::123456789012:user/ci/ci-deployer"}},
		{name: "get-user without a name is the root", args: []string{"get-user"},
			want: fields{"User.Arn": "arn:aws:iam::123456789012:root", "User.UserId": "123456789012"}},
		{name: "list-users", args: []string{"list-users"},
			want: fields{"Users.#": 1, "Users.0.UserName": "ci-deployer"}},
		{name: "create-access-key", args: []string{"create-access-key", "--user-name", "ci-deployer"},
			want: fields{"AccessKey.UserName": "ci-deployer", "AccessKey.Status": "Active"},
			save: map[string]string{"key": "AccessKey.AccessKeyId", "secret": "AccessKey.SecretAccessKey"}},
		{name: "create-access-key a second", args: []string{"create-access-key", "--user-name", "ci-deployer"},
			save: map[string]string{"key2": "AccessKey.AccessKeyId"}},
		{name: "create-access-key a third", args: []string{"create-access-key", "--user-name", "ci-deployer"},
			wantErr: "LimitExceeded", wantMsg: "Cannot exceed quota for AccessKeysPerUser: 2"},
		{name: "update-access-key", args: []string{"update-access-key", "--user-name", "ci-deployer", "--access-key-id", "<key2>", "--status", "Inactive"}},
		{name: "list-access-keys", args: []string{"list-access-keys", "--user-name", "ci-deployer"},
			want: fields{"AccessKeyMetadata.#": 2, "AccessKeyMetadata.0.AccessKeyId": "<key>", "AccessKeyMetadata.1.Status": "Inactive", "AccessKeyMetadata.0.SecretAccessKey": absent}},
		{name: "put-user-policy", args: []string{"put-user-policy", "--user-name", "ci-deployer", "--policy-name", "invoke-prod", "--policy-document", "file://<policy>"}},
		{name: "put-user-policy malformed", args: []string{"put-user-policy", "--user-name", "ci-deployer", "--policy-name", "bad", "--policy-document", "file://<bad>"},
			wantErr: "MalformedPolicyDocument", wantMsg: "Policy statement must contain resources."},
		{name: "get-user-policy", args: []string{"get-user-policy", "--user-name", "ci-deployer", "--policy-name", "invoke-prod"},
			// The CLI decodes IAM's percent-encoded document into JSON.
			want: fields{"UserName": "ci-deployer", "PolicyName": "invoke-prod", "PolicyDocument.Statement.0.Action": "execute-api:Invoke"}},
		{name: "list-user-policies", args: []string{"list-user-policies", "--user-name", "ci-deployer"},
			want: fields{"PolicyNames.#": 1, "PolicyNames.0": "invoke-prod"}},
		{name: "the user's own key: sts get-caller-identity", do: func(t *testing.T, v vars) {
			sts := newAWSCLI(t, g.AdminURL, v["key"], v["secret"])
			sts.service = "sts"
			runScript(t, sts, v, []cliStep{{name: "get-caller-identity", args: []string{"get-caller-identity"},
				want: fields{"Arn": "arn:aws:iam::123456789012:user/ci/ci-deployer", "UserId": "<userid>", "Account": "123456789012"}}})
			self := newAWSCLI(t, g.AdminURL, v["key"], v["secret"])
			self.service = "iam"
			runScript(t, self, v, []cliStep{{name: "create-user with the user's key", args: []string{"create-user", "--user-name", "intruder"},
				wantErr: "AccessDenied", wantMsg: "User: arn:aws:iam::123456789012:user/ci/ci-deployer is not authorized to perform: iam:CreateUser"}})
		}},
		{name: "delete-user with keys", args: []string{"delete-user", "--user-name", "ci-deployer"},
			wantErr: "DeleteConflict", wantMsg: "Cannot delete entity, must delete access keys first."},
		{name: "delete-access-key", args: []string{"delete-access-key", "--user-name", "ci-deployer", "--access-key-id", "<key>"}},
		{name: "delete-access-key the second", args: []string{"delete-access-key", "--user-name", "ci-deployer", "--access-key-id", "<key2>"}},
		{name: "delete-user with a policy", args: []string{"delete-user", "--user-name", "ci-deployer"},
			wantErr: "DeleteConflict", wantMsg: "Cannot delete entity, must delete policies first."},
		{name: "delete-user-policy", args: []string{"delete-user-policy", "--user-name", "ci-deployer", "--policy-name", "invoke-prod"}},
		{name: "delete-user", args: []string{"delete-user", "--user-name", "ci-deployer"}},
		{name: "get-user after delete-user", args: []string{"get-user", "--user-name", "ci-deployer"},
			wantErr: "NoSuchEntity", wantMsg: "The user with name ci-deployer cannot be found."},
		{name: "list-users is empty", args: []string{"list-users"}, want: fields{"Users.#": 0}},
	})
	g.expectNoErrorLogs()
}
