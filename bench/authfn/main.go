// Command authfn is the TOKEN authorizer of bench/run.sh's gatehouse-authz variant: the
// token "allow" gets a policy allowing the whole API, anything else is "Unauthorized". Its
// answer is cached for the authorizer's TTL, so a run measures the cached path.
package main

import (
	"errors"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(e events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
		if e.AuthorizationToken != "allow" {
			return events.APIGatewayCustomAuthorizerResponse{}, errors.New("Unauthorized")
		}
		api, _, _ := strings.Cut(e.MethodArn, "/")
		return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "bench",
			PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17",
				Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{api + "/*"}}}},
		}, nil
	})
}
