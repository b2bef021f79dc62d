package openapi

import (
	"slices"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// operationKeys are the methods of a path item in the order AWS writes them; ANY is the
// x-amazon-apigateway-any-method extension after them.
var operationKeys = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH"}

// anyMethodKey is the path item key of an ANY method.
const anyMethodKey = "x-amazon-apigateway-any-method"

// paths is the definition's paths: every resource with a method, by path.
func (x *exporter) paths() *object {
	resources := make([]*apigateway.Resource, 0, len(x.api.Resources))
	for _, r := range x.api.Resources {
		if r != nil && len(r.ResourceMethods) > 0 {
			resources = append(resources, r)
		}
	}
	sort.Slice(resources, func(i, j int) bool { return resources[i].Path < resources[j].Path })
	paths := newObject()
	for _, r := range resources {
		item := newObject()
		for _, name := range append(slices.Clone(operationKeys), "ANY") {
			m := r.ResourceMethods[name]
			if m == nil {
				continue
			}
			key := strings.ToLower(name)
			if name == "ANY" {
				key = anyMethodKey
			}
			item.set(key, x.operation(r, m))
		}
		x.docs.applyResource(item, r.Path, x.oas3)
		paths.set(r.Path, item)
	}
	return paths
}

// pathParameters returns the names of the path template's parameters: "{id}" is id,
// the greedy "{proxy+}" is proxy.
func pathParameters(path string) []string {
	var names []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, strings.TrimSuffix(seg[1:len(seg)-1], "+"))
		}
	}
	return names
}

// parameterLocations maps a method request parameter's source to where OpenAPI puts it,
// in the order the operation lists them.
var parameterLocations = []struct{ source, in string }{
	{"path", "path"},
	{"querystring", "query"},
	{"multivaluequerystring", "query"},
	{"header", "header"},
	{"multivalueheader", "header"},
}

func (x *exporter) operation(r *apigateway.Resource, m *apigateway.Method) *object {
	op := newObject()
	if m.OperationName != "" {
		op.set("operationId", m.OperationName)
	}
	requestTypes := sortedKeys(m.RequestModels)
	var responseTypes []string
	for _, mr := range m.MethodResponses {
		if mr != nil {
			for ct := range mr.ResponseModels {
				if !slices.Contains(responseTypes, ct) {
					responseTypes = append(responseTypes, ct)
				}
			}
		}
	}
	sort.Strings(responseTypes)
	if !x.oas3 {
		if len(requestTypes) > 0 {
			op.set("consumes", stringList(requestTypes))
		}
		if len(responseTypes) > 0 {
			op.set("produces", stringList(responseTypes))
		}
	}
	params := x.parameters(r, m)
	if !x.oas3 {
		if body := x.bodyParameter(r, m, requestTypes); body != nil {
			params = append(params, body)
		}
	}
	if len(params) > 0 {
		op.set("parameters", params)
	}
	if x.oas3 && len(requestTypes) > 0 {
		body := newObject()
		content := body.child("content")
		for _, ct := range requestTypes {
			content.child(ct).set("schema", x.modelRef(m.RequestModels[ct]))
		}
		body.set("required", true)
		x.docs.applyRequestBody(body, r.Path, m.HTTPMethod)
		op.set("requestBody", body)
	}
	op.set("responses", x.responses(r, m))
	if security := x.security(m); len(security) > 0 {
		op.set("security", security)
	}
	if x.in.Extensions.APIGateway && m.RequestValidatorID != "" {
		if v := x.api.RequestValidators[m.RequestValidatorID]; v != nil {
			op.set("x-amazon-apigateway-request-validator", v.Name)
		}
	}
	if x.in.Extensions.integrations() && m.MethodIntegration != nil {
		op.set("x-amazon-apigateway-integration", x.integration(m.MethodIntegration))
	}
	x.docs.applyMethod(op, r.Path, m.HTTPMethod)
	return op
}

// parameters are the method's request parameters (and any path parameter of the path the
// method does not declare, as OpenAPI requires every one): path, query, then header, each
// by name.
func (x *exporter) parameters(r *apigateway.Resource, m *apigateway.Method) []any {
	declared := map[string]map[string]bool{}
	for key, required := range m.RequestParameters {
		rest, ok := strings.CutPrefix(key, "method.request.")
		if !ok {
			continue
		}
		source, name, ok := strings.Cut(rest, ".")
		if !ok || name == "" {
			continue
		}
		for _, loc := range parameterLocations {
			if loc.source == source {
				if declared[loc.in] == nil {
					declared[loc.in] = map[string]bool{}
				}
				declared[loc.in][name] = declared[loc.in][name] || required
			}
		}
	}
	inPath := pathParameters(r.Path)
	var list []any
	for _, in := range []string{"path", "query", "header"} {
		var names []string
		if in == "path" {
			names = inPath
		} else {
			names = sortedKeys(declared[in])
		}
		for _, name := range names {
			p := newObject().set("name", name).set("in", in)
			if in == "path" || declared[in][name] {
				p.set("required", true)
			}
			if x.oas3 {
				p.child("schema").set("type", "string")
			} else {
				p.set("type", "string")
			}
			x.docs.applyParameter(p, in, r.Path, m.HTTPMethod, name)
			list = append(list, p)
		}
	}
	return list
}

// bodyParameter is Swagger's body parameter for the method's request model (the JSON one
// when there are several content types), or nil.
func (x *exporter) bodyParameter(r *apigateway.Resource, m *apigateway.Method, types []string) *object {
	if len(types) == 0 {
		return nil
	}
	ct := types[0]
	if slices.Contains(types, "application/json") {
		ct = "application/json"
	}
	name := m.RequestModels[ct]
	p := newObject().set("in", "body").set("name", name).set("required", true)
	p.set("schema", x.modelRef(name))
	x.docs.applyRequestBody(p, r.Path, m.HTTPMethod)
	return p
}

// responses are the method's responses by status code: "{code} response" for the
// description, the response's headers and models.
func (x *exporter) responses(r *apigateway.Resource, m *apigateway.Method) *object {
	out := newObject()
	for _, code := range sortedKeys(m.MethodResponses) {
		mr := m.MethodResponses[code]
		if mr == nil {
			continue
		}
		resp := newObject().set("description", code+" response")
		types := sortedKeys(mr.ResponseModels)
		if !x.oas3 && len(types) > 0 {
			ct := types[0]
			if slices.Contains(types, "application/json") {
				ct = "application/json"
			}
			resp.set("schema", x.modelRef(mr.ResponseModels[ct]))
		}
		var headers []string
		for key := range mr.ResponseParameters {
			if name, ok := strings.CutPrefix(key, "method.response.header."); ok && name != "" {
				headers = append(headers, name)
			}
		}
		sort.Strings(headers)
		if len(headers) > 0 {
			hs := resp.child("headers")
			for _, h := range headers {
				header := newObject()
				if x.oas3 {
					header.child("schema").set("type", "string")
				} else {
					header.set("type", "string")
				}
				x.docs.applyResponseHeader(header, r.Path, m.HTTPMethod, code, h)
				hs.set(h, header)
			}
		}
		if x.oas3 && len(types) > 0 {
			content := resp.child("content")
			for _, ct := range types {
				content.child(ct).set("schema", x.modelRef(mr.ResponseModels[ct]))
			}
		}
		x.docs.applyResponse(resp, r.Path, m.HTTPMethod, code)
		out.set(code, resp)
	}
	return out
}

// security is the operation's security requirement: its authorizer (with its
// authorization scopes for a Cognito authorizer), sigv4 for AWS_IAM, and api_key when a
// key is required.
func (x *exporter) security(m *apigateway.Method) []any {
	var list []any
	switch m.AuthorizationType {
	case apigateway.AuthorizationCustom, apigateway.AuthorizationCognitoUserPools:
		if a := x.api.Authorizers[m.AuthorizerID]; a != nil {
			list = append(list, newObject().set(a.Name, stringList(m.AuthorizationScopes)))
		}
	case apigateway.AuthorizationAWSIAM:
		x.usesIAM = true
		list = append(list, newObject().set(schemeSigV4, []any{}))
	}
	if m.APIKeyRequired {
		x.usesAPIKey = true
		list = append(list, newObject().set(schemeAPIKey, []any{}))
	}
	return list
}

// modelRef is the reference to a model's schema, and notes the model as used.
func (x *exporter) modelRef(name string) *object {
	x.usedModels[name] = true
	return newObject().set("$ref", x.schemaPrefix()+name)
}

func (x *exporter) schemaPrefix() string {
	if x.oas3 {
		return "#/components/schemas/"
	}
	return "#/definitions/"
}

// schemas are the used models' schemas and those they refer to, by name. A schema is the
// model's JSON Schema as written, less "$schema", with references to the API's models
// (https://apigateway.amazonaws.com/restapis/{id}/models/{name}) made local.
func (x *exporter) schemas() *object {
	out := newObject()
	done := map[string]*object{}
	queue := sortedKeys(x.usedModels)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if _, ok := done[name]; ok {
			continue
		}
		model := x.api.Models[name]
		schema := newObject()
		if model != nil && model.Schema != "" {
			if v, err := parseOrdered(model.Schema); err == nil {
				if o, ok := v.(*object); ok {
					schema = o
				}
			}
		}
		schema.delete("$schema")
		for _, ref := range x.localizeRefs(schema) {
			if _, ok := done[ref]; !ok && x.api.Models[ref] != nil {
				queue = append(queue, ref)
			}
		}
		x.docs.applyModel(schema, name)
		done[name] = schema
	}
	for _, name := range sortedKeys(done) {
		out.set(name, done[name])
	}
	return out
}

// localizeRefs rewrites v's references to the API's models in place and returns the
// models they name.
func (x *exporter) localizeRefs(v any) []string {
	var names []string
	prefix := apigateway.ModelURL(x.api.ID, "")
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > maxDepth {
			return
		}
		switch t := v.(type) {
		case *object:
			for _, k := range t.keys {
				if s, ok := t.vals[k].(string); ok && k == "$ref" {
					if name, ok := strings.CutPrefix(s, prefix); ok && name != "" {
						t.vals[k] = x.schemaPrefix() + name
						names = append(names, name)
					}
					continue
				}
				walk(t.vals[k], depth+1)
			}
		case []any:
			for _, e := range t {
				walk(e, depth+1)
			}
		}
	}
	walk(v, 0)
	return names
}

// securitySchemes are the API's authorizers by name, and sigv4 and api_key when an
// operation uses them (AWS's names and shapes).
func (x *exporter) securitySchemes() *object {
	out := newObject()
	if x.usesAPIKey {
		out.set(schemeAPIKey, newObject().set("type", "apiKey").set("name", "x-api-key").set("in", "header"))
	}
	byName := map[string]*apigateway.Authorizer{}
	for _, a := range x.api.Authorizers {
		if a != nil {
			byName[a.Name] = a
		}
	}
	if x.usesIAM {
		if _, taken := byName[schemeSigV4]; !taken {
			out.set(schemeSigV4, newObject().set("type", "apiKey").set("name", "Authorization").set("in", "header").
				set("x-amazon-apigateway-authtype", "awsSigv4"))
		}
	}
	for _, name := range sortedKeys(byName) {
		scheme := x.authorizerScheme(byName[name])
		x.docs.applyAuthorizer(scheme, name)
		out.set(name, scheme)
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
