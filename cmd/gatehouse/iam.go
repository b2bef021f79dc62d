package main

import (
	"log/slog"

	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/iamapi"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store"
)

// newIAMAPI returns the IAM and STS API of the management listener: the admin credentials
// (when configured) act as the account's root, IAM users sign with their own keys.
func newIAMAPI(cfg config, st store.Store, auth mgmt.Authenticator, log *slog.Logger) *iamapi.Server {
	var keys map[string]string
	if a, ok := auth.(*sigv4Auth); ok {
		keys = a.keys
	}
	return iamapi.New(iamapi.Config{
		Store: st, Scope: iam.Scope{AccountID: cfg.AccountID}, AdminKeys: keys, Region: cfg.Region, Logger: log,
	})
}
