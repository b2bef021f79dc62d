package mgmt

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// Request validator operations. Validators live in the REST API document by id; a method
// turns one on with requestValidatorId. Messages are AWS's, recorded in localstack's
// test_apigateway_api.snapshot.json (TestApiGatewayApiRequestValidator: the case named
// beside each).

var (
	// "get-deleted-request-validator", "get-request-validators-invalid-api-id",
	// "delete-request-validator-invalid-api-id": an unknown validator, or an unknown API on
	// the operations under a validator.
	errValidatorNotFound = awsjson.NotFound("Invalid Request Validator identifier specified")
	// test_update_method_validation "wrong-req-validator-id": a method naming a validator
	// that does not exist.
	errValidatorUnknown = awsjson.BadRequest("Invalid Request Validator identifier specified")
	// "wrong-rest-api-id-create-validator", "invalid-create-request-validator".
	errValidatorAPINotFound = awsjson.BadRequest("Invalid REST API identifier specified")
)

// "update-request-validator-empty-name-value".
const msgValidatorNameBlank = "Request Validator name cannot be blank"

type createRequestValidatorInput struct {
	Name                      string `json:"name"`
	ValidateRequestBody       bool   `json:"validateRequestBody"`
	ValidateRequestParameters bool   `json:"validateRequestParameters"`
}

// CreateRequestValidator is POST /restapis/{restapi_id}/requestvalidators. Both checks
// default to false (recorded: test_request_validator_lifecycle "create-request-validator").
func (s *Server) CreateRequestValidator(ctx context.Context, c *call) error {
	var in createRequestValidatorInput
	if err := c.decode(&in); err != nil {
		return err
	}
	var created *apigateway.RequestValidator
	_, err := s.updateAPIOr(ctx, c.path("restapi_id"), errValidatorAPINotFound, func(doc *apigateway.RestAPIDocument) error {
		created = &apigateway.RequestValidator{
			ID:                        newEntryID(doc.RequestValidators),
			Name:                      in.Name,
			ValidateRequestBody:       in.ValidateRequestBody,
			ValidateRequestParameters: in.ValidateRequestParameters,
		}
		putEntry(&doc.RequestValidators, created.ID, created)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, created)
	return nil
}

// GetRequestValidator is GET /restapis/{restapi_id}/requestvalidators/{requestvalidator_id}.
func (s *Server) GetRequestValidator(ctx context.Context, c *call) error {
	return getEntry(ctx, s, c, "requestvalidator_id", errValidatorNotFound, requestValidatorsOf)
}

// GetRequestValidators is GET /restapis/{restapi_id}/requestvalidators, in id order.
func (s *Server) GetRequestValidators(ctx context.Context, c *call) error {
	return listEntries(ctx, s, c, requestValidatorsOf)
}

func requestValidatorsOf(doc *apigateway.RestAPIDocument) map[string]*apigateway.RequestValidator {
	return doc.RequestValidators
}

// UpdateRequestValidator is PATCH .../requestvalidators/{requestvalidator_id}: replace
// /name, /validateRequestBody, /validateRequestParameters. A boolean replaced without a
// value becomes false (recorded: "update-request-validator-without-value"); other ops and
// paths are refused (test_invalid_update_request_validator_operations).
func (s *Server) UpdateRequestValidator(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateRequestValidatorInput")
	if err != nil {
		return err
	}
	var updated *apigateway.RequestValidator
	_, err = s.updateAPIOr(ctx, c.path("restapi_id"), errValidatorNotFound, func(doc *apigateway.RestAPIDocument) error {
		cur := doc.RequestValidators[c.path("requestvalidator_id")]
		if cur == nil {
			return errValidatorNotFound
		}
		v := *cur
		var p problemList
		for _, op := range ops {
			switch {
			case op.Op != awsjson.OpReplace:
				p.addf("%s", unsupportedPatchOp(op))
			case op.Path == "/name":
				if strings.TrimSpace(op.Val()) == "" {
					p.addf("%s", msgValidatorNameBlank)
				}
				v.Name = op.Val()
			case op.Path == "/validateRequestBody":
				v.ValidateRequestBody = javaBool(op.Val())
			case op.Path == "/validateRequestParameters":
				v.ValidateRequestParameters = javaBool(op.Val())
			default:
				p.addf("Invalid patch path  '%s' specified for op '%s'. Must be one of: [/name, /validateRequestParameters, /validateRequestBody]", op.Path, op.Op)
			}
		}
		if err := p.err(); err != nil {
			return err
		}
		doc.RequestValidators[v.ID] = &v
		updated = &v
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, updated)
	return nil
}

// DeleteRequestValidator is DELETE .../requestvalidators/{requestvalidator_id}: 202. It is
// refused while a method uses the validator, so that no method is left naming one that does
// not exist (gatehouse's choice: AWS's answer is not recorded).
func (s *Server) DeleteRequestValidator(ctx context.Context, c *call) error {
	id := c.path("requestvalidator_id")
	_, err := s.updateAPIOr(ctx, c.path("restapi_id"), errValidatorNotFound, func(doc *apigateway.RestAPIDocument) error {
		if doc.RequestValidators[id] == nil {
			return errValidatorNotFound
		}
		var users []string
		for where, m := range methodsByPath(doc) {
			if m.RequestValidatorID == id {
				users = append(users, fmt.Sprintf("Cannot delete request validator '%s', is referenced in method: %s", id, where))
			}
		}
		if len(users) > 0 {
			return awsjson.Conflict("%s", joinProblems(users))
		}
		deleteEntry(&doc.RequestValidators, id)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}

// checkRequestValidator returns the problem of a method's requestValidatorId: empty means
// none; anything else must name a validator of the API.
func checkRequestValidator(doc *apigateway.RestAPIDocument, id string) *awsjson.Error {
	if id == "" || doc.RequestValidators[id] != nil {
		return nil
	}
	return errValidatorUnknown
}
