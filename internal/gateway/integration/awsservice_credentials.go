package integration

import (
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// AWSCredentials are the keys AWS service integrations sign with, read from an AWS
// shared-credentials file. An integration whose credentials is a role ARN signs with the
// profile named after that ARN; any other integration (another role, or none) with
// [default]:
//
//	[arn:aws:iam::123456789012:role/apigateway-sqs]
//	aws_access_key_id = AKIAIOSFODNN7EXAMPLE
//	aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
//
//	[default]
//	aws_access_key_id = AKIAI44QH8DHBEXAMPLE
//	aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
//	aws_session_token = optional, for temporary keys
//
// gatehouse does not call STS: the keys are used as they are, whatever role they stand for.
type AWSCredentials struct {
	profiles map[string]aws.Credentials
}

// Lookup returns the keys for an integration's credentials role ARN ("" when it has none):
// the profile named after it, else [default]; ok is false when neither exists. A nil
// *AWSCredentials has none.
func (c *AWSCredentials) Lookup(role string) (creds aws.Credentials, ok bool) {
	if c == nil {
		return aws.Credentials{}, false
	}
	if role != "" {
		if creds, ok = c.profiles[role]; ok {
			return creds, true
		}
	}
	creds, ok = c.profiles["default"]
	return creds, ok
}

// Profiles returns how many profiles have keys.
func (c *AWSCredentials) Profiles() int {
	if c == nil {
		return 0
	}
	return len(c.profiles)
}

// ParseAWSCredentials reads a shared-credentials file with sigv4.ParseProfiles: [profile]
// headers, then aws_access_key_id, aws_secret_access_key and (optionally)
// aws_session_token. Every problem is reported with its line number, all at once.
func ParseAWSCredentials(r io.Reader) (*AWSCredentials, error) {
	profiles, err := sigv4.ParseProfiles(r)
	if err != nil {
		return nil, fmt.Errorf("parse AWS credentials: %w", err)
	}
	out := &AWSCredentials{profiles: make(map[string]aws.Credentials, len(profiles))}
	for _, p := range profiles {
		out.profiles[p.Name] = aws.Credentials{
			AccessKeyID:     p.AccessKeyID,
			SecretAccessKey: p.SecretAccessKey,
			SessionToken:    p.SessionToken,
			Source:          "gatehouse --aws-credentials [" + p.Name + "]",
		}
	}
	return out, nil
}
