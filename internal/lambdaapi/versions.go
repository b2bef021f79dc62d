package lambdaapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/lambda"
)

// versionPattern is the model's Version pattern, as Lambda quotes it.
const versionPattern = `(\$LATEST|[0-9]+)`

// PublishVersion: POST /2015-03-31/functions/{FunctionName}/versions → 201
// FunctionConfiguration of the version. When nothing changed since the last version Lambda
// publishes none and answers that version ("Lambda doesn't publish a version if the
// function's configuration and code haven't changed since the last version", the
// PublishVersion API reference); answering the last version then is not documented.
func (s *Server) PublishVersion(ctx context.Context, c *call) error {
	var in struct {
		CodeSha256  string  `json:"CodeSha256"`
		Description *string `json:"Description"`
		RevisionId  string  `json:"RevisionId"`
	}
	if err := decode(c.body, &in); err != nil {
		return err
	}
	if err := validation(checkDescription(in.Description)); err != nil {
		return err
	}
	fn, err := s.function(ctx, c)
	if err != nil {
		return err
	}
	v, _, err := s.cfg.Registry.Publish(ctx, fn.Configuration.FunctionName, in.CodeSha256, in.RevisionId, in.Description)
	if errors.Is(err, lambda.ErrCodeShaMismatch) {
		cur, gerr := s.cfg.Registry.Get(ctx, fn.Configuration.FunctionName)
		if gerr != nil {
			return s.registryError(gerr)
		}
		return invalidParameter("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", in.CodeSha256, cur.Configuration.CodeSha256)
	}
	if err != nil {
		return s.registryError(err)
	}
	writeJSON(c.w, http.StatusCreated, v.Configuration)
	return nil
}

// ListVersionsByFunction: GET /2015-03-31/functions/{FunctionName}/versions?Marker&MaxItems:
// $LATEST, then the published versions by number.
func (s *Server) ListVersionsByFunction(ctx context.Context, c *call) error {
	fn, err := s.function(ctx, c)
	if err != nil {
		return err
	}
	all := make([]lambda.FunctionConfiguration, 0, 1+len(fn.Versions))
	all = append(all, latestListed(fn))
	for _, v := range fn.Versions {
		all = append(all, v.Configuration)
	}
	key := func(i int) string { return versionKey(all[i].Version) }
	// "ListVersionsByFunction returns a maximum of 50 items in each response, even if you
	// set the number higher" (the model's MaxItems).
	items, next, err := pageUpTo(c, len(all), key, 50)
	if err != nil {
		return err
	}
	out := struct {
		Versions   []lambda.FunctionConfiguration `json:"Versions"`
		NextMarker string                         `json:"NextMarker,omitempty"`
	}{Versions: []lambda.FunctionConfiguration{}, NextMarker: next}
	for _, i := range items {
		out.Versions = append(out.Versions, all[i])
	}
	writeJSON(c.w, http.StatusOK, out)
	return nil
}

// versionKey is a version's page key, sorting as the lists do: $LATEST is 0, version N is
// N, zero-padded.
func versionKey(version string) string {
	n, _ := strconv.Atoi(version) // $LATEST → 0
	return fmt.Sprintf("%020d", n)
}

// checkVersion is the model's Version pattern for a FunctionVersion member.
func checkVersion(v string) []string {
	if v == lambda.LatestVersion || lambda.IsVersionNumber(v) {
		return nil
	}
	return []string{fmt.Sprintf("Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", v, versionPattern)}
}

// checkDescription is the model's Description length (0 to 256).
func checkDescription(d *string) []string {
	if d == nil || len(*d) <= 256 {
		return nil
	}
	return []string{fmt.Sprintf("Value '%s' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256", *d)}
}

// latestListed is $LATEST as the version lists show it: with its FunctionArn qualified
// ":$LATEST" (the AWS CLI reference's list-versions-by-function example), where GetFunction
// and ListFunctions answer the unqualified ARN.
func latestListed(fn *lambda.Function) lambda.FunctionConfiguration {
	c := fn.Configuration
	c.FunctionArn += ":" + lambda.LatestVersion
	return c
}

// aliasRequest is CreateAliasRequest and UpdateAliasRequest; pointers tell absent from zero.
type aliasRequest struct {
	Name            *string                           `json:"Name"`
	FunctionVersion *string                           `json:"FunctionVersion"`
	Description     *string                           `json:"Description"`
	RoutingConfig   *lambda.AliasRoutingConfiguration `json:"RoutingConfig"`
	RevisionId      string                            `json:"RevisionId"`
}

// checkAlias lists the model's constraints the request breaks.
func checkAlias(in *aliasRequest, create bool) []string {
	var p []string
	if create && in.Name == nil {
		p = append(p, "Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	if in.Name != nil {
		p = append(p, checkAliasName(*in.Name)...)
	}
	switch {
	case create && in.FunctionVersion == nil:
		p = append(p, "Value null at 'functionVersion' failed to satisfy constraint: Member must not be null")
	case in.FunctionVersion != nil:
		p = append(p, checkVersion(*in.FunctionVersion)...)
	}
	p = append(p, checkDescription(in.Description)...)
	if in.RoutingConfig != nil {
		w := in.RoutingConfig.AdditionalVersionWeights
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range w {
				if !yield(k) {
					return
				}
			}
		})
		var shown []string
		badKey, badValue := false, false
		for _, k := range keys {
			shown = append(shown, k+"="+strconv.FormatFloat(w[k], 'f', -1, 64))
			if !lambda.IsVersionNumber(k) {
				badKey = true
			}
			if w[k] < 0 || w[k] > 1 {
				badValue = true
			}
		}
		m := "{" + strings.Join(shown, ", ") + "}"
		if badKey {
			p = append(p, fmt.Sprintf("Value '%s' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]", m))
		}
		if badValue {
			p = append(p, fmt.Sprintf("Value '%s' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]", m))
		}
	}
	return p
}

func checkAliasName(name string) []string {
	var p []string
	if len(name) < 1 {
		p = append(p, "Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(name) > 128 {
		p = append(p, fmt.Sprintf("Value '%s' at 'name' failed to satisfy constraint: Member must have length less than or equal to 128", name))
	}
	if !lambda.AliasNameMatchesPattern(name) {
		p = append(p, fmt.Sprintf("Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", name, lambda.AliasNamePattern))
	}
	return p
}

// checkRouting refuses what Lambda refuses of a routing configuration, after the model's
// constraints: more than one additional version, the alias's own version again, and
// routing from $LATEST (only published versions can share traffic).
func checkRouting(a *lambda.AliasConfiguration) error {
	if a.RoutingConfig == nil {
		return nil
	}
	w := a.RoutingConfig.AdditionalVersionWeights
	if len(w) > 1 {
		return invalidParameter("Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	if _, ok := w[a.FunctionVersion]; ok {
		return invalidParameter("Invalid function version %s. Function version %s is already included in routing configuration.", a.FunctionVersion, a.FunctionVersion)
	}
	if a.FunctionVersion == lambda.LatestVersion {
		return invalidParameter("$LATEST is not supported for an alias pointing to more than 1 version")
	}
	return nil
}

// routing is the stored form of a request's RoutingConfig: nil for none or an empty map, so
// that clearing the routing (Terraform sends {"AdditionalVersionWeights":{}}) leaves it out
// as Lambda does.
func routing(rc *lambda.AliasRoutingConfiguration) *lambda.AliasRoutingConfiguration {
	if rc == nil || len(rc.AdditionalVersionWeights) == 0 {
		return nil
	}
	return rc
}

// CreateAlias: POST /2015-03-31/functions/{FunctionName}/aliases → 201 AliasConfiguration.
func (s *Server) CreateAlias(ctx context.Context, c *call) error {
	var in aliasRequest
	if err := decode(c.body, &in); err != nil {
		return err
	}
	if err := validation(checkAlias(&in, true)); err != nil {
		return err
	}
	fn, err := s.function(ctx, c)
	if err != nil {
		return err
	}
	name := fn.Configuration.FunctionName
	a, err := s.cfg.Registry.PutAlias(ctx, name, *in.Name, true, "", func(a *lambda.AliasConfiguration) error {
		a.FunctionVersion = *in.FunctionVersion
		a.Description = deref(in.Description)
		a.RoutingConfig = routing(in.RoutingConfig)
		return checkRouting(a)
	})
	if errors.Is(err, lambda.ErrAliasExists) {
		return conflict("Alias already exists: %s", s.cfg.Registry.Scope().QualifiedARN(name, *in.Name))
	}
	if err != nil {
		return s.registryError(err)
	}
	writeJSON(c.w, http.StatusCreated, a)
	return nil
}

// alias returns the function and the alias the call's {Name} names.
func (s *Server) alias(ctx context.Context, c *call) (*lambda.Function, *lambda.Alias, error) {
	name := c.r.PathValue("Name")
	if err := validation(checkAliasName(name)); err != nil {
		return nil, nil, err
	}
	fn, err := s.function(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	a := fn.Alias(name)
	if a == nil {
		return nil, nil, notFound("Alias not found: %s", s.cfg.Registry.Scope().QualifiedARN(fn.Configuration.FunctionName, name))
	}
	return fn, a, nil
}

// GetAlias: GET /2015-03-31/functions/{FunctionName}/aliases/{Name}.
func (s *Server) GetAlias(ctx context.Context, c *call) error {
	_, a, err := s.alias(ctx, c)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, a.Configuration)
	return nil
}

// UpdateAlias: PUT /2015-03-31/functions/{FunctionName}/aliases/{Name}; what the request
// leaves out stays, a RoutingConfig replaces the routing (an empty one removes it).
func (s *Server) UpdateAlias(ctx context.Context, c *call) error {
	var in aliasRequest
	if err := decode(c.body, &in); err != nil {
		return err
	}
	in.Name = nil // the URI's
	if err := validation(checkAlias(&in, false)); err != nil {
		return err
	}
	fn, cur, err := s.alias(ctx, c)
	if err != nil {
		return err
	}
	a, err := s.cfg.Registry.PutAlias(ctx, fn.Configuration.FunctionName, cur.Configuration.Name, false, in.RevisionId, func(a *lambda.AliasConfiguration) error {
		if in.FunctionVersion != nil {
			a.FunctionVersion = *in.FunctionVersion
		}
		if in.Description != nil {
			a.Description = *in.Description
		}
		if in.RoutingConfig != nil {
			a.RoutingConfig = routing(in.RoutingConfig)
		}
		return checkRouting(a)
	})
	if err != nil {
		return s.registryError(err)
	}
	writeJSON(c.w, http.StatusOK, a)
	return nil
}

// DeleteAlias: DELETE /2015-03-31/functions/{FunctionName}/aliases/{Name} → 204. Lambda
// answers 204 for an alias that does not exist too (the model lists no
// ResourceNotFoundException for DeleteAlias).
func (s *Server) DeleteAlias(ctx context.Context, c *call) error {
	name := c.r.PathValue("Name")
	if err := validation(checkAliasName(name)); err != nil {
		return err
	}
	fn, err := s.function(ctx, c)
	if err != nil {
		return err
	}
	err = s.cfg.Registry.DeleteAlias(ctx, fn.Configuration.FunctionName, name)
	var anf *lambda.AliasNotFoundError
	if err != nil && !errors.As(err, &anf) {
		return s.registryError(err)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// ListAliases: GET /2015-03-31/functions/{FunctionName}/aliases?FunctionVersion&Marker&MaxItems,
// by name; FunctionVersion keeps the aliases whose FunctionVersion it is.
func (s *Server) ListAliases(ctx context.Context, c *call) error {
	fv := c.r.URL.Query().Get("FunctionVersion")
	if fv != "" {
		if err := validation(checkVersion(fv)); err != nil {
			return err
		}
	}
	fn, err := s.function(ctx, c)
	if err != nil {
		return err
	}
	var all []lambda.AliasConfiguration
	for _, a := range fn.Aliases {
		if fv == "" || a.Configuration.FunctionVersion == fv {
			all = append(all, a.Configuration)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	items, next, err := page(c, len(all), func(i int) string { return all[i].Name })
	if err != nil {
		return err
	}
	out := struct {
		Aliases    []lambda.AliasConfiguration `json:"Aliases"`
		NextMarker string                      `json:"NextMarker,omitempty"`
	}{Aliases: []lambda.AliasConfiguration{}, NextMarker: next}
	for _, i := range items {
		out.Aliases = append(out.Aliases, all[i])
	}
	writeJSON(c.w, http.StatusOK, out)
	return nil
}
