package sigv4

import (
	"crypto/hmac"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxSkew is how far a signed timestamp may be from the server's
// clock: AWS allows 5 minutes each way ("(... - 5 min.)" in its messages).
const DefaultMaxSkew = 5 * time.Minute

// MaxPresignExpires is the longest X-Amz-Expires SigV4 allows: one week, in
// seconds ("X-Amz-Expires must be less than a week (in seconds); that is, the
// given X-Amz-Expires must be less than 604800 seconds", aws/aws-cli#5464).
const MaxPresignExpires = 604800

// amzDateFormat is ISO 8601 basic format, the X-Amz-Date layout.
const amzDateFormat = "20060102T150405Z"

// Verifier checks AWS Signature Version 4 on incoming requests. The zero value
// rejects every signed request as UnrecognizedClientException; set
// Credentials. A Verifier is safe for concurrent use if Credentials is.
type Verifier struct {
	// Credentials returns the secret access key for an access key id, and
	// false when the id is unknown.
	Credentials func(accessKeyID string) (secretAccessKey string, ok bool)

	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// MaxSkew is how far X-Amz-Date may be from Now, both ways; zero means
	// DefaultMaxSkew (AWS's 5 minutes).
	MaxSkew time.Duration

	// Service, when set, is the only service the credential scope may name
	// (e.g. "apigateway"); empty accepts any and reports it in Result.
	Service string

	// Region, when set, is the only region the credential scope may name;
	// empty accepts any and reports it in Result.
	Region string

	// DisablePathNormalization signs the path as sent, without removing "."
	// ".." and empty segments: S3's rule, and the suite's *-unnormalized
	// cases. Other AWS services normalize, so gatehouse leaves this false.
	DisablePathNormalization bool

	// Keys, when set, keeps the signing keys derived for recent access keys and scopes;
	// nil derives one for every request. Copies of a Verifier may share it.
	Keys *KeyCache
}

// Result describes a request whose signature verified.
type Result struct {
	AccessKeyID string    // the access key id the client signed with
	Region      string    // the credential scope's region
	Service     string    // the credential scope's service
	Date        time.Time // the signed timestamp (X-Amz-Date), UTC
	// SecurityToken is X-Amz-Security-Token (header or query), empty when
	// absent. Verify does not check it: long-term keys carry none, and a
	// caller that issues session tokens must check it against the key.
	SecurityToken string
	SignedHeaders []string // lower-case names, as the client listed them
	Presigned     bool     // the signature came in the query string
	// UnsignedPayload is true when the client signed "UNSIGNED-PAYLOAD"
	// instead of the body's hash: the body is not authenticated.
	UnsignedPayload bool
}

// auth is the signature information a request carries, before checking.
type auth struct {
	presigned     bool
	credential    string // AKID/date/region/service/aws4_request as sent
	accessKeyID   string
	scopeDate     string // YYYYMMDD
	region        string
	service       string
	terminator    string // the scope's last element, "aws4_request" when well formed
	signedHeaders []string
	signedRaw     string // SignedHeaders as sent
	signature     string
	amzDate       string // ISO 8601 basic, as used in the string to sign
	date          time.Time
	expires       time.Duration // presigned only
	token         string
	params        []queryParam
}

// Verify checks the SigV4 signature of r, whose body the caller has already
// read into body (nil for none). It accepts the Authorization header form and
// the presigned query form. On failure the error is an *Error carrying AWS's
// error type, status and message.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Result, error) {
	return v.VerifyRequest(newRequest(r), body)
}

// Request is what verification reads of a request: a server that has the request line and
// headers but no *http.Request (or one whose URL a router rewrote) passes them here.
type Request struct {
	Method string
	// Host is the Host header (HTTP/1.1) or :authority (HTTP/2), port included as sent.
	Host string
	// Path is the request target's path exactly as sent: percent-encoded, before any
	// normalization, without the query. Empty means "/".
	Path string
	// RawQuery is the query without '?', as sent.
	RawQuery string
	// Header holds the headers by canonical name (Host excepted).
	Header http.Header
	// ContentLength is the declared body length, -1 when unknown: the content-length value
	// signed when the client signed it and Header has none.
	ContentLength int64
	// TransferEncoding is the request's transfer codings when Header no longer has them
	// (net/http moves them out).
	TransferEncoding []string
}

// newRequest is the Request view of r.
func newRequest(r *http.Request) *Request {
	path, rawQuery := requestTarget(r)
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	return &Request{Method: r.Method, Host: host, Path: path, RawQuery: rawQuery, Header: r.Header,
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding}
}

// VerifyRequest is Verify for a request given by its parts.
func (v *Verifier) VerifyRequest(r *Request, body []byte) (*Result, error) {
	path := r.Path
	if path == "" {
		path = "/"
	}
	params := parseQuery(r.RawQuery)

	a, err := parseAuth(r, params)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(a); err != nil {
		return nil, err
	}
	if err := v.checkTime(a); err != nil {
		return nil, err
	}
	var secret string
	ok := false
	if v.Credentials != nil {
		secret, ok = v.Credentials(a.accessKeyID)
	}
	if !ok {
		return nil, newError(CodeUnrecognizedClient, msgUnrecognizedClient)
	}

	hashes, err := payloadHashes(r, a, body)
	if err != nil {
		return nil, err
	}
	queries := []string{canonicalQuery(params, "")}
	if a.presigned {
		queries = []string{canonicalQuery(params, "X-Amz-Signature")}
		if a.token != "" {
			// Some signers add X-Amz-Security-Token to a presigned URL after
			// signing (AWS IoT's WebSocket URLs; the suite's
			// post-sts-header-after, omit_session_token): the token is then
			// not part of the canonical query.
			queries = append(queries, canonicalQuery(withoutKey(params, "X-Amz-Security-Token"), "X-Amz-Signature"))
		}
	}
	headers := canonicalHeaders(r, a.signedHeaders)
	scope := a.scopeDate + "/" + a.region + "/" + a.service + "/aws4_request"
	key := v.Keys.get(a.accessKeyID, secret, a.scopeDate, a.region, a.service)

	var first *Error
	for _, uri := range canonicalURIs(path, !v.DisablePathNormalization) {
		for _, query := range queries {
			for _, hash := range hashes {
				creq := canonicalRequest(r.Method, uri, query, headers, a.signedRaw, hash)
				sts := stringToSign(a.amzDate, scope, creq)
				if !hmac.Equal([]byte(signature(key, sts)), []byte(a.signature)) {
					if first == nil {
						first = errInvalid(msgSignatureMismatch)
						first.CanonicalRequest, first.StringToSign = creq, sts
					}
					continue
				}
				return &Result{
					AccessKeyID:     a.accessKeyID,
					Region:          a.region,
					Service:         a.service,
					Date:            a.date,
					SecurityToken:   a.token,
					SignedHeaders:   a.signedHeaders,
					Presigned:       a.presigned,
					UnsignedPayload: hash == UnsignedPayload,
				}, nil
			}
		}
	}
	return nil, first
}

func withoutKey(params []queryParam, key string) []queryParam {
	out := make([]queryParam, 0, len(params))
	for _, p := range params {
		if p.key != key {
			out = append(out, p)
		}
	}
	return out
}

// parseAuth finds the signature in the Authorization header or, failing that,
// the query string.
func parseAuth(r *Request, params []queryParam) (*auth, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return parseHeaderAuth(r, h, params)
	}
	for _, p := range params {
		switch p.key {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders":
			return parseQueryAuth(params)
		}
	}
	return nil, errMissingToken()
}

// parseHeaderAuth reads the Authorization header form and the request date
// (X-Amz-Date, else Date: AWS looks at x-amz-date first,
// https://docs.aws.amazon.com/general/latest/gr/sigv4-date-handling.html).
func parseHeaderAuth(r *Request, header string, params []queryParam) (*auth, error) {
	amzDate := r.Header.Get("X-Amz-Date")
	httpDate := r.Header.Get("Date")
	fields, err := parseAuthorization(header, amzDate != "" || httpDate != "")
	if err != nil {
		return nil, err
	}
	a := &auth{params: params, token: r.Header.Get("X-Amz-Security-Token")}
	if err := a.setCredential(fields.credential); err != nil {
		return nil, err
	}
	a.signedRaw = fields.signedHeaders
	a.signedHeaders = strings.Split(fields.signedHeaders, ";")
	a.signature = fields.signature
	if amzDate != "" {
		if err := a.setDate(amzDate); err != nil {
			return nil, err
		}
	} else {
		t, err := http.ParseTime(httpDate)
		if err != nil {
			return nil, errBadDate(httpDate)
		}
		a.date = t.UTC()
		a.amzDate = a.date.Format(amzDateFormat)
	}
	return a, a.checkSignedHeaders()
}

// authFields are the parts of an Authorization header.
type authFields struct {
	algorithm, credential, signedHeaders, signature string
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." as AWS does: the algorithm is the first word, then
// key=value pairs separated by commas or spaces. A word without '=' is an
// error naming it ("'x' not a valid key=value pair (missing equal-sign) in
// Authorization header: '...'.", awslabs/fhir-works-on-aws-deployment#379);
// missing parts are listed together with a missing date
// (aws/chalice#828). hasDate tells whether X-Amz-Date or Date is present.
func parseAuthorization(header string, hasDate bool) (authFields, error) {
	var f authFields
	rest := strings.TrimLeft(header, " \t")
	f.algorithm, rest, _ = strings.Cut(rest, " ")
	for _, pair := range strings.FieldsFunc(rest, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' }) {
		k, val, ok := strings.Cut(pair, "=")
		if !ok {
			return f, errIncomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", pair, header)
		}
		switch k {
		case "Credential":
			f.credential = val
		case "SignedHeaders":
			f.signedHeaders = val
		case "Signature":
			f.signature = val
		}
	}
	var missing []string
	if f.credential == "" {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if f.signature == "" {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if f.signedHeaders == "" {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if !hasDate {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return f, errIncomplete("%s Authorization=%s", strings.Join(missing, " "), header)
	}
	if f.algorithm != Algorithm {
		// Wording not confirmed against AWS; the type is.
		return f, errIncomplete("Unsupported AWS 'algorithm': '%s'.", f.algorithm)
	}
	return f, nil
}

// parseQueryAuth reads the presigned form: X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature and the
// optional X-Amz-Security-Token. Missing parameters are listed in S3's
// wording (AuthorizationQueryParametersError); AWS's non-S3 wording is not
// documented.
func parseQueryAuth(params []queryParam) (*auth, error) {
	get := func(k string) string {
		for _, p := range params {
			if p.key == k {
				return p.value
			}
		}
		return ""
	}
	var missing []string
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if get(k) == "" {
			missing = append(missing, "AWS query-string parameters must include '"+k+"'.")
		}
	}
	if len(missing) > 0 {
		return nil, errIncomplete("%s Re-examine the query-string parameters.", strings.Join(missing, " "))
	}
	if alg := get("X-Amz-Algorithm"); alg != Algorithm {
		return nil, errIncomplete("X-Amz-Algorithm only supports \"%s\".", Algorithm)
	}
	a := &auth{presigned: true, params: params, token: get("X-Amz-Security-Token")}
	if err := a.setCredential(get("X-Amz-Credential")); err != nil {
		return nil, err
	}
	a.signedRaw = get("X-Amz-SignedHeaders")
	a.signedHeaders = strings.Split(a.signedRaw, ";")
	a.signature = get("X-Amz-Signature")
	if err := a.setDate(get("X-Amz-Date")); err != nil {
		return nil, err
	}
	exp := get("X-Amz-Expires")
	n, err := strconv.Atoi(exp)
	if err != nil || n < 0 {
		return nil, errIncomplete("X-Amz-Expires should be a number")
	}
	if n > MaxPresignExpires {
		return nil, errIncomplete("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than %d seconds", MaxPresignExpires)
	}
	a.expires = time.Duration(n) * time.Second
	return a, a.checkSignedHeaders()
}

// setCredential splits AKID/YYYYMMDD/region/service/aws4_request.
func (a *auth) setCredential(cred string) error {
	a.credential = cred
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		// AWS's wording for a credential with the wrong shape.
		return errIncomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", cred)
	}
	a.accessKeyID, a.scopeDate, a.region, a.service, a.terminator = parts[0], parts[1], parts[2], parts[3], parts[4]
	return nil
}

func (a *auth) setDate(s string) error {
	t, err := time.Parse(amzDateFormat, s)
	if err != nil {
		return errBadDate(s)
	}
	a.amzDate, a.date = s, t
	return nil
}

func errBadDate(s string) *Error {
	return errIncomplete("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", s)
}

// checkSignedHeaders requires host among the signed headers: without it a
// signature could be replayed against another host.
func (a *auth) checkSignedHeaders() error {
	for _, h := range a.signedHeaders {
		if strings.EqualFold(h, "host") || h == ":authority" {
			return nil
		}
	}
	return errInvalid(msgHostNotSigned)
}

// checkScope compares the credential scope with the service and region the Verifier
// serves, its terminator with "aws4_request" and its date with the request date. AWS
// reports every wrong part at once, in this order, each sentence ending ". " but the date's
// (recorded from DynamoDB in mhart/dynalite's validations: "Credential should be scoped to a
// valid region, not 'c'. Credential should be scoped to correct service: 'dynamodb'.
// Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. Date in
// Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' !=
// '20130609', from '20130609T095204Z'."). The service sentence alone, trailing space
// included, is API Gateway's answer to a credential scoped to another service
// (aws/aws-sdk-js-v3#1831: InvalidSignatureException "Credential should be scoped to
// correct service: 'execute-api'. "; aws/aws-sdk-ruby#431 on the wire).
func (v *Verifier) checkScope(a *auth) error {
	var msg strings.Builder
	if v.Region != "" && a.region != v.Region {
		fmt.Fprintf(&msg, "Credential should be scoped to a valid region, not '%s'. ", a.region)
	}
	if v.Service != "" && a.service != v.Service {
		fmt.Fprintf(&msg, "Credential should be scoped to correct service: '%s'. ", v.Service)
	}
	if a.terminator != "aws4_request" {
		fmt.Fprintf(&msg, "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", a.terminator)
	}
	if a.scopeDate != a.amzDate[:8] {
		fmt.Fprintf(&msg, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			a.scopeDate, a.amzDate[:8], a.amzDate)
	}
	if msg.Len() > 0 {
		return errInvalid("%s", msg.String())
	}
	return nil
}

// checkTime accepts a timestamp within MaxSkew of now, and for presigned
// requests until X-Amz-Expires after it. AWS's messages
// (hassy/artillery-dino#2, s12v/awsbeats#48):
//
//	Signature expired: 20160610T180547Z is now earlier than 20160610T180612Z (20160610T181112Z - 5 min.)
//	Signature not yet current: 20181017T093750Z is still later than 20181017T093639Z (20181017T093139Z + 5 min.)
//
// The presigned expiry uses the same shape with X-Amz-Expires in place of the
// skew; AWS's own text for it is not documented.
func (v *Verifier) checkTime(a *auth) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	t := now().UTC().Truncate(time.Second)
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	late := skew
	if a.presigned {
		late = a.expires
	}
	if a.date.Before(t.Add(-late)) {
		return errInvalid("Signature expired: %s is now earlier than %s (%s - %s)",
			a.amzDate, t.Add(-late).Format(amzDateFormat), t.Format(amzDateFormat), minutes(late))
	}
	if a.date.After(t.Add(skew)) {
		return errInvalid("Signature not yet current: %s is still later than %s (%s + %s)",
			a.amzDate, t.Add(skew).Format(amzDateFormat), t.Format(amzDateFormat), minutes(skew))
	}
	return nil
}

// minutes renders a duration as AWS does in its skew messages ("5 min."),
// falling back to seconds when it is not a whole number of minutes.
func minutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min."
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + " sec."
}

// payloadHashes returns the payload hashes to try, in order. A declared
// x-amz-content-sha256 (header, or query for presigned URLs) is used as
// declared: UNSIGNED-PAYLOAD leaves the body out; any other value must be the
// body's hash, or the body was changed after signing. Without a declaration
// the header form signs the body's hash; a presigned URL may carry either the
// body's hash (the suite's query-* cases) or UNSIGNED-PAYLOAD (S3-style
// presigners), so both are tried.
func payloadHashes(r *Request, a *auth, body []byte) ([]string, error) {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared == "" && a.presigned {
		for _, p := range a.params {
			if p.key == "X-Amz-Content-Sha256" {
				declared = p.value
				break
			}
		}
	}
	bodyHash := emptySHA256
	if len(body) > 0 {
		bodyHash = hashHex(body)
	}
	switch {
	case declared == UnsignedPayload:
		return []string{UnsignedPayload}, nil
	case declared != "":
		if declared != bodyHash {
			return nil, errInvalid(msgSignatureMismatch)
		}
		return []string{bodyHash}, nil
	case a.presigned:
		return []string{bodyHash, UnsignedPayload}, nil
	default:
		return []string{bodyHash}, nil
	}
}

// maxCachedKeys bounds a KeyCache: past it the cache starts over.
const maxCachedKeys = 4096

// KeyCache keeps the signing keys derived for recent access key ids and credential scopes:
// deriving one costs four HMACs, about half of a small request's check, and a client signs
// a day's requests in one region and service with the same key. An entry is used only with
// the secret it was derived from, so a changed secret is never served a stale key. The
// keys never leave the process. The zero value is ready; safe for concurrent use.
type KeyCache struct {
	mu sync.Mutex
	m  map[keyCacheID]keyCacheEntry
}

type keyCacheID struct{ accessKeyID, date, region, service string }

type keyCacheEntry struct {
	secret string
	key    []byte
}

// get returns the signing key of secret for the scope, derived once; c may be nil.
func (c *KeyCache) get(accessKeyID, secret, date, region, service string) []byte {
	if c == nil {
		return signingKey(secret, date, region, service)
	}
	id := keyCacheID{accessKeyID, date, region, service}
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && subtle.ConstantTimeCompare([]byte(e.secret), []byte(secret)) == 1 {
		return e.key
	}
	key := signingKey(secret, date, region, service)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = make(map[keyCacheID]keyCacheEntry)
	}
	c.m[id] = keyCacheEntry{secret: secret, key: key}
	c.mu.Unlock()
	return key
}
