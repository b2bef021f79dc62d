// Command list-pets is the PetStore's GET /pets: a Lambda function for the provided.al2023
// runtime behind an AWS_PROXY integration, built by `gatehouse deploy` as `sam build` does.
package main

import (
	"context"
	"encoding/json"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// Pet is one pet of the store.
type Pet struct {
	ID    int     `json:"id"`
	Type  string  `json:"type"`
	Price float64 `json:"price"`
}

var pets = []Pet{{1, "dog", 249.99}, {2, "cat", 124.99}, {3, "fish", 0.99}}

func handler(_ context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	out := pets
	if t := req.QueryStringParameters["type"]; t != "" {
		out = nil
		for _, p := range pets {
			if p.Type == t {
				out = append(out, p)
			}
		}
	}
	if n, err := strconv.Atoi(req.QueryStringParameters["limit"]); err == nil && n >= 0 && n < len(out) {
		out = out[:n]
	}
	body, err := json.Marshal(map[string]any{"store": os.Getenv("STORE_NAME"), "pets": out})
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return events.APIGatewayProxyResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"},
		Body:       string(body),
	}, nil
}

func main() { lambda.Start(handler) }
