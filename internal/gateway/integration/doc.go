// Package integration calls what a REST API method integrates with. Each integration is
// compiled once per stage into an invoke.Handler, the last step of the stage's pipeline;
// gateway's newIntegration is the one switch on the integration type:
//
//   - MOCK (mock.go): no backend; the request template's statusCode selects the
//     integration response.
//   - HTTP_PROXY and HTTP (http.go): an HTTP backend, as a proxy or with mapped requests
//     and responses.
//   - AWS_PROXY (lambda.go, lambda_event.go, lambda_response.go): a Lambda function, called
//     with the proxy event and answering with a proxy response.
//   - AWS: a Lambda function with mapped requests and responses (lambda.go) when the URI
//     names one, else an AWS service action or path, signed with SigV4 (awsservice.go,
//     awsservice_credentials.go).
//
// What they share: parameter mappings and the one parser of mapping expressions
// (params.go, mappingexpr.go), integration responses, their selection and content
// handling (response.go), URIs with their stage variables and path placeholders (uri.go),
// reading a backend's answer within AWS's payload limit (payload.go), and the HTTP/1.1
// client to backends (h1/). Failures are returned as the invoke.Failure values of
// invoke/failure.go; only the gateway renders them.
package integration
