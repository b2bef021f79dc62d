package mgmt

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// Resource operations: the API's path tree. Every change to the REST API document commits in
// one transaction (updateAPIOr), so a move re-computes the paths of a whole subtree
// atomically, writing each resource whose path changed.

// pathPartKind classifies a resource's last path segment.
type pathPartKind int

const (
	pathPartInvalid  pathPartKind = iota
	pathPartLiteral               // pets
	pathPartVariable              // {petId}
	pathPartGreedy                // {proxy+}
)

// errInvalidPathPart is AWS's answer to a path part outside its grammar. The first sentence
// is recorded from AWS in claudiajs/claudia#11 (2016); the greedy clause was added with
// {proxy+} support and is as AWS words it today (not recorded in a fixture).
var errInvalidPathPart = awsjson.BadRequest("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.")

// parsePathPart classifies p: a literal of a-zA-Z0-9._-, a variable "{name}" or a greedy
// variable "{name+}" whose name uses the same characters.
func parsePathPart(p string) pathPartKind {
	kind := pathPartLiteral
	if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") && len(p) >= 2 {
		p = p[1 : len(p)-1]
		kind = pathPartVariable
		if strings.HasSuffix(p, "+") {
			p = p[:len(p)-1]
			kind = pathPartGreedy
		}
	}
	if p == "" {
		return pathPartInvalid
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return pathPartInvalid
		}
	}
	return kind
}

// childPath is the path of a child with part under a parent at parentPath.
func childPath(parentPath, part string) string {
	if parentPath == "/" {
		return "/" + part
	}
	return parentPath + "/" + part
}

// checkPlacement reports why a resource with part cannot sit under parent (ignoring the
// resource self, when moving it), in AWS's order and words (recorded:
// test_create_proxy_resource_validation, test_update_resource_behaviour).
func checkPlacement(doc *apigateway.RestAPIDocument, parent *apigateway.Resource, part, self string) error {
	if parsePathPart(parent.PathPart) == pathPartGreedy {
		return awsjson.BadRequest("Cannot create a child of a resource with a greedy path variable: %s", parent.PathPart)
	}
	kind := parsePathPart(part)
	for _, r := range doc.Resources {
		if r.ParentID != parent.ID || r.ID == self {
			continue
		}
		if r.PathPart == part {
			return awsjson.Conflict("Another resource with the same parent already has this name: %s", part)
		}
		if kind != pathPartLiteral && parsePathPart(r.PathPart) != pathPartLiteral {
			return awsjson.BadRequest("A sibling (%s) of this resource already has a variable path part -- only one is allowed", r.PathPart)
		}
	}
	return nil
}

// subtree returns id and the ids of all its descendants.
func subtree(doc *apigateway.RestAPIDocument, id string) []string {
	children := make(map[string][]string, len(doc.Resources))
	for _, r := range doc.Resources {
		if r.ParentID != "" {
			children[r.ParentID] = append(children[r.ParentID], r.ID)
		}
	}
	out := []string{id}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// repath re-computes the paths below the resource id, whose own path is already right.
func repath(doc *apigateway.RestAPIDocument, id string) error {
	for _, rid := range subtree(doc, id)[1:] {
		r, err := findResource(doc, rid)
		if err != nil {
			return err
		}
		// subtree lists parents before their children, so the parent's path is final.
		r.Path = childPath(doc.Resources[r.ParentID].Path, r.PathPart)
	}
	return nil
}

// resourceOutput is AWS's Resource shape on the wire. Without embed=methods AWS lists each
// method as an empty object (awscli's examples/apigateway/get-resources.rst:
// "resourceMethods": {"POST": {}}); with it, the whole Method.
type resourceOutput struct {
	ID              string         `json:"id"`
	ParentID        string         `json:"parentId,omitempty"`
	PathPart        string         `json:"pathPart,omitempty"`
	Path            string         `json:"path"`
	ResourceMethods map[string]any `json:"resourceMethods,omitempty"`
}

func newResourceOutput(r *apigateway.Resource, embedMethods bool) *resourceOutput {
	out := &resourceOutput{ID: r.ID, ParentID: r.ParentID, PathPart: r.PathPart, Path: r.Path}
	if len(r.ResourceMethods) > 0 {
		out.ResourceMethods = make(map[string]any, len(r.ResourceMethods))
		for verb, m := range r.ResourceMethods {
			if embedMethods {
				out.ResourceMethods[verb] = m
			} else {
				out.ResourceMethods[verb] = struct{}{}
			}
		}
	}
	return out
}

// embedsMethods reports whether the call asks for ?embed=methods. The SDKs send the list
// as repeated parameters; the docs show it comma-separated: both are accepted.
func embedsMethods(c *call) bool {
	for _, v := range c.r.URL.Query()["embed"] {
		if slices.Contains(strings.Split(v, ","), "methods") {
			return true
		}
	}
	return false
}

type createResourceInput struct {
	PathPart string `json:"pathPart"`
}

// CreateResource is POST /restapis/{restapi_id}/resources/{parent_id}.
func (s *Server) CreateResource(ctx context.Context, c *call) error {
	var in createResourceInput
	if err := c.decode(&in); err != nil {
		return err
	}
	var created *apigateway.Resource
	_, err := s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		parent, err := readResource(doc, c.path("parent_id"))
		if err != nil {
			return err
		}
		if parsePathPart(in.PathPart) == pathPartInvalid {
			return errInvalidPathPart
		}
		if err := checkPlacement(doc, parent, in.PathPart, ""); err != nil {
			return err
		}
		created = &apigateway.Resource{
			ID:       newID(6),
			ParentID: parent.ID,
			PathPart: in.PathPart,
			Path:     childPath(parent.Path, in.PathPart),
		}
		doc.Resources[created.ID] = created
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, newResourceOutput(created, false))
	return nil
}

// GetResource is GET /restapis/{restapi_id}/resources/{resource_id}.
func (s *Server) GetResource(ctx context.Context, c *call) error {
	doc, err := s.loadResourceAPI(ctx, c.path("restapi_id"))
	if err != nil {
		return err
	}
	r, err := findResource(doc, c.path("resource_id"))
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, newResourceOutput(r, embedsMethods(c)))
	return nil
}

// GetResources is GET /restapis/{restapi_id}/resources. AWS lists resources in path order
// (recorded: test_create_proxy_resource "all-resources": "/parent/child/{proxy+}" before
// "/parent/{proxy+}" before "/{proxy+}"), which is also the pagination order; the position
// token is the path of the next page's first resource.
func (s *Server) GetResources(ctx context.Context, c *call) error {
	embed := embedsMethods(c)
	return listPage(ctx, s, c, func(doc *apigateway.RestAPIDocument, page awsjson.Page) ([]*resourceOutput, string) {
		all := make([]*apigateway.Resource, 0, len(doc.Resources))
		for _, r := range doc.Resources {
			all = append(all, r)
		}
		slices.SortFunc(all, func(a, b *apigateway.Resource) int { return strings.Compare(a.Path, b.Path) })
		items, next := awsjson.Paginate(all, func(r *apigateway.Resource) string { return r.Path }, page)
		out := make([]*resourceOutput, 0, len(items))
		for _, r := range items {
			out = append(out, newResourceOutput(r, embed))
		}
		return out, next
	})
}

// UpdateResource is PATCH /restapis/{restapi_id}/resources/{resource_id}: replace
// /pathPart or /parentId. A move re-computes the paths of the whole subtree.
func (s *Server) UpdateResource(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateResourceInput")
	if err != nil {
		return err
	}
	var updated *apigateway.Resource
	_, err = s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		r, err := findResource(doc, c.path("resource_id"))
		if err != nil {
			return err
		}
		if err := patchResource(doc, r, ops); err != nil {
			return err
		}
		updated = r
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, newResourceOutput(updated, false))
	return nil
}

// patchResource applies UpdateResource's operations to r inside doc. Path problems are all
// reported together; a missing parent, a conflict or a cycle stop at the first. doc is
// only a working copy: on error nothing is stored.
func patchResource(doc *apigateway.RestAPIDocument, r *apigateway.Resource, ops []awsjson.PatchOperation) error {
	isRoot := r.ID == doc.RootResourceID
	var problems []string
	part, parentID := r.PathPart, r.ParentID
	for _, op := range ops {
		switch {
		case op.Path != "/pathPart" && op.Path != "/parentId" && op.Op == awsjson.OpReplace:
			// Recorded: test_update_resource_behaviour "invalid-path-part" (two spaces
			// after "path" are AWS's).
			problems = append(problems, "Invalid patch path  '"+op.Path+"' specified for op 'replace'. Must be one of: [/parentId, /pathPart]")
		case op.Op != awsjson.OpReplace:
			// Recorded: test_update_resource_behaviour "remove-unsupported", "add-unsupported".
			problems = append(problems, "Invalid patch path  '"+op.Path+"' specified for op '"+op.Op+"'. Please choose supported operations")
		case isRoot:
			// Recorded: test_update_resource_on_root.
			problems = append(problems, "Root resource cannot update its "+op.Path[1:]+".")
		case op.Path == "/pathPart":
			part = op.Val()
		default:
			parentID = op.Val()
		}
	}
	if err := badRequestProblems(problems); err != nil {
		return err
	}
	if part == r.PathPart && parentID == r.ParentID {
		return nil
	}
	if parsePathPart(part) == pathPartInvalid {
		return errInvalidPathPart
	}
	parent, err := readResource(doc, parentID)
	if err != nil {
		return err
	}
	if slices.Contains(subtree(doc, r.ID), parentID) {
		// Recorded: test_update_resource_behaviour "update-parent-id-to-subresource-id".
		return awsjson.BadRequest("Resources cannot be cyclical.")
	}
	if err := checkPlacement(doc, parent, part, r.ID); err != nil {
		return err
	}
	if parsePathPart(part) == pathPartGreedy && len(subtree(doc, r.ID)) > 1 {
		// A greedy resource has no children (CreateResource refuses them, the data plane
		// cannot route them), so one with children may not become greedy. AWS's answer to
		// this update is not recorded; CreateResource's refusal is the nearest.
		return awsjson.BadRequest("Cannot create a child of a resource with a greedy path variable: %s", part)
	}
	r.PathPart, r.ParentID = part, parentID
	r.Path = childPath(parent.Path, part)
	return repath(doc, r.ID)
}

// DeleteResource is DELETE /restapis/{restapi_id}/resources/{resource_id}: the resource and
// its whole subtree, with their methods. 202 as AWS answers (test_resource_lifecycle
// "del-resource").
func (s *Server) DeleteResource(ctx context.Context, c *call) error {
	_, err := s.updateResourceAPI(ctx, c.path("restapi_id"), func(doc *apigateway.RestAPIDocument) error {
		r, err := findResource(doc, c.path("resource_id"))
		if err != nil {
			return err
		}
		if r.ID == doc.RootResourceID {
			// AWS refuses to delete the root resource; the wording is not recorded in a
			// fixture.
			return awsjson.BadRequest("Cannot delete root resource")
		}
		for _, id := range subtree(doc, r.ID) {
			delete(doc.Resources, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}
