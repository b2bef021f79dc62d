package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/gatehouse/gatehouse/internal/iamapi"
	"github.com/gatehouse/gatehouse/internal/lambda"
	"github.com/gatehouse/gatehouse/internal/lambdaapi"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store"
)

// lambdaPlane is the Lambda side of gatehouse: the function registry and code store, the
// Runtime running local functions, the Invoker the data plane calls, and the Lambda API.
type lambdaPlane struct {
	runtime *lambda.Runtime
	invoker *lambda.Invoker
	api     *lambdaapi.Server
}

// newLambdaPlane builds the Lambda side from the configuration; close releases it.
func newLambdaPlane(cfg config, st store.Store, auth mgmt.Authenticator, log *slog.Logger) (*lambdaPlane, error) {
	scope := lambda.Scope{AccountID: cfg.AccountID, Region: cfg.Region}
	code, err := lambda.NewCodeStore(filepath.Join(cfg.DataDir, "lambda", "code"))
	if err != nil {
		return nil, err
	}
	registry := lambda.NewRegistry(st, scope, nil)
	// Before serving: remove the packages a crash left that no function names.
	if n, err := code.Sweep(context.Background(), registry); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("removed lambda code no function uses", "entries", n)
	}
	ic := lambda.InvokerConfig{
		Registry:          registry,
		Code:              code,
		RemoteEndpoint:    cfg.LambdaEndpoint,
		StrictPermissions: cfg.StrictPermissions,
		Logger:            log,
	}
	if cfg.LambdaCredentials != "" {
		if ic.RemoteCredentials, err = lambda.LoadCredentialsFile(cfg.LambdaCredentials); err != nil {
			return nil, fmt.Errorf("lambda-credentials: %w", err)
		}
	}
	rt, err := lambda.NewRuntime(lambda.RuntimeConfig{Region: cfg.Region, AccountID: cfg.AccountID, Logger: log,
		Interpreters: cfg.LambdaRuntimes.Map(), RuntimeDir: filepath.Join(cfg.DataDir, "lambda", "runtime")})
	if err != nil {
		return nil, fmt.Errorf("start the lambda runtime: %w", err)
	}
	ic.Runner = rt
	inv := lambda.NewInvoker(ic)
	api := lambdaapi.New(lambdaapi.Config{
		Registry: ic.Registry, Code: code, Invoker: inv, Logger: log,
		Auth: lambdaAuthenticator(auth), LocalCodeRoot: cfg.LambdaLocalCodeRoot,
	})
	if cfg.LambdaEndpoint != "" {
		log.Info("functions of other accounts and regions are invoked remotely", "lambda_endpoint", cfg.LambdaEndpoint, "signed", ic.RemoteCredentials != nil)
	}
	return &lambdaPlane{runtime: rt, invoker: inv, api: api}, nil
}

// close waits for Event invocations, then stops every function process.
func (p *lambdaPlane) close(ctx context.Context, log *slog.Logger) {
	if err := p.invoker.Close(ctx); err != nil {
		log.Warn("asynchronous lambda invocations did not finish in time", "err", err)
	}
	if err := p.runtime.Close(ctx); err != nil {
		log.Warn("lambda processes did not stop in time", "err", err)
	}
}

// adminHandler serves the management listener: the IAM and STS query API at POST /, the
// Lambda API at its dated paths, the apigateway API at every other.
func adminHandler(apigw, lambdaAPI, iamAPI http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if iamapi.Handles(r) {
			iamAPI.ServeHTTP(w, r)
			return
		}
		if lambdaapi.Handles(r.URL.Path) {
			lambdaAPI.ServeHTTP(w, r)
			return
		}
		apigw.ServeHTTP(w, r)
	})
}
