// Command fn is the function of the Lambda end-to-end tests: an ordinary Go Lambda built with
// aws-lambda-go, as it runs on AWS. Behind an AWS_PROXY integration it answers with what it
// was asked; invoked directly it echoes its event.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var req events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &req); err != nil || req.HTTPMethod == "" {
		return map[string]any{"function": lambdacontext.FunctionName, "event": raw, "greeting": os.Getenv("GREETING")}, nil
	}
	body, _ := json.Marshal(map[string]any{
		"function": lambdacontext.FunctionName,
		"greeting": os.Getenv("GREETING"),
		"method":   req.HTTPMethod,
		"path":     req.Path,
		"resource": req.Resource,
		"name":     req.QueryStringParameters["name"],
	})
	return events.APIGatewayProxyResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json", "X-Function": lambdacontext.FunctionName},
		Body:       string(body),
	}, nil
}

func main() { lambda.Start(handle) }
