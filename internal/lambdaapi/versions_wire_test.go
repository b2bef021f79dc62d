package lambdaapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestVersionsWire checks the raw answers of the version and alias operations, which the
// SDK parses leniently: status, x-amzn-ErrorType and the exact members of the body
// (the botocore model's AliasConfiguration, ListAliasesResponse, FunctionConfiguration, and
// the error shapes, ResourceNotFoundException's "Message" included).
func TestVersionsWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	in := createInput("wire", smallZip)
	in.Publish = true
	if _, err := e.client.CreateFunction(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("wire"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	const base = "/2015-03-31/functions/wire"
	tests := []struct {
		method, path, body string
		status             int
		errType            string
		keys               []string // the body's members, sorted
		contains           string
	}{
		{"POST", base + "/aliases", `{"Name":"beta","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{}}}`, 201, "",
			[]string{"AliasArn", "Description", "FunctionVersion", "Name", "RevisionId"}, `"AliasArn":"` + fnARN + `wire:beta"`},
		{"GET", base + "/aliases/live", "", 200, "", []string{"AliasArn", "Description", "FunctionVersion", "Name", "RevisionId"}, `"FunctionVersion":"1"`},
		{"PUT", base + "/aliases/live", `{"RoutingConfig":{"AdditionalVersionWeights":{"1":0.5}}}`, 400, "InvalidParameterValueException", []string{"Type", "message"}, "already included in routing configuration"},
		{"GET", base + "/aliases/nope", "", 404, "ResourceNotFoundException", []string{"Message", "Type"}, `"Message":"Alias not found: ` + fnARN + `wire:nope"`},
		{"GET", base + "/aliases?FunctionVersion=1&MaxItems=1", "", 200, "", []string{"Aliases", "NextMarker"}, `"Name":"beta"`},
		{"GET", base + "/versions", "", 200, "", []string{"Versions"}, `"FunctionArn":"` + fnARN + `wire:1"`},
		{"POST", base + "/versions", `{}`, 201, "", nil, `"Version":"1"`},
		{"GET", base + "/configuration?Qualifier=9", "", 404, "ResourceNotFoundException", []string{"Message", "Type"}, `"Message":"Function not found: ` + fnARN + `wire:9"`},
		{"POST", base + "/aliases", `{"Name":"7","FunctionVersion":"x"}`, 400, "ValidationException", []string{"message"}, "2 validation errors detected: "},
		{"DELETE", base + "?Qualifier=1", "", 409, "ResourceConflictException", []string{"Type", "message"}, "Unable to delete version because the following aliases reference it: [beta live]"},
		{"DELETE", base + "/aliases/nope", "", 204, "", nil, ""},
		// The model's Alias: a name of valid characters but too long breaks the length only;
		// an empty one breaks the length (min 1) and the pattern.
		{"POST", base + "/aliases", `{"Name":"` + strings.Repeat("a", 129) + `","FunctionVersion":"1"}`, 400, "ValidationException", []string{"message"}, "1 validation error detected: "},
		{"POST", base + "/aliases", `{"Name":"","FunctionVersion":"1"}`, 400, "ValidationException", []string{"message"}, "Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequestWithContext(ctx, tt.method, e.url+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		what := tt.method + " " + tt.path
		if resp.StatusCode != tt.status || resp.Header.Get("x-amzn-ErrorType") != tt.errType {
			t.Errorf("%s = %d %s %s; want %d %s", what, resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), b, tt.status, tt.errType)
			continue
		}
		if tt.keys != nil {
			var m map[string]json.RawMessage
			json.Unmarshal(b, &m)
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tt.keys) {
				t.Errorf("%s: body members %v; want %v (%s)", what, keys, tt.keys, b)
			}
		}
		if !strings.Contains(string(b), tt.contains) {
			t.Errorf("%s = %s; want it to contain %s", what, b, tt.contains)
		}
	}
}

// TestListVersionsAtMost50 checks the model's word on ListVersionsByFunction's MaxItems: "a
// maximum of 50 items in each response, even if you set the number higher".
func TestListVersionsAtMost50(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	if _, err := e.client.CreateFunction(ctx, createInput("many", smallZip)); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		setGreeting(t, e, "many", strconv.Itoa(i))
		if _, err := e.client.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("many")}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := e.client.ListVersionsByFunction(ctx, &lambdasdk.ListVersionsByFunctionInput{FunctionName: aws.String("many"), MaxItems: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 50 || out.NextMarker == nil {
		t.Fatalf("ListVersionsByFunction MaxItems 100 of 51 = %d versions, NextMarker %v; want 50 and a marker", len(out.Versions), out.NextMarker)
	}
	rest, err := e.client.ListVersionsByFunction(ctx, &lambdasdk.ListVersionsByFunctionInput{FunctionName: aws.String("many"), MaxItems: aws.Int32(100), Marker: out.NextMarker})
	if err != nil {
		t.Fatal(err)
	}
	if len(rest.Versions) != 1 || aws.ToString(rest.Versions[0].Version) != "50" || rest.NextMarker != nil {
		t.Fatalf("second page = %d versions, NextMarker %v; want version 50 alone", len(rest.Versions), rest.NextMarker)
	}
}
