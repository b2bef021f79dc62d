# A zip-packaged Go Lambda function deployed with Terraform's AWS provider against gatehouse,
# behind a REST API with an AWS_PROXY method, and the permission that lets API Gateway invoke
# it. TestLambdaTerraform applies it, calls the API, checks that a second plan is empty and
# destroys it.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  description = "gatehouse's management API, e.g. http://127.0.0.1:9090"
  type        = string
}

variable "zip" {
  description = "path of the function's deployment package (bootstrap built for provided.al2023)"
  type        = string
}

provider "aws" {
  region     = "us-east-1"
  access_key = "AKIAE2ETERRAFORM0001"
  secret_key = "e2e-terraform-secret"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true

  endpoints {
    apigateway = var.endpoint
    lambda     = var.endpoint
  }
}

resource "aws_lambda_function" "hello" {
  function_name    = "e2e-terraform-hello"
  role             = "arn:aws:iam::123456789012:role/e2e-lambda"
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  filename         = var.zip
  source_code_hash = filebase64sha256(var.zip)
  timeout          = 10
  memory_size      = 256
  description      = "a Go function built with aws-lambda-go"

  environment {
    variables = {
      GREETING = "hello from terraform"
    }
  }

  tags = {
    suite = "e2e"
  }
}

resource "aws_api_gateway_rest_api" "api" {
  name = "e2e-terraform-lambda"
}

resource "aws_api_gateway_resource" "hello" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "hello"
}

resource "aws_api_gateway_method" "get" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.hello.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "lambda" {
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.hello.id
  http_method             = aws_api_gateway_method.get.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.hello.invoke_arn
}

# The account id is written out: with skip_requesting_account_id the provider does not know
# it, and execution_arn would carry an empty one.
resource "aws_lambda_permission" "apigw" {
  statement_id  = "AllowAPIGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.hello.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "arn:aws:execute-api:us-east-1:123456789012:${aws_api_gateway_rest_api.api.id}/*/GET/hello"
}

resource "aws_api_gateway_deployment" "dep" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  depends_on  = [aws_api_gateway_integration.lambda, aws_lambda_permission.apigw]
}

resource "aws_api_gateway_stage" "dev" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.dep.id
  stage_name    = "dev"
}

output "api_id" {
  value = aws_api_gateway_rest_api.api.id
}

output "function_arn" {
  value = aws_lambda_function.hello.arn
}

output "invoke_arn" {
  value = aws_lambda_function.hello.invoke_arn
}
