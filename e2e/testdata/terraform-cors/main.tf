# CORS the AWS way, built with Terraform's AWS provider against gatehouse, for a page on
# another origin (var.page_origin) that calls the API from a browser:
#   OPTIONS /items  the preflight: a MOCK integration whose integration response sets the
#                   Access-Control-Allow-* headers as static values (what the console's
#                   "Enable CORS" writes)
#   PUT /items      HTTP_PROXY to the backend, which answers Access-Control-Allow-Origin
#   GET /items      HTTP to the backend, Access-Control-Allow-Origin set by the integration
#                   response (the console's header on the real method)
#   GET /keyed      MOCK that needs an API key: its 403 carries DEFAULT_4XX's CORS headers
#   GET /nocors     HTTP_PROXY to a backend path that sets no CORS header, and no OPTIONS:
#                   the browser must refuse both a GET's answer and a PUT's preflight
#   DEFAULT_4XX, DEFAULT_5XX  gateway responses with the CORS headers
# TestBrowserCORS applies it and drives headless Chromium against it.

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
  description = "base URL of the HTTP backend"
  type        = string
}

variable "page_origin" {
  description = "the origin of the page that calls the API, e.g. http://127.0.0.1:5000"
  type        = string
}

provider "aws" {
  region     = "us-east-1"
  access_key = "AKIAE2ETERRAFORMCORS"
  secret_key = "e2e-terraform-cors-secret"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true

  endpoints {
    apigateway = var.endpoint
  }
}

locals {
  allow_headers = "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Custom'"
  allow_origin  = "'${var.page_origin}'"
}

resource "aws_api_gateway_rest_api" "cors" {
  name        = "e2e-terraform-cors"
  description = "CORS for browser clients"
}

resource "aws_api_gateway_resource" "items" {
  rest_api_id = aws_api_gateway_rest_api.cors.id
  parent_id   = aws_api_gateway_rest_api.cors.root_resource_id
  path_part   = "items"
}

# OPTIONS /items: the preflight.
resource "aws_api_gateway_method" "items_options" {
  rest_api_id   = aws_api_gateway_rest_api.cors.id
  resource_id   = aws_api_gateway_resource.items.id
  http_method   = "OPTIONS"
  authorization = "NONE"
}

resource "aws_api_gateway_method_response" "items_options_200" {
  rest_api_id = aws_api_gateway_rest_api.cors.id
  resource_id = aws_api_gateway_resource.items.id
  http_method = aws_api_gateway_method.items_options.http_method
  status_code = "200"
  response_models = {
    "application/json" = "Empty"
  }
  response_parameters = {
    "method.response.header.Access-Control-Allow-Headers" = false
    "method.response.header.Access-Control-Allow-Methods" = false
    "method.response.header.Access-Control-Allow-Origin"  = false
  }
}

resource "aws_api_gateway_integration" "items_options" {
  rest_api_id          = aws_api_gateway_rest_api.cors.id
  resource_id          = aws_api_gateway_resource.items.id
  http_method          = aws_api_gateway_method.items_options.http_method
  type                 = "MOCK"
  passthrough_behavior = "WHEN_NO_MATCH"
  request_templates = {
    "application/json" = "{\"statusCode\": 200}"
  }
}

resource "aws_api_gateway_integration_response" "items_options_200" {
  rest_api_id = aws_api_gateway_rest_api.cors.id
  resource_id = aws_api_gateway_resource.items.id
  http_method = aws_api_gateway_method.items_options.http_method
  status_code = aws_api_gateway_method_response.items_options_200.status_code
  response_parameters = {
    "method.response.header.Access-Control-Allow-Headers" = local.allow_headers
    "method.response.header.Access-Control-Allow-Methods" = "'GET,OPTIONS,PUT'"
    "method.response.header.Access-Control-Allow-Origin"  = local.allow_origin
  }
  response_templates = {
    "application/json" = ""
  }
  depends_on = [aws_api_gateway_integration.items_options]
}

# PUT /items: HTTP_PROXY; the backend sets Access-Control-Allow-Origin itself.
resource "aws_api_gateway_method" "items_put" {
  rest_api_id   = aws_api_gateway_rest_api.cors.id
  resource_id   = aws_api_gateway_resource.items.id
  http_method   = "PUT"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "items_put" {
  rest_api_id             = aws_api_gateway_rest_api.cors.id
  resource_id             = aws_api_gateway_resource.items.id
  http_method             = aws_api_gateway_method.items_put.http_method
  type                    = "HTTP_PROXY"
  integration_http_method = "PUT"
  uri                     = "${var.backend}/items"
}

# GET /items: HTTP; the integration response adds Access-Control-Allow-Origin.
resource "aws_api_gateway_method" "items_get" {
  rest_api_id   = aws_api_gateway_rest_api.cors.id
  resource_id   = aws_api_gateway_resource.items.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_method_response" "items_get_200" {
  rest_api_id = aws_api_gateway_rest_api.cors.id
  resource_id = aws_api_gateway_resource.items.id
  http_method = aws_api_gateway_method.items_get.http_method
  status_code = "200"
  response_parameters = {
    "method.response.header.Access-Control-Allow-Origin" = false
  }
}

resource "aws_api_gateway_integration" "items_get" {
  rest_api_id             = aws_api_gateway_rest_api.cors.id
  resource_id             = aws_api_gateway_resource.items.id
  http_method             = aws_api_gateway_method.items_get.http_method
  type                    = "HTTP"
  integration_http_method = "GET"
  uri                     = "${var.backend}/items"
}

resource "aws_api_gateway_integration_response" "items_get_200" {
  rest_api_id = aws_api_gateway_rest_api.cors.id
  resource_id = aws_api_gateway_resource.items.id
  http_method = aws_api_gateway_method.items_get.http_method
  status_code = aws_api_gateway_method_response.items_get_200.status_code
  response_parameters = {
    "method.response.header.Access-Control-Allow-Origin" = local.allow_origin
  }
  depends_on = [aws_api_gateway_integration.items_get]
}

# GET /keyed: needs an API key, which the page does not send.
resource "aws_api_gateway_resource" "keyed" {
  rest_api_id = aws_api_gateway_rest_api.cors.id
  parent_id   = aws_api_gateway_rest_api.cors.root_resource_id
  path_part   = "keyed"
}

resource "aws_api_gateway_method" "keyed_get" {
  rest_api_id      = aws_api_gateway_rest_api.cors.id
  resource_id      = aws_api_gateway_resource.keyed.id
  http_method      = "GET"
  authorization    = "NONE"
  api_key_required = true
}

resource "aws_api_gateway_integration" "keyed_get" {
  rest_api_id = aws_api_gateway_rest_api.cors.id
  resource_id = aws_api_gateway_resource.keyed.id
  http_method = aws_api_gateway_method.keyed_get.http_method
  type        = "MOCK"
  request_templates = {
    "application/json" = "{\"statusCode\": 200}"
  }
}

# GET /nocors: no CORS header anywhere, and no OPTIONS method.
resource "aws_api_gateway_resource" "nocors" {
  rest_api_id = aws_api_gateway_rest_api.cors.id
  parent_id   = aws_api_gateway_rest_api.cors.root_resource_id
  path_part   = "nocors"
}

resource "aws_api_gateway_method" "nocors_get" {
  rest_api_id   = aws_api_gateway_rest_api.cors.id
  resource_id   = aws_api_gateway_resource.nocors.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "nocors_get" {
  rest_api_id             = aws_api_gateway_rest_api.cors.id
  resource_id             = aws_api_gateway_resource.nocors.id
  http_method             = aws_api_gateway_method.nocors_get.http_method
  type                    = "HTTP_PROXY"
  integration_http_method = "GET"
  uri                     = "${var.backend}/nocors"
}

# Errors the gateway answers carry the CORS headers, so the page can read them.
resource "aws_api_gateway_gateway_response" "default_4xx" {
  rest_api_id   = aws_api_gateway_rest_api.cors.id
  response_type = "DEFAULT_4XX"
  response_parameters = {
    "gatewayresponse.header.Access-Control-Allow-Origin"  = local.allow_origin
    "gatewayresponse.header.Access-Control-Allow-Headers" = local.allow_headers
    "gatewayresponse.header.Access-Control-Allow-Methods" = "'GET,OPTIONS,PUT'"
  }
  response_templates = {
    "application/json" = "{\"message\":$context.error.messageString}"
  }
}

resource "aws_api_gateway_gateway_response" "default_5xx" {
  rest_api_id   = aws_api_gateway_rest_api.cors.id
  response_type = "DEFAULT_5XX"
  response_parameters = {
    "gatewayresponse.header.Access-Control-Allow-Origin" = local.allow_origin
  }
}

resource "aws_api_gateway_deployment" "cors" {
  rest_api_id = aws_api_gateway_rest_api.cors.id
  depends_on = [
    aws_api_gateway_integration_response.items_options_200,
    aws_api_gateway_integration_response.items_get_200,
    aws_api_gateway_integration.items_put,
    aws_api_gateway_integration.keyed_get,
    aws_api_gateway_integration.nocors_get,
    aws_api_gateway_gateway_response.default_4xx,
    aws_api_gateway_gateway_response.default_5xx,
  ]
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.cors.id
  deployment_id = aws_api_gateway_deployment.cors.id
  stage_name    = "prod"
}

output "api_id" {
  value = aws_api_gateway_rest_api.cors.id
}
