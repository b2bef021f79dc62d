package mgmt

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

const testPolicy = `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
    "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/pets"}]
}`

// testPolicyAnswer is testPolicy as AWS answers it: compact, quotes and slashes escaped.
const testPolicyAnswer = `{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:us-east-1:123456789012:abc\/*\/GET\/pets\"}]}`

// TestRestAPIPolicyEscaped: CreateRestApi's and UpdateRestApi's policy is answered (and read
// back by GetRestApi) JSON-escaped, the form the Terraform provider unescapes on read; "" removes
// it.
func TestRestAPIPolicyEscaped(t *testing.T) {
	e := newEnv(t)
	out, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("p"), Policy: aws.String(testPolicy)})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	if got := aws.ToString(out.Policy); got != testPolicyAnswer {
		t.Errorf("CreateRestApi policy = %s\nwant %s", got, testPolicyAnswer)
	}
	api, err := e.client.GetRestApi(ctx(t), &apigateway.GetRestApiInput{RestApiId: out.Id})
	if err != nil || aws.ToString(api.Policy) != testPolicyAnswer {
		t.Errorf("GetRestApi policy = %s, %v\nwant %s", aws.ToString(api.Policy), err, testPolicyAnswer)
	}
	// What the provider does on read (rest_api_policy.go): quote the answer, normalize it
	// as JSON (decode and encode again), then strconv.Unquote it.
	var s any
	err = json.Unmarshal([]byte(`"`+aws.ToString(api.Policy)+`"`), &s)
	normalized, _ := json.Marshal(s)
	doc, uerr := strconv.Unquote(string(normalized))
	var v map[string]any
	if err != nil || uerr != nil || json.Unmarshal([]byte(doc), &v) != nil || v["Version"] != "2012-10-17" {
		t.Errorf("the answered policy does not unescape to the document: %q, %v", doc, err)
	}
	if got := unescapePolicy(aws.ToString(api.Policy)); got != doc {
		t.Errorf("unescapePolicy = %q; want %q", got, doc)
	}

	upd, err := e.client.UpdateRestApi(ctx(t), &apigateway.UpdateRestApiInput{RestApiId: out.Id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/policy"), Value: aws.String(`{"Statement":{"Effect":"Deny","Principal":{"AWS":["*"]},"NotAction":"execute-api:Invoke","Resource":["*"]}}`)}}})
	if want := `{\"Statement\":{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":[\"*\"]},\"NotAction\":\"execute-api:Invoke\",\"Resource\":[\"*\"]}}`; err != nil || aws.ToString(upd.Policy) != want {
		t.Errorf("UpdateRestApi policy = %s, %v; want %s", aws.ToString(upd.Policy), err, want)
	}
	upd, err = e.client.UpdateRestApi(ctx(t), &apigateway.UpdateRestApiInput{RestApiId: out.Id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/policy"), Value: aws.String("")}}})
	if err != nil || upd.Policy != nil {
		t.Errorf("UpdateRestApi policy \"\" = %v, %v; want the policy removed", upd.Policy, err)
	}
}

// TestRestAPIPolicyInvalid: a policy that is not a resource policy document is refused with
// AWS's BadRequestException, on create and on update, and changes nothing.
func TestRestAPIPolicyInvalid(t *testing.T) {
	e := newEnv(t)
	apiID := e.createAPI(t)
	for _, bad := range []string{
		`not json`,
		`[]`,
		`{"Version":"2012-10-17"}`,
		`{"Version":"2012-10-17","Statement":[]}`,
		`{"Version":"2019-01-01","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"execute-api:Invoke","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"someone","Action":"execute-api:Invoke","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"Users":"x"},"Action":"execute-api:Invoke","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","NotAction":"b","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Resource":"*","Extra":1}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Resource":"*","Condition":{"IpAddress":"x"}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Resource":"*"}],"Other":1}`,
	} {
		_, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("p"), Policy: aws.String(bad)})
		wantAPIError(t, "CreateRestApi policy "+bad, err, "BadRequestException", msgInvalidPolicy)
		_, err = e.client.UpdateRestApi(ctx(t), &apigateway.UpdateRestApiInput{RestApiId: &apiID, PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/policy"), Value: aws.String(bad)}}})
		wantAPIError(t, "UpdateRestApi policy "+bad, err, "BadRequestException", msgInvalidPolicy)
	}
	apis, err := e.client.GetRestApis(ctx(t), &apigateway.GetRestApisInput{})
	if err != nil || len(apis.Items) != 1 || apis.Items[0].Policy != nil {
		t.Errorf("GetRestApis = %v, %v; want the one API, without a policy", apis, err)
	}
}

func TestEscapePolicy(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"b/c"}`:     `{\"a\":\"b\/c\"}`,
		`{"a":"x\\y"}`:    `{\"a\":\"x\\\\y\"}`,
		`{"a":"line\nx"}`: `{\"a\":\"line\\nx\"}`,
		`{"a":"é"}`:       `{\"a\":\"\u00e9\"}`,
		`{"a":"😀"}`:       `{\"a\":\"\ud83d\ude00\"}`,
	} {
		if got := escapePolicy(in); got != want {
			t.Errorf("escapePolicy(%s) = %s; want %s", in, got, want)
		}
		if got := unescapePolicy(escapePolicy(in)); got != in {
			t.Errorf("unescapePolicy(escapePolicy(%s)) = %s", in, got)
		}
	}
}

// FuzzStoredPolicy: any put policy is either refused or stored in a form that unescapes to
// valid JSON equal to the compacted input; nothing panics.
func FuzzStoredPolicy(f *testing.F) {
	f.Add(testPolicy)
	f.Add(`{"Statement":{"Effect":"Deny","Principal":{"AWS":["*"]},"NotAction":"a","Resource":["*"],"Condition":{"Bool":{"aws:SecureTransport":false}}}}`)
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Resource":"é\u2028/"}]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, raw string) {
		stored, msg := storedPolicy(raw)
		if msg != "" || stored == "" {
			return
		}
		doc := unescapePolicy(stored)
		if !json.Valid([]byte(doc)) || !validPolicyDocument([]byte(doc)) {
			t.Fatalf("storedPolicy(%q) = %q, which unescapes to %q", raw, stored, doc)
		}
	})
}

// unescapePolicy returns the policy document of a stored policy, "" if it is none: the
// inverse of escapePolicy, as a client reads the answer (terraform-provider-aws quotes it and
// JSON-decodes it).
func unescapePolicy(stored string) string {
	var doc string
	if err := json.Unmarshal([]byte(`"`+stored+`"`), &doc); err != nil {
		return ""
	}
	return doc
}
