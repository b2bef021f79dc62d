package mgmt

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// testClient is the tests' HTTP client: a call that gets no answer fails the test instead of
// hanging it.
var testClient = &http.Client{Timeout: testwait.Patient}

// testAccount is the account id the tests' management servers run as.
const testAccount = "123456789012"

// env is a management server on a real socket, driven by the real aws-sdk-go-v2 client.
type env struct {
	client *apigateway.Client
	store  store.Store
	scope  model.Scope
	url    string
}

// newEnv starts a management server over an in-memory store.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newConfigEnv(t, nil)
}

// apiErr returns the AWS error code and message of err, failing the test if err is not an
// AWS API error.
func apiErr(t *testing.T, err error) (code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

// ctx returns a context for one test.
func ctx(t *testing.T) context.Context { return t.Context() }
