// Package openapi converts between gatehouse's REST API model (internal/apigateway) and
// OpenAPI definitions (Swagger 2.0 and OpenAPI 3.0) with AWS's x-amazon-apigateway-*
// extensions.
//
// The export side (export*.go) writes a deployed stage the way AWS's GetExport does:
// the stage's deployment snapshot, its documentation version merged in, rendered as JSON
// or YAML from an ordered tree, so that the same API always exports byte for byte the
// same definition.
package openapi

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// Export types of GetExport for REST API definitions (GetExportRequest.exportType).
const (
	TypeOAS30   = "oas30"
	TypeSwagger = "swagger"
)

// ExportTypes lists the export types, in the order messages name them.
var ExportTypes = []string{TypeOAS30, TypeSwagger}

// Media types of an export (the Accept header of GetExport).
const (
	MediaJSON = "application/json"
	MediaYAML = "application/yaml"
)

// Extensions is GetExport's extensions parameter: which x-amazon-apigateway-* extensions
// the definition carries. Without any, an export is plain OpenAPI plus the extensions
// that say what the plain part cannot (x-amazon-apigateway-any-method for ANY methods,
// x-amazon-apigateway-authtype on security schemes).
type Extensions struct {
	// Integrations adds x-amazon-apigateway-integration to every operation.
	Integrations bool
	// Authorizers adds x-amazon-apigateway-authorizer to the authorizers' security schemes.
	Authorizers bool
	// APIGateway is "apigateway": integrations, authorizers and every other API Gateway
	// extension (gateway responses, request validators, policy, binary media types, API key
	// source, minimum compression size, endpoint configuration).
	APIGateway bool
	// Postman is accepted as AWS accepts it; gatehouse adds no Postman-specific fields.
	Postman bool
	// Documentation adds x-amazon-apigateway-documentation: the stage's documentation
	// version's parts as they are (AWS's developer guide, "Publish API documentation").
	Documentation bool
}

// ExtensionNames lists the values the extensions parameter takes.
var ExtensionNames = []string{"integrations", "authorizers", "apigateway", "postman", "documentation"}

// ParseExtensions reads the extensions parameter: a comma-separated list of
// ExtensionNames, case-insensitive, blanks around names ignored, the quotes of the AWS
// CLI's documented `extensions='apigateway'` dropped. It returns the names it does not know.
func ParseExtensions(s string) (Extensions, []string) {
	var e Extensions
	var unknown []string
	for _, name := range strings.Split(s, ",") {
		name = strings.Trim(strings.TrimSpace(name), `'"`)
		switch strings.ToLower(name) {
		case "":
		case "integrations":
			e.Integrations = true
		case "authorizers":
			e.Authorizers = true
		case "apigateway":
			e.APIGateway = true
		case "postman":
			e.Postman = true
		case "documentation":
			e.Documentation = true
		default:
			unknown = append(unknown, name)
		}
	}
	return e, unknown
}

func (e Extensions) integrations() bool { return e.Integrations || e.APIGateway }
func (e Extensions) authorizers() bool  { return e.Authorizers || e.APIGateway }

// MediaTypeFor returns the media type of an export for an Accept header: JSON for none,
// "*/*", "application/*" or JSON, YAML for application/yaml (or application/x-yaml,
// text/yaml). The first acceptable type of a list wins; ok is false when none is.
func MediaTypeFor(accept string) (mediaType string, ok bool) {
	if strings.TrimSpace(accept) == "" {
		return MediaJSON, true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/json", "*/*", "application/*":
			return MediaJSON, true
		case "application/yaml", "application/x-yaml", "text/yaml":
			return MediaYAML, true
		}
	}
	return "", false
}

// ExportInput is what an export is made of.
type ExportInput struct {
	// API is the stage's deployment snapshot (DeploymentDocument.Snapshot).
	API *apigateway.RestAPIDocument
	// DeployedAt is the deployment's creation time: the definition's info.version.
	DeployedAt time.Time
	// Stage is the stage's name: the base path (/{stage}).
	Stage string
	// Region is the region in the definition's server URL.
	Region string
	// DocumentationVersion and DocumentationParts are the stage's documentation version
	// and its snapshot of parts; empty and nil when the stage has none.
	DocumentationVersion string
	DocumentationParts   []*apigateway.DocumentationPart
	// Type is TypeOAS30 or TypeSwagger.
	Type       string
	Extensions Extensions
}

// Definition is an exported definition, ready to render.
type Definition struct {
	root *object
}

// JSON renders the definition as AWS's JSON exports are written.
func (d *Definition) JSON() []byte { return append(renderJSON(d.root), '\n') }

// YAML renders the definition as AWS's YAML exports are written.
func (d *Definition) YAML() []byte { return renderYAML(d.root) }

// Render renders the definition in the given media type (MediaJSON or MediaYAML).
func (d *Definition) Render(mediaType string) []byte {
	if mediaType == MediaYAML {
		return d.YAML()
	}
	return d.JSON()
}

// Export builds the definition of a deployed stage.
func Export(in ExportInput) (*Definition, error) {
	if in.API == nil {
		return nil, fmt.Errorf("export: no API snapshot")
	}
	if !slices.Contains(ExportTypes, in.Type) {
		return nil, fmt.Errorf("export: unknown export type %q", in.Type)
	}
	x := &exporter{in: in, api: in.API, oas3: in.Type == TypeOAS30, usedModels: map[string]bool{}}
	x.docs = newDocIndex(in.DocumentationParts)
	return &Definition{root: x.build()}, nil
}

// exporter builds one definition.
type exporter struct {
	in   ExportInput
	api  *apigateway.RestAPIDocument
	oas3 bool
	docs *docIndex
	// usedModels are the models the operations name; the definition's schemas are these
	// and the models their schemas refer to.
	usedModels map[string]bool
	// usesIAM says an operation uses AWS_IAM, so the sigv4 scheme is defined; usesAPIKey
	// the same for api_key.
	usesIAM, usesAPIKey bool
}

// AWS's names of the security schemes it defines for IAM authorization and API keys.
const (
	schemeSigV4  = "sigv4"
	schemeAPIKey = "api_key"
)

func (x *exporter) build() *object {
	root := newObject()
	if x.oas3 {
		root.set("openapi", "3.0.1")
	} else {
		root.set("swagger", "2.0")
	}
	root.set("info", x.info())
	host := x.api.ID + ".execute-api." + x.in.Region + ".amazonaws.com"
	if x.oas3 {
		server := newObject().set("url", "https://"+host+"/{basePath}")
		server.child("variables").child("basePath").set("default", "/"+x.in.Stage)
		root.set("servers", []any{server})
	} else {
		root.set("host", host)
		root.set("basePath", "/"+x.in.Stage)
		root.set("schemes", []any{"https"})
	}
	root.set("paths", x.paths())
	schemas := x.schemas()
	security := x.securitySchemes()
	if x.oas3 {
		if schemas.len() > 0 || security.len() > 0 {
			components := root.child("components")
			if schemas.len() > 0 {
				components.set("schemas", schemas)
			}
			if security.len() > 0 {
				components.set("securitySchemes", security)
			}
		}
	} else {
		if security.len() > 0 {
			root.set("securityDefinitions", security)
		}
		if schemas.len() > 0 {
			root.set("definitions", schemas)
		}
	}
	x.docs.applyAPI(root)
	x.apiExtensions(root)
	return root
}

// info is the definition's info: the API's name and description, and the deployment's
// creation time as AWS writes it (2006-01-02T15:04:05Z) for its version.
func (x *exporter) info() *object {
	info := newObject()
	version := x.in.DeployedAt.UTC().Format("2006-01-02T15:04:05Z")
	if x.oas3 {
		info.set("title", x.api.Name)
		info.setString("description", x.api.Description)
		info.set("version", version)
	} else {
		info.setString("description", x.api.Description)
		info.set("version", version)
		info.set("title", x.api.Name)
	}
	return info
}
