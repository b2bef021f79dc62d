// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests,
// the way AWS services other than S3 do, so that the aws CLI, boto3, the AWS
// SDKs and Terraform can call gatehouse's management API with their usual
// credentials. It accepts the Authorization header form and the presigned
// query form, and reports failures as *Error values carrying AWS's error
// type, status and message.
//
// The canonical request follows
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// and is checked against AWS's signing test suite and aws-sdk-go-v2's signer.
//
// ParseCredentialsFile reads an AWS shared-credentials file into the access
// key id → secret map a Verifier's Credentials function can serve.
//
// The package is a leaf: it imports nothing from gatehouse.
package sigv4
