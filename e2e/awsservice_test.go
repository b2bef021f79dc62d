package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Keys of the AWS service integrations' role in the --aws-credentials file of
// TestAWSServiceIntegrations. moto accepts any keys; what matters is that gatehouse signs
// with these, for the right service and region, since moto routes each request by its
// signature's credential scope.
const (
	serviceRole      = "arn:aws:iam::123456789012:role/apigateway-to-aws"
	serviceRoleKey   = "AKIAE2EAWSSERVICE001"
	serviceRoleToken = "e2e-session-token"
)

// startServiceGatehouse starts gatehouse signing its AWS service integrations with
// serviceRole's keys (and sessionToken, if not empty) from an --aws-credentials file, and
// sending them to moto.
func startServiceGatehouse(t *testing.T, moto, sessionToken string) *gatehouse {
	t.Helper()
	creds := filepath.Join(t.TempDir(), "credentials")
	text := fmt.Sprintf("# gatehouse signs its AWS service integrations with these\n[%s]\naws_access_key_id = %s\naws_secret_access_key = e2e-service-secret\n", serviceRole, serviceRoleKey)
	if sessionToken != "" {
		text += "aws_session_token = " + sessionToken + "\n"
	}
	writeFile(t, creds, text)
	return startGatehouse(t, options{args: []string{"--aws-credentials", creds, "--aws-endpoint", "*=" + moto}})
}

// startMoto runs moto's server (python3 -m moto.server), an AWS-compatible SQS, S3 and
// DynamoDB, on a free loopback port until the test ends, and returns its URL.
func startMoto(t *testing.T) string {
	t.Helper()
	if out, err := exec.Command("python3", "-c", "import moto.server, flask, werkzeug").CombinedOutput(); err != nil {
		t.Fatalf("moto's server is not installed (pip install 'moto[server]'): %v\n%s", err, out)
	}
	port := freePort(t)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = cleanEnv()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 10 * time.Second // Wait returns even if a child of moto holds the pipe
	dieWithTests(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("moto output:\n%s", out.String())
		}
	})
	up := waitFor(startDeadline, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		resp, err := http.Get(url + "/moto-api/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	select {
	case <-exited:
		t.Fatalf("moto exited before serving:\n%s", out.String())
	default:
	}
	if !up {
		t.Fatalf("moto does not answer at %s after %v:\n%s", url, startDeadline, out.String())
	}
	return url
}

// awsConfig is an aws-sdk-go-v2 configuration for moto, for the test's own checks.
func motoConfig(url string) aws.Config {
	return aws.Config{
		Region:           testRegion,
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAE2ETESTCHECKS001", "checks-secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: startDeadline}, // a hang, not a slow machine
	}
}

// TestAWSServiceIntegrations builds, with the real aws-sdk-go-v2 apigateway client, an API
// whose methods are AWS service integrations of moto's SQS, S3 and DynamoDB (gatehouse runs
// with --aws-credentials and --aws-endpoint), calls them through the data plane, and checks
// with the real SDK clients of those services that each call did what it says: a message in
// the queue, an object byte-identical in the bucket, an item in the table.
func TestAWSServiceIntegrations(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	ctx := t.Context()

	g := startServiceGatehouse(t, moto, serviceRoleToken)

	// What the integrations act on, made in moto with the SDK.
	mc := motoConfig(moto)
	sqsc := sqs.NewFromConfig(mc)
	s3c := s3.NewFromConfig(mc, func(o *s3.Options) { o.UsePathStyle = true })
	ddb := dynamodb.NewFromConfig(mc)
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("e2e-orders")})
	if err != nil {
		t.Fatalf("sqs CreateQueue: %v", err)
	}
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("e2e-photos")}); err != nil {
		t.Fatalf("s3 CreateBucket: %v", err)
	}
	if _, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("e2e-notes"),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("owner"), AttributeType: ddbtypes.ScalarAttributeTypeS}, {AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("owner"), KeyType: ddbtypes.KeyTypeHash}, {AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeRange}},
	}); err != nil {
		t.Fatalf("dynamodb CreateTable: %v", err)
	}

	// The API, as a user builds it.
	ag := g.client("AKIAE2EAWSSVCADMIN01", "admin-secret")
	api, err := ag.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("e2e-aws-services"), BinaryMediaTypes: []string{"image/png"}})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	b := &apiBuilder{t: t, ctx: ctx, c: ag, api: *api.Id}
	queue := b.resource(*api.RootResourceId, "queue")
	photos := b.resource(*api.RootResourceId, "photos")
	folder := b.resource(photos, "{folder}")
	item := b.resource(folder, "{item}")
	notes := b.resource(*api.RootResourceId, "notes")
	owner := b.resource(notes, "{owner}")
	denied := b.resource(*api.RootResourceId, "denied")

	// SQS SendMessage, action form: a form-encoded request template.
	b.method(queue, "POST", nil)
	b.integration(queue, "POST", &apigateway.PutIntegrationInput{
		Type: agtypes.IntegrationTypeAws, IntegrationHttpMethod: aws.String("POST"), Credentials: aws.String(serviceRole),
		Uri:               aws.String("arn:aws:apigateway:us-east-1:sqs:action/SendMessage"),
		RequestParameters: map[string]string{"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
		RequestTemplates: map[string]string{"application/json": "Action=SendMessage&QueueUrl=$util.urlEncode('" + *q.QueueUrl +
			"')&MessageBody=$util.urlEncode($input.body)"},
		PassthroughBehavior: aws.String("NEVER"),
	})
	b.response(queue, "POST", "200", nil, nil, nil)

	// S3 PutObject and GetObject, path form with the path parameters mapped; the PNG passes
	// through as binary (binaryMediaTypes), its Content-Type both ways.
	pathParams := map[string]bool{"method.request.path.folder": true, "method.request.path.item": true}
	s3Params := map[string]string{"integration.request.path.bucket": "method.request.path.folder", "integration.request.path.key": "method.request.path.item"}
	b.method(item, "PUT", map[string]bool{"method.request.path.folder": true, "method.request.path.item": true, "method.request.header.Content-Type": true})
	putParams := map[string]string{"integration.request.header.Content-Type": "method.request.header.Content-Type"}
	for k, v := range s3Params {
		putParams[k] = v
	}
	b.integration(item, "PUT", &apigateway.PutIntegrationInput{
		Type: agtypes.IntegrationTypeAws, IntegrationHttpMethod: aws.String("PUT"), Credentials: aws.String(serviceRole),
		Uri: aws.String("arn:aws:apigateway:us-east-1:s3:path/{bucket}/{key}"), RequestParameters: putParams,
	})
	b.response(item, "PUT", "200", nil, nil, nil)
	b.method(item, "GET", pathParams)
	b.integration(item, "GET", &apigateway.PutIntegrationInput{
		Type: agtypes.IntegrationTypeAws, IntegrationHttpMethod: aws.String("GET"), Credentials: aws.String(serviceRole),
		Uri: aws.String("arn:aws:apigateway:us-east-1:s3:path/{bucket}/{key}"), RequestParameters: s3Params,
	})
	b.response(item, "GET", "200", map[string]string{"method.response.header.Content-Type": "integration.response.header.Content-Type"}, nil, nil)
	b.response(item, "GET", "404", nil, aws.String("404"), map[string]string{"application/json": `{"error": "no such photo"}`})

	// DynamoDB PutItem: JSON 1.0, X-Amz-Target and Content-Type set by requestParameters.
	b.method(owner, "POST", map[string]bool{"method.request.path.owner": true})
	b.integration(owner, "POST", &apigateway.PutIntegrationInput{
		Type: agtypes.IntegrationTypeAws, IntegrationHttpMethod: aws.String("POST"), Credentials: aws.String(serviceRole),
		Uri: aws.String("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem"),
		RequestParameters: map[string]string{
			"integration.request.header.X-Amz-Target": "'DynamoDB_20120810.PutItem'",
			"integration.request.header.Content-Type": "'application/x-amz-json-1.0'",
		},
		RequestTemplates: map[string]string{"application/json": `{"TableName": "e2e-notes", "Item": {
  "owner": {"S": "$util.escapeJavaScript($input.params('owner'))"},
  "id": {"S": "$util.escapeJavaScript($input.path('$.id'))"},
  "text": {"S": "$util.escapeJavaScript($input.path('$.text'))"}}}`},
	})
	b.response(owner, "POST", "200", nil, nil, map[string]string{"application/json": `{"saved": true}`})
	b.response(owner, "POST", "400", nil, aws.String("4\\d{2}"), map[string]string{"application/json": `{"error": $input.json('$.message')}`})

	// DynamoDB Query, reshaped by a response template; X-Amz-Target left to API Gateway.
	b.method(owner, "GET", map[string]bool{"method.request.path.owner": true})
	b.integration(owner, "GET", &apigateway.PutIntegrationInput{
		Type: agtypes.IntegrationTypeAws, IntegrationHttpMethod: aws.String("POST"), Credentials: aws.String(serviceRole),
		Uri:               aws.String("arn:aws:apigateway:us-east-1:dynamodb:action/Query"),
		RequestParameters: map[string]string{"integration.request.header.Content-Type": "'application/x-amz-json-1.0'"},
		RequestTemplates: map[string]string{"application/json": `{"TableName": "e2e-notes", "KeyConditionExpression": "#o = :o",
  "ExpressionAttributeNames": {"#o": "owner"},
  "ExpressionAttributeValues": {":o": {"S": "$util.escapeJavaScript($input.params('owner'))"}}}`},
	})
	b.response(owner, "GET", "200", nil, nil, map[string]string{"application/json": `#set($items = $input.path('$.Items'))
{"owner": "$input.params('owner')", "count": $input.path('$.Count'), "notes": [#foreach($n in $items){"id": "$n.id.S", "text": "$util.escapeJavaScript($n.text.S)"}#if($foreach.hasNext), #end#end]}`})

	// A role the credentials file has no keys for, and no [default].
	b.method(denied, "POST", nil)
	b.integration(denied, "POST", &apigateway.PutIntegrationInput{
		Type: agtypes.IntegrationTypeAws, IntegrationHttpMethod: aws.String("POST"), Credentials: aws.String("arn:aws:iam::123456789012:role/unknown"),
		Uri: aws.String("arn:aws:apigateway:us-east-1:sqs:action/SendMessage"),
	})
	b.response(denied, "POST", "200", nil, nil, nil)

	if _, err := ag.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("test")}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	base := g.pathURL(*api.Id, "test")
	var r httpResult
	if !waitFor(propagateDeadline, func() bool {
		r = mustCall(t, "GET", base+"/photos/e2e-photos/none", "", nil, "")
		return r.Body == `{"error": "no such photo"}`
	}) {
		t.Fatalf("stage never served: %d %s", r.Status, r.Body)
	}

	t.Run("SQS SendMessage", func(t *testing.T) {
		const msg = `{"order": 42, "note": "ships & pays"}`
		r := mustCall(t, "POST", base+"/queue", "", http.Header{"Content-Type": {"application/json"}}, msg)
		if r.Status != 200 {
			t.Fatalf("POST /queue = %d %s; want 200", r.Status, r.Body)
		}
		sum := md5.Sum([]byte(msg))
		if !strings.Contains(r.Body, hex.EncodeToString(sum[:])) {
			t.Errorf("POST /queue answered %s; want SQS's SendMessage result with MD5OfMessageBody %x", r.Body, sum)
		}
		got, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("sqs ReceiveMessage: %v", err)
		}
		if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != msg {
			var bodies []string
			for _, m := range got.Messages {
				bodies = append(bodies, aws.ToString(m.Body))
			}
			t.Errorf("queue holds %q; want exactly [%q]", bodies, msg)
		}
	})

	t.Run("S3 PutObject and GetObject of a PNG", func(t *testing.T) {
		png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0x00, 0xff, 0x80, 0x0d, 0x0a}, 2000)...)
		r := mustCall(t, "PUT", base+"/photos/e2e-photos/cat.png", "", http.Header{"Content-Type": {"image/png"}}, string(png))
		if r.Status != 200 {
			t.Fatalf("PUT /photos/e2e-photos/cat.png = %d %s; want 200", r.Status, r.Body)
		}
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("e2e-photos"), Key: aws.String("cat.png")})
		if err != nil {
			t.Fatalf("s3 GetObject: %v", err)
		}
		stored, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if !bytes.Equal(stored, png) || aws.ToString(obj.ContentType) != "image/png" {
			t.Errorf("the bucket holds %d bytes of %s (equal: %v); want the %d PNG bytes as sent, image/png", len(stored), aws.ToString(obj.ContentType), bytes.Equal(stored, png), len(png))
		}

		r = mustCall(t, "GET", base+"/photos/e2e-photos/cat.png", "", http.Header{"Accept": {"image/png"}}, "")
		if r.Status != 200 || r.Body != string(png) || r.Header.Get("Content-Type") != "image/png" {
			t.Errorf("GET /photos/e2e-photos/cat.png = %d, %d bytes of %s (equal: %v); want 200 and the PNG byte-identical, image/png",
				r.Status, len(r.Body), r.Header.Get("Content-Type"), r.Body == string(png))
		}

		r = mustCall(t, "GET", base+"/photos/e2e-photos/missing.png", "", nil, "")
		if r.Status != 404 || r.Body != `{"error": "no such photo"}` {
			t.Errorf("GET a missing photo = %d %s; want 404 from the 404 integration response", r.Status, r.Body)
		}
	})

	t.Run("DynamoDB PutItem and Query", func(t *testing.T) {
		for _, n := range []string{`{"id": "1", "text": "buy milk"}`, `{"id": "2", "text": "say \"hi\""}`} {
			r := mustCall(t, "POST", base+"/notes/ada", "", http.Header{"Content-Type": {"application/json"}}, n)
			if r.Status != 200 || r.Body != `{"saved": true}` {
				t.Fatalf("POST /notes/ada %s = %d %s; want 200 {\"saved\": true}", n, r.Status, r.Body)
			}
		}
		it, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("e2e-notes"), Key: map[string]ddbtypes.AttributeValue{
			"owner": &ddbtypes.AttributeValueMemberS{Value: "ada"}, "id": &ddbtypes.AttributeValueMemberS{Value: "2"}}})
		if err != nil {
			t.Fatalf("dynamodb GetItem: %v", err)
		}
		if txt, ok := it.Item["text"].(*ddbtypes.AttributeValueMemberS); !ok || txt.Value != `say "hi"` {
			t.Errorf("item ada/2 = %v; want text %q", it.Item, `say "hi"`)
		}

		r := mustCall(t, "GET", base+"/notes/ada", "", nil, "")
		if r.Status != 200 {
			t.Fatalf("GET /notes/ada = %d %s; want 200", r.Status, r.Body)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatalf("GET /notes/ada answered %s: not JSON: %v", r.Body, err)
		}
		want := map[string]any{"owner": "ada", "count": 2.0, "notes": []any{
			map[string]any{"id": "1", "text": "buy milk"}, map[string]any{"id": "2", "text": `say "hi"`}}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GET /notes/ada = %v; want %v", got, want)
		}

		// DynamoDB's 400 (no such table) selects the 4\d{2} integration response.
		if _, err := ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("e2e-notes")}); err != nil {
			t.Fatalf("dynamodb DeleteTable: %v", err)
		}
		r = mustCall(t, "POST", base+"/notes/ada", "", http.Header{"Content-Type": {"application/json"}}, `{"id": "3", "text": "x"}`)
		if r.Status != 400 || !strings.Contains(r.Body, `"error": "`) {
			t.Errorf("POST /notes/ada without the table = %d %s; want 400 with DynamoDB's message", r.Status, r.Body)
		}
	})

	t.Run("no keys for the role", func(t *testing.T) {
		r := mustCall(t, "POST", base+"/denied", "", nil, "{}")
		checkGatewayError(t, "POST /denied", r, 500, "ApiConfigurationException", `{"message": "Internal server error"}`)
		want := "no AWS credentials configured for role arn:aws:iam::123456789012:role/unknown"
		if !waitFor(propagateDeadline, func() bool { return strings.Contains(g.stderr.String(), want) }) {
			t.Errorf("gatehouse's log does not say %q", want)
		}
	})
	g.expectNoErrorLogs()
}

// apiBuilder makes the management calls of one REST API, failing the test on an error.
type apiBuilder struct {
	t   *testing.T
	ctx context.Context
	c   *apigateway.Client
	api string
}

func (b *apiBuilder) resource(parent, part string) string {
	b.t.Helper()
	r, err := b.c.CreateResource(b.ctx, &apigateway.CreateResourceInput{RestApiId: &b.api, ParentId: &parent, PathPart: &part})
	if err != nil {
		b.t.Fatalf("CreateResource %s: %v", part, err)
	}
	return *r.Id
}

func (b *apiBuilder) method(res, verb string, params map[string]bool) {
	b.t.Helper()
	if _, err := b.c.PutMethod(b.ctx, &apigateway.PutMethodInput{RestApiId: &b.api, ResourceId: &res, HttpMethod: &verb,
		AuthorizationType: aws.String("NONE"), RequestParameters: params}); err != nil {
		b.t.Fatalf("PutMethod %s: %v", verb, err)
	}
}

func (b *apiBuilder) integration(res, verb string, in *apigateway.PutIntegrationInput) {
	b.t.Helper()
	in.RestApiId, in.ResourceId, in.HttpMethod = &b.api, &res, &verb
	if _, err := b.c.PutIntegration(b.ctx, in); err != nil {
		b.t.Fatalf("PutIntegration %s %s: %v", verb, aws.ToString(in.Uri), err)
	}
}

// response adds a method response and its integration response: selectionPattern nil for
// the default one, header mappings and templates as given.
func (b *apiBuilder) response(res, verb, status string, headers map[string]string, pattern *string, templates map[string]string) {
	b.t.Helper()
	declared := map[string]bool{}
	for k := range headers {
		declared[k] = false
	}
	if _, err := b.c.PutMethodResponse(b.ctx, &apigateway.PutMethodResponseInput{RestApiId: &b.api, ResourceId: &res, HttpMethod: &verb,
		StatusCode: &status, ResponseParameters: declared}); err != nil {
		b.t.Fatalf("PutMethodResponse %s %s: %v", verb, status, err)
	}
	if _, err := b.c.PutIntegrationResponse(b.ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &b.api, ResourceId: &res, HttpMethod: &verb,
		StatusCode: &status, SelectionPattern: pattern, ResponseParameters: headers, ResponseTemplates: templates}); err != nil {
		var apiErr interface{ ErrorMessage() string }
		if errors.As(err, &apiErr) {
			b.t.Fatalf("PutIntegrationResponse %s %s: %s", verb, status, apiErr.ErrorMessage())
		}
		b.t.Fatalf("PutIntegrationResponse %s %s: %v", verb, status, err)
	}
}
