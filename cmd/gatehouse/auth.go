package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/gatehouse/gatehouse/internal/lambdaapi"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// newAuthenticator returns the management API's authenticator: SigV4 against the keys of
// --admin-credentials, or nil (any signature accepted) when none are configured, which the
// configuration allows only on a loopback address.
func newAuthenticator(cfg config, log *slog.Logger) (mgmt.Authenticator, error) {
	if cfg.AdminCredentials == "" {
		log.Warn("management API accepts any signature: no --admin-credentials configured (development mode, loopback only)", "admin_listen", cfg.AdminListen)
		return nil, nil
	}
	f, err := os.Open(cfg.AdminCredentials)
	if err != nil {
		return nil, fmt.Errorf("admin credentials: %w", err)
	}
	defer f.Close()
	keys, err := sigv4.ParseCredentialsFile(f)
	if err != nil {
		return nil, fmt.Errorf("admin credentials %s: %w", cfg.AdminCredentials, err)
	}
	log.Info("management API verifies SigV4", "keys", len(keys), "region", cfg.Region)
	return &sigv4Auth{keys: keys, v: &sigv4.Verifier{
		Credentials: func(id string) (string, bool) { s, ok := keys[id]; return s, ok },
		Region:      cfg.Region,
		Service:     serviceAPIGateway,
	}}, nil
}

// The SigV4 signing names of the two APIs on the management listener, as the SDKs sign them
// (botocore's signingName: "apigateway"; Lambda's endpointPrefix "lambda"). A credential
// scoped to any other service is refused as AWS refuses it: InvalidSignatureException,
// "Credential should be scoped to correct service: 'apigateway'. " (sigv4.Verifier).
const (
	serviceAPIGateway = "apigateway"
	serviceLambda     = "lambda"
)

// lambdaAuthenticator is the Lambda API's view of the management authenticator: the same
// keys and region, the credential scope's service "lambda", its failures left as
// *sigv4.Error for the Lambda API to render in Lambda's shape.
func lambdaAuthenticator(auth mgmt.Authenticator) lambdaapi.Authenticator {
	a, ok := auth.(*sigv4Auth)
	if !ok {
		return nil
	}
	v := *a.v
	v.Service = serviceLambda
	return lambdaapi.AuthFunc(func(r *http.Request, body []byte) error {
		_, err := v.Verify(r, body)
		return err
	})
}

// sigv4Auth adapts the SigV4 verifier to the management plane, rendering its failures as
// AWS renders them.
// keys are the admin credentials, which the IAM API (iam.go) also checks, as the root's.
type sigv4Auth struct {
	v    *sigv4.Verifier
	keys map[string]string
}

func (a *sigv4Auth) Authenticate(r *http.Request, body []byte) error {
	_, err := a.v.Verify(r, body)
	var se *sigv4.Error
	if errors.As(err, &se) {
		return &awsjson.Error{Status: se.Status, Type: se.Code, Message: se.Message}
	}
	return err
}
