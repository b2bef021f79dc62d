# Every aws_api_gateway_* and aws_lambda_* resource type gatehouse supports, in one
# configuration that TestTerraformConvergence applies twice: with phase = 1, then with
# phase = 2, which changes at least one attribute of every resource in place (tags included)
# where the provider can update it in place. After each apply a plan must find nothing to
# change; then everything is destroyed.

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

variable "backend" {
  description = "base URL of the HTTP backend the proxy resource forwards to"
  type        = string
}

variable "zip" {
  description = "path of the function's deployment package (bootstrap built for provided.al2023)"
  type        = string
}

variable "phase" {
  description = "1 for the first apply, 2 for the in-place changes"
  type        = number
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

locals {
  p1 = var.phase == 1
}

# --- Lambda -------------------------------------------------------------------------------

resource "aws_lambda_function" "fn" {
  function_name    = "e2e-convergence"
  role             = "arn:aws:iam::123456789012:role/e2e-lambda"
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  filename         = var.zip
  source_code_hash = filebase64sha256(var.zip)
  timeout          = local.p1 ? 10 : 20
  memory_size      = local.p1 ? 256 : 512
  description      = local.p1 ? "first" : "second"

  reserved_concurrent_executions = local.p1 ? -1 : 5
  architectures                  = ["x86_64"]
  kms_key_arn                    = local.p1 ? null : "arn:aws:kms:us-east-1:123456789012:key/0f3c8a2e-1d7b-4d5e-9a36-2b9f4c1e7d00"

  ephemeral_storage {
    size = local.p1 ? 512 : 1024
  }

  tracing_config {
    mode = local.p1 ? "PassThrough" : "Active"
  }

  logging_config {
    log_format = local.p1 ? "Text" : "JSON"
    log_group  = local.p1 ? null : "/aws/lambda/e2e-convergence-custom"
  }

  dead_letter_config {
    target_arn = local.p1 ? "arn:aws:sqs:us-east-1:123456789012:dlq" : "arn:aws:sqs:us-east-1:123456789012:dlq-2"
  }

  environment {
    variables = {
      GREETING = local.p1 ? "hello" : "hello again"
    }
  }

  tags = local.p1 ? { suite = "e2e" } : { phase = "2", owner = "tf" } # suite untagged, two tagged
}

# Invoked when created and again when its input changes.
resource "aws_lambda_invocation" "hello" {
  function_name = aws_lambda_function.fn.function_name
  input         = jsonencode({ phase = var.phase })
}

# Every argument of aws_lambda_permission forces a new permission: phase 2 replaces it.
resource "aws_lambda_permission" "apigw" {
  statement_id  = local.p1 ? "AllowAPIGatewayInvoke" : "AllowAPIGatewayInvoke2"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "arn:aws:execute-api:us-east-1:123456789012:${aws_api_gateway_rest_api.api.id}/*/GET/fn"
}

# --- The account --------------------------------------------------------------------------

resource "aws_api_gateway_account" "acct" {
  reset_on_delete     = true
  cloudwatch_role_arn = local.p1 ? "arn:aws:iam::123456789012:role/apigw-logs" : "arn:aws:iam::123456789012:role/apigw-logs-2"
}

# --- The REST API and its policy ----------------------------------------------------------

resource "aws_api_gateway_rest_api" "api" {
  name                     = local.p1 ? "e2e-convergence" : "e2e-convergence-2"
  description              = local.p1 ? "first" : "second"
  binary_media_types       = local.p1 ? ["image/png"] : ["image/png", "application/octet-stream"]
  minimum_compression_size = local.p1 ? "1024" : "2048"
  api_key_source           = local.p1 ? "HEADER" : "AUTHORIZER"

  disable_execute_api_endpoint = !local.p1

  endpoint_configuration {
    types = local.p1 ? ["EDGE"] : ["REGIONAL"]
  }

  tags = local.p1 ? { suite = "e2e" } : { phase = "2", owner = "tf" } # suite untagged, two tagged
}

resource "aws_api_gateway_rest_api_policy" "api" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "arn:aws:execute-api:us-east-1:123456789012:${aws_api_gateway_rest_api.api.id}/*"
      Condition = {
        IpAddress = { "aws:SourceIp" = local.p1 ? ["127.0.0.0/8"] : ["127.0.0.0/8", "10.0.0.0/8"] }
      }
    }]
  })
}

# --- Models, validators, gateway responses ------------------------------------------------

resource "aws_api_gateway_model" "order" {
  rest_api_id  = aws_api_gateway_rest_api.api.id
  name         = "Order"
  description  = "an order"
  content_type = "application/json"
  schema = jsonencode({
    "$schema" = "http://json-schema.org/draft-04/schema#"
    title     = "Order"
    type      = "object"
    required  = local.p1 ? ["items"] : ["items", "customer"]
    properties = {
      items    = { type = "array", items = { type = "string" } }
      customer = { type = "string" }
    }
  })
}

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id                 = aws_api_gateway_rest_api.api.id
  name                        = local.p1 ? "body" : "body-and-parameters"
  validate_request_body       = true
  validate_request_parameters = !local.p1
}

resource "aws_api_gateway_gateway_response" "missing_token" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  response_type = "MISSING_AUTHENTICATION_TOKEN"
  status_code   = local.p1 ? "404" : "410"
  response_parameters = {
    "gatewayresponse.header.X-Phase" = local.p1 ? "'1'" : "'2'"
  }
  response_templates = {
    "application/json" = local.p1 ? "{\"message\":\"no route\"}" : "{\"message\":\"gone\"}"
  }
}

# --- GET /hello: MOCK ---------------------------------------------------------------------

resource "aws_api_gateway_resource" "hello" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = local.p1 ? "hello" : "hi"
}

resource "aws_api_gateway_method" "hello_get" {
  rest_api_id      = aws_api_gateway_rest_api.api.id
  resource_id      = aws_api_gateway_resource.hello.id
  http_method      = "GET"
  authorization    = local.p1 ? "NONE" : "AWS_IAM"
  api_key_required = !local.p1
  operation_name   = local.p1 ? "SayHello" : "SayHi"
  request_parameters = local.p1 ? {
    "method.request.querystring.name" = false
    } : {
    "method.request.querystring.name" = true
  }
}

resource "aws_api_gateway_method_response" "hello_200" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.hello.id
  http_method = aws_api_gateway_method.hello_get.http_method
  status_code = "200"
  response_models = {
    "application/json" = "Empty"
  }
  response_parameters = {
    "method.response.header.X-Phase" = !local.p1
  }
}

resource "aws_api_gateway_integration" "hello" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.hello.id
  http_method = aws_api_gateway_method.hello_get.http_method
  type        = "MOCK"
  # passthrough_behavior forces a new integration in the provider, and a replaced integration
  # under the deployment's create_before_destroy is created, then deleted: it stays as is.
  passthrough_behavior = "WHEN_NO_MATCH"
  timeout_milliseconds = local.p1 ? 29000 : 10000
  content_handling     = local.p1 ? null : "CONVERT_TO_TEXT"
  request_templates = {
    "application/json" = jsonencode({ statusCode = 200 })
  }
}

resource "aws_api_gateway_integration_response" "hello_200" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.hello.id
  http_method = aws_api_gateway_method.hello_get.http_method
  status_code = aws_api_gateway_method_response.hello_200.status_code
  response_parameters = {
    "method.response.header.X-Phase" = local.p1 ? "'1'" : "'2'"
  }
  response_templates = {
    "application/json" = local.p1 ? "{\"message\": \"hello\"}" : "{\"message\": \"hi\"}"
  }
  depends_on = [aws_api_gateway_integration.hello]
}

# --- POST /orders: HTTP with a model and a validator ----------------------------------------

resource "aws_api_gateway_resource" "orders" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "orders"
}

resource "aws_api_gateway_method" "orders_post" {
  rest_api_id          = aws_api_gateway_rest_api.api.id
  resource_id          = aws_api_gateway_resource.orders.id
  http_method          = "POST"
  authorization        = "NONE"
  request_validator_id = aws_api_gateway_request_validator.body.id
  request_models = {
    "application/json" = aws_api_gateway_model.order.name
  }
  request_parameters = local.p1 ? {} : {
    "method.request.header.X-Tenant" = false
  }
}

resource "aws_api_gateway_integration" "orders" {
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.orders.id
  http_method             = aws_api_gateway_method.orders_post.http_method
  type                    = "HTTP"
  integration_http_method = "POST"
  uri                     = local.p1 ? "${var.backend}/orders" : "${var.backend}/v2/orders"
  passthrough_behavior    = "NEVER"
  request_parameters = {
    "integration.request.header.X-Phase" = local.p1 ? "'1'" : "'2'"
  }
  request_templates = {
    "application/json" = local.p1 ? "{\"items\": $input.json('$.items')}" : "{\"all\": $input.json('$')}"
  }
}

resource "aws_api_gateway_method_response" "orders_200" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.orders.id
  http_method = aws_api_gateway_method.orders_post.http_method
  status_code = "200"
  response_models = local.p1 ? {} : {
    "application/json" = "Empty"
  }
}

resource "aws_api_gateway_integration_response" "orders_200" {
  rest_api_id       = aws_api_gateway_rest_api.api.id
  resource_id       = aws_api_gateway_resource.orders.id
  http_method       = aws_api_gateway_method.orders_post.http_method
  status_code       = aws_api_gateway_method_response.orders_200.status_code
  selection_pattern = local.p1 ? "" : "2\\d{2}"
  depends_on        = [aws_api_gateway_integration.orders]
}

# --- ANY /backend/{proxy+}: HTTP_PROXY ------------------------------------------------------

resource "aws_api_gateway_resource" "backend" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "backend"
}

resource "aws_api_gateway_resource" "proxy" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_resource.backend.id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "proxy_any" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.proxy.id
  http_method   = "ANY"
  authorization = "NONE"
  request_parameters = {
    "method.request.path.proxy" = true
  }
}

resource "aws_api_gateway_integration" "proxy" {
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.proxy.id
  http_method             = aws_api_gateway_method.proxy_any.http_method
  type                    = "HTTP_PROXY"
  integration_http_method = "ANY"
  uri                     = local.p1 ? "${var.backend}/{proxy}" : "${var.backend}/p/{proxy}"
  cache_key_parameters    = local.p1 ? [] : ["method.request.path.proxy"]
  request_parameters = {
    "integration.request.path.proxy" = "method.request.path.proxy"
  }
}

# --- GET /fn: AWS_PROXY to the function ----------------------------------------------------

resource "aws_api_gateway_resource" "fn" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "fn"
}

resource "aws_api_gateway_method" "fn_get" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.fn.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "fn" {
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.fn.id
  http_method             = aws_api_gateway_method.fn_get.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.fn.invoke_arn
  timeout_milliseconds    = local.p1 ? 29000 : 15000
}

# --- Deployment, stage, method settings ----------------------------------------------------

resource "aws_api_gateway_deployment" "dep" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  description = local.p1 ? "first" : "second"

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [
    aws_api_gateway_integration_response.hello_200,
    aws_api_gateway_integration_response.orders_200,
    aws_api_gateway_integration.proxy,
    aws_api_gateway_integration.fn,
    aws_api_gateway_gateway_response.missing_token,
  ]
}

resource "aws_api_gateway_stage" "dev" {
  rest_api_id          = aws_api_gateway_rest_api.api.id
  deployment_id        = aws_api_gateway_deployment.dep.id
  stage_name           = "dev"
  description          = local.p1 ? "first" : "second"
  xray_tracing_enabled = !local.p1

  cache_cluster_enabled = !local.p1
  cache_cluster_size    = local.p1 ? null : "0.5"

  dynamic "canary_settings" {
    for_each = local.p1 ? [] : [1]
    content {
      deployment_id            = aws_api_gateway_deployment.dep.id
      percent_traffic          = 10
      stage_variable_overrides = { color = "red" }
      use_stage_cache          = true
    }
  }

  access_log_settings {
    destination_arn = "arn:aws:logs:us-east-1:123456789012:log-group:e2e-convergence"
    format          = local.p1 ? "$context.requestId" : "$context.requestId $context.status"
  }
  variables = local.p1 ? { color = "blue" } : { color = "green", size = "xl" }

  tags = local.p1 ? { suite = "e2e" } : { phase = "2", owner = "tf" } # suite untagged, two tagged
}

# Throttling left unset in phase 1: the provider sends its default -1 for both limits.
resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.dev.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = !local.p1
    logging_level          = local.p1 ? "INFO" : "ERROR"
    throttling_burst_limit = local.p1 ? null : 100
    throttling_rate_limit  = local.p1 ? null : 50
  }
}

resource "aws_api_gateway_method_settings" "orders" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.dev.stage_name
  method_path = "orders/POST"

  settings {
    caching_enabled      = true
    cache_ttl_in_seconds = local.p1 ? 60 : 120
  }
}

output "api_id" {
  value = aws_api_gateway_rest_api.api.id
}

output "stage_arn" {
  value = aws_api_gateway_stage.dev.arn
}
