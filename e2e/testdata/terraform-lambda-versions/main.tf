# A published Go Lambda function (publish = true) and an alias to its version, invoked by a
# REST API through the alias ARN with the alias's permission. TestLambdaTerraformVersions
# applies it, calls the API, checks that a second plan is empty, changes the function (a new
# version the alias follows, keeping half of its invocations on the previous one), and
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
  function_name    = "e2e-terraform-versions"
  role             = "arn:aws:iam::123456789012:role/e2e-lambda"
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  filename         = var.zip
  source_code_hash = filebase64sha256(var.zip)
  publish          = true

  environment {
    variables = {
      GREETING = var.greeting
    }
  }
}

variable "greeting" {
  type    = string
  default = "hello from version 1"
}

variable "previous" {
  description = "a version the alias keeps sending half of its invocations to; empty for none"
  type        = string
  default     = ""
}

# The alias the API invokes: the published version Terraform just made, and with previous
# set a 50% share for that version.
resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "what the API runs"
  function_name    = aws_lambda_function.hello.function_name
  function_version = aws_lambda_function.hello.version

  dynamic "routing_config" {
    for_each = var.previous == "" ? [] : [var.previous]
    content {
      additional_version_weights = { (routing_config.value) = 0.5 }
    }
  }
}

resource "aws_api_gateway_rest_api" "api" {
  name = "e2e-terraform-lambda-versions"
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
  uri                     = aws_lambda_alias.live.invoke_arn
}

# The permission is the alias's: with --strict-permissions the alias's policy is checked,
# as AWS checks the policy of the qualifier invoked.
resource "aws_lambda_permission" "apigw" {
  statement_id  = "AllowAPIGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.hello.function_name
  qualifier     = aws_lambda_alias.live.name
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

output "version" {
  value = aws_lambda_function.hello.version
}

output "qualified_arn" {
  value = aws_lambda_function.hello.qualified_arn
}

output "alias_arn" {
  value = aws_lambda_alias.live.arn
}
