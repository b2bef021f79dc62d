# API keys, a usage plan and throttling built with Terraform's AWS provider against gatehouse:
# a REST API whose GET /items needs an API key, a deployment and stage with stage-wide method
# throttling, an API key, a usage plan (plan throttle, a weekly quota with an offset, and a
# per-method throttle on the stage), the key in the plan, and the account's CloudWatch role.
# TestTerraformUsagePlan applies it, checks that a second plan is empty, applies changed
# variables (updates in place) and checks again, and destroys it.

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

# The values the test changes in a second apply, to update the resources in place.
variable "quota_limit" {
  type    = number
  default = 5000
}

variable "method_rate" {
  type    = number
  default = 5
}

variable "stage_burst" {
  type    = number
  default = 20
}

variable "key_description" {
  type    = string
  default = "a partner's key"
}

provider "aws" {
  region     = "us-east-1"
  access_key = "AKIAE2ETERRAFORMUP01"
  secret_key = "e2e-terraform-usageplan-secret"

  # No call to STS, IMDS or the region list: gatehouse only speaks apigateway.
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true

  endpoints {
    apigateway = var.endpoint
  }
}

resource "aws_api_gateway_rest_api" "metered" {
  name        = "e2e-terraform-usageplan"
  description = "API keys and usage plans"
}

resource "aws_api_gateway_resource" "items" {
  rest_api_id = aws_api_gateway_rest_api.metered.id
  parent_id   = aws_api_gateway_rest_api.metered.root_resource_id
  path_part   = "items"
}

# GET /items: a MOCK integration that needs an API key.
resource "aws_api_gateway_method" "items_get" {
  rest_api_id      = aws_api_gateway_rest_api.metered.id
  resource_id      = aws_api_gateway_resource.items.id
  http_method      = "GET"
  authorization    = "NONE"
  api_key_required = true
}

resource "aws_api_gateway_method_response" "items_200" {
  rest_api_id = aws_api_gateway_rest_api.metered.id
  resource_id = aws_api_gateway_resource.items.id
  http_method = aws_api_gateway_method.items_get.http_method
  status_code = "200"
}

resource "aws_api_gateway_integration" "items_mock" {
  rest_api_id = aws_api_gateway_rest_api.metered.id
  resource_id = aws_api_gateway_resource.items.id
  http_method = aws_api_gateway_method.items_get.http_method
  type        = "MOCK"
  request_templates = {
    "application/json" = "{\"statusCode\": 200}"
  }
}

resource "aws_api_gateway_integration_response" "items_200" {
  rest_api_id = aws_api_gateway_rest_api.metered.id
  resource_id = aws_api_gateway_resource.items.id
  http_method = aws_api_gateway_method.items_get.http_method
  status_code = aws_api_gateway_method_response.items_200.status_code
  response_templates = {
    "application/json" = "{\"items\": []}"
  }
  depends_on = [aws_api_gateway_integration.items_mock]
}

resource "aws_api_gateway_deployment" "metered" {
  rest_api_id = aws_api_gateway_rest_api.metered.id
  depends_on  = [aws_api_gateway_integration_response.items_200]
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.metered.id
  deployment_id = aws_api_gateway_deployment.metered.id
  stage_name    = "prod"
}

# Stage-wide throttling for every method.
resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.metered.id
  stage_name  = aws_api_gateway_stage.prod.stage_name
  method_path = "*/*"

  settings {
    throttling_rate_limit  = 50
    throttling_burst_limit = var.stage_burst
  }
}

resource "aws_api_gateway_api_key" "partner" {
  name        = "e2e-partner"
  description = var.key_description
  value       = "e2ePartnerKeyValue0123456789abcdef"
}

resource "aws_api_gateway_usage_plan" "partners" {
  name        = "e2e-partners"
  description = "partners: 10 rps, 5000 a week"

  api_stages {
    api_id = aws_api_gateway_rest_api.metered.id
    stage  = aws_api_gateway_stage.prod.stage_name

    throttle {
      path        = "/items/GET"
      rate_limit  = var.method_rate
      burst_limit = 2
    }
  }

  throttle_settings {
    rate_limit  = 10
    burst_limit = 4
  }

  quota_settings {
    limit  = var.quota_limit
    offset = 2
    period = "WEEK"
  }
}

resource "aws_api_gateway_usage_plan_key" "partner" {
  key_id        = aws_api_gateway_api_key.partner.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.partners.id
}

# reset_on_delete: destroy clears the role (UpdateAccount replace /cloudwatchRoleArn "").
resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = "arn:aws:iam::123456789012:role/e2e-apigateway-cloudwatch"
  reset_on_delete     = true
}

output "api_id" {
  value = aws_api_gateway_rest_api.metered.id
}

output "api_key_id" {
  value = aws_api_gateway_api_key.partner.id
}

output "usage_plan_id" {
  value = aws_api_gateway_usage_plan.partners.id
}
