package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Versions and aliases live inside their function's document (Function.Versions,
// Function.Aliases, Function.LastVersion): one document, one conditional write. So a
// publish that takes number N and records N as used commit together, an alias can never
// name a version deleted in the same instant, and a crash between two writes cannot exist —
// on every store backend, with nothing but the store's compare-and-swap. The price is a
// document that grows with its versions (a few KB each).

// Errors of versions and aliases (the Lambda API renders them with AWS's words).
var (
	// ErrAliasExists: CreateAlias of a name that is taken.
	ErrAliasExists = errors.New("alias already exists")
	// ErrCodeShaMismatch: PublishVersion's CodeSha256 is not $LATEST's.
	ErrCodeShaMismatch = errors.New("code sha256 does not match")
)

// Version is one published version: an immutable copy of $LATEST's code and configuration
// at the time of the publish (Configuration.Version is its number, FunctionArn is qualified
// with it, RevisionId is its own), and its own resource policy.
type Version struct {
	Configuration FunctionConfiguration `json:"Configuration"`
	Policy        []Statement           `json:"Policy,omitempty"`
}

// Alias is a named pointer to a version (AliasConfiguration), with its own resource policy.
type Alias struct {
	Configuration AliasConfiguration `json:"Configuration"`
	Policy        []Statement        `json:"Policy,omitempty"`
}

// AliasConfiguration is Lambda's AliasConfiguration shape, with its wire names.
type AliasConfiguration struct {
	AliasArn        string `json:"AliasArn"`
	Name            string `json:"Name"`
	FunctionVersion string `json:"FunctionVersion"`
	Description     string `json:"Description"`
	// RoutingConfig sends a share of the alias's invocations to one more version; nil
	// without (AWS leaves it out then).
	RoutingConfig *AliasRoutingConfiguration `json:"RoutingConfig,omitempty"`
	RevisionId    string                     `json:"RevisionId"`
}

// AliasRoutingConfiguration is an alias's traffic shifting: AdditionalVersionWeights maps
// one version number to the share (0 to 1) of invocations that run it instead of the
// alias's FunctionVersion.
type AliasRoutingConfiguration struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

// aliasNameRE is the model's Alias pattern `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`, without the
// lookahead Go's regexp lacks: ValidAliasName refuses the all-digit names apart.
var (
	aliasNameRE = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)
	versionRE   = regexp.MustCompile(`^[0-9]+$`)
)

// AliasNamePattern is the model's pattern for alias names, as Lambda quotes it.
const AliasNamePattern = `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`

// ValidAliasName reports whether name can name an alias: 1 to 128 of [a-zA-Z0-9-_], not all
// digits (those are version numbers).
func ValidAliasName(name string) bool {
	return len(name) >= 1 && len(name) <= 128 && AliasNameMatchesPattern(name)
}

// AliasNameMatchesPattern reports whether name satisfies AliasNamePattern, its length aside:
// Lambda reports the length and the pattern as separate constraints.
func AliasNameMatchesPattern(name string) bool {
	return aliasNameRE.MatchString(name) && !versionRE.MatchString(name)
}

// IsVersionNumber reports whether q is a published version's qualifier ("1", "42").
func IsVersionNumber(q string) bool { return versionRE.MatchString(q) }

// QualifiedARN is the ARN of name's version or alias q; q "" is the unqualified ARN.
func (s Scope) QualifiedARN(name, q string) string {
	if q == "" {
		return s.FunctionARN(name)
	}
	return s.FunctionARN(name) + ":" + q
}

// Version returns the published version n ("1", "2", ...), or nil.
func (f *Function) Version(n string) *Version {
	for _, v := range f.Versions {
		if v.Configuration.Version == n {
			return v
		}
	}
	return nil
}

// Alias returns the alias called name, or nil.
func (f *Function) Alias(name string) *Alias {
	for _, a := range f.Aliases {
		if a.Configuration.Name == name {
			return a
		}
	}
	return nil
}

// Configuration returns the configuration of version q: "" and "$LATEST" are $LATEST's, a
// number a published version's; nil when there is no such version.
func (f *Function) ConfigurationOf(q string) *FunctionConfiguration {
	if q == "" || q == LatestVersion {
		return &f.Configuration
	}
	if v := f.Version(q); v != nil {
		return &v.Configuration
	}
	return nil
}

// PolicyOf returns the resource policy of qualifier q (""/$LATEST: the function's, a
// version's, an alias's), to read or change in place; nil when q names nothing. AWS keeps
// one policy per qualifier: a statement added with Qualifier 1 is in version 1's policy only.
func (f *Function) PolicyOf(q string) *[]Statement {
	switch {
	case q == "" || q == LatestVersion:
		return &f.Policy
	case IsVersionNumber(q):
		if v := f.Version(q); v != nil {
			return &v.Policy
		}
	default:
		if a := f.Alias(q); a != nil {
			return &a.Policy
		}
	}
	return nil
}

// Qualified is a function as one qualifier resolves it.
type Qualified struct {
	// Function is the stored document viewed as the version that runs: its Configuration
	// is that version's (FunctionArn qualified for a published version), Policy the policy
	// of the qualifier named (an alias's own, when an alias was named); Versions and Aliases
	// are the document's. It shares the document's maps and slices: do not modify it.
	Function *Function
	// Version is the version that runs, X-Amz-Executed-Version: "$LATEST", "1", ...
	Version string
	// ARN is the ARN the qualifier names: unqualified for none, name:$LATEST, name:3,
	// name:alias.
	ARN string
}

// Resolve returns the function as qualifier q names it: "" or $LATEST, a version number,
// or an alias. An alias with AdditionalVersionWeights picks its additional version when
// pick() < weight, so pick is a uniform draw in [0, 1) (rand.Float64); it is called once,
// and only for such an alias. A version or alias that does not exist is a *NotFoundError
// with its qualified ARN, as AWS words it.
func (f *Function) Resolve(scope Scope, q string, pick func() float64) (*Qualified, error) {
	name := f.Configuration.FunctionName
	arn := scope.QualifiedARN(name, q)
	version := q
	if q == "" || q == LatestVersion {
		version = LatestVersion
	} else if !IsVersionNumber(q) {
		a := f.Alias(q)
		if a == nil {
			return nil, &NotFoundError{ARN: arn}
		}
		version = ChooseVersion(&a.Configuration, pick)
	}
	cfg := f.ConfigurationOf(version)
	if cfg == nil {
		return nil, &NotFoundError{ARN: scope.QualifiedARN(name, version)}
	}
	view := *f
	view.Configuration = *cfg
	view.Policy = *f.PolicyOf(q)
	return &Qualified{Function: &view, Version: version, ARN: arn}, nil
}

// ChooseVersion is the version an invocation of alias a runs: its additional version with
// the probability of that version's weight, else its FunctionVersion. pick is a uniform
// draw in [0, 1), called only when the alias routes.
func ChooseVersion(a *AliasConfiguration, pick func() float64) string {
	if a.RoutingConfig != nil {
		for v, w := range a.RoutingConfig.AdditionalVersionWeights {
			if w > 0 && pick() < w {
				return v
			}
		}
	}
	return a.FunctionVersion
}

// publishable is the part of a configuration a version copies that tells whether anything
// changed since the last version: everything but the identity, the revision and the time.
func publishable(c FunctionConfiguration) FunctionConfiguration {
	c.FunctionArn, c.Version, c.RevisionId, c.LastModified, c.Description = "", "", "", "", ""
	return c
}

// Publish publishes $LATEST of the function called name as a new version (PublishVersion),
// or returns the last version when code and configuration have not changed since it was
// published, as Lambda does. created says which. ifCodeSha256 and ifRevisionID, when not
// empty, must equal $LATEST's CodeSha256 (else ErrCodeShaMismatch) and RevisionId (else
// ErrRevisionMismatch). description overrides $LATEST's for the version when not nil.
// Version numbers are never reused: LastVersion only grows, in the same write.
func (r *Registry) Publish(ctx context.Context, name, ifCodeSha256, ifRevisionID string, description *string) (v *Version, created bool, err error) {
	_, err = r.Update(ctx, name, ifRevisionID, ChangeTags, func(f *Function) error {
		if ifCodeSha256 != "" && ifCodeSha256 != f.Configuration.CodeSha256 {
			return ErrCodeShaMismatch
		}
		v, created = r.PublishIn(f, description)
		if !created {
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return v, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, created, nil
}

// PublishIn publishes f's $LATEST as its next version inside an Update or Create of f (so
// the change and its version commit together: UpdateFunctionCode with Publish), or returns
// the last version when nothing changed since it (created false).
func (r *Registry) PublishIn(f *Function, description *string) (v *Version, created bool) {
	if n := len(f.Versions); n > 0 {
		last := f.Versions[n-1]
		if equalConfig(publishable(last.Configuration), publishable(f.Configuration)) {
			return last, false
		}
	}
	setDefaults(&f.Configuration)
	f.LastVersion++
	cfg := f.Configuration
	if cfg.Environment != nil {
		cfg.Environment = &Environment{Variables: maps.Clone(cfg.Environment.Variables)}
	}
	cfg.Architectures = slices.Clone(cfg.Architectures)
	cfg.Version = strconv.Itoa(f.LastVersion)
	cfg.FunctionArn = r.scope.QualifiedARN(cfg.FunctionName, cfg.Version)
	cfg.RevisionId = NewUUID()
	cfg.LastModified = r.now().UTC().Format(LastModifiedLayout)
	if description != nil {
		cfg.Description = *description
	}
	v = &Version{Configuration: cfg}
	f.Versions = append(f.Versions, v)
	return v, true
}

// errUnchanged ends a Publish that has nothing new to publish without writing.
var errUnchanged = errors.New("unchanged since the last version")

func equalConfig(a, b FunctionConfiguration) bool {
	// The configuration is plain data: its JSON is a faithful comparison.
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// DeleteVersion removes published version n of the function called name and returns it
// (the caller collects its code package and stops its processes). A version an alias routes
// to is refused with an *AliasesReferenceError.
func (r *Registry) DeleteVersion(ctx context.Context, name, n string) (*Version, error) {
	var deleted *Version
	_, err := r.Update(ctx, name, "", ChangeTags, func(f *Function) error {
		i := slices.IndexFunc(f.Versions, func(v *Version) bool { return v.Configuration.Version == n })
		if i < 0 {
			return &NotFoundError{ARN: r.scope.QualifiedARN(name, n)}
		}
		var refs []string
		for _, a := range f.Aliases {
			if aliasUses(&a.Configuration, n) {
				refs = append(refs, a.Configuration.Name)
			}
		}
		if len(refs) > 0 {
			return &AliasesReferenceError{Aliases: refs}
		}
		deleted = f.Versions[i]
		f.Versions = slices.Delete(f.Versions, i, i+1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

// AliasesReferenceError is a version that cannot be deleted because aliases route to it.
type AliasesReferenceError struct{ Aliases []string }

func (e *AliasesReferenceError) Error() string {
	return fmt.Sprintf("Unable to delete version because the following aliases reference it: %v", e.Aliases)
}

func aliasUses(a *AliasConfiguration, n string) bool {
	if a.FunctionVersion == n {
		return true
	}
	if a.RoutingConfig != nil {
		_, ok := a.RoutingConfig.AdditionalVersionWeights[n]
		return ok
	}
	return false
}

// PutAlias creates (create true: the name must be free, else ErrAliasExists) or changes the
// alias called a.Name of the function called name with fn, which receives the stored alias
// (a zero one with Name set, for a create) and changes it. ifRevisionID, when not empty, must
// be the alias's RevisionId. The versions the alias then routes to must exist. It fills in
// AliasArn and a new RevisionId.
func (r *Registry) PutAlias(ctx context.Context, name, alias string, create bool, ifRevisionID string, fn func(a *AliasConfiguration) error) (*AliasConfiguration, error) {
	var out AliasConfiguration
	_, err := r.Update(ctx, name, "", ChangeTags, func(f *Function) error {
		a := f.Alias(alias)
		switch {
		case create && a != nil:
			return ErrAliasExists
		case !create && a == nil:
			return &AliasNotFoundError{ARN: r.scope.QualifiedARN(name, alias)}
		case create:
			a = &Alias{Configuration: AliasConfiguration{Name: alias}}
		}
		if !create && ifRevisionID != "" && ifRevisionID != a.Configuration.RevisionId {
			return ErrRevisionMismatch
		}
		c := a.Configuration
		if err := fn(&c); err != nil {
			return err
		}
		versions := []string{c.FunctionVersion}
		if c.RoutingConfig != nil {
			for v := range c.RoutingConfig.AdditionalVersionWeights {
				versions = append(versions, v)
			}
		}
		for _, v := range versions {
			if f.ConfigurationOf(v) == nil {
				return &NotFoundError{ARN: r.scope.QualifiedARN(name, v)}
			}
		}
		c.AliasArn = r.scope.QualifiedARN(name, alias)
		c.RevisionId = NewUUID()
		a.Configuration = c
		if create {
			f.Aliases = append(f.Aliases, a)
			slices.SortFunc(f.Aliases, func(x, y *Alias) int {
				return strings.Compare(x.Configuration.Name, y.Configuration.Name)
			})
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAlias removes the alias called alias of the function called name; an alias that
// does not exist is an *AliasNotFoundError.
func (r *Registry) DeleteAlias(ctx context.Context, name, alias string) error {
	_, err := r.Update(ctx, name, "", ChangeTags, func(f *Function) error {
		i := slices.IndexFunc(f.Aliases, func(a *Alias) bool { return a.Configuration.Name == alias })
		if i < 0 {
			return &AliasNotFoundError{ARN: r.scope.QualifiedARN(name, alias)}
		}
		f.Aliases = slices.Delete(f.Aliases, i, i+1)
		return nil
	})
	return err
}

// AliasNotFoundError is an alias that does not exist ("Alias not found: arn:...:name:alias").
type AliasNotFoundError struct{ ARN string }

func (e *AliasNotFoundError) Error() string { return "Alias not found: " + e.ARN }
