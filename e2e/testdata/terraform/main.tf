# A REST API built with Terraform's AWS provider against gatehouse: a MOCK method, an
# HTTP_PROXY to a backend, an HTTP integration with a model, a request validator and VTL
# mapping templates, a customized gateway response, a deployment and a stage.
# TestTerraform applies it, calls the API, checks that a second plan is empty and destroys it.

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

provider "aws" {
  region     = "us-east-1"
  access_key = "AKIAE2ETERRAFORM0001"
  secret_key = "e2e-terraform-secret"

  # No call to STS, IMDS or the region list: gatehouse only speaks apigateway.
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true

  endpoints {
    apigateway = var.endpoint
  }
}

resource "aws_api_gateway_rest_api" "e2e" {
  name        = "e2e-terraform"
  description = "created by Terraform"
}

# GET /hello: a MOCK integration.
resource "aws_api_gateway_resource" "hello" {
  rest_api_id = aws_api_gateway_rest_api.e2e.id
  parent_id   = aws_api_gateway_rest_api.e2e.root_resource_id
  path_part   = "hello"
}

resource "aws_api_gateway_method" "hello_get" {
  rest_api_id   = aws_api_gateway_rest_api.e2e.id
  resource_id   = aws_api_gateway_resource.hello.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_method_response" "hello_200" {
  rest_api_id = aws_api_gateway_rest_api.e2e.id
  resource_id = aws_api_gateway_resource.hello.id
  http_method = aws_api_gateway_method.hello_get.http_method
  status_code = "200"
  response_models = {
    "application/json" = "Empty"
  }
}

resource "aws_api_gateway_integration" "hello" {
  rest_api_id = aws_api_gateway_rest_api.e2e.id
  resource_id = aws_api_gateway_resource.hello.id
  http_method = aws_api_gateway_method.hello_get.http_method
  type        = "MOCK"
  request_templates = {
    "application/json" = jsonencode({ statusCode = 200 })
  }
}

resource "aws_api_gateway_integration_response" "hello_200" {
  rest_api_id = aws_api_gateway_rest_api.e2e.id
  resource_id = aws_api_gateway_resource.hello.id
  http_method = aws_api_gateway_method.hello_get.http_method
  status_code = aws_api_gateway_method_response.hello_200.status_code
  response_templates = {
    "application/json" = "{\"message\": \"hello from terraform\"}"
  }
  depends_on = [aws_api_gateway_integration.hello]
}

# ANY /backend/{proxy+}: HTTP_PROXY to the backend, the path passed as {proxy}.
resource "aws_api_gateway_resource" "backend" {
  rest_api_id = aws_api_gateway_rest_api.e2e.id
  parent_id   = aws_api_gateway_rest_api.e2e.root_resource_id
  path_part   = "backend"
}

resource "aws_api_gateway_resource" "proxy" {
  rest_api_id = aws_api_gateway_rest_api.e2e.id
  parent_id   = aws_api_gateway_resource.backend.id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "proxy_any" {
  rest_api_id   = aws_api_gateway_rest_api.e2e.id
  resource_id   = aws_api_gateway_resource.proxy.id
  http_method   = "ANY"
  authorization = "NONE"
  request_parameters = {
    "method.request.path.proxy" = true
  }
}

resource "aws_api_gateway_integration" "proxy" {
  rest_api_id             = aws_api_gateway_rest_api.e2e.id
  resource_id             = aws_api_gateway_resource.proxy.id
  http_method             = aws_api_gateway_method.proxy_any.http_method
  type                    = "HTTP_PROXY"
  integration_http_method = "ANY"
  uri                     = "${var.backend}/{proxy}"
  request_parameters = {
    "integration.request.path.proxy" = "method.request.path.proxy"
  }
}

# POST /orders: validated against a model, mapped to the backend with VTL templates.
resource "aws_api_gateway_model" "order" {
  rest_api_id  = aws_api_gateway_rest_api.e2e.id
  name         = "Order"
  description  = "an order"
  content_type = "application/json"
  schema = jsonencode({
    "$schema" = "http://json-schema.org/draft-04/schema#"
    title     = "Order"
    type      = "object"
    required  = ["items"]
    properties = {
      items = { type = "array", minItems = 1, items = { type = "string" } }
    }
  })
}

resource "aws_api_gateway_request_validator" "all" {
  rest_api_id                 = aws_api_gateway_rest_api.e2e.id
  name                        = "body-and-parameters"
  validate_request_body       = true
  validate_request_parameters = true
}

resource "aws_api_gateway_resource" "orders" {
  rest_api_id = aws_api_gateway_rest_api.e2e.id
  parent_id   = aws_api_gateway_rest_api.e2e.root_resource_id
  path_part   = "orders"
}

resource "aws_api_gateway_method" "orders_post" {
  rest_api_id          = aws_api_gateway_rest_api.e2e.id
  resource_id          = aws_api_gateway_resource.orders.id
  http_method          = "POST"
  authorization        = "NONE"
  request_validator_id = aws_api_gateway_request_validator.all.id
  request_models = {
    "application/json" = aws_api_gateway_model.order.name
  }
  request_parameters = {
    "method.request.header.X-Tenant" = true
  }
}

resource "aws_api_gateway_method_response" "orders_200" {
  rest_api_id = aws_api_gateway_rest_api.e2e.id
  resource_id = aws_api_gateway_resource.orders.id
  http_method = aws_api_gateway_method.orders_post.http_method
  status_code = "200"
}

resource "aws_api_gateway_integration" "orders" {
  rest_api_id             = aws_api_gateway_rest_api.e2e.id
  resource_id             = aws_api_gateway_resource.orders.id
  http_method             = aws_api_gateway_method.orders_post.http_method
  type                    = "HTTP"
  integration_http_method = "POST"
  uri                     = "${var.backend}/orders"
  passthrough_behavior    = "NEVER"
  request_templates = {
    "application/json" = <<-EOT
      #set($order = $input.path('$'))
      {"tenant": "$input.params('X-Tenant')", "items": $input.json('$.items'), "count": $order.items.size()}
    EOT
  }
}

resource "aws_api_gateway_integration_response" "orders_200" {
  rest_api_id       = aws_api_gateway_rest_api.e2e.id
  resource_id       = aws_api_gateway_resource.orders.id
  http_method       = aws_api_gateway_method.orders_post.http_method
  status_code       = aws_api_gateway_method_response.orders_200.status_code
  selection_pattern = ""
  response_templates = {
    "application/json" = <<-EOT
      #set($echo = $input.path('$'))
      #set($sent = $util.parseJson($echo.body))
      {"tenant": "$sent.tenant", "count": $sent.count, "first": "$sent.items[0]", "backendPath": "$echo.path"}
    EOT
  }
  depends_on = [aws_api_gateway_integration.orders]
}

# Unknown routes answer 404 with a body of our own instead of AWS's 403.
resource "aws_api_gateway_gateway_response" "missing_token" {
  rest_api_id   = aws_api_gateway_rest_api.e2e.id
  response_type = "MISSING_AUTHENTICATION_TOKEN"
  status_code   = "404"
  response_parameters = {
    "gatewayresponse.header.X-E2E" = "'terraform'"
  }
  response_templates = {
    "application/json" = "{\"message\":\"no route here\"}"
  }
}

resource "aws_api_gateway_deployment" "e2e" {
  rest_api_id = aws_api_gateway_rest_api.e2e.id
  description = "deployed by Terraform"

  # Redeploy when a part of the API is replaced (ids only, as the provider's documentation
  # does: whole resources would hash attributes that Terraform itself normalizes on refresh).
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.hello.id,
      aws_api_gateway_method.hello_get.id,
      aws_api_gateway_integration.hello.id,
      aws_api_gateway_integration_response.hello_200.id,
      aws_api_gateway_resource.proxy.id,
      aws_api_gateway_method.proxy_any.id,
      aws_api_gateway_integration.proxy.id,
      aws_api_gateway_gateway_response.missing_token.id,
      aws_api_gateway_model.order.id,
      aws_api_gateway_request_validator.all.id,
      aws_api_gateway_method.orders_post.id,
      aws_api_gateway_integration.orders.id,
      aws_api_gateway_integration_response.orders_200.id,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [
    aws_api_gateway_integration_response.hello_200,
    aws_api_gateway_integration_response.orders_200,
    aws_api_gateway_integration.proxy,
    aws_api_gateway_gateway_response.missing_token,
  ]
}

resource "aws_api_gateway_stage" "dev" {
  rest_api_id   = aws_api_gateway_rest_api.e2e.id
  deployment_id = aws_api_gateway_deployment.e2e.id
  stage_name    = "dev"
  description   = "development"
  variables = {
    color = "blue"
  }
}

output "api_id" {
  value = aws_api_gateway_rest_api.e2e.id
}

output "stage_name" {
  value = aws_api_gateway_stage.dev.stage_name
}

output "deployment_id" {
  value = aws_api_gateway_deployment.e2e.id
}
