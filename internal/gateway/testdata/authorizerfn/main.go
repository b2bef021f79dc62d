// Command authorizerfn is the Lambda authorizer of the gateway's tests: a custom-runtime
// bootstrap built with aws-lambda-go. It answers TOKEN and REQUEST events by the token (the
// authorizationToken, or the REQUEST event's Authorization header):
//
//	allow, allow-*  Allow on every method of the API's stages, with a context
//	deny            Deny on every method
//	other           Allow on another API only (no Allow matches: implicit deny)
//	unauthorized    the error "Unauthorized"
//	fail            another error
//	garbage         an answer without a policy
//	object          a context value that is an object
//	echo            Allow, the event as the context value "event"
//	key-*           Allow, with usageIdentifierKey the rest of the token
//
// Each call appends a line to the file $CALLS names, so that tests count calls.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func policy(effect, resource string) events.APIGatewayCustomAuthorizerPolicy {
	return events.APIGatewayCustomAuthorizerPolicy{
		Version: "2012-10-17",
		Statement: []events.IAMPolicyStatement{{
			Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{resource},
		}},
	}
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	var token, methodARN string
	if head.Type == "TOKEN" {
		var e events.APIGatewayCustomAuthorizerRequest
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, err
		}
		token, methodARN = e.AuthorizationToken, e.MethodArn
	} else {
		var e events.APIGatewayCustomAuthorizerRequestTypeRequest
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, err
		}
		token, methodARN = e.Headers["Authorization"], e.MethodArn
		if token == "" {
			token = e.QueryStringParameters["token"]
		}
	}
	if f := os.Getenv("CALLS"); f != "" {
		fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fh.WriteString(token + "\n")
			fh.Close()
		}
	}
	// arn:aws:execute-api:{region}:{account}:{api}/{stage}/{verb}/{path}
	api, _, _ := strings.Cut(methodARN, "/")
	everything := api + "/*"
	switch {
	case token == "unauthorized":
		return nil, errors.New("Unauthorized")
	case token == "fail":
		return nil, errors.New("boom")
	case token == "garbage":
		return map[string]any{"principalId": "u"}, nil
	case token == "object":
		return map[string]any{"principalId": "u", "policyDocument": policy("Allow", everything), "context": map[string]any{"o": map[string]any{}}}, nil
	case token == "deny":
		return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "user-deny", PolicyDocument: policy("Deny", everything)}, nil
	case token == "other":
		return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "user-other", PolicyDocument: policy("Allow", "arn:aws:execute-api:us-east-1:123456789012:otherapi/*")}, nil
	case token == "echo":
		return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "user-echo", PolicyDocument: policy("Allow", everything),
			Context: map[string]any{"event": string(raw)}}, nil
	case strings.HasPrefix(token, "key-"):
		return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "user-key", PolicyDocument: policy("Allow", everything),
			UsageIdentifierKey: strings.TrimPrefix(token, "key-")}, nil
	case token == "allow" || strings.HasPrefix(token, "allow-"):
		// A raw answer, so that the context's key order is the function's.
		return json.RawMessage(`{"principalId":"user-` + token + `","policyDocument":` + mustJSON(policy("Allow", everything)) +
			`,"context":{"name":"alice","count":42,"admin":true,"nothing":null}}`), nil
	}
	return nil, errors.New("Unauthorized")
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func main() { lambda.Start(handle) }
