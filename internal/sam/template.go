// Package sam reads AWS SAM templates and turns them into what gatehouse's management API
// creates: Lambda functions and REST APIs (as Swagger 2.0 definitions with the
// x-amazon-apigateway extensions SAM's transform writes), with their stages, usage plans and
// API keys. It parses, resolves and translates; deploy.go applies the result through the
// aws-sdk-go-v2 clients, so a template is applied through the same API every other client
// uses.
package sam

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed SAM (or plain CloudFormation) template. Values are the generic
// tree a JSON decoder gives (map[string]any, []any, string, float64, bool, nil), with the
// YAML short forms (!Ref, !Sub, ...) written out as their long forms ({"Ref": ...}).
type Template struct {
	Transform  any
	Parameters map[string]map[string]any
	Conditions map[string]any
	Globals    map[string]map[string]any
	Resources  map[string]*Resource
	Outputs    map[string]map[string]any
}

// Resource is one entry of Resources.
type Resource struct {
	LogicalID  string
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	Condition  string
	DependsOn  any
}

// maxTemplateBytes is CloudFormation's limit for a template uploaded to S3 (1 MB).
const maxTemplateBytes = 1 << 20

// ParseTemplate reads a template written in YAML (with CloudFormation's short-form tags) or
// JSON.
func ParseTemplate(data []byte) (*Template, error) {
	if len(data) > maxTemplateBytes {
		return nil, fmt.Errorf("template is %d bytes; the limit is %d", len(data), maxTemplateBytes)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("parse template: the template is empty")
	}
	budget := 1_000_000 // nodes: bounds the work an alias bomb can cause
	v, err := convert(root.Content[0], 0, &budget)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: the template is not a mapping")
	}
	t := &Template{Transform: doc["Transform"], Resources: map[string]*Resource{}}
	var problems []string
	sections := map[string]bool{"AWSTemplateFormatVersion": true, "Transform": true, "Description": true,
		"Parameters": true, "Conditions": true, "Globals": true, "Resources": true, "Outputs": true, "Metadata": true, "Mappings": true}
	for _, k := range sortedKeys(doc) {
		if !sections[k] {
			problems = append(problems, fmt.Sprintf("unknown top-level section %q", k))
		}
	}
	t.Parameters = mapOfMaps(doc["Parameters"], "Parameters", &problems)
	t.Globals = mapOfMaps(doc["Globals"], "Globals", &problems)
	t.Outputs = mapOfMaps(doc["Outputs"], "Outputs", &problems)
	if c, ok := doc["Conditions"].(map[string]any); ok {
		t.Conditions = c
	} else if doc["Conditions"] != nil {
		problems = append(problems, "Conditions is not a mapping")
	}
	res, ok := doc["Resources"].(map[string]any)
	if !ok {
		problems = append(problems, "Resources is missing or not a mapping")
	}
	for _, id := range sortedKeys(res) {
		m, ok := res[id].(map[string]any)
		if !ok {
			problems = append(problems, fmt.Sprintf("resource %s is not a mapping", id))
			continue
		}
		r := &Resource{LogicalID: id, DependsOn: m["DependsOn"]}
		r.Type, _ = m["Type"].(string)
		if r.Type == "" {
			problems = append(problems, fmt.Sprintf("resource %s has no Type", id))
		}
		r.Properties, _ = m["Properties"].(map[string]any)
		if r.Properties == nil {
			r.Properties = map[string]any{}
		}
		r.Metadata, _ = m["Metadata"].(map[string]any)
		r.Condition, _ = m["Condition"].(string)
		for _, k := range sortedKeys(m) {
			switch k {
			case "Type", "Properties", "Metadata", "Condition", "DependsOn":
			default:
				problems = append(problems, fmt.Sprintf("resource %s: attribute %s is not supported", id, k))
			}
		}
		t.Resources[id] = r
	}
	if len(problems) > 0 {
		return nil, &ProblemsError{Problems: problems}
	}
	return t, nil
}

// ProblemsError lists every problem found, one a line.
type ProblemsError struct{ Problems []string }

func (e *ProblemsError) Error() string {
	return fmt.Sprintf("%d problem(s) in the template:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

func mapOfMaps(v any, section string, problems *[]string) map[string]map[string]any {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		*problems = append(*problems, section+" is not a mapping")
		return nil
	}
	out := map[string]map[string]any{}
	for k, e := range m {
		em, ok := e.(map[string]any)
		if !ok {
			*problems = append(*problems, fmt.Sprintf("%s.%s is not a mapping", section, k))
			continue
		}
		out[k] = em
	}
	return out
}

// shortForms maps CloudFormation's YAML tags to their long forms.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt", "!Join": "Fn::Join", "!If": "Fn::If", "!Select": "Fn::Select",
	"!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or", "!Split": "Fn::Split",
	"!FindInMap": "Fn::FindInMap", "!Base64": "Fn::Base64", "!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue",
	"!Cidr": "Fn::Cidr", "!Transform": "Fn::Transform", "!Length": "Fn::Length", "!ToJsonString": "Fn::ToJsonString",
}

const maxDepth = 200

// convert turns a YAML node into the generic tree, expanding short-form tags.
func convert(n *yaml.Node, depth int, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, fmt.Errorf("the template is too large (too many nodes once aliases are expanded)")
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: nested deeper than %d levels", n.Line, maxDepth)
	}
	if n.Kind == yaml.AliasNode {
		return convert(n.Alias, depth+1, budget)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key must be a scalar", k.Line)
			}
			if k.Value == "<<" {
				return nil, fmt.Errorf("line %d: YAML merge keys are not supported", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			e, err := convert(n.Content[i+1], depth+1, budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = e
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			e, err := convert(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			s = append(s, e)
		}
		v = s
	case yaml.ScalarNode:
		v = scalar(n)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return convert(n.Content[0], depth+1, budget)
	}
	if fn, ok := shortForms[n.Tag]; ok {
		if fn == "Fn::GetAtt" {
			if s, ok := v.(string); ok { // !GetAtt Resource.Attribute
				id, attr, _ := strings.Cut(s, ".")
				v = []any{id, attr}
			}
		}
		return map[string]any{fn: v}, nil
	} else if strings.HasPrefix(n.Tag, "!") {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	return v, nil
}

// scalar decodes a plain scalar the way YAML 1.1 loaders (and CloudFormation) read it:
// numbers and booleans, the rest as strings. A tagged scalar (!Ref x) is always a string.
func scalar(n *yaml.Node) any {
	if n.Style != 0 || strings.HasPrefix(n.Tag, "!") {
		return n.Value
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return b
	case "!!int", "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
	}
	return n.Value
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
