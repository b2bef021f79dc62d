# A Lambda TOKEN authorizer built with Terraform's AWS provider against gatehouse: a REST API
# whose GET /items is CUSTOM-authorized by it, a MOCK integration, a deployment and a stage.
# The authorizer names its function by its invocation URI only (the management API does not
# call it). TestTerraformAuthorizer applies it, checks that a second plan is empty, applies a
# changed TTL (an update in place) and checks again, and destroys it.

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

# The value the test changes in a second apply, to update the authorizer in place.
variable "ttl" {
  type    = number
  default = 60
}

provider "aws" {
  region     = "us-east-1"
  access_key = "AKIAE2ETERRAFORMAU01"
  secret_key = "e2e-terraform-authorizer-secret"

  # No call to STS, IMDS or the region list: gatehouse only speaks apigateway.
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true

  endpoints {
    apigateway = var.endpoint
  }
}

resource "aws_api_gateway_rest_api" "guarded" {
  name = "e2e-terraform-authorizer"
}

resource "aws_api_gateway_authorizer" "token" {
  name                             = "e2e-token"
  rest_api_id                      = aws_api_gateway_rest_api.guarded.id
  type                             = "TOKEN"
  authorizer_uri                   = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:e2e-authorizer/invocations"
  identity_source                  = "method.request.header.Authorization"
  identity_validation_expression   = "^Bearer [-0-9a-zA-Z._]+$"
  authorizer_result_ttl_in_seconds = var.ttl
}

resource "aws_api_gateway_resource" "items" {
  rest_api_id = aws_api_gateway_rest_api.guarded.id
  parent_id   = aws_api_gateway_rest_api.guarded.root_resource_id
  path_part   = "items"
}

resource "aws_api_gateway_method" "items_get" {
  rest_api_id   = aws_api_gateway_rest_api.guarded.id
  resource_id   = aws_api_gateway_resource.items.id
  http_method   = "GET"
  authorization = "CUSTOM"
  authorizer_id = aws_api_gateway_authorizer.token.id
}

resource "aws_api_gateway_integration" "items_mock" {
  rest_api_id = aws_api_gateway_rest_api.guarded.id
  resource_id = aws_api_gateway_resource.items.id
  http_method = aws_api_gateway_method.items_get.http_method
  type        = "MOCK"
  request_templates = {
    "application/json" = "{\"statusCode\": 200}"
  }
}

resource "aws_api_gateway_deployment" "guarded" {
  rest_api_id = aws_api_gateway_rest_api.guarded.id
  depends_on  = [aws_api_gateway_integration.items_mock]
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.guarded.id
  deployment_id = aws_api_gateway_deployment.guarded.id
  stage_name    = "prod"
}

output "api_id" {
  value = aws_api_gateway_rest_api.guarded.id
}

output "authorizer_id" {
  value = aws_api_gateway_authorizer.token.id
}
