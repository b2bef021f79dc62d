package main

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// TestLoadConfigJWTIssuers: --jwt-issuer repeats, the environment and the file give
// comma-separated entries (flags > environment > file, as for every setting), and every
// malformed entry is reported.
func TestLoadConfigJWTIssuers(t *testing.T) {
	t.Parallel()
	const (
		pool1 = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"
		pool2 = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_local"
	)
	file := filepath.Join(t.TempDir(), "gatehouse.json")
	if err := os.WriteFile(file, []byte(`{"jwt-issuer": "`+pool2+`=https://idp.example/realms/x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args    []string
		env     map[string]string
		want    map[string]string
		wantErr []string
	}{
		{want: nil},
		{args: []string{"--jwt-issuer", pool1 + "=http://127.0.0.1:9000/pool", "--jwt-issuer", pool2 + "=https://idp.example"},
			env:  map[string]string{"GATEHOUSE_JWT_ISSUER": pool1 + "=http://ignored"},
			want: map[string]string{pool1: "http://127.0.0.1:9000/pool", pool2: "https://idp.example"}},
		{env: map[string]string{"GATEHOUSE_JWT_ISSUER": pool1 + "=http://127.0.0.1:9000, " + pool2 + "=https://idp.example/"},
			want: map[string]string{pool1: "http://127.0.0.1:9000", pool2: "https://idp.example/"}},
		{args: []string{"--config", file}, want: map[string]string{pool2: "https://idp.example/realms/x"}},
		{args: []string{"--config", file}, env: map[string]string{"GATEHOUSE_JWT_ISSUER": pool1 + "=http://e"}, want: map[string]string{pool1: "http://e"}},
		{args: []string{
			"--jwt-issuer", pool1,
			"--jwt-issuer", "arn:aws:cognito-idp:us-east-1:123:userpool/x=http://x",
			"--jwt-issuer", "arn:aws:iam::123456789012:user/bob=http://x",
			"--jwt-issuer", pool2 + "=ftp://x",
			"--jwt-issuer", pool2 + "=http://x?q=1",
			"--jwt-issuer", pool2 + "=http://x",
			"--jwt-issuer", "=http://x",
		}, wantErr: []string{
			`"` + pool1 + `" is not ARN=URL`,
			`"arn:aws:cognito-idp:us-east-1:123:userpool/x" is not a user pool ARN`,
			`"arn:aws:iam::123456789012:user/bob" is not a user pool ARN`,
			pool2 + `: "ftp://x" is not an issuer URL`,
			pool2 + `: "http://x?q=1" is not an issuer URL`,
			pool2 + " given twice",
			`"=http://x" is not ARN=URL`,
		}},
	}
	for _, tt := range tests {
		cfg, ok := loadConfigCase(t, tt.args, tt.env, tt.wantErr)
		if !ok {
			continue
		}
		if got := cfg.JWTIssuers.Map(); !maps.Equal(got, tt.want) {
			t.Errorf("loadConfig(%q, %v) issuers = %v; want %v", tt.args, tt.env, got, tt.want)
		}
	}
}
