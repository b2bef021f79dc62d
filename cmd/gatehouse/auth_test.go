package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/lambda"
	"github.com/gatehouse/gatehouse/internal/lambdaapi"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store/memory"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

const testKeyID, testSecret = "AKIAAUTHTEST00000001", "auth-test-secret"

// authTestClient bounds each call of these tests, so that a hung server fails the call.
var authTestClient = &http.Client{Timeout: testwait.Patient}

// signAs is an SDK signer that puts another service, or region, in the credential scope than
// the client's own: what a misconfigured client or a credential meant for another API sends.
type signAs struct {
	service, region string // "" keeps the client's
}

func (s signAs) SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, t time.Time, opts ...func(*v4.SignerOptions)) error {
	if s.service != "" {
		service = s.service
	}
	if s.region != "" {
		region = s.region
	}
	return v4.NewSigner().SignHTTP(ctx, creds, r, payloadHash, service, region, t, opts...)
}

// adminServer is the management listener's handler with SigV4 on, over a memory store.
func adminServer(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(file, []byte("[default]\naws_access_key_id = "+testKeyID+"\naws_secret_access_key = "+testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	auth, err := newAuthenticator(config{AdminCredentials: file, Region: "us-east-1"}, log)
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	code, err := lambda.NewCodeStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	apigw := mgmt.New(mgmt.Config{Store: st, Scope: model.Scope{AccountID: "123456789012", Region: "us-east-1"}, Auth: auth, Logger: log})
	la := lambdaapi.New(lambdaapi.Config{
		Registry: lambda.NewRegistry(st, lambda.Scope{AccountID: "123456789012", Region: "us-east-1"}, nil),
		Code:     code, Logger: log, Auth: lambdaAuthenticator(auth),
	})
	ia := newIAMAPI(config{AccountID: "123456789012", Region: "us-east-1"}, st, auth, log)
	srv := httptest.NewServer(adminHandler(apigw, la, ia))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAdminAuthScope checks that each API on the management listener accepts only credentials
// scoped to its own service and gatehouse's region, with AWS's error type, status and words,
// through the real SDK clients.
func TestAdminAuthScope(t *testing.T) {
	t.Parallel()
	url := adminServer(t)
	creds := credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "")
	tests := []struct {
		name    string
		signer  signAs
		api     string // "apigateway", "lambda", "iam" or "sts"
		wantErr string // "" for success; else the message of a 403 InvalidSignatureException (SignatureDoesNotMatch for iam and sts)
	}{
		{"apigateway signed for apigateway", signAs{}, "apigateway", ""},
		{"apigateway signed for lambda", signAs{service: "lambda"}, "apigateway", "Credential should be scoped to correct service: 'apigateway'. "},
		{"apigateway signed for s3", signAs{service: "s3"}, "apigateway", "Credential should be scoped to correct service: 'apigateway'. "},
		{"apigateway signed for execute-api", signAs{service: "execute-api"}, "apigateway", "Credential should be scoped to correct service: 'apigateway'. "},
		{"apigateway signed in another region", signAs{region: "eu-west-1"}, "apigateway", "Credential should be scoped to a valid region, not 'eu-west-1'. "},
		{"lambda signed for lambda", signAs{}, "lambda", ""},
		{"lambda signed for apigateway", signAs{service: "apigateway"}, "lambda", "Credential should be scoped to correct service: 'lambda'. "},
		{"lambda signed for s3", signAs{service: "s3"}, "lambda", "Credential should be scoped to correct service: 'lambda'. "},
		{"lambda signed in another region", signAs{region: "eu-west-1"}, "lambda", "Credential should be scoped to a valid region, not 'eu-west-1'. "},
		{"iam signed for iam", signAs{}, "iam", ""},
		{"iam signed for apigateway", signAs{service: "apigateway"}, "iam", "Credential should be scoped to correct service: 'iam'. "},
		{"iam signed for sts", signAs{service: "sts"}, "iam", "Credential should be scoped to correct service: 'iam'. "},
		{"iam signed in another region", signAs{region: "eu-west-1"}, "iam", "Credential should be scoped to a valid region. "},
		{"sts signed for sts", signAs{}, "sts", ""},
		{"sts signed for iam", signAs{service: "iam"}, "sts", "Credential should be scoped to correct service: 'sts'. "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var err error
			switch tt.api {
			case "apigateway":
				c := apigateway.New(apigateway.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds, RetryMaxAttempts: 1, HTTPSignerV4: tt.signer, HTTPClient: authTestClient})
				_, err = c.GetRestApis(t.Context(), &apigateway.GetRestApisInput{})
			case "lambda":
				c := awslambda.New(awslambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds, RetryMaxAttempts: 1, HTTPSignerV4: tt.signer, HTTPClient: authTestClient})
				_, err = c.ListFunctions(t.Context(), &awslambda.ListFunctionsInput{})
			case "iam":
				c := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds, RetryMaxAttempts: 1, HTTPSignerV4: tt.signer, HTTPClient: authTestClient})
				_, err = c.ListUsers(t.Context(), &iam.ListUsersInput{})
			case "sts":
				c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds, RetryMaxAttempts: 1, HTTPSignerV4: tt.signer, HTTPClient: authTestClient})
				_, err = c.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("%s call = %v; want success", tt.api, err)
				}
				return
			}
			var ae smithy.APIError
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &ae) || !errors.As(err, &re) {
				t.Fatalf("%s call = %v; want an AWS API error", tt.api, err)
			}
			wantCode := "InvalidSignatureException"
			if tt.api == "iam" || tt.api == "sts" {
				wantCode = "SignatureDoesNotMatch" // the query protocol's name for it
			}
			if ae.ErrorCode() != wantCode || re.HTTPStatusCode() != http.StatusForbidden || ae.ErrorMessage() != tt.wantErr {
				t.Errorf("%s call = %d %s %q; want 403 %s %q", tt.api, re.HTTPStatusCode(), ae.ErrorCode(), ae.ErrorMessage(), wantCode, tt.wantErr)
			}
		})
	}
}

// TestAdminAuthScopeRaw sends raw requests signed for another service, and checks the wire:
// status, x-amzn-ErrorType and the body's message, trailing space included.
func TestAdminAuthScopeRaw(t *testing.T) {
	t.Parallel()
	url := adminServer(t)
	tests := []struct {
		path, service, want string
	}{
		{"/restapis", "s3", `{"message":"Credential should be scoped to correct service: 'apigateway'. "}`},
		{"/2015-03-31/functions/", "s3", `"Credential should be scoped to correct service: 'lambda'. "`},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(t.Context(), "GET", url+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
		if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", tt.service, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := authTestClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		_, _ = io.Copy(&body, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-Errortype") != "InvalidSignatureException" || !strings.Contains(body.String(), tt.want) {
			t.Errorf("GET %s signed for %s = %d %s %s; want 403 InvalidSignatureException with %s", tt.path, tt.service, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body.String(), tt.want)
		}
	}
}
