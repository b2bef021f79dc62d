package iamapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxTags is IAM's quota of tags on one user (tagListType's max).
const maxTags = 50

// tagChar reports whether r is in the tag pattern [\p{L}\p{Z}\p{N}_.:/=+\-@].
func tagChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.In(r, unicode.Z) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r)
}

// checkTags reads and checks the Tag list param (TagUser's Tags, CreateUser's Tags).
func checkTags(v *validation, f form, param string) []tag {
	tags := f.tags(param, maxTags)
	member := strings.ToLower(param[:1]) + param[1:]
	if len(tags) > maxTags {
		v.add(nil, member, fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
		return tags
	}
	for i, t := range tags {
		at := fmt.Sprintf("%s.%d.member.", member, i+1)
		if !t.hasKey {
			v.add(nil, at+"key", "Member must not be null")
		} else {
			checkTagString(v, t.Key, at+"key", 1, 128)
		}
		if !t.hasValue {
			v.add(nil, at+"value", "Member must not be null")
		} else {
			checkTagString(v, t.Value, at+"value", 0, 256)
		}
	}
	return tags
}

func checkTagString(v *validation, s, member string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < min:
		v.add(&s, member, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	case n > max:
		v.add(&s, member, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	for _, r := range s {
		if !tagChar(r) {
			pattern := `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
			if min == 0 {
				pattern = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
			}
			v.add(&s, member, "Member must satisfy regular expression pattern: "+pattern)
			return
		}
	}
}

// tagProblems refuses tag keys given twice, which IAM compares without regard to case.
func tagProblems(tags []tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// TagUser adds tags to a user or changes their values (a key matching an existing one
// without regard to case replaces it).
func (s *Server) TagUser(ctx context.Context, c *call) (any, error) {
	var v validation
	name := v.checkName(c.form, "UserName", "userName", true, 128)
	tags := checkTags(&v, c.form, "Tags")
	if len(tags) == 0 {
		v.add(nil, "tags", "Member must not be null")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := tagProblems(tags); err != nil {
		return nil, err
	}
	_, err := s.updateUser(ctx, name, func(doc *iam.UserDocument) ([]store.Op, error) {
		if doc.Tags == nil {
			doc.Tags = map[string]string{}
		}
		for _, t := range tags {
			for k := range doc.Tags {
				if strings.EqualFold(k, t.Key) {
					delete(doc.Tags, k)
				}
			}
			doc.Tags[t.Key] = t.Value
		}
		if len(doc.Tags) > maxTags {
			return nil, limitExceeded("The number of tags has reached the maximum limit.")
		}
		return nil, nil
	})
	return nil, err
}

// UntagUser removes the tags with the given keys; keys the user does not have are ignored.
func (s *Server) UntagUser(ctx context.Context, c *call) (any, error) {
	var v validation
	name := v.checkName(c.form, "UserName", "userName", true, 128)
	keys := c.form.list("TagKeys", maxTags)
	switch {
	case len(keys) == 0:
		v.add(nil, "tagKeys", "Member must not be null")
	case len(keys) > maxTags:
		v.add(nil, "tagKeys", fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	_, err := s.updateUser(ctx, name, func(doc *iam.UserDocument) ([]store.Op, error) {
		for _, key := range keys {
			for k := range doc.Tags {
				if strings.EqualFold(k, key) {
					delete(doc.Tags, k)
				}
			}
		}
		if len(doc.Tags) == 0 {
			doc.Tags = nil
		}
		return nil, nil
	})
	return nil, err
}

// ListUserTags lists a user's tags, all of them in one page (at most 50 exist).
func (s *Server) ListUserTags(ctx context.Context, c *call) (any, error) {
	var v validation
	name := v.checkName(c.form, "UserName", "userName", true, 128)
	checkMarker(&v, c.form)
	v.checkMaxItems(c.form)
	if err := v.err(); err != nil {
		return nil, err
	}
	doc, _, err := s.loadUser(ctx, name)
	if err != nil {
		return nil, err
	}
	return struct {
		Tags        tagsElement `xml:"Tags"`
		IsTruncated bool        `xml:"IsTruncated"`
	}{Tags: tagsElement{Member: tagList(doc.Tags)}}, nil
}

// tagsElement is a Tags list that is written even when empty (<Tags/>), as IAM writes it.
type tagsElement struct {
	Member []xmlTag `xml:"member"`
}

// decode reads a stored JSON document.
func decode(kv store.KV, v any) error {
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return fmt.Errorf("decode %q: %w", kv.Key, err)
	}
	return nil
}
