# Resource policies built with Terraform's AWS provider against gatehouse: a regional REST API
# whose policy (aws_api_gateway_rest_api_policy) allows one CIDR and denies another, deployed
# again when deploy_rev changes, and a private API whose inline policy admits one VPC
# endpoint. TestTerraformResourcePolicy applies it, checks that a second plan is empty, changes
# the policy without and then with a new deployment, and destroys it.

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

variable "allowed_cidr" {
  type    = string
  default = "127.0.0.1/32"
}

variable "denied_cidr" {
  type    = string
  default = "192.0.2.0/24"
}

# A new value deploys the API again, which is when a policy change takes effect.
variable "deploy_rev" {
  type    = string
  default = "1"
}

provider "aws" {
  region     = "us-east-1"
  access_key = "AKIAE2ETERRAFORMRP01"
  secret_key = "e2e-terraform-respolicy-secret"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true

  endpoints {
    apigateway = var.endpoint
  }
}

resource "aws_api_gateway_rest_api" "guarded" {
  name = "e2e-terraform-respolicy"
  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_rest_api_policy" "guarded" {
  rest_api_id = aws_api_gateway_rest_api.guarded.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
        Condition = { IpAddress = { "aws:SourceIp" = [var.allowed_cidr] } }
      },
      {
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        # execution_arn has no account here: the provider skips requesting it.
        Resource  = "arn:aws:execute-api:us-east-1:*:${aws_api_gateway_rest_api.guarded.id}/*/GET/*"
        Condition = { IpAddress = { "aws:SourceIp" = [var.denied_cidr] } }
      },
    ]
  })
}

resource "aws_api_gateway_resource" "items" {
  rest_api_id = aws_api_gateway_rest_api.guarded.id
  parent_id   = aws_api_gateway_rest_api.guarded.root_resource_id
  path_part   = "items"
}

# Each API's one method: a MOCK GET answering 200 with a fixed body, on the regional API's
# /items and on the private API's root.
locals {
  mock_gets = {
    items = {
      rest_api_id = aws_api_gateway_rest_api.guarded.id
      resource_id = aws_api_gateway_resource.items.id
      body        = "{\"items\": []}"
    }
    private = {
      rest_api_id = aws_api_gateway_rest_api.private.id
      resource_id = aws_api_gateway_rest_api.private.root_resource_id
      body        = "{\"private\": true}"
    }
  }
}

resource "aws_api_gateway_method" "get" {
  for_each      = local.mock_gets
  rest_api_id   = each.value.rest_api_id
  resource_id   = each.value.resource_id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "get" {
  for_each    = local.mock_gets
  rest_api_id = each.value.rest_api_id
  resource_id = each.value.resource_id
  http_method = aws_api_gateway_method.get[each.key].http_method
  type        = "MOCK"
  request_templates = {
    "application/json" = "{\"statusCode\": 200}"
  }
}

resource "aws_api_gateway_method_response" "get_200" {
  for_each    = local.mock_gets
  rest_api_id = each.value.rest_api_id
  resource_id = each.value.resource_id
  http_method = aws_api_gateway_method.get[each.key].http_method
  status_code = "200"
}

resource "aws_api_gateway_integration_response" "get_200" {
  for_each    = local.mock_gets
  rest_api_id = each.value.rest_api_id
  resource_id = each.value.resource_id
  http_method = aws_api_gateway_method.get[each.key].http_method
  status_code = aws_api_gateway_method_response.get_200[each.key].status_code
  response_templates = {
    "application/json" = each.value.body
  }
  depends_on = [aws_api_gateway_integration.get]
}

resource "aws_api_gateway_deployment" "guarded" {
  rest_api_id = aws_api_gateway_rest_api.guarded.id
  triggers = {
    rev = var.deploy_rev
  }
  lifecycle {
    create_before_destroy = true
  }
  depends_on = [aws_api_gateway_integration_response.get_200, aws_api_gateway_rest_api_policy.guarded]
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.guarded.id
  deployment_id = aws_api_gateway_deployment.guarded.id
  stage_name    = "prod"
}

# A private API: served on gatehouse's --vpce listener only, and its policy admits that one
# endpoint. The policy is the rest_api's own attribute here (CreateRestApi's policy).
resource "aws_api_gateway_rest_api" "private" {
  name = "e2e-terraform-respolicy-private"
  endpoint_configuration {
    types = ["PRIVATE"]
  }
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
      },
      {
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
        Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-1a2b3c4d" } }
      },
    ]
  })
}

resource "aws_api_gateway_deployment" "private" {
  rest_api_id = aws_api_gateway_rest_api.private.id
  depends_on  = [aws_api_gateway_integration_response.get_200]
}

resource "aws_api_gateway_stage" "private" {
  rest_api_id   = aws_api_gateway_rest_api.private.id
  deployment_id = aws_api_gateway_deployment.private.id
  stage_name    = "internal"
}

output "api_id" {
  value = aws_api_gateway_rest_api.guarded.id
}

output "private_api_id" {
  value = aws_api_gateway_rest_api.private.id
}
