package openapi

import (
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// integration is a method's x-amazon-apigateway-integration, with AWS's key order and
// spellings (lower-case type and passthroughBehavior; responses keyed by selection
// pattern, "default" for the response without one).
func (x *exporter) integration(in *apigateway.Integration) *object {
	o := newObject()
	o.setString("credentials", in.Credentials)
	o.setString("httpMethod", in.HTTPMethod)
	o.setString("uri", in.URI)
	if in.ConnectionType != "" && in.ConnectionType != "INTERNET" {
		o.set("connectionType", in.ConnectionType)
	}
	o.setString("connectionId", in.ConnectionID)
	if len(in.IntegrationResponses) > 0 {
		responses := o.child("responses")
		byPattern := map[string]*apigateway.IntegrationResponse{}
		for _, ir := range in.IntegrationResponses {
			if ir == nil {
				continue
			}
			pattern := ir.SelectionPattern
			if pattern == "" {
				pattern = "default"
			}
			if prev := byPattern[pattern]; prev == nil || ir.StatusCode < prev.StatusCode {
				byPattern[pattern] = ir
			}
		}
		for _, pattern := range sortedKeys(byPattern) {
			ir := byPattern[pattern]
			r := newObject().set("statusCode", ir.StatusCode)
			if len(ir.ResponseParameters) > 0 {
				r.set("responseParameters", stringMap(ir.ResponseParameters))
			}
			if len(ir.ResponseTemplates) > 0 {
				r.set("responseTemplates", stringMap(ir.ResponseTemplates))
			}
			r.setString("contentHandling", ir.ContentHandling)
			responses.set(pattern, r)
		}
	}
	if len(in.RequestParameters) > 0 {
		o.set("requestParameters", stringMap(in.RequestParameters))
	}
	if len(in.RequestTemplates) > 0 {
		o.set("requestTemplates", stringMap(in.RequestTemplates))
	}
	if in.PassthroughBehavior != "" {
		o.set("passthroughBehavior", strings.ToLower(in.PassthroughBehavior))
	}
	if in.TimeoutInMillis != 0 && in.TimeoutInMillis != apigateway.DefaultTimeoutInMillis {
		o.set("timeoutInMillis", in.TimeoutInMillis)
	}
	o.setString("cacheNamespace", in.CacheNamespace)
	if len(in.CacheKeyParameters) > 0 {
		o.set("cacheKeyParameters", stringList(in.CacheKeyParameters))
	}
	o.setString("contentHandling", in.ContentHandling)
	if in.ResponseTransferMode != "" && in.ResponseTransferMode != "BUFFERED" {
		o.set("responseTransferMode", in.ResponseTransferMode)
	}
	o.setString("integrationTarget", in.IntegrationTarget)
	o.set("type", strings.ToLower(in.Type))
	if in.TLSConfig != nil {
		o.child("tlsConfig").set("insecureSkipVerification", in.TLSConfig.InsecureSkipVerification)
	}
	return o
}

// authorizerScheme is an authorizer's security scheme: an apiKey scheme in the header the
// authorizer reads ("Unused" for a REQUEST authorizer, which reads several sources, as AWS
// writes it), its authtype, and with the authorizers extension its
// x-amazon-apigateway-authorizer.
func (x *exporter) authorizerScheme(a *apigateway.Authorizer) *object {
	s := newObject().set("type", "apiKey")
	header := "Unused"
	if a.Type != apigateway.AuthorizerRequest {
		if h, ok := strings.CutPrefix(strings.TrimSpace(a.IdentitySource), "method.request.header."); ok && h != "" && !strings.Contains(h, ",") {
			header = h
		} else if a.IdentitySource == "" {
			header = "Authorization"
		}
	}
	s.set("name", header).set("in", "header")
	authType := a.AuthType
	if authType == "" {
		authType = "custom"
		if a.Type == apigateway.AuthorizerCognitoUserPools {
			authType = "cognito_user_pools"
		}
	}
	s.set("x-amazon-apigateway-authtype", authType)
	if !x.in.Extensions.authorizers() {
		return s
	}
	ext := newObject()
	if len(a.ProviderARNs) > 0 {
		ext.set("providerARNs", stringList(a.ProviderARNs))
	}
	ext.setString("authorizerUri", a.AuthorizerURI)
	ext.setString("authorizerCredentials", a.AuthorizerCredentials)
	if a.Type != apigateway.AuthorizerCognitoUserPools {
		ttl := apigateway.DefaultAuthorizerResultTTL
		if a.AuthorizerResultTTLInSeconds != nil {
			ttl = *a.AuthorizerResultTTLInSeconds
		}
		ext.set("authorizerResultTtlInSeconds", ttl)
	}
	if a.Type == apigateway.AuthorizerRequest || header == "Unused" {
		ext.setString("identitySource", a.IdentitySource)
	}
	ext.setString("identityValidationExpression", a.IdentityValidationExpression)
	ext.set("type", strings.ToLower(a.Type))
	s.set("x-amazon-apigateway-authorizer", ext)
	return s
}

// apiExtensions adds the API-level extensions: the documentation version with the
// documentation extension, the rest with apigateway.
func (x *exporter) apiExtensions(root *object) {
	if x.in.Extensions.Documentation && x.in.DocumentationVersion != "" {
		root.set("x-amazon-apigateway-documentation", x.docs.extension(x.in.DocumentationVersion))
	}
	if !x.in.Extensions.APIGateway {
		return
	}
	if len(x.api.GatewayResponses) > 0 {
		grs := root.child("x-amazon-apigateway-gateway-responses")
		types := make([]string, 0, len(x.api.GatewayResponses))
		for t := range x.api.GatewayResponses {
			types = append(types, string(t))
		}
		slices.Sort(types)
		for _, t := range types {
			gr := x.api.GatewayResponses[apigateway.GatewayResponseType(t)]
			if gr == nil {
				continue
			}
			o := newObject()
			if gr.StatusCode != "" {
				// A number, as AWS's exports write it.
				if n, err := strconv.Atoi(gr.StatusCode); err == nil {
					o.set("statusCode", n)
				} else {
					o.set("statusCode", gr.StatusCode)
				}
			}
			if len(gr.ResponseParameters) > 0 {
				o.set("responseParameters", stringMap(gr.ResponseParameters))
			}
			if len(gr.ResponseTemplates) > 0 {
				o.set("responseTemplates", stringMap(gr.ResponseTemplates))
			}
			grs.set(t, o)
		}
	}
	if x.api.Policy != "" {
		if v, err := parseOrdered(x.api.Policy); err == nil {
			root.set("x-amazon-apigateway-policy", v)
		} else {
			root.set("x-amazon-apigateway-policy", x.api.Policy)
		}
	}
	if len(x.api.RequestValidators) > 0 {
		byName := map[string]*apigateway.RequestValidator{}
		for _, v := range x.api.RequestValidators {
			if v != nil {
				byName[v.Name] = v
			}
		}
		vs := root.child("x-amazon-apigateway-request-validators")
		for _, name := range sortedKeys(byName) {
			v := byName[name]
			vs.set(name, newObject().set("validateRequestParameters", v.ValidateRequestParameters).set("validateRequestBody", v.ValidateRequestBody))
		}
	}
	if len(x.api.BinaryMediaTypes) > 0 {
		root.set("x-amazon-apigateway-binary-media-types", stringList(x.api.BinaryMediaTypes))
	}
	if x.api.APIKeySource != "" {
		root.set("x-amazon-apigateway-api-key-source", x.api.APIKeySource)
	}
	if x.api.MinimumCompressionSize != nil {
		root.set("x-amazon-apigateway-minimum-compression-size", *x.api.MinimumCompressionSize)
	}
	ec := newObject()
	if c := x.api.EndpointConfiguration; c != nil {
		if len(c.VPCEndpointIDs) > 0 {
			ec.set("vpcEndpointIds", stringList(c.VPCEndpointIDs))
		}
	}
	if x.api.DisableExecuteAPIEndpoint {
		ec.set("disableExecuteApiEndpoint", true)
	}
	if ec.len() > 0 {
		root.set("x-amazon-apigateway-endpoint-configuration", ec)
	}
}

// stringMap is m as a tree object, by key.
func stringMap(m map[string]string) *object {
	o := newObject()
	for _, k := range sortedKeys(m) {
		o.set(k, m[k])
	}
	return o
}
