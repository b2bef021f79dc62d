package mgmt

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// A REST API document keeps its authorizers, request validators and models in maps, by id
// or name. These are the rules every operation on one entry follows.

// loadEntry returns REST API document apiID and its entry under key in the map entries
// picks, answering notFound for an unknown API as for an unknown key: the operations under
// one authorizer, validator or model answer both alike.
func loadEntry[T any](ctx context.Context, s *Server, apiID, key string, notFound error, entries func(doc *apigateway.RestAPIDocument) map[string]*T) (*apigateway.RestAPIDocument, *T, error) {
	doc, err := s.loadAPIOr(ctx, apiID, notFound)
	if err != nil {
		return nil, nil, err
	}
	e := entries(doc)[key]
	if e == nil {
		return nil, nil, notFound
	}
	return doc, e, nil
}

// getEntry answers a GET of one entry: 200 with the entry under the call's path label
// keyLabel (authorizer_id, ...) of the API the call names, or notFound (see loadEntry).
func getEntry[T any](ctx context.Context, s *Server, c *call, keyLabel string, notFound error, entries func(doc *apigateway.RestAPIDocument) map[string]*T) error {
	_, e, err := loadEntry(ctx, s, c.path("restapi_id"), c.path(keyLabel), notFound, entries)
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, e)
	return nil
}

// newEntryID returns a new id (6 characters, as AWS's) that m does not hold yet.
func newEntryID[V any](m map[string]V) string {
	id := newID(6)
	for _, taken := m[id]; taken; _, taken = m[id] {
		id = newID(6)
	}
	return id
}

// putEntry sets (*m)[key] to v, making the map on first use (a document read from the
// store has nil for an empty one, see deleteEntry).
func putEntry[V any](m *map[string]V, key string, v V) {
	if *m == nil {
		*m = map[string]V{}
	}
	(*m)[key] = v
}
