package mgmt

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// listPage answers a list operation under the REST API the call names (GET
// /restapis/{restapi_id}/authorizers, .../models, .../resources, ...) with one page of
// what page picks from the API's document, and the position of the next page. The page
// asked for (position, limit) is checked before the API is looked up; an unknown API
// answers loadAPI's "Invalid API identifier specified {account}:{id}", as AWS's list
// operations do ([L] "wrong-rest-api-id-get-authorizers",
// test_invalid_get_request_validators).
func listPage[T any](ctx context.Context, s *Server, c *call, page func(doc *apigateway.RestAPIDocument, p awsjson.Page) ([]T, string)) error {
	p, err := awsjson.ParsePage(c.r)
	if err != nil {
		return err
	}
	doc, err := s.loadAPI(ctx, c.path("restapi_id"))
	if err != nil {
		return err
	}
	items, next := page(doc, p)
	awsjson.WriteJSON(c.w, http.StatusOK, listOutput[T]{Items: items, Position: next})
	return nil
}

// listEntries is listPage of one of the document's maps (doc.Authorizers, doc.Models,
// ...), in key order; positions are keys.
func listEntries[T any](ctx context.Context, s *Server, c *call, entries func(doc *apigateway.RestAPIDocument) map[string]T) error {
	return listPage(ctx, s, c, func(doc *apigateway.RestAPIDocument, p awsjson.Page) ([]T, string) {
		return awsjson.PaginateMap(entries(doc), p)
	})
}
