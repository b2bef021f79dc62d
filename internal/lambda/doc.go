// Package lambda holds gatehouse's Lambda functions: the registry of function documents in
// the store (AWS's FunctionConfiguration, the resource policy, tags, reserved concurrency),
// the durable store of their deployment packages (code.go), the Runtime that runs local
// functions as processes behind a Lambda Runtime API (runtime.go, pool.go): a custom
// runtime's bootstrap, or for AWS's managed runtimes (python3.x, nodejs*.x) the machine's
// interpreter running a bootstrap script embedded from runtimes/ (managed_runtime.go, the
// one table of them), and the Invoker
// the data plane calls (invoker.go), which runs a local function on the Runtime or invokes a
// function elsewhere through the AWS SDK's Lambda client.
//
// Errors callers outside this package detect by behaviour rather than by import (the data
// plane may not import this package): every error wrapping ErrFunctionNotFound has a method
// FunctionNotFound() bool, and every error wrapping ErrAccessDenied a method
// AccessDenied() bool, both returning true:
//
//	var nf interface{ FunctionNotFound() bool }
//	if errors.As(err, &nf) && nf.FunctionNotFound() { ... }
package lambda
