package gateway

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/iampolicy"
	"github.com/gatehouse/gatehouse/internal/store"
)

// iamIndex is the AWS_IAM stage's view of the account's identities: every access key that
// may sign a request, by access key id. Immutable once published; swapped whole.
type iamIndex struct {
	keys map[string]*iamIdentity
}

// iamIdentity is who an access key signs for.
type iamIdentity struct {
	secret string
	// arn is the caller's ARN: arn:aws:iam::{account}:user{path}{name}, or the root's.
	arn string
	// id is $context.identity.caller and .user: the user's id (AIDA...), the account id
	// for the root.
	id       string
	userName string // empty for the root
	root     bool   // the root is allowed every action its own policies could name
	// policies are the user's inline policies, parsed. policyErr is set when one of them
	// does not parse: the user is then refused everything (failing closed, as a Deny
	// statement that could not be read might have applied).
	policies  []*iampolicy.Policy
	policyErr error
}

// lookup returns the identity of an active access key; nil for an unknown or inactive one.
func (x *iamIndex) lookup(accessKeyID string) *iamIdentity {
	if x == nil {
		return nil
	}
	return x.keys[accessKeyID]
}

// iamFollower is followIAM's private state: the user and access key documents as decoded
// (an undecodable one is left out, its error logged).
type iamFollower struct {
	users map[string]*iam.UserDocument      // by user name
	keys  map[string]*iam.AccessKeyDocument // by access key id
}

// followIAM lists the account's IAM users and access keys, publishes their index, then
// rebuilds and republishes it on every change until the watch drops or ctx ends. The
// index is separate from the stage table: a key change recompiles no stage.
func (s *Server) followIAM(ctx context.Context) error {
	sc := iam.Scope{AccountID: s.scope.AccountID}
	userPrefix, keyPrefix := sc.UserPrefix(), sc.AccessKeyPrefix()
	userKVs, userRev, err := s.store.List(ctx, userPrefix)
	if err != nil {
		return fmt.Errorf("list iam users: %w", err)
	}
	keyKVs, keyRev, err := s.store.List(ctx, keyPrefix)
	if err != nil {
		return fmt.Errorf("list iam access keys: %w", err)
	}
	f := &iamFollower{users: map[string]*iam.UserDocument{}, keys: map[string]*iam.AccessKeyDocument{}}
	for _, kv := range userKVs {
		s.applyIAMEvent(f, userPrefix, store.Event{Type: store.EventPut, KV: kv})
	}
	for _, kv := range keyKVs {
		s.applyIAMEvent(f, userPrefix, store.Event{Type: store.EventPut, KV: kv})
	}
	s.publishIAM(f)
	s.iamReady.Store(true)

	apply := func(ev store.Event) { s.applyIAMEvent(f, userPrefix, ev) }
	return s.watchPair(ctx, [2]watched{
		{what: "iam users", prefix: userPrefix, rev: userRev, apply: apply},
		{what: "iam access keys", prefix: keyPrefix, rev: keyRev, apply: apply},
	}, func() { s.publishIAM(f) })
}

// applyIAMEvent records one change of a user or access key document.
func (s *Server) applyIAMEvent(f *iamFollower, userPrefix string, ev store.Event) {
	key := ev.KV.Key
	i := strings.LastIndexByte(key, '/')
	name := key[i+1:]
	isUser := strings.HasPrefix(key, userPrefix)
	if ev.Type == store.EventDelete {
		if isUser {
			delete(f.users, name)
		} else {
			delete(f.keys, name)
		}
		return
	}
	if isUser {
		var d iam.UserDocument
		if err := jsonUnmarshal(ev.KV.Value, &d); err != nil {
			s.log.Error("iam user does not decode; its keys are refused", "key", key, "err", err)
			delete(f.users, name)
			return
		}
		f.users[name] = &d
		return
	}
	var d iam.AccessKeyDocument
	if err := jsonUnmarshal(ev.KV.Value, &d); err != nil {
		s.log.Error("iam access key does not decode; it is refused", "key", key, "err", err)
		delete(f.keys, name)
		return
	}
	f.keys[name] = &d
}

// publishIAM builds the index of f and the root's keys and swaps it in.
func (s *Server) publishIAM(f *iamFollower) {
	s.iam.Store(s.buildIAMIndex(f))
}

func (s *Server) buildIAMIndex(f *iamFollower) *iamIndex {
	x := &iamIndex{keys: make(map[string]*iamIdentity, len(f.keys)+len(s.rootCredentials))}
	// Users' identities are shared by their keys: parse each user's policies once.
	users := map[string]*iamIdentity{}
	for _, id := range slices.Sorted(maps.Keys(f.keys)) {
		k := f.keys[id]
		if k.Status != iam.StatusActive || k.SecretAccessKey == "" || k.AccessKeyID != id {
			continue // inactive keys are refused as unknown ones are
		}
		u := users[k.UserName]
		if u == nil {
			doc := f.users[k.UserName]
			if doc == nil {
				continue // the user is gone (or not yet here): its keys sign for no one
			}
			u = s.userIdentity(doc)
			users[k.UserName] = u
		}
		ident := *u
		ident.secret = k.SecretAccessKey
		x.keys[id] = &ident
	}
	if len(s.rootCredentials) > 0 {
		root := iam.Scope{AccountID: s.scope.AccountID}.RootARN()
		for id, secret := range s.rootCredentials {
			x.keys[id] = &iamIdentity{secret: secret, arn: root, id: s.scope.AccountID, root: true}
		}
	}
	return x
}

// userIdentity is the identity of a user's keys, its inline policies parsed.
func (s *Server) userIdentity(doc *iam.UserDocument) *iamIdentity {
	u := &iamIdentity{arn: doc.ARN, id: doc.UserID, userName: doc.UserName}
	for _, name := range slices.Sorted(maps.Keys(doc.Policies)) {
		p, err := iampolicy.Parse([]byte(doc.Policies[name]))
		if err != nil {
			s.log.Error("iam user policy does not parse; the user is refused every request", "user", doc.UserName, "policy", name, "err", err)
			u.policies, u.policyErr = nil, fmt.Errorf("user %s: policy %s: %w", doc.UserName, name, err)
			break
		}
		u.policies = append(u.policies, p)
	}
	return u
}
