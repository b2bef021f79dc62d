package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway"
	"github.com/gatehouse/gatehouse/internal/gateway/integration"
	"github.com/gatehouse/gatehouse/internal/h1server"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store/bolt"
)

// serve runs both planes until ctx is done, then shuts down gracefully: the listeners stop
// accepting, in-flight requests get cfg.ShutdownTimeout to finish, the runtime state is
// closed (the in-process state writes its last quota counts) and then the store.
func serve(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	auth, err := newAuthenticator(cfg, log)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	st, err := bolt.Open(filepath.Join(cfg.DataDir, "gatehouse.db"))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()

	scope := apigateway.Scope{AccountID: cfg.AccountID, Region: cfg.Region}
	rs, err := openState(ctx, cfg, st, scope, log)
	if err != nil {
		return err
	}
	// Deferred after st.Close, so it runs before it: the last counts reach the store.
	defer func() {
		if err := rs.close(); err != nil {
			log.Error("runtime state not closed cleanly: the last quota counts may be lost", "err", err)
		}
	}()
	// The gateway, once it exists (late.go).
	authorizers, stageCache := new(lateAuthorizers), new(lateStageCache)
	admin := mgmt.New(mgmt.Config{Store: st, Scope: scope, Logger: log, Auth: auth, Usage: rs.state, AccountThrottle: cfg.accountThrottle(),
		Authorizers: authorizers, StageCache: stageCache})
	awsServices, err := awsServiceConfig(cfg, log)
	if err != nil {
		return err
	}
	lp, err := newLambdaPlane(cfg, st, auth, log)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, done := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer done()
		lp.close(closeCtx, log)
	}()
	gw := gateway.New(gateway.Config{Store: st, Scope: scope, Domain: cfg.Domain, Logger: log, AWSServices: awsServices, Lambda: lp.invoker,
		State: rs.state, StateFailure: rs.failure, AccountThrottle: cfg.accountThrottle(), AuthorizerCache: rs.authorizers,
		ResponseCache: rs.responses, RootCredentials: rootCredentials(auth), JWTIssuers: cfg.JWTIssuers.Map()})
	authorizers.set(gw)
	stageCache.set(gw)

	// Listen before anything runs, so that a taken port fails the start cleanly.
	dataLn, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen (data plane): %w", err)
	}
	adminLn, err := net.Listen("tcp", cfg.AdminListen)
	if err != nil {
		dataLn.Close()
		return fmt.Errorf("listen (management API): %w", err)
	}

	vpceLns := make([]net.Listener, 0, len(cfg.VPCEndpoints.entries))
	for _, e := range cfg.VPCEndpoints.entries {
		ln, err := net.Listen("tcp", e.Addr)
		if err != nil {
			dataLn.Close()
			adminLn.Close()
			for _, l := range vpceLns {
				l.Close()
			}
			return fmt.Errorf("listen (VPC endpoint %s): %w", e.VPCE, err)
		}
		vpceLns = append(vpceLns, ln)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 4+len(vpceLns))
	go func() { errc <- gw.Run(ctx) }()
	waitState := rs.start(ctx, errc)

	// The data plane is served by h1server, a lean HTTP/1.1 server (API Gateway's clients
	// speak HTTP/1.1 to it; TLS and HTTP/2 belong to a front proxy here): net/http's
	// per-request background read and response header copy cost a third of a proxied
	// request's CPU (docs/performance.md). The management API keeps net/http.
	// Both bound slow and idle clients (docs/guide.md, "limits and timeouts"); a chunk
	// larger than the data plane's payload limit is refused as soon as it is announced.
	dataServer := func(h http.Handler) *h1server.Server {
		return &h1server.Server{Handler: h,
			ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadBodyTimeout: cfg.ReadBodyTimeout, WriteTimeout: cfg.WriteTimeout,
			IdleTimeout: cfg.IdleTimeout, MaxHeaderBytes: cfg.MaxHeaderBytes, MaxChunkSize: integration.MaxPayload,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	}
	dataSrv := dataServer(gw)
	// Each --vpce listener serves the data plane as that VPC endpoint (private APIs).
	vpceSrvs := make([]*h1server.Server, len(vpceLns))
	for i, e := range cfg.VPCEndpoints.entries {
		vpceSrvs[i] = dataServer(gw.Handler(e.VPCE, e.VPC))
	}
	adminSrv := &http.Server{Handler: adminLimits(adminHandler(admin, lp.api, newIAMAPI(cfg, st, auth, log)), cfg.AdminMaxBodyBytes, cfg.ReadBodyTimeout, cfg.AdminRequestTimeout),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadTimeout: cfg.AdminRequestTimeout, WriteTimeout: cfg.AdminRequestTimeout,
		IdleTimeout: cfg.IdleTimeout, MaxHeaderBytes: cfg.MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { errc <- serveHTTP(dataSrv, dataLn) }()
	go func() { errc <- serveHTTP(adminSrv, adminLn) }()
	for i, srv := range vpceSrvs {
		go func() { errc <- serveHTTP(srv, vpceLns[i]) }()
		log.Info("VPC endpoint listener", "url", displayURL(vpceLns[i].Addr()), "vpce", cfg.VPCEndpoints.entries[i].VPCE, "vpc", cfg.VPCEndpoints.entries[i].VPC)
	}

	dataURL := displayURL(dataLn.Addr())
	adminURL := displayURL(adminLn.Addr())
	log.Info("gatehouse started", "data_plane", dataURL, "management_api", adminURL, "data_dir", cfg.DataDir, "account", cfg.AccountID, "region", cfg.Region, "domain", cfg.Domain)

	if cfg.Demo {
		// The demo is written through an unauthenticated in-process management server: the
		// operator asked for it on the command line.
		seeder := mgmt.New(mgmt.Config{Store: st, Scope: scope, Logger: log, Usage: rs.state, AccountThrottle: cfg.accountThrottle()})
		if err := seedDemo(ctx, seeder, dataURL, cfg, stdout); err != nil {
			log.Error("demo API not created", "err", err)
		}
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	case runErr = <-errc:
		log.Error("stopping after a failure", "err", runErr)
	}
	shutdownCtx, done := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer done()
	if err := dataSrv.Shutdown(shutdownCtx); err != nil {
		log.Warn("data plane did not drain in time", "err", err)
	}
	for i, srv := range vpceSrvs {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Warn("VPC endpoint listener did not drain in time", "vpce", cfg.VPCEndpoints.entries[i].VPCE, "err", err)
		}
	}
	if err := adminSrv.Shutdown(shutdownCtx); err != nil {
		log.Warn("management API did not drain in time", "err", err)
	}
	cancel()
	waitState() // its loop has ended before the deferred close writes the last counts
	return runErr
}

// serveHTTP serves until the server is shut down; a shutdown is not an error.
func serveHTTP(srv interface{ Serve(net.Listener) error }, ln net.Listener) error {
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// displayURL is the http URL a user on this machine reaches a listener at: a wildcard
// address (":8080" listens on [::]) is shown as localhost.
func displayURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// awsServiceConfig reads --aws-credentials and --aws-endpoint for AWS service integrations.
func awsServiceConfig(cfg config, log *slog.Logger) (integration.AWSServiceConfig, error) {
	c := integration.AWSServiceConfig{Endpoints: cfg.AWSEndpoints.Map()}
	if cfg.AWSCredentials != "" {
		f, err := os.Open(cfg.AWSCredentials)
		if err != nil {
			return c, fmt.Errorf("aws credentials: %w", err)
		}
		defer f.Close()
		if c.Credentials, err = integration.ParseAWSCredentials(f); err != nil {
			return c, fmt.Errorf("aws credentials %s: %w", cfg.AWSCredentials, err)
		}
	}
	if c.Credentials != nil || len(c.Endpoints) > 0 {
		log.Info("AWS service integrations configured", "credential_profiles", c.Credentials.Profiles(), "endpoints", cfg.AWSEndpoints.String())
	}
	return c, nil
}
