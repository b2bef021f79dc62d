package mgmt

import (
	"strings"
	"testing"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

func TestParseStagePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want stagePath
	}{
		{"/description", stagePath{Kind: stagePathField, Name: "description"}},
		{"/deploymentId", stagePath{Kind: stagePathField, Name: "deploymentId"}},
		{"/documentation_version", stagePath{}},
		{"/accessLogSettings", stagePath{Kind: stagePathAccessLog}},
		{"/accessLogSettings/format", stagePath{Kind: stagePathAccessLog, Name: "format"}},
		{"/accessLogSettings/other", stagePath{}},
		{"/variables/var_1", stagePath{Kind: stagePathVariable, Name: "var_1"}},
		{"/variables/", stagePath{}},
		{"/variables", stagePath{}},
		{"/canarySettings", stagePath{Kind: stagePathCanary}},
		{"/canarySettings/percentTraffic", stagePath{Kind: stagePathCanary, Name: "percentTraffic"}},
		{"/canarySettings/badPath", stagePath{Kind: stagePathCanary, Name: "badPath"}},
		{"/canarySettings/stageVariableOverrides/v", stagePath{Kind: stagePathCanary, Name: "stageVariableOverrides", Variable: "v"}},
		{"/*/*/metrics/enabled", stagePath{Kind: stagePathMethodSetting, Key: "*/*", Setting: "metrics/enabled"}},
		{"/*/*", stagePath{Kind: stagePathMethodSetting, Key: "*/*"}},
		{"/~1pets/GET/throttling/burstLimit", stagePath{Kind: stagePathMethodSetting, Key: "pets/GET", Setting: "throttling/burstLimit"}},
		{"/~1pets~1{id}/ANY/caching/ttlInSeconds", stagePath{Kind: stagePathMethodSetting, Key: "pets/{id}/ANY", Setting: "caching/ttlInSeconds"}},
		{"/~1/GET/logging/loglevel", stagePath{Kind: stagePathMethodSetting, Key: "/GET", Setting: "logging/loglevel"}},
		// Terraform's unescaped form names the same entries.
		{"/pets/GET/metrics/enabled", stagePath{Kind: stagePathMethodSetting, Key: "pets/GET", Setting: "metrics/enabled"}},
		{"/pets/{id}/GET/throttling/rateLimit", stagePath{Kind: stagePathMethodSetting, Key: "pets/{id}/GET", Setting: "throttling/rateLimit"}},
		{"//GET/caching/enabled", stagePath{Kind: stagePathMethodSetting, Key: "/GET", Setting: "caching/enabled"}},
		{"/pets/{id}/GET", stagePath{Kind: stagePathMethodSetting, Key: "pets/{id}/GET"}},
		{"/pets//GET/metrics/enabled", stagePath{}},
		{"/~1pets~1/GET/metrics/enabled", stagePath{}},
		{"/pets/*/GET/metrics/enabled", stagePath{}},
		{"/~1pets/FETCH/metrics/enabled", stagePath{}},    // not a method
		{"/~1pets/GET/metrics/disabled", stagePath{}},     // not a setting
		{"/~1pets~1~1x/GET/metrics/enabled", stagePath{}}, // empty path segment
		{"/*/*/throttling/burstLimit/extra", stagePath{}}, // too deep
		{"description", stagePath{}},                      // not a pointer
		{"", stagePath{}},
	}
	for _, tt := range tests {
		if got := parseStagePath(tt.path); got != tt.want {
			t.Errorf("parseStagePath(%q) = %#v; want %#v", tt.path, got, tt.want)
		}
	}
}

// FuzzParseStagePath checks that the stage patch path parser never panics, that every path
// it accepts renders back to a path that parses the same, and that applying any operation on
// that path to a stage either changes it or reports an AWS error, never a bare failure.
func FuzzParseStagePath(f *testing.F) {
	for _, seed := range []string{
		"/description", "/variables/a", "/canarySettings/stageVariableOverrides/x", "/*/*/metrics/enabled",
		"/~1pets~1{id}/GET/caching/ttlInSeconds", "/~1/ANY", "/accessLogSettings/format", "/~01/GET", "//", "/~", "/*/*/", "/pets/{id}/GET/logging/loglevel", "//GET",
	} {
		f.Add(seed, "replace", "1")
	}
	f.Fuzz(func(t *testing.T, path, opName, value string) {
		sp := parseStagePath(path)
		if sp.Kind != stagePathInvalid {
			again := parseStagePath(sp.String())
			if again != sp {
				t.Fatalf("parseStagePath(%q) = %+v; rendered %q parses as %+v", path, sp, sp.String(), again)
			}
			if sp.Kind == stagePathMethodSetting {
				i := strings.LastIndexByte(sp.Key, '/')
				if i < 0 || !methodSettingMethods[sp.Key[i+1:]] {
					t.Fatalf("method setting key %q of %q does not end in a method", sp.Key, path)
				}
			}
		}
		st := newStage("s", "dep001", model.Timestamp{})
		exists := func(id string) (bool, error) { return id == "dep001" || id == "dep002", nil }
		err := applyStagePatch(&st, []awsjson.PatchOperation{{Op: opName, Path: path, Value: &value}}, exists)
		if err != nil {
			if _, ok := err.(*awsjson.Error); !ok {
				t.Fatalf("applyStagePatch(%s %q %q) = %v; want an AWS error", opName, path, value, err)
			}
		}
	})
}
