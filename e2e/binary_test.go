package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The bodies LocalStack's TestApiGatewayS3BinarySupport sends through API Gateway to S3,
// recorded against AWS: a gzip stream (invalid UTF-8), its base64 text, and plain text.
var (
	binGzip = []byte("\x1f\x8b\x08\x00\x14l\xeec\x02\xffK\xce\xcf-(J-.NMQHI,I\xd4Q(\xce\xc8/\xcdIQHJU\xc8\xcc+K\xcc\xc9LQ\x08\rq\xd3\xb5P(.)\xca\xccK\x07\x00\xb89\x10W/\x00\x00\x00")
	binB64  = []byte(base64.StdEncoding.EncodeToString(binGzip))
	binText = []byte("this is a UTF8 text typed object")
	// binGzipText is the gzip stream read as UTF-8, as AWS stored it (99 bytes, recorded).
	binGzipText = []byte("\x1f\xef\xbf\xbd\x08\x00\x14l\xef\xbf\xbdc\x02\xef\xbf\xbdK\xef\xbf\xbd\xef\xbf\xbd-(J-.NMQHI,I\xef\xbf\xbdQ(\xef\xbf\xbd\xef\xbf\xbd/\xef\xbf\xbdIQHJU\xef\xbf\xbd\xef\xbf\xbd+K\xef\xbf\xbd\xef\xbf\xbdLQ\x08\rq\xd3\xb5P(.)\xef\xbf\xbd\xef\xbf\xbdK\x07\x00\xef\xbf\xbd9\x10W/\x00\x00\x00")
)

// outcome is what AWS made of one body: kept, read as UTF-8, base64-encoded or decoded, or
// a 500.
type outcome int

const (
	kept outcome = iota
	utf8Text
	encoded
	decoded
	failed
)

// want is the bytes an outcome gives for a body, or nil for a 500.
func (o outcome) want(body []byte) []byte {
	switch o {
	case utf8Text:
		if bytes.Equal(body, binGzip) {
			return binGzipText
		}
		return body
	case encoded:
		return []byte(base64.StdEncoding.EncodeToString(body))
	case decoded:
		b, err := base64.StdEncoding.DecodeString(string(body))
		if err != nil {
			return nil
		}
		return b
	case failed:
		return nil
	}
	return body
}

// TestBinaryContentHandling runs AWS's content type conversions against an S3-shaped
// backend: moto's S3 behind AWS service integrations, as LocalStack's
// TestApiGatewayS3BinarySupport recorded them against AWS. Two APIs, without and with
// binaryMediaTypes [image/png], each with a resource per contentHandling (unset,
// CONVERT_TO_TEXT, CONVERT_TO_BINARY) whose PUT stores the body in S3 (read back with the
// S3 SDK) and whose GET answers an object (stored with the SDK, as image/png or
// binary/octet-stream) under each Accept; every byte is compared.
func TestBinaryContentHandling(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	ctx := t.Context()
	g := startServiceGatehouse(t, moto, "")
	s3c := s3.NewFromConfig(motoConfig(moto), func(o *s3.Options) { o.UsePathStyle = true })
	const bucket = "e2e-binary"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("s3 CreateBucket: %v", err)
	}
	bodies := map[string][]byte{"raw": binGzip, "encoded": binB64, "text": binText}
	for name, body := range bodies {
		for suffix, ct := range map[string]string{"png": "image/png", "octet": "binary/octet-stream"} {
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("get-" + name + "-" + suffix),
				Body: bytes.NewReader(body), ContentType: aws.String(ct)}); err != nil {
				t.Fatalf("s3 PutObject: %v", err)
			}
		}
	}

	ag := g.client("AKIAE2EBINARYADMIN01", "admin-secret")
	handlings := map[string]agtypes.ContentHandlingStrategy{"unset": "", "text": agtypes.ContentHandlingStrategyConvertToText, "binary": agtypes.ContentHandlingStrategyConvertToBinary}
	bases := map[string]string{}
	for apiName, bmt := range map[string][]string{"plain": nil, "png": {"image/png"}} {
		api, err := ag.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("e2e-binary-" + apiName), BinaryMediaTypes: bmt})
		if err != nil {
			t.Fatalf("CreateRestApi: %v", err)
		}
		b := &apiBuilder{t: t, ctx: ctx, c: ag, api: *api.Id}
		for hName, h := range handlings {
			key := b.resource(b.resource(*api.RootResourceId, hName), "{key}")
			params := map[string]string{"integration.request.path.key": "method.request.path.key"}
			b.method(key, "PUT", map[string]bool{"method.request.path.key": true, "method.request.header.Content-Type": false})
			b.integration(key, "PUT", &apigateway.PutIntegrationInput{
				Type: agtypes.IntegrationTypeAws, IntegrationHttpMethod: aws.String("PUT"), Credentials: aws.String(serviceRole),
				Uri:               aws.String("arn:aws:apigateway:us-east-1:s3:path/" + bucket + "/{key}"),
				RequestParameters: map[string]string{"integration.request.path.key": "method.request.path.key", "integration.request.header.Content-Type": "method.request.header.Content-Type"},
				ContentHandling:   h,
			})
			b.response(key, "PUT", "200", nil, nil, nil)
			b.method(key, "GET", map[string]bool{"method.request.path.key": true})
			b.integration(key, "GET", &apigateway.PutIntegrationInput{
				Type: agtypes.IntegrationTypeAws, IntegrationHttpMethod: aws.String("GET"), Credentials: aws.String(serviceRole),
				Uri: aws.String("arn:aws:apigateway:us-east-1:s3:path/" + bucket + "/{key}"), RequestParameters: params,
			})
			status := "200"
			if _, err := ag.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: &key, HttpMethod: aws.String("GET"), StatusCode: &status}); err != nil {
				t.Fatalf("PutMethodResponse: %v", err)
			}
			if _, err := ag.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: &key, HttpMethod: aws.String("GET"),
				StatusCode: &status, ContentHandling: h}); err != nil {
				t.Fatalf("PutIntegrationResponse: %v", err)
			}
		}
		if _, err := ag.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("test")}); err != nil {
			t.Fatalf("CreateDeployment: %v", err)
		}
		bases[apiName] = g.pathURL(*api.Id, "test")
	}
	for apiName, base := range bases {
		if !waitFor(propagateDeadline, func() bool {
			return mustCall(t, "GET", base+"/unset/get-text-octet", "", nil, "").Status == 200
		}) {
			t.Fatalf("API %s never served", apiName)
		}
	}

	// Request: [raw, encoded, text] as AWS stored them (recorded: test_apigw_s3_binary_support_request*).
	requests := []struct {
		api, handling, contentType string
		out                        [3]outcome
	}{
		{"plain", "unset", "image/png", [3]outcome{utf8Text, kept, kept}},
		{"plain", "text", "image/png", [3]outcome{utf8Text, kept, kept}},
		{"plain", "binary", "image/png", [3]outcome{failed, decoded, failed}},
		{"png", "unset", "image/png", [3]outcome{kept, kept, kept}},
		{"png", "unset", "text/plain", [3]outcome{utf8Text, kept, kept}},
		{"png", "text", "image/png", [3]outcome{encoded, encoded, encoded}},
		{"png", "text", "text/plain", [3]outcome{utf8Text, kept, kept}},
		{"png", "binary", "image/png", [3]outcome{kept, kept, kept}},
		{"png", "binary", "text/plain", [3]outcome{failed, decoded, failed}},
	}
	for _, tt := range requests {
		for i, name := range []string{"raw", "encoded", "text"} {
			key := fmt.Sprintf("put-%s-%s-%s-%s", tt.api, tt.handling, strings.ReplaceAll(tt.contentType, "/", "-"), name)
			want := tt.out[i].want(bodies[name])
			r := mustCall(t, "PUT", bases[tt.api]+"/"+tt.handling+"/"+key, "", http.Header{"Content-Type": {tt.contentType}}, string(bodies[name]))
			if want == nil {
				if r.Status != 500 {
					t.Errorf("%s: PUT %s body as %s = %d %q; want 500", tt.api+"/"+tt.handling, name, tt.contentType, r.Status, r.Body)
				}
				if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err == nil {
					t.Errorf("%s: PUT %s body as %s answered 500 but reached S3", tt.api+"/"+tt.handling, name, tt.contentType)
				}
				continue
			}
			if r.Status != 200 {
				t.Errorf("%s: PUT %s body as %s = %d %q; want 200", tt.api+"/"+tt.handling, name, tt.contentType, r.Status, r.Body)
				continue
			}
			obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Errorf("%s: s3 GetObject %s: %v", tt.api+"/"+tt.handling, key, err)
				continue
			}
			got, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			if !bytes.Equal(got, want) {
				t.Errorf("%s: PUT %s body as %s stored %q; want %q", tt.api+"/"+tt.handling, name, tt.contentType, got, want)
			}
		}
	}

	// Response: [raw, encoded, text] objects as answered (recorded: test_apigw_s3_binary_support_response_*).
	responses := []struct {
		api, handling, stored, accept string
		out                           [3]outcome
	}{
		{"plain", "unset", "octet", "text/plain", [3]outcome{utf8Text, kept, kept}},
		{"plain", "unset", "octet", "image/png", [3]outcome{utf8Text, kept, kept}},
		{"plain", "text", "octet", "image/png", [3]outcome{utf8Text, kept, kept}},
		{"plain", "binary", "octet", "image/png", [3]outcome{failed, decoded, failed}},
		{"png", "unset", "octet", "image/png", [3]outcome{failed, decoded, failed}},
		{"png", "unset", "png", "image/png", [3]outcome{kept, kept, kept}},
		{"png", "unset", "octet", "text/plain", [3]outcome{utf8Text, kept, kept}},
		{"png", "unset", "png", "text/plain", [3]outcome{encoded, encoded, encoded}},
		{"png", "unset", "png", "text/plain, image/png", [3]outcome{encoded, encoded, encoded}}, // only the first Accept counts
		{"png", "text", "octet", "image/png", [3]outcome{utf8Text, kept, kept}},
		{"png", "text", "png", "image/png", [3]outcome{encoded, encoded, encoded}},
		{"png", "text", "octet", "text/plain", [3]outcome{utf8Text, kept, kept}},
		{"png", "text", "png", "text/plain", [3]outcome{encoded, encoded, encoded}},
		{"png", "binary", "octet", "image/png", [3]outcome{failed, decoded, failed}},
		{"png", "binary", "png", "image/png", [3]outcome{kept, kept, kept}},
		{"png", "binary", "octet", "text/plain", [3]outcome{failed, decoded, failed}},
		{"png", "binary", "png", "text/plain", [3]outcome{kept, kept, kept}},
	}
	for _, tt := range responses {
		for i, name := range []string{"raw", "encoded", "text"} {
			want := tt.out[i].want(bodies[name])
			r := mustCall(t, "GET", bases[tt.api]+"/"+tt.handling+"/get-"+name+"-"+tt.stored, "", http.Header{"Accept": {tt.accept}}, "")
			switch {
			case want == nil && r.Status != 500:
				t.Errorf("%s: GET %s object (%s) for Accept %q = %d %q; want 500", tt.api+"/"+tt.handling, name, tt.stored, tt.accept, r.Status, r.Body)
			case want != nil && (r.Status != 200 || r.Body != string(want)):
				t.Errorf("%s: GET %s object (%s) for Accept %q = %d %q; want 200 %q", tt.api+"/"+tt.handling, name, tt.stored, tt.accept, r.Status, r.Body, want)
			}
		}
	}
}
