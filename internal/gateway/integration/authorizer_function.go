package integration

import "fmt"

// AuthorizerFunction returns the function ARN (or name) a Lambda authorizer's
// authorizerUri names on a stage with vars: the URI has the form of a Lambda
// integration's (arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn}/invocations),
// stage variables substituted (${stageVariables.name}).
func AuthorizerFunction(uri string, vars map[string]string) (string, error) {
	sub, missing := substituteStageVariables(uri, vars)
	fn, err := lambdaFunction(sub)
	if err != nil {
		return "", err
	}
	if missing != "" {
		return "", fmt.Errorf("authorizer uri %q: stage variable %q is not set on this stage", uri, missing)
	}
	return fn, nil
}
