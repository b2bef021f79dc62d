package mgmt

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The account's API Gateway settings. Only cloudwatchRoleArn is stored (the Account document
// at Scope.AccountKey()); throttleSettings is the server's account-level throttle
// (Config.AccountThrottle: AWS's 10,000 requests per second with a burst of 5,000, [A]
// limits.md, unless the serve flag sets another), which UpdateAccount cannot change (AWS
// raises it only through a quota request); the rest is what AWS reports for an account
// today: usage plans enabled and API keys of version 4.
const (
	accountFeatureUsagePlans = "UsagePlans"
	accountAPIKeyVersion     = "4"
)

// accountOut is the Account as AWS reports it, with the stored settings.
func (s *Server) accountOut(stored *apigateway.Account) *apigateway.Account {
	throttle := s.accountThrottle
	out := &apigateway.Account{
		ThrottleSettings: &throttle,
		Features:         []string{accountFeatureUsagePlans},
		APIKeyVersion:    accountAPIKeyVersion,
	}
	if stored != nil {
		out.CloudwatchRoleArn = stored.CloudwatchRoleArn
	}
	return out
}

// GetAccount is GET /account.
func (s *Server) GetAccount(ctx context.Context, c *call) error {
	var stored apigateway.Account
	_, err := store.GetJSON(ctx, s.store, s.scope.AccountKey(), &stored)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, s.accountOut(&stored))
	return nil
}

// UpdateAccount is PATCH /account: replace /cloudwatchRoleArn (an empty value clears it) and
// add /features UsagePlans.
// AWS also checks that API Gateway may assume the role; gatehouse writes no CloudWatch logs,
// so it only checks the ARN's form.
func (s *Server) UpdateAccount(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateAccountInput")
	if err != nil {
		return err
	}
	acct, err := store.Update(ctx, s.store, s.scope.AccountKey(), func(cur *apigateway.Account) (*apigateway.Account, []store.Op, error) {
		next := apigateway.Account{}
		if cur != nil {
			next.CloudwatchRoleArn = cur.CloudwatchRoleArn
		}
		var p problemList
		for _, op := range ops {
			switch {
			case op.Path == "/cloudwatchRoleArn" && op.Op == awsjson.OpReplace:
				if v := op.Val(); v != "" && !validRoleARN(v) {
					// moto's InvalidArn wording; not verified against AWS.
					p.addf("Invalid ARN specified in the request")
					continue
				}
				next.CloudwatchRoleArn = op.Val()
			case op.Path == "/cloudwatchRoleArn":
				p.addf("Invalid patch operation specified. Must be one of: [replace]")
			case op.Path == "/features":
				// AWS's documented way to turn on usage plans is add /features UsagePlans;
				// they are always on here, and AWS refuses to turn them off (moto records
				// "Usage Plans cannot be disabled once enabled").
				switch {
				case op.Op == awsjson.OpAdd && op.Val() == accountFeatureUsagePlans:
				case op.Op == awsjson.OpRemove && op.Val() == accountFeatureUsagePlans:
					p.addf("Usage Plans cannot be disabled once enabled")
				case op.Op == awsjson.OpAdd || op.Op == awsjson.OpRemove:
					p.addf("Invalid feature specified: %s", op.Val()) // not verified
				default:
					p.addf("Invalid patch operation specified. Must be 'add'|'remove'") // not verified
				}
			default:
				// Not verified; the style of test_update_model "update-model-invalid-path".
				p.addf("Invalid patch path  '%s' specified for op '%s'. Must be one of: [/cloudwatchRoleArn, /features]", op.Path, op.Op)
			}
		}
		if err := p.err(); err != nil {
			return nil, nil, err
		}
		return &next, nil, nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, s.accountOut(acct))
	return nil
}

// validRoleARN reports whether v has the form of an IAM role ARN:
// arn:{partition}:iam::{12-digit account}:role/{name}.
func validRoleARN(v string) bool {
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "iam" || parts[3] != "" {
		return false
	}
	if len(parts[4]) != 12 || strings.Trim(parts[4], "0123456789") != "" {
		return false
	}
	name, ok := strings.CutPrefix(parts[5], "role/")
	return ok && name != ""
}
