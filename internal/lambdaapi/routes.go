package lambdaapi

// routes lists every operation of the Lambda API at AWS's paths with AWS's URI labels
// (botocore's lambda 2015-03-31 service model).
func (s *Server) routes() {
	// Functions. The SDKs send the collection without a trailing slash, the aws CLI with one.
	s.handle("POST /2015-03-31/functions", maxCodeBody, s.CreateFunction)
	s.handle("POST /2015-03-31/functions/{$}", maxCodeBody, s.CreateFunction)
	s.handle("GET /2015-03-31/functions", maxBody, s.ListFunctions)
	s.handle("GET /2015-03-31/functions/{$}", maxBody, s.ListFunctions)
	s.handle("GET /2015-03-31/functions/{FunctionName}", maxBody, s.GetFunction)
	s.handle("DELETE /2015-03-31/functions/{FunctionName}", maxBody, s.DeleteFunction)
	s.handle("GET /2015-03-31/functions/{FunctionName}/configuration", maxBody, s.GetFunctionConfiguration)
	s.handle("PUT /2015-03-31/functions/{FunctionName}/configuration", maxBody, s.UpdateFunctionConfiguration)
	s.handle("PUT /2015-03-31/functions/{FunctionName}/code", maxCodeBody, s.UpdateFunctionCode)
	s.handle("GET /2015-03-31/functions/{FunctionName}/versions", maxBody, s.ListVersionsByFunction)
	s.handle("POST /2015-03-31/functions/{FunctionName}/versions", maxBody, s.PublishVersion)

	// Aliases.
	s.handle("GET /2015-03-31/functions/{FunctionName}/aliases", maxBody, s.ListAliases)
	s.handle("POST /2015-03-31/functions/{FunctionName}/aliases", maxBody, s.CreateAlias)
	s.handle("GET /2015-03-31/functions/{FunctionName}/aliases/{Name}", maxBody, s.GetAlias)
	s.handle("PUT /2015-03-31/functions/{FunctionName}/aliases/{Name}", maxBody, s.UpdateAlias)
	s.handle("DELETE /2015-03-31/functions/{FunctionName}/aliases/{Name}", maxBody, s.DeleteAlias)

	// Invocation.
	s.handle("POST /2015-03-31/functions/{FunctionName}/invocations", maxInvokeBody, s.Invoke)

	// The resource policy.
	s.handle("POST /2015-03-31/functions/{FunctionName}/policy", maxBody, s.AddPermission)
	s.handle("GET /2015-03-31/functions/{FunctionName}/policy", maxBody, s.GetPolicy)
	s.handle("DELETE /2015-03-31/functions/{FunctionName}/policy/{StatementId}", maxBody, s.RemovePermission)

	// Settings Terraform's aws_lambda_function reads back.
	s.handle("GET /2020-06-30/functions/{FunctionName}/code-signing-config", maxBody, s.GetFunctionCodeSigningConfig)
	s.handle("GET /2019-09-30/functions/{FunctionName}/concurrency", maxBody, s.GetFunctionConcurrency)
	s.handle("PUT /2017-10-31/functions/{FunctionName}/concurrency", maxBody, s.PutFunctionConcurrency)
	s.handle("DELETE /2017-10-31/functions/{FunctionName}/concurrency", maxBody, s.DeleteFunctionConcurrency)

	// Tags.
	s.handle("GET /2017-03-31/tags/{Resource}", maxBody, s.ListTags)
	s.handle("POST /2017-03-31/tags/{Resource}", maxBody, s.TagResource)
	s.handle("DELETE /2017-03-31/tags/{Resource}", maxBody, s.UntagResource)

	// Deployment packages, where GetFunction's Code.Location points (not signed).
	s.mux.HandleFunc("GET "+CodePath+"{file}", s.downloadCode)
}
