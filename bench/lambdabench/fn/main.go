// Command fn is the Lambda function the Lambda benchmark calls: it answers every API Gateway
// proxy event at once, so that the time of a call is gatehouse's and the transport's.
package main

import (
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(e events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "ok " + e.RequestContext.RequestID}, nil
	})
}
