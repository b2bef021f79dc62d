package mgmt

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// FuzzPatchRestAPI feeds arbitrary patch operations to UpdateRestApi's patcher: it never
// panics, and a rejected patch reports at least one problem.
func FuzzPatchRestAPI(f *testing.F) {
	f.Add(`[{"op":"replace","path":"/name","value":"x"}]`)
	f.Add(`[{"op":"add","path":"/binaryMediaTypes/image~1png"},{"op":"remove","path":"/binaryMediaTypes/a~0b"}]`)
	f.Add(`[{"op":"replace","path":"/endpointConfiguration/types/0","value":"REGIONAL"}]`)
	f.Add(`[{"op":"replace","path":"/minimumCompressionSize","value":"-1"}]`)
	f.Add(`[{"op":"move","path":"","from":"/name"}]`)
	f.Fuzz(func(t *testing.T, ops string) {
		var in []awsjson.PatchOperation
		if json.Unmarshal([]byte(ops), &in) != nil {
			return
		}
		api := &apigateway.RestAPI{ID: "abc", Name: "n"}
		if err := patchRestAPI(api, in); err != nil {
			if e, ok := err.(*awsjson.Error); !ok || e.Status != 400 || e.Message == "" {
				t.Fatalf("patchRestAPI error %v; want a BadRequestException with a message", err)
			}
		}
	})
}

func TestSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want []string
	}{
		{"/name", []string{"name"}},
		{"/binaryMediaTypes/image~1png", []string{"binaryMediaTypes", "image/png"}},
		{"/a~0b~1c", []string{"a~b/c"}},
		{"/", []string{""}},
		{"name", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got := awsjson.Segments(tt.path)
		if len(got) != len(tt.want) {
			t.Errorf("Segments(%q) = %q; want %q", tt.path, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Segments(%q) = %q; want %q", tt.path, got, tt.want)
			}
		}
	}
}
