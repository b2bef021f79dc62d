package sigv4

import (
	"maps"
	"strings"
	"testing"
)

func TestParseCredentialsFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr []string // substrings the error must contain, in order
	}{
		{
			name: "profiles, comments and other keys",
			in: "\ufeff# shared credentials\n" +
				"[default]\n" +
				"aws_access_key_id = AKIDDEFAULT\n" +
				"aws_secret_access_key=secret/default+1\n" +
				"; another comment\n" +
				"\n" +
				"[ admin ]\n" +
				"AWS_Access_Key_ID   =   AKIDADMIN   # inline comment\n" +
				"aws_secret_access_key = secret-admin ; inline\n" +
				"aws_session_token = ignored\n" +
				"region = eu-west-1\n" +
				"s3 =\n" +
				"  max_concurrent_requests = 10\n" +
				"  aws_access_key_id = nested-is-not-a-key\n" +
				"[role]\n" +
				"role_arn = arn:aws:iam::123456789012:role/x\n" +
				"source_profile = default\n" +
				"[same-key-again]\n" +
				"aws_access_key_id = AKIDDEFAULT\n" +
				"aws_secret_access_key = secret/default+1\n",
			want: map[string]string{"AKIDDEFAULT": "secret/default+1", "AKIDADMIN": "secret-admin"},
		},
		{
			name: "secret with a hash not after whitespace",
			in:   "[p]\naws_access_key_id=AKID\naws_secret_access_key=a#b;c\n",
			want: map[string]string{"AKID": "a#b;c"},
		},
		{
			name:    "empty file",
			in:      "",
			wantErr: []string{"no profile has both aws_access_key_id and aws_secret_access_key"},
		},
		{
			name:    "only comments and a role profile",
			in:      "# nothing\n[role]\nrole_arn = x\n",
			wantErr: []string{"no profile has both"},
		},
		{
			name: "every problem with its line",
			in: "aws_access_key_id = early\n" + // 1
				"[half]\n" + // 2
				"aws_access_key_id = AKIDHALF\n" + // 3
				"[other-half]\n" + // 4
				"aws_secret_access_key = lonely\n" + // 5
				"[ok]\n" + // 6
				"aws_access_key_id = AKIDOK\n" + // 7
				"aws_secret_access_key = s1\n" + // 8
				"aws_secret_access_key = s2\n" + // 9
				"garbage line\n" + // 10
				"[ok]\n" + // 11
				"[clash]\n" + // 12
				"aws_access_key_id = AKIDOK\n" + // 13
				"aws_secret_access_key = different\n" + // 14
				"[broken\n" + // 15
				"[]\n", // 16
			wantErr: []string{
				"line 1: aws_access_key_id outside a profile",
				`line 2: profile "half": missing aws_secret_access_key`,
				`line 4: profile "other-half": missing aws_access_key_id`,
				`line 9: profile "ok": aws_secret_access_key repeated (first at line 8)`,
				`line 10: expected [profile] or key = value, got "garbage line"`,
				`line 11: profile "ok" repeated (first at line 6)`,
				`line 13: profile "clash": access key id AKIDOK has another secret in profile "ok"`,
				`line 15: malformed profile header "[broken"`,
				"line 16: empty profile name",
			},
		},
		{
			name:    "empty secret counts as missing",
			in:      "[p]\naws_access_key_id = AKID\naws_secret_access_key =\n",
			wantErr: []string{`line 1: profile "p": missing aws_secret_access_key`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCredentialsFile(strings.NewReader(tt.in))
			if tt.wantErr == nil {
				if err != nil || !maps.Equal(got, tt.want) {
					t.Fatalf("ParseCredentialsFile = %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseCredentialsFile = %v; want error", got)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "parse credentials file: ") {
				t.Errorf("error %q does not name the operation", msg)
			}
			rest := msg
			for _, w := range tt.wantErr {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error\n%s\ndoes not contain (in order) %q", msg, w)
				}
				rest = rest[i+len(w):]
			}
			if n := strings.Count(msg, "\n") + 1; n != len(tt.wantErr) {
				t.Errorf("error reports %d problems; want %d:\n%s", n, len(tt.wantErr), msg)
			}
		})
	}
}

func FuzzParseCredentialsFile(f *testing.F) {
	f.Add("[default]\naws_access_key_id = A\naws_secret_access_key = B\n")
	f.Add("[a]\naws_access_key_id=A # c\n  nested = 1\n[a]\n;x\n")
	f.Add("\ufeffkey = value\n[\n")
	f.Fuzz(func(t *testing.T, in string) {
		creds, err := ParseCredentialsFile(strings.NewReader(in))
		if err == nil && len(creds) == 0 {
			t.Fatalf("ParseCredentialsFile(%q) = empty map without error", in)
		}
		for k, v := range creds {
			if k == "" || v == "" {
				t.Fatalf("ParseCredentialsFile(%q) has an empty half: %q = %q", in, k, v)
			}
		}
	})
}
