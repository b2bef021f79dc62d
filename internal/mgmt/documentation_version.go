package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Documentation version operations. A version is its own document
// (apigateway.DocumentationVersionDocument): the API's parts as they stood when it was
// created, written in one transaction with the API's head (conditional on its revision, so
// the snapshot is exactly the API's parts then) and, with stageName, with the stage whose
// documentationVersion it sets.

var (
	// AWS's answer for an unknown version: serverless-aws-documentation, a plugin run
	// against AWS, tells a missing version by this exact message of GetDocumentationVersion.
	errDocVersionNotFound = awsjson.NotFound("Invalid Documentation version specified")
	// A stage naming a version the API does not have (CreateStage, UpdateStage): the same
	// words as a BadRequestException. The type is not verified.
	errDocVersionUnknown = awsjson.BadRequest("Invalid Documentation version specified")
)

// Not verified: gatehouse's wording.
const (
	msgDocVersionExists  = "Documentation version already exists"
	msgDocVersionMissing = "Documentation version identifier must be specified"
	msgDocVersionSlash   = "Documentation version identifier must not contain '/'"
)

type createDocumentationVersionInput struct {
	DocumentationVersion string `json:"documentationVersion"`
	StageName            string `json:"stageName"`
	Description          string `json:"description"`
}

// CreateDocumentationVersion is POST /restapis/{restapi_id}/documentation/versions: 201.
func (s *Server) CreateDocumentationVersion(ctx context.Context, c *call) error {
	var in createDocumentationVersionInput
	if err := c.decode(&in); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(in.DocumentationVersion) == "":
		return awsjson.BadRequest(msgDocVersionMissing)
	case strings.Contains(in.DocumentationVersion, "/"):
		return awsjson.BadRequest(msgDocVersionSlash)
	}
	apiID := c.path("restapi_id")
	var created *apigateway.DocumentationVersionDocument
	_, err := s.updateAPIOps(ctx, apiID, s.errAPINotFound(apiID), func(doc *apigateway.RestAPIDocument) ([]store.Op, error) {
		key := s.scope.DocumentationVersionKey(apiID, in.DocumentationVersion)
		if _, err := s.store.Get(ctx, key); err == nil {
			return nil, awsjson.Conflict(msgDocVersionExists)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		created = &apigateway.DocumentationVersionDocument{
			DocumentationVersion: apigateway.DocumentationVersion{Version: in.DocumentationVersion, CreatedDate: s.now(), Description: in.Description},
			RestAPIID:            apiID,
			Parts:                make([]*apigateway.DocumentationPart, 0, len(doc.DocumentationParts)),
		}
		for _, id := range slices.Sorted(maps.Keys(doc.DocumentationParts)) {
			created.Parts = append(created.Parts, doc.DocumentationParts[id])
		}
		put, err := store.PutJSON(key, created, store.Absent)
		if err != nil {
			return nil, err
		}
		ops := []store.Op{put}
		if in.StageName != "" {
			var st apigateway.StageDocument
			rev, err := store.GetJSON(ctx, s.store, s.scope.StageKey(apiID, in.StageName), &st)
			if errors.Is(err, store.ErrNotFound) {
				return nil, errStageNotFound
			}
			if err != nil {
				return nil, err
			}
			st.DocumentationVersion = in.DocumentationVersion
			st.LastUpdatedDate = s.now()
			op, err := store.PutJSON(s.scope.StageKey(apiID, in.StageName), &st, rev)
			if err != nil {
				return nil, err
			}
			ops = append(ops, op)
		}
		return ops, nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, &created.DocumentationVersion)
	return nil
}

// loadDocumentationVersion reads one version of an API: an unknown API is
// errAPINotFound, an unknown version errDocVersionNotFound.
func (s *Server) loadDocumentationVersion(ctx context.Context, apiID, version string) (*apigateway.DocumentationVersionDocument, error) {
	var v apigateway.DocumentationVersionDocument
	_, err := store.GetJSON(ctx, s.store, s.scope.DocumentationVersionKey(apiID, version), &v)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.checkAPIExists(ctx, apiID); err != nil {
			return nil, err
		}
		return nil, errDocVersionNotFound
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// documentationVersionGuard checks a stage's documentationVersion: empty means none;
// anything else must name a version of the API, and the op returned (nil for none) rewrites
// that version unchanged, conditional on the revision read, for the stage's transaction: so
// a version deleted between the check and the stage's write makes the write retry and be
// refused.
func (s *Server) documentationVersionGuard(ctx context.Context, apiID, version string) ([]store.Op, error) {
	if version == "" {
		return nil, nil
	}
	if strings.Contains(version, "/") {
		return nil, errDocVersionUnknown
	}
	kv, err := s.store.Get(ctx, s.scope.DocumentationVersionKey(apiID, version))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errDocVersionUnknown
	}
	if err != nil {
		return nil, err
	}
	return []store.Op{{Key: kv.Key, Value: kv.Value, IfRevision: kv.Revision}}, nil
}

// GetDocumentationVersion is GET .../documentation/versions/{doc_version}.
func (s *Server) GetDocumentationVersion(ctx context.Context, c *call) error {
	v, err := s.loadDocumentationVersion(ctx, c.path("restapi_id"), c.path("doc_version"))
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, &v.DocumentationVersion)
	return nil
}

// GetDocumentationVersions is GET /restapis/{restapi_id}/documentation/versions, in
// version order.
func (s *Server) GetDocumentationVersions(ctx context.Context, c *call) error {
	p, err := awsjson.ParsePage(c.r)
	if err != nil {
		return err
	}
	apiID := c.path("restapi_id")
	if err := s.checkAPIExists(ctx, apiID); err != nil {
		return err
	}
	kvs, _, err := s.store.List(ctx, s.scope.DocumentationVersionPrefix(apiID))
	if err != nil {
		return err
	}
	versions := make([]apigateway.DocumentationVersion, 0, len(kvs))
	for _, kv := range kvs {
		var v apigateway.DocumentationVersionDocument
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return err
		}
		versions = append(versions, v.DocumentationVersion)
	}
	slices.SortFunc(versions, func(a, b apigateway.DocumentationVersion) int { return strings.Compare(a.Version, b.Version) })
	items, next := awsjson.Paginate(versions, func(v apigateway.DocumentationVersion) string { return v.Version }, p)
	awsjson.WriteJSON(c.w, http.StatusOK, listOutput[apigateway.DocumentationVersion]{Items: items, Position: next})
	return nil
}

// UpdateDocumentationVersion is PATCH .../documentation/versions/{doc_version}: replace
// /description only; the snapshot never changes.
func (s *Server) UpdateDocumentationVersion(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateDocumentationVersionInput")
	if err != nil {
		return err
	}
	apiID, version := c.path("restapi_id"), c.path("doc_version")
	if _, err := s.loadDocumentationVersion(ctx, apiID, version); err != nil {
		return err
	}
	v, err := store.Update(ctx, s.store, s.scope.DocumentationVersionKey(apiID, version), func(v *apigateway.DocumentationVersionDocument) (*apigateway.DocumentationVersionDocument, []store.Op, error) {
		if v == nil {
			return nil, nil, errDocVersionNotFound
		}
		var p problemList
		for _, op := range ops {
			switch {
			case op.Op != awsjson.OpReplace:
				p.addf("%s", unsupportedPatchOp(op))
			case op.Path != "/description":
				p.addf("Invalid patch path  '%s' specified for op 'replace'. Must be one of: [/description]", op.Path)
			default:
				v.Description = op.Val()
			}
		}
		if err := p.err(); err != nil {
			return nil, nil, err
		}
		return v, nil, nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, &v.DocumentationVersion)
	return nil
}

// DeleteDocumentationVersion is DELETE .../documentation/versions/{doc_version}: 202. A
// stage associated with the version keeps naming it (not verified against AWS).
func (s *Server) DeleteDocumentationVersion(ctx context.Context, c *call) error {
	apiID, version := c.path("restapi_id"), c.path("doc_version")
	if _, err := s.loadDocumentationVersion(ctx, apiID, version); err != nil {
		return err
	}
	_, err := store.Update(ctx, s.store, s.scope.DocumentationVersionKey(apiID, version), func(v *apigateway.DocumentationVersionDocument) (*apigateway.DocumentationVersionDocument, []store.Op, error) {
		if v == nil {
			return nil, nil, errDocVersionNotFound
		}
		return nil, nil, nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}
