package mgmt

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Tags: TagResource (PUT), UntagResource (DELETE) and GetTags (GET) at /tags/{resource_arn}
// (botocore's apigateway 2015-07-09 model). The taggable resources that exist are REST APIs
// (arn:aws:apigateway:{region}::/restapis/{id}) and stages (.../restapis/{id}/stages/{name});
// their tags are the same ones CreateRestApi and CreateStage take and GetRestApi and GetStage
// answer. The resources later issues add (API keys, usage plans, domain names...) join
// taggableResources.

// Tag limits ([B] TagResourceRequest.tags: keys up to 128 characters, not starting with
// "aws:", values up to 256; ../shared/AWS_REFERENCE.md section 13: 50 tags per stage). The messages
// are not verified.
const (
	maxTagKeyLen   = 128
	maxTagValueLen = 256
	maxTags        = 50
)

// errInvalidARN is the answer for a resource_arn that names no taggable resource (not
// verified: AWS answers BadRequestException; the wording is gatehouse's).
func errInvalidARN(arn string) *awsjson.Error {
	return awsjson.BadRequest("Invalid ARN specified in the request: %s", arn)
}

// taggable is the tags of one resource: read them, or change them atomically.
type taggable struct {
	load   func(ctx context.Context) (map[string]string, error)
	update func(ctx context.Context, fn func(tags map[string]string) map[string]string) error
}

// taggableResource resolves a resource ARN to the resource it names in this gatehouse's
// region. An ARN of another partition, service or region, or of a resource kind that cannot
// be tagged, is errInvalidARN; an API or stage that does not exist is NotFoundException as
// GetRestApi and GetStage answer it.
func (s *Server) taggableResource(resourceARN string) (*taggable, error) {
	a, err := arn.Parse(resourceARN)
	rest, ok := strings.CutPrefix(a.Resource, "/")
	if err != nil || !ok || a.Partition != arn.Partition || a.Service != "apigateway" || a.Region != s.scope.Region || a.AccountID != "" {
		return nil, errInvalidARN(resourceARN)
	}
	seg := strings.Split(rest, "/")
	for _, p := range seg {
		if p == "" {
			return nil, errInvalidARN(resourceARN)
		}
	}
	switch {
	case len(seg) == 2 && seg[0] == "restapis":
		apiID := seg[1]
		return &taggable{
			load: func(ctx context.Context) (map[string]string, error) {
				doc, err := s.loadAPI(ctx, apiID)
				if err != nil {
					return nil, err
				}
				return doc.Tags, nil
			},
			update: func(ctx context.Context, fn func(map[string]string) map[string]string) error {
				_, err := s.updateAPI(ctx, apiID, func(doc *apigateway.RestAPIDocument) error {
					doc.Tags = fn(doc.Tags)
					return nil
				})
				return err
			},
		}, nil
	case len(seg) == 4 && seg[0] == "restapis" && seg[2] == "stages":
		apiID, name := seg[1], seg[3]
		return &taggable{
			load: func(ctx context.Context) (map[string]string, error) {
				st, err := s.loadStage(ctx, apiID, name)
				if err != nil {
					return nil, err
				}
				return st.Tags, nil
			},
			update: func(ctx context.Context, fn func(map[string]string) map[string]string) error {
				if _, err := s.loadStage(ctx, apiID, name); err != nil {
					return err
				}
				_, err := store.Update(ctx, s.store, s.scope.StageKey(apiID, name), func(st *apigateway.StageDocument) (*apigateway.StageDocument, []store.Op, error) {
					if st == nil {
						return nil, nil, errStageNotFound
					}
					st.Tags = fn(st.Tags)
					return st, nil, nil
				})
				return err
			},
		}, nil
	case len(seg) == 2 && seg[0] == "apikeys":
		id := seg[1]
		return docTaggable(s, s.scope.APIKeyKey(id), errAPIKeyNotFound, func(d *apigateway.APIKeyDocument) *map[string]string { return &d.Tags }), nil
	case len(seg) == 2 && seg[0] == "usageplans":
		id := seg[1]
		return docTaggable(s, s.scope.UsagePlanKey(id), errUsagePlanNotFound, func(d *apigateway.UsagePlanDocument) *map[string]string { return &d.Tags }), nil
	}
	return nil, errInvalidARN(resourceARN)
}

// docTaggable is the tags of a resource stored as one JSON document at key (API keys, usage
// plans): tags returns the document's tags field; a missing document is notFound.
func docTaggable[T any](s *Server, key string, notFound error, tags func(*T) *map[string]string) *taggable {
	return &taggable{
		load: func(ctx context.Context) (map[string]string, error) {
			var doc T
			_, err := store.GetJSON(ctx, s.store, key, &doc)
			if errors.Is(err, store.ErrNotFound) {
				return nil, notFound
			}
			if err != nil {
				return nil, err
			}
			return *tags(&doc), nil
		},
		update: func(ctx context.Context, fn func(map[string]string) map[string]string) error {
			_, err := store.Update(ctx, s.store, key, func(doc *T) (*T, []store.Op, error) {
				if doc == nil {
					return nil, nil, notFound
				}
				t := tags(doc)
				*t = fn(*t)
				return doc, nil, nil
			})
			return err
		},
	}
}

// tagsOutput is AWS's Tags shape; tags is always an object, {} for none.
type tagsOutput struct {
	Tags map[string]string `json:"tags"`
}

// GetTags is GET /tags/{resource_arn}.
func (s *Server) GetTags(ctx context.Context, c *call) error {
	res, err := s.taggableResource(c.path("resource_arn"))
	if err != nil {
		return err
	}
	tags, err := res.load(ctx)
	if err != nil {
		return err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	awsjson.WriteJSON(c.w, http.StatusOK, tagsOutput{Tags: tags})
	return nil
}

type tagResourceInput struct {
	Tags *map[string]string `json:"tags"`
}

// TagResource is PUT /tags/{resource_arn}: adds the given tags, replacing the values of keys
// the resource has; 204 with no body.
func (s *Server) TagResource(ctx context.Context, c *call) error {
	var in tagResourceInput
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Tags == nil {
		// The service model requires tags; the wording is not verified.
		return awsjson.BadRequest("Tags must be specified")
	}
	if err := tagsProblem(*in.Tags); err != nil {
		return err
	}
	res, err := s.taggableResource(c.path("resource_arn"))
	if err != nil {
		return err
	}
	var tooMany bool
	err = res.update(ctx, func(tags map[string]string) map[string]string {
		merged := maps.Clone(tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, *in.Tags)
		if len(merged) > maxTags {
			tooMany = true
			return tags
		}
		return nilIfEmpty(merged)
	})
	if err != nil {
		return err
	}
	if tooMany {
		// Not verified: the quota is AWS's, the wording gatehouse's. The update above wrote
		// the tags back unchanged.
		return awsjson.LimitExceeded("A resource can have at most %d tags", maxTags)
	}
	awsjson.WriteEmpty(c.w, http.StatusNoContent)
	return nil
}

// UntagResource is DELETE /tags/{resource_arn}?tagKeys=a&tagKeys=b: removes the given keys
// (a key the resource does not have is no error); 204 with no body.
func (s *Server) UntagResource(ctx context.Context, c *call) error {
	keys, present := c.r.URL.Query()["tagKeys"]
	if !present {
		// The service model requires tagKeys; the wording is not verified.
		return awsjson.BadRequest("Tag keys must be specified")
	}
	res, err := s.taggableResource(c.path("resource_arn"))
	if err != nil {
		return err
	}
	err = res.update(ctx, func(tags map[string]string) map[string]string {
		out := maps.Clone(tags)
		for _, k := range keys {
			delete(out, k)
		}
		return nilIfEmpty(out)
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusNoContent)
	return nil
}

// tagsProblem checks tags against AWS's documented limits, reporting every problem.
func tagsProblem(tags map[string]string) error {
	var problems []string
	if len(tags) > maxTags {
		problems = append(problems, fmt.Sprintf("A resource can have at most %d tags", maxTags))
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		switch {
		case k == "" || len(k) > maxTagKeyLen:
			problems = append(problems, fmt.Sprintf("Tag key '%s' must be 1 to %d characters long", k, maxTagKeyLen))
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			problems = append(problems, fmt.Sprintf("Tag key '%s' must not start with 'aws:'", k))
		}
		if len(tags[k]) > maxTagValueLen {
			problems = append(problems, fmt.Sprintf("Tag value for '%s' must be at most %d characters long", k, maxTagValueLen))
		}
	}
	return badRequestProblems(problems)
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
