// Package e2e tests gatehouse end to end: the real gatehouse binary, driven by the tools its
// users drive it with (the aws CLI, Terraform's AWS provider, aws-sdk-go-v2) and called over
// real sockets. It has no code of its own; the tests build the binary once per run.
//
// Run: go test ./e2e (the aws CLI, terraform and the AWS provider in /opt/tf-plugins must be
// installed, as on every machine of the project; add -v to see each step).
package e2e
