package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse/gatehouse/internal/gateway/integration/h1"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/mapping"
)

// AWSServiceConfig is how AWS service integrations (type AWS with a URI other than a Lambda
// function's) reach and sign for AWS services. The zero value signs with nothing: every
// such integration answers 500 and logs that no credentials are configured.
type AWSServiceConfig struct {
	// Credentials are the keys requests are signed with, chosen by the integration's
	// credentials role ARN (see AWSCredentials.Lookup). Nil means none.
	Credentials *AWSCredentials
	// Endpoints replace AWS's endpoint of a service with a base URL
	// ("http://127.0.0.1:5000"), keyed by the service as the integration URI names it
	// ("sqs", "s3", "dynamodb", "runtime.sagemaker"); the key "*" applies to every service
	// without its own. A service without one goes to AWS: https://{service}.{region}.amazonaws.com.
	Endpoints map[string]string
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

// awsURI is an AWS integration URI taken apart:
// arn:{partition}:apigateway:{region}:{subdomain.}{service}:{kind}/{rest}.
type awsURI struct {
	partition string
	region    string
	service   string // as written, subdomain included: "sqs", "mybucket.s3", "runtime.sagemaker"
	kind      string // "action" or "path"
	rest      string // the action ("SendMessage", maybe with "&Name=value" parameters) or the path
}

// parseAWSURI splits an AWS integration URI. Stage variables must already be substituted.
func parseAWSURI(uri string) (awsURI, error) {
	parts := strings.SplitN(uri, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "apigateway" {
		return awsURI{}, fmt.Errorf("uri %q: want arn:aws:apigateway:{region}:{service}:action/{action} or :path/{path}", uri)
	}
	u := awsURI{partition: parts[1], region: parts[3], service: parts[4]}
	var ok bool
	u.kind, u.rest, ok = strings.Cut(parts[5], "/")
	var problems []string
	if !strings.HasPrefix(u.partition, "aws") {
		problems = append(problems, fmt.Sprintf("partition %q is not aws, aws-cn or aws-us-gov", u.partition))
	}
	if !validLabels(u.region) || !strings.Contains(u.region, "-") {
		problems = append(problems, fmt.Sprintf("region %q is not a region name like us-east-1", u.region))
	}
	if !validLabels(u.service) {
		problems = append(problems, fmt.Sprintf("service %q is not a service name like sqs or {subdomain}.s3", u.service))
	}
	switch {
	case !ok || (u.kind != "action" && u.kind != "path"):
		problems = append(problems, fmt.Sprintf("%q is neither action/{action} nor path/{path}", parts[5]))
	case u.kind == "action" && !validAction(u.rest):
		problems = append(problems, fmt.Sprintf("action %q is not an action name like SendMessage", u.rest))
	}
	if len(problems) > 0 {
		return awsURI{}, fmt.Errorf("uri %q: %s", uri, strings.Join(problems, "; "))
	}
	return u, nil
}

// validLabels reports whether s is dot-separated DNS labels (letters, digits, '-').
func validLabels(s string) bool {
	if s == "" {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// validAction reports whether an action-form rest is an action name, optionally followed by
// "&Name=value" parameters.
func validAction(s string) bool {
	name, _, _ := strings.Cut(s, "&")
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// baseService is the service of a URI's "{subdomain}.{service}": the last label, unless the
// whole name is a service of its own whose endpoint prefix has a dot.
func baseService(s string) (subdomain, service string) {
	if _, ok := dottedServices[s]; ok {
		return "", s
	}
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+1:]
}

// dottedServices are endpoint prefixes with a dot, and the name they sign with. Source:
// botocore's service models (metadata endpointPrefix and signingName).
var dottedServices = map[string]string{
	"runtime.sagemaker": "sagemaker",
	"streams.dynamodb":  "dynamodb",
	"data.iot":          "iotdata",
	"runtime.lex":       "lex",
	"data.mediastore":   "mediastore",
}

// signingNames are the services whose signing name is not their endpoint prefix. Source:
// botocore's service models (metadata endpointPrefix and signingName).
var signingNames = map[string]string{
	"email":          "ses",
	"runtime-v2-lex": "lex",
}

// signingName is the name a service's requests are signed for.
func signingName(service string) string {
	if n, ok := dottedServices[service]; ok {
		return n
	}
	if n, ok := signingNames[service]; ok {
		return n
	}
	return service
}

// queryVersions are the API versions of the services that speak AWS's query protocol, sent
// as Version with an action-form integration's Action. Source: botocore's service models
// (metadata apiVersion of the query and ec2 protocol services, by endpointPrefix).
var queryVersions = map[string]string{
	"autoscaling":      "2011-01-01",
	"cloudformation":   "2010-05-15",
	"cloudsearch":      "2013-01-01",
	"ec2":              "2016-11-15",
	"elasticache":      "2015-02-02",
	"elasticbeanstalk": "2010-12-01",
	"email":            "2010-12-01",
	"iam":              "2010-05-08",
	"monitoring":       "2010-08-01",
	"rds":              "2014-10-31",
	"redshift":         "2012-12-01",
	"sdb":              "2009-04-15",
	"sns":              "2010-03-31",
	"sqs":              "2012-11-05",
	"sts":              "2011-06-15",
}

// jsonTargets are the X-Amz-Target prefixes API Gateway sets by itself for an action-form
// integration of these JSON-protocol services: LocalStack's AWS-validated tests record that
// DynamoDB, Kinesis and Step Functions need no X-Amz-Target mapping while EventBridge does.
// Prefixes from botocore's service models (metadata targetPrefix).
var jsonTargets = map[string]string{
	"dynamodb": "DynamoDB_20120810",
	"kinesis":  "Kinesis_20131202",
	"states":   "AWSStepFunctions",
}

// awsService is an AWS (non-proxy) integration with an AWS service: the request is built
// as for HTTP (request template, request parameters), signed with SigV4 for the service and
// the URI's region, and its answer goes through the integration responses.
type awsService struct {
	nonProxy
	method  string // integration httpMethod; "" means the client's
	uri     *uriTemplate
	params  []requestMapping
	refused bool // a mapping sets a header AWS refuses (refusedMapping)
	backend

	region, signing string // credential scope
	s3              bool   // S3's signing: the path as sent, X-Amz-Content-Sha256
	target          []string
	actionQuery     []queryPart // action form: "&Name=value" parameters after the action
	userAgentValue  []string

	creds   aws.Credentials
	credErr error // no credentials for the role: every request fails with it
	signer  *v4.Signer
	now     func() time.Time
}

// queryPart is a literal run of an action-form query or a {name} placeholder.
type queryPart struct{ lit, name string }

// NewAWSService compiles an AWS service integration (type AWS, URI
// arn:aws:apigateway:{region}:{service}:action/{Action} or :path/{path}).
func NewAWSService(c Config, s AWSServiceConfig) (invoke.Handler, error) {
	in := c.Integration
	raw, _ := substituteStageVariables(in.URI, c.StageVariables)
	u, err := parseAWSURI(raw)
	if err != nil {
		return nil, stageValueError(in.URI, raw, err)
	}
	sub, svc := baseService(u.service)
	a := &awsService{
		region:         u.region,
		signing:        signingName(svc),
		s3:             svc == "s3",
		backend:        backend{timeout: timeout(in.TimeoutInMillis)},
		userAgentValue: []string{"AmazonAPIGateway_" + c.APIID},
		signer:         v4.NewSigner(),
		now:            s.Now,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if in.HTTPMethod != "ANY" {
		a.method = in.HTTPMethod
	}

	// The endpoint: the configured override (path-style for an S3 bucket subdomain, else
	// the subdomain as a host label), else AWS's.
	base, overridden := s.Endpoints[u.service]
	if !overridden {
		base, overridden = s.Endpoints[svc]
	}
	if !overridden {
		base, overridden = s.Endpoints["*"]
	}
	var prefix string
	switch {
	case !overridden:
		base = "https://" + u.service + "." + u.region + ".amazonaws.com"
		if strings.HasPrefix(u.region, "cn-") {
			base += ".cn"
		}
	case sub != "" && a.s3:
		prefix = "/" + sub
	case sub != "":
		scheme, host, _ := strings.Cut(base, "://")
		base = scheme + "://" + sub + "." + host
	}
	base, err = endpointBase(base)
	if err != nil {
		return nil, fmt.Errorf("endpoint of %s: %w", u.service, err)
	}

	var target string
	switch u.kind {
	case "path":
		target = prefix + "/" + strings.TrimPrefix(u.rest, "/")
	case "action":
		action, params, _ := strings.Cut(u.rest, "&")
		q := "Action=" + url.QueryEscape(action)
		if v, ok := queryVersions[svc]; ok {
			q += "&Version=" + v
		}
		target = prefix + "/?" + q
		if t, ok := jsonTargets[svc]; ok {
			a.target = []string{t + "." + action}
		}
		if a.actionQuery, err = compileActionQuery(params); err != nil {
			return nil, stageValueError(in.URI, raw, fmt.Errorf("uri %q: %w", raw, err))
		}
	}
	if a.uri, err = compileURI(base+target, nil); err != nil {
		return nil, stageValueError(in.URI, raw, err)
	}
	a.refused = refusedMapping(in.RequestParameters, true)
	if a.params, err = compileRequestParameters(in.RequestParameters, c.StageVariables); err != nil {
		return nil, err
	}
	if a.nonProxy, err = compileNonProxy(c); err != nil {
		return nil, err
	}
	a.transport = c.Transport
	if a.transport == nil {
		a.transport = NewTransport(false)
	}
	a.client, _ = a.transport.(*h1.Client)

	role, _ := substituteStageVariables(in.Credentials, c.StageVariables)
	var ok bool
	if a.creds, ok = s.Credentials.Lookup(role); !ok {
		who := "integrations without credentials"
		if role != "" {
			who = "role " + role
		}
		a.credErr = fmt.Errorf("no AWS credentials configured for %s: add a profile [%s] or [default] to the --aws-credentials file", who, role)
		if role == "" {
			a.credErr = fmt.Errorf("no AWS credentials configured for %s: add a [default] profile to the --aws-credentials file", who)
		}
	}
	return a, nil
}

// endpointBase checks an endpoint base URL and returns it as scheme://host[:port], the
// scheme's default port left out (the signed Host is sent without it).
func endpointBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("%q is not a base URL like http://127.0.0.1:5000", raw)
	}
	host := u.Host
	if h, port, err := net.SplitHostPort(host); err == nil && (u.Scheme == "http" && port == "80" || u.Scheme == "https" && port == "443") {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]"
		}
	}
	return u.Scheme + "://" + host, nil
}

// compileActionQuery parses the "Name=value&..." parameters written after an action
// ("action/GetObject&Bucket={bucket}&Key={key}"); {name} is the mapped or method path
// parameter name, query-escaped when substituted.
func compileActionQuery(s string) ([]queryPart, error) {
	if s == "" {
		return nil, nil
	}
	parts := []queryPart{{lit: "&"}}
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			parts = append(parts, queryPart{lit: s})
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, errors.New("unclosed { in the action's parameters")
		}
		if j == 1 {
			return nil, errors.New("empty {} in the action's parameters")
		}
		if i > 0 {
			parts = append(parts, queryPart{lit: s[:i]})
		}
		parts = append(parts, queryPart{name: s[i+1 : i+j]})
		s = s[i+j+1:]
	}
	return parts, nil
}

// emptySHA256 is the hex SHA-256 of an empty payload.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Invoke implements invoke.Handler.
func (a *awsService) Invoke(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
	if a.credErr != nil {
		// AWS: "Execution failed due to configuration error: Unable to assume role".
		return nil, invoke.ConfigurationError.Because(a.credErr)
	}
	if a.refused {
		return nil, refusedMappingError()
	}
	method := a.method
	if method == "" {
		method = inv.Request.Method
	}
	hdr := make(http.Header, len(a.params)+8)
	var ov mapping.Overrides
	body, err := a.requestPayload(inv, &ov)
	if err != nil {
		return nil, err
	}
	if ct := contentType(inv); ct != "" && hasBody(method) {
		hdr["Content-Type"] = []string{ct}
	}
	if a.target != nil {
		hdr["X-Amz-Target"] = a.target
	}
	query, mappedPath := applyRequestParameters(inv, a.params, &ov, hdr, invoke.DroppedToAWS) // Expect, Proxy-Authenticate, TE, Referer: even mapped
	if _, ok := hdr["Accept"]; !ok {
		hdr["Accept"] = acceptJSON
	}
	if _, ok := hdr["User-Agent"]; !ok {
		hdr["User-Agent"] = a.userAgentValue
	}
	hdr["X-Amzn-Trace-Id"] = []string{inv.TraceID}
	if !hasBody(method) {
		body = nil
	}

	p, err := a.uri.appendMappedPath(make([]byte, 0, 128), inv, mappedPath)
	if err != nil {
		return nil, err
	}
	if a.s3 {
		// S3 signs the path as sent, and compares it with its own strict escaping of the
		// decoded path: send that.
		p = appendStrictPath(p[:0:0], pathUnescape(string(p)))
	}
	q := a.uri.query
	if a.actionQuery != nil {
		q += string(a.appendActionQuery(nil, inv, mappedPath))
	}
	if len(query) > 0 {
		q = joinQuery(q, string(query))
	}

	// Sign: the signer canonicalizes the query (sorted, escaped as SigV4 wants) into
	// RawQuery, which is then sent as signed.
	sreq := &http.Request{
		Method:        method,
		URL:           &url.URL{Scheme: a.uri.scheme, Host: a.uri.host, Opaque: "//" + a.uri.host + string(p), RawQuery: q},
		Header:        hdr,
		Host:          a.uri.host,
		ContentLength: int64(len(body)),
	}
	hash := emptySHA256
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	if a.s3 {
		hdr["X-Amz-Content-Sha256"] = []string{hash}
	}
	if err := a.signer.SignHTTP(ctx, a.creds, sreq, hash, a.signing, a.region, a.now(), func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = a.s3
	}); err != nil {
		return nil, invoke.ConfigurationError.Because(fmt.Errorf("sign the %s request: %w", a.signing, err))
	}
	q = sreq.URL.RawQuery

	resp, ctx, cancel, err := a.send(ctx, method, a.uri, p, q, hdr, body)
	if err != nil {
		return nil, err
	}
	return a.answer(ctx, inv, resp, cancel, &ov)
}

// appendActionQuery appends the action's own parameters, placeholders substituted.
func (a *awsService) appendActionQuery(b []byte, inv *invoke.Invocation, mapped []invoke.Param) []byte {
	for _, qp := range a.actionQuery {
		if qp.name == "" {
			b = append(b, qp.lit...)
			continue
		}
		v, ok := "", false
		for _, mp := range mapped {
			if mp.Name == qp.name {
				v, ok = mp.Value, true
			}
		}
		if !ok {
			v, _ = inv.PathParam(qp.name)
		}
		b = append(b, url.QueryEscape(v)...)
	}
	return b
}

// appendStrictPath appends s escaped as SigV4 escapes a path: everything but RFC 3986
// unreserved characters and '/' percent-encoded.
func appendStrictPath(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&0xf])
	}
	return b
}
