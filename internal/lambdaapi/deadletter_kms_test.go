package lambdaapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestDeadLetterConfigAndKMSKey: DeadLetterConfig and KMSKeyArn given at CreateFunction or
// UpdateFunctionConfiguration are answered back by GetFunctionConfiguration (Terraform's
// aws_lambda_function reads both and plans a change for ever otherwise); "" removes them;
// a value outside the model's ARN pattern is a ValidationException.
func TestDeadLetterConfigAndKMSKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	in := createInput("dlq", smallZip)
	in.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:us-east-1:123456789012:dlq")}
	in.KMSKeyArn = aws.String("arn:aws:kms:us-east-1:123456789012:key/k1")
	if _, err := e.client.CreateFunction(ctx, in); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	get := func() *lambdasdk.GetFunctionConfigurationOutput {
		t.Helper()
		out, err := e.client.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String("dlq")})
		if err != nil {
			t.Fatalf("GetFunctionConfiguration: %v", err)
		}
		return out
	}
	if c := get(); c.DeadLetterConfig == nil || aws.ToString(c.DeadLetterConfig.TargetArn) != "arn:aws:sqs:us-east-1:123456789012:dlq" || aws.ToString(c.KMSKeyArn) != "arn:aws:kms:us-east-1:123456789012:key/k1" {
		t.Errorf("GetFunctionConfiguration = DLQ %+v, KMS %q; want the create's", c.DeadLetterConfig, aws.ToString(c.KMSKeyArn))
	}
	if _, err := e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String("dlq"),
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sns:us-east-1:123456789012:topic")}}); err != nil {
		t.Fatalf("UpdateFunctionConfiguration: %v", err)
	}
	if c := get(); aws.ToString(c.DeadLetterConfig.TargetArn) != "arn:aws:sns:us-east-1:123456789012:topic" || aws.ToString(c.KMSKeyArn) != "arn:aws:kms:us-east-1:123456789012:key/k1" {
		t.Errorf("after updating the DLQ = DLQ %+v, KMS %q; want the topic and the unchanged key", c.DeadLetterConfig, aws.ToString(c.KMSKeyArn))
	}
	if _, err := e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String("dlq"),
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("")}, KMSKeyArn: aws.String("")}); err != nil {
		t.Fatalf("UpdateFunctionConfiguration removing both: %v", err)
	}
	if c := get(); c.DeadLetterConfig != nil || c.KMSKeyArn != nil {
		t.Errorf("after removing both = DLQ %+v, KMS %v; want neither", c.DeadLetterConfig, c.KMSKeyArn)
	}
	_, err := e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String("dlq"), KMSKeyArn: aws.String("not-an-arn")})
	if code, msg := apiError(err); code != "ValidationException" ||
		msg != "1 validation error detected: Value 'not-an-arn' at 'kMSKeyArn' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()" {
		t.Errorf("KMSKeyArn not-an-arn = %s %q", code, msg)
	}
}
