# An IAM user, its access key and an inline policy built with Terraform's AWS provider
# against gatehouse's IAM API. The provider asks STS who it is (GetCallerIdentity) for the
# account id, as it does against AWS. TestTerraformIAM applies it, checks that a second plan
# is empty, signs with the new key, and destroys it.

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

provider "aws" {
  region     = "us-east-1"
  access_key = "AKIAE2ETERRAFORMIAM1"
  secret_key = "e2e-terraform-iam-secret"

  skip_metadata_api_check = true
  skip_region_validation  = true

  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}

data "aws_caller_identity" "current" {}

resource "aws_iam_user" "invoker" {
  name = "e2e-invoker"
  path = "/e2e/"
  tags = {
    purpose = "calls the prod stage"
  }
}

resource "aws_iam_access_key" "invoker" {
  user = aws_iam_user.invoker.name
}

resource "aws_iam_user_policy" "invoke" {
  name = "invoke-prod"
  user = aws_iam_user.invoker.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["execute-api:Invoke"]
      Resource = ["arn:aws:execute-api:us-east-1:${data.aws_caller_identity.current.account_id}:*/prod/GET/*"]
    }]
  })
}

output "account_id" {
  value = data.aws_caller_identity.current.account_id
}

output "caller_arn" {
  value = data.aws_caller_identity.current.arn
}

output "user_arn" {
  value = aws_iam_user.invoker.arn
}

output "user_id" {
  value = aws_iam_user.invoker.unique_id
}

output "access_key_id" {
  value = aws_iam_access_key.invoker.id
}

output "secret_access_key" {
  value     = aws_iam_access_key.invoker.secret
  sensitive = true
}
