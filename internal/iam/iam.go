// Package iam is the model of the identities gatehouse's small IAM API manages and the
// data plane's AWS_IAM authorization reads: users, their access keys and their inline
// policies, with IAM's JSON names, their stored documents and the key layout. No I/O.
package iam

import (
	"strings"
	"time"
)

// User is IAM's User shape.
type User struct {
	Path       string            `json:"Path"`
	UserName   string            `json:"UserName"`
	UserID     string            `json:"UserId"` // "AIDA" + 17 characters of [A-Z0-9]
	ARN        string            `json:"Arn"`    // arn:aws:iam::{account}:user{path}{name}
	CreateDate time.Time         `json:"CreateDate"`
	Tags       map[string]string `json:"Tags,omitempty"`
}

// UserDocument is one user as stored, with its inline policies (PutUserPolicy) by name,
// each the policy document's JSON text as given (URL-decoded), and the ids of its access
// keys (at most two, IAM's quota), so that DeleteUser and CreateAccessKey decide on the
// user's document alone, in one transaction with the key's.
type UserDocument struct {
	User
	Policies     map[string]string `json:"Policies,omitempty"`
	AccessKeyIDs []string          `json:"AccessKeyIds,omitempty"`
}

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// AccessKeyDocument is one access key as stored. Only CreateAccessKey shows the secret.
type AccessKeyDocument struct {
	AccessKeyID     string    `json:"AccessKeyId"` // "AKIA" + 16 characters of [A-Z2-7]
	SecretAccessKey string    `json:"SecretAccessKey"`
	UserName        string    `json:"UserName"`
	Status          string    `json:"Status"`
	CreateDate      time.Time `json:"CreateDate"`
}

// Scope is the account whose identities a key names. IAM is global: no region.
type Scope struct{ AccountID string }

func (s Scope) prefix() string { return s.AccountID + "/global/iam/" }

// Prefix covers every IAM document of the account: what the data plane follows.
func (s Scope) Prefix() string { return s.prefix() }

// UserPrefix is the prefix of the account's UserDocuments.
func (s Scope) UserPrefix() string { return s.prefix() + "users/" }

// UserKey is the key of the UserDocument of the named user. IAM's names are unique without
// regard to case ("Bob" and "bob" cannot both exist, and GetUser finds "Bob" as "BOB"), so
// the key holds the name in lower case; the document keeps it as created.
func (s Scope) UserKey(name string) string { return s.UserPrefix() + strings.ToLower(name) }

// AccessKeyPrefix is the prefix of the account's AccessKeyDocuments.
func (s Scope) AccessKeyPrefix() string { return s.prefix() + "accesskeys/" }

// AccessKeyKey is the key of the AccessKeyDocument with the given access key id.
func (s Scope) AccessKeyKey(id string) string { return s.AccessKeyPrefix() + id }

// RootARN is the account root's ARN: the admin credentials (--admin-credentials) act as it.
func (s Scope) RootARN() string { return "arn:aws:iam::" + s.AccountID + ":root" }
