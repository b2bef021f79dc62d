package iamapi

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxAccessKeys is IAM's quota of access keys per user.
const maxAccessKeys = 2

type xmlAccessKey struct {
	UserName        string `xml:"UserName"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
	CreateDate      string `xml:"CreateDate"`
}

// keyUser is the user an access key call is about: UserName, or the caller when it is not
// given ("" for the account's root, which has no IAM access keys here).
func keyUser(v *validation, c *call) string {
	name := v.checkName(c.form, "UserName", "userName", false, 128)
	if _, given := c.form.get("UserName"); !given {
		name = c.caller.UserName
	}
	return name
}

// CreateAccessKey creates an active key (AKIA... id, a 40-character secret) for a user that
// has fewer than two; the answer is the only time the secret is shown. The key's document
// and the user's list of keys are written in one transaction.
func (s *Server) CreateAccessKey(ctx context.Context, c *call) (any, error) {
	var v validation
	name := keyUser(&v, c)
	if err := v.err(); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, invalidInput("The account root's access keys are gatehouse's admin credentials (--admin-credentials); name the IAM user whose key to create.")
	}
	key := iam.AccessKeyDocument{
		AccessKeyID: newAccessKeyID(), SecretAccessKey: newSecret(), Status: iam.StatusActive,
		CreateDate: s.now().UTC().Truncate(time.Second),
	}
	_, err := s.updateUser(ctx, name, func(doc *iam.UserDocument) ([]store.Op, error) {
		if len(doc.AccessKeyIDs) >= maxAccessKeys {
			return nil, limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeys)
		}
		key.UserName = doc.UserName
		doc.AccessKeyIDs = append(doc.AccessKeyIDs, key.AccessKeyID)
		op, err := store.PutJSON(s.cfg.Scope.AccessKeyKey(key.AccessKeyID), &key, store.Absent)
		return []store.Op{op}, err
	})
	if err != nil {
		return nil, err
	}
	return struct {
		AccessKey xmlAccessKey `xml:"AccessKey"`
	}{xmlAccessKey{UserName: key.UserName, AccessKeyID: key.AccessKeyID, Status: key.Status, SecretAccessKey: key.SecretAccessKey, CreateDate: isoTime(key.CreateDate)}}, nil
}

// ListAccessKeys lists a user's keys (without their secrets) in the order they were made.
func (s *Server) ListAccessKeys(ctx context.Context, c *call) (any, error) {
	var v validation
	name := keyUser(&v, c)
	checkMarker(&v, c.form)
	v.checkMaxItems(c.form)
	if err := v.err(); err != nil {
		return nil, err
	}
	res := struct {
		AccessKeyMetadata struct {
			Member []xmlAccessKey `xml:"member"`
		} `xml:"AccessKeyMetadata"`
		IsTruncated bool `xml:"IsTruncated"`
	}{}
	if name == "" {
		return res, nil
	}
	doc, _, err := s.loadUser(ctx, name)
	if err != nil {
		return nil, err
	}
	for _, id := range doc.AccessKeyIDs {
		var key iam.AccessKeyDocument
		if _, err := store.GetJSON(ctx, s.cfg.Store, s.cfg.Scope.AccessKeyKey(id), &key); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted since the user was read
			}
			return nil, err
		}
		res.AccessKeyMetadata.Member = append(res.AccessKeyMetadata.Member,
			xmlAccessKey{UserName: key.UserName, AccessKeyID: key.AccessKeyID, Status: key.Status, CreateDate: isoTime(key.CreateDate)})
	}
	return res, nil
}

// UpdateAccessKey sets a key's Status: an Inactive key signs nothing.
func (s *Server) UpdateAccessKey(ctx context.Context, c *call) (any, error) {
	var v validation
	name := keyUser(&v, c)
	id := v.checkAccessKeyID(c.form)
	status, ok := c.form.get("Status")
	switch {
	case !ok:
		v.add(nil, "status", "Member must not be null")
	case status != iam.StatusActive && status != iam.StatusInactive && status != "Expired":
		v.add(&status, "status", "Member must satisfy enum value set: [Active, Inactive, Expired]")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if status == "Expired" {
		return nil, invalidInput("Status Expired cannot be set: it is set by IAM.")
	}
	if name != "" {
		if _, _, err := s.loadUser(ctx, name); err != nil {
			return nil, err
		}
	}
	_, err := store.Update(ctx, s.cfg.Store, s.cfg.Scope.AccessKeyKey(id), func(cur *iam.AccessKeyDocument) (*iam.AccessKeyDocument, []store.Op, error) {
		if cur == nil || name == "" || !strings.EqualFold(cur.UserName, name) {
			return nil, nil, noSuchAccessKey(id)
		}
		cur.Status = status
		return cur, nil, nil
	})
	return nil, err
}

// DeleteAccessKey deletes a user's key: its document and its place in the user's list, in
// one transaction.
func (s *Server) DeleteAccessKey(ctx context.Context, c *call) (any, error) {
	var v validation
	name := keyUser(&v, c)
	id := v.checkAccessKeyID(c.form)
	if err := v.err(); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, noSuchAccessKey(id)
	}
	_, err := s.updateUser(ctx, name, func(doc *iam.UserDocument) ([]store.Op, error) {
		i := slices.Index(doc.AccessKeyIDs, id)
		if i < 0 {
			return nil, noSuchAccessKey(id)
		}
		doc.AccessKeyIDs = slices.Delete(doc.AccessKeyIDs, i, i+1)
		return []store.Op{{Key: s.cfg.Scope.AccessKeyKey(id), Delete: true, IfRevision: store.AnyRevision}}, nil
	})
	return nil, err
}
