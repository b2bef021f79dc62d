// Package arn parses and builds Amazon Resource Names: the one place gatehouse reads or
// writes their text. A leaf library: it knows nothing of gateways.
package arn

import (
	"errors"
	"strings"
)

// ARN is an Amazon Resource Name split into its parts:
// arn:{Partition}:{Service}:{Region}:{AccountID}:{Resource}. Resource keeps its own
// separators ("function:name:alias", "user/alice", "abc123/prod/GET/pets").
type ARN struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	Resource  string
}

// Partition is the partition of the ARNs gatehouse writes.
const Partition = "aws"

// ErrMalformed is the error Parse returns for text that is not an ARN.
var ErrMalformed = errors.New("malformed ARN")

// Parse splits s into its parts. It requires the "arn" prefix, a partition, a service and
// a resource; region and account may be empty (IAM's and S3's ARNs have none).
func Parse(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, ErrMalformed
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}, nil
}

// IsARN reports whether s parses as an ARN.
func IsARN(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// String returns the ARN's text.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// ExecuteAPI returns a method's execute-api ARN, the resource execute-api:Invoke is
// evaluated on and the methodArn authorizers receive:
// arn:aws:execute-api:{region}:{account}:{apiID}/{stage}/{verb}{path}, where path is the
// resource path below the stage with its leading "/" ("/pets/{id}" as deployed for a
// method's ARN; the request's path for a request's).
func ExecuteAPI(region, account, apiID, stage, verb, path string) string {
	return "arn:aws:execute-api:" + region + ":" + account + ":" + apiID + "/" + stage + "/" + verb + path
}

// Method is what an execute-api ARN's resource names: {APIID}/{Stage}/{Verb}{Path}.
type Method struct {
	APIID string
	Stage string
	Verb  string // "GET", "*" in a policy's pattern; empty when the ARN stops at the stage
	Path  string // "/pets/42", with its leading "/"; empty when the ARN has none
}

// ParseExecuteAPI parses an execute-api ARN
// (arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/42): the ARN and the
// method it names. Only the API id is required: "abc123/*" and "abc123/prod" parse too.
func ParseExecuteAPI(s string) (ARN, Method, error) {
	a, err := Parse(s)
	if err != nil || a.Service != "execute-api" {
		return ARN{}, Method{}, ErrMalformed
	}
	var m Method
	rest := a.Resource
	m.APIID, rest, _ = strings.Cut(rest, "/")
	if m.APIID == "" {
		return ARN{}, Method{}, ErrMalformed
	}
	m.Stage, rest, _ = strings.Cut(rest, "/")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		m.Verb, m.Path = rest[:i], rest[i:]
	} else {
		m.Verb = rest
	}
	return a, m, nil
}

// Lambda returns the ARN of a Lambda function in the aws partition:
// arn:aws:lambda:{region}:{account}:function:{name}, name with ":qualifier" when it has one.
func Lambda(region, account, name string) string {
	return "arn:" + Partition + ":lambda:" + region + ":" + account + ":function:" + name
}

// IAMRoot returns the ARN of an account's root user, arn:aws:iam::{account}:root: in a
// policy's Principal, every principal of the account.
func IAMRoot(account string) string {
	return "arn:" + Partition + ":iam::" + account + ":root"
}

// IsAccountID reports whether s is an AWS account id: twelve decimal digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
