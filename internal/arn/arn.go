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
