package iamapi

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/store"
)

// xmlUser is IAM's User element.
type xmlUser struct {
	Path       string       `xml:"Path,omitempty"`
	UserName   string       `xml:"UserName,omitempty"`
	UserID     string       `xml:"UserId"`
	ARN        string       `xml:"Arn"`
	CreateDate string       `xml:"CreateDate"`
	Tags       *tagsElement `xml:"Tags,omitempty"`
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// isoTime is IAM's date format: ISO 8601 in UTC, to the second.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func userAnswer(u *iam.User) xmlUser {
	x := xmlUser{Path: u.Path, UserName: u.UserName, UserID: u.UserID, ARN: u.ARN, CreateDate: isoTime(u.CreateDate)}
	if len(u.Tags) > 0 { // no Tags element for a user without tags, as IAM answers
		x.Tags = &tagsElement{Member: tagList(u.Tags)}
	}
	return x
}

// tagList is a user's tags in key order.
func tagList(tags map[string]string) []xmlTag {
	out := make([]xmlTag, 0, len(tags))
	for k, v := range tags {
		out = append(out, xmlTag{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b xmlTag) int { return strings.Compare(a.Key, b.Key) })
	return out
}

type userResult struct {
	User xmlUser `xml:"User"`
}

// userARN is IAM's ARN of a user: arn:aws:iam::{account}:user{path}{name}.
func (s *Server) userARN(path, name string) string {
	return "arn:aws:iam::" + s.cfg.Scope.AccountID + ":user" + path + name
}

// userName is the name a user was created with, found without regard to case (the name as
// given first, then the case-insensitive reservation); NoSuchEntity when there is none.
func (s *Server) userName(ctx context.Context, name string) (string, error) {
	_, err := s.cfg.Store.Get(ctx, s.cfg.Scope.UserKey(name))
	if err == nil {
		return name, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	kv, err := s.cfg.Store.Get(ctx, s.cfg.Scope.UserNameKey(name))
	if errors.Is(err, store.ErrNotFound) {
		return "", noSuchUser(name)
	}
	if err != nil {
		return "", err
	}
	return string(kv.Value), nil
}

// loadUser reads the named user (found without regard to case), NoSuchEntity when there is
// none.
func (s *Server) loadUser(ctx context.Context, name string) (*iam.UserDocument, int64, error) {
	canonical, err := s.userName(ctx, name)
	if err != nil {
		return nil, 0, err
	}
	var doc iam.UserDocument
	rev, err := store.GetJSON(ctx, s.cfg.Store, s.cfg.Scope.UserKey(canonical), &doc)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, noSuchUser(name)
	}
	if err != nil {
		return nil, 0, err
	}
	return &doc, rev, nil
}

// updateUser changes the named user's document with fn (store.Update), NoSuchEntity when
// there is none; extra ops commit in the same transaction.
func (s *Server) updateUser(ctx context.Context, name string, fn func(doc *iam.UserDocument) ([]store.Op, error)) (*iam.UserDocument, error) {
	canonical, err := s.userName(ctx, name)
	if err != nil {
		return nil, err
	}
	return store.Update(ctx, s.cfg.Store, s.cfg.Scope.UserKey(canonical), func(cur *iam.UserDocument) (*iam.UserDocument, []store.Op, error) {
		if cur == nil {
			return nil, nil, noSuchUser(name)
		}
		extra, err := fn(cur)
		return cur, extra, err
	})
}

// CreateUser creates a user with a new AIDA... id. Tags are checked as TagUser checks them;
// a PermissionsBoundary names a managed policy, and gatehouse has none.
func (s *Server) CreateUser(ctx context.Context, c *call) (any, error) {
	var v validation
	name := v.checkName(c.form, "UserName", "userName", true, 64)
	path, _ := v.checkPath(c.form, "Path", "path", false)
	tags := checkTags(&v, c.form, "Tags")
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := tagProblems(tags); err != nil {
		return nil, err
	}
	if pb, ok := c.form.get("PermissionsBoundary"); ok {
		return nil, &Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: "Scope ARN: " + pb + " does not exist or is not attachable."}
	}
	doc := iam.UserDocument{User: iam.User{
		Path: path, UserName: name, UserID: newUserID(), ARN: s.userARN(path, name),
		CreateDate: s.now().UTC().Truncate(time.Second),
	}}
	if len(tags) > 0 {
		doc.Tags = map[string]string{}
		for _, t := range tags {
			doc.Tags[t.Key] = t.Value
		}
	}
	op, err := store.PutJSON(s.cfg.Scope.UserKey(name), &doc, store.Absent)
	if err != nil {
		return nil, err
	}
	reserve := store.Op{Key: s.cfg.Scope.UserNameKey(name), Value: []byte(name), IfRevision: store.Absent}
	if _, err := s.cfg.Store.Txn(ctx, op, reserve); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, userExists(name)
		}
		return nil, err
	}
	return userResult{User: userAnswer(&doc.User)}, nil
}

// GetUser returns the named user, or without UserName the caller: for the account's root,
// its ARN, with the account id as UserId, as IAM answers it.
func (s *Server) GetUser(ctx context.Context, c *call) (any, error) {
	name, err := userNameParam(c, false)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return userResult{User: xmlUser{UserID: c.caller.UserID, ARN: c.caller.ARN, CreateDate: isoTime(time.Unix(0, 0))}}, nil
	}
	doc, _, err := s.loadUser(ctx, name)
	if err != nil {
		return nil, err
	}
	return userResult{User: userAnswer(&doc.User)}, nil
}

type listUsersResult struct {
	Users       usersElement `xml:"Users"`
	IsTruncated bool         `xml:"IsTruncated"`
	Marker      string       `xml:"Marker,omitempty"`
}

// usersElement is a Users list, written even when empty (<Users/>), as IAM writes it.
type usersElement struct {
	Member []xmlUser `xml:"member"`
}

// ListUsers lists the users whose path begins with PathPrefix, in name order (without
// regard to case), MaxItems at a time; Marker is the next user's name.
func (s *Server) ListUsers(ctx context.Context, c *call) (any, error) {
	var v validation
	prefix, _ := v.checkPath(c.form, "PathPrefix", "pathPrefix", true)
	marker := checkMarker(&v, c.form)
	limit := v.checkMaxItems(c.form)
	if err := v.err(); err != nil {
		return nil, err
	}
	kvs, _, err := s.cfg.Store.List(ctx, s.cfg.Scope.UserPrefix())
	if err != nil {
		return nil, err
	}
	var res listUsersResult
	start := s.cfg.Scope.UserKey(marker)
	for _, kv := range kvs {
		if marker != "" && kv.Key < start {
			continue
		}
		var doc iam.UserDocument
		if err := decode(kv, &doc); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(doc.Path, prefix) {
			continue
		}
		if len(res.Users.Member) == limit {
			res.IsTruncated, res.Marker = true, doc.UserName
			break
		}
		res.Users.Member = append(res.Users.Member, userAnswer(&doc.User))
	}
	return res, nil
}

// DeleteUser deletes a user that has no access keys and no inline policies left: IAM
// refuses the others with DeleteConflict.
func (s *Server) DeleteUser(ctx context.Context, c *call) (any, error) {
	name, err := userNameParam(c, true)
	if err != nil {
		return nil, err
	}
	err = store.Retry(ctx, "delete user", func() error {
		doc, rev, err := s.loadUser(ctx, name)
		if err != nil {
			return err
		}
		if len(doc.AccessKeyIDs) > 0 {
			return deleteConflict("access keys")
		}
		if len(doc.Policies) > 0 {
			return deleteConflict("policies")
		}
		_, err = s.cfg.Store.Txn(ctx,
			store.Op{Key: s.cfg.Scope.UserKey(doc.UserName), Delete: true, IfRevision: rev},
			store.Op{Key: s.cfg.Scope.UserNameKey(doc.UserName), Delete: true, IfRevision: store.AnyRevision})
		return err
	})
	return nil, err
}

// ListGroupsForUser: gatehouse has no groups, so a user is in none.
func (s *Server) ListGroupsForUser(ctx context.Context, c *call) (any, error) {
	return s.noneForUser(ctx, c, "Groups")
}

// ListAttachedUserPolicies: gatehouse has no managed policies, so none is attached.
func (s *Server) ListAttachedUserPolicies(ctx context.Context, c *call) (any, error) {
	return s.noneForUser(ctx, c, "AttachedPolicies")
}

// emptyList is a List operation's answer with nothing in it: the list element, empty,
// then IsTruncated false.
type emptyList struct {
	List struct {
		XMLName xml.Name // the list element's name: Groups, AttachedPolicies
	}
	IsTruncated bool `xml:"IsTruncated"`
}

// noneForUser answers a List operation of things gatehouse users never have (groups,
// managed policies): an empty list element named list for an existing user.
func (s *Server) noneForUser(ctx context.Context, c *call, list string) (any, error) {
	if err := s.existingUser(ctx, c); err != nil {
		return nil, err
	}
	var out emptyList
	out.List.XMLName.Local = list
	return out, nil
}

// GetLoginProfile: gatehouse users have no console password, answered as IAM answers a
// user without one.
func (s *Server) GetLoginProfile(ctx context.Context, c *call) (any, error) {
	name, err := userNameParam(c, false)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.loadUser(ctx, name); err != nil {
		return nil, err
	}
	return nil, &Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: "Login Profile for User " + name + " cannot be found."}
}

// existingUser checks that the call's UserName (required) names a user.
func (s *Server) existingUser(ctx context.Context, c *call) error {
	name, err := userNameParam(c, true)
	if err != nil {
		return err
	}
	_, _, err = s.loadUser(ctx, name)
	return err
}

// userNameParam checks the UserName (at most 128 characters) of a call that takes no other
// parameter. Unless required, an absent one is the caller's own name ("" for the account's
// root).
func userNameParam(c *call, required bool) (string, error) {
	var v validation
	name := v.checkName(c.form, "UserName", "userName", required, 128)
	if err := v.err(); err != nil {
		return "", err
	}
	if name == "" {
		name = c.caller.UserName
	}
	return name, nil
}

// checkMarker checks a Marker (markerType: 1 to 320 of [\u0020-\u00FF]).
func checkMarker(v *validation, f form) string {
	value, ok := f.get("Marker")
	if !ok {
		return ""
	}
	n := 0
	good := true
	for _, r := range value {
		n++
		good = good && r >= 0x20 && r <= 0xff
	}
	switch {
	case n < 1:
		v.add(&value, "marker", "Member must have length greater than or equal to 1")
	case n > 320:
		v.add(&value, "marker", "Member must have length less than or equal to 320")
	case !good:
		v.add(&value, "marker", `Member must satisfy regular expression pattern: [\u0020-\u00FF]+`)
	}
	return value
}
