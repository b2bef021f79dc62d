package lambdaapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/lambda"
)

// functionCode is CreateFunction's Code (FunctionCode).
type functionCode struct {
	ZipFile         []byte  `json:"ZipFile"`
	S3Bucket        *string `json:"S3Bucket"`
	S3Key           *string `json:"S3Key"`
	S3ObjectVersion *string `json:"S3ObjectVersion"`
	ImageUri        *string `json:"ImageUri"`
}

// createFunctionRequest is CreateFunctionRequest; pointers tell absent from zero.
type createFunctionRequest struct {
	FunctionName     string                   `json:"FunctionName"`
	Runtime          string                   `json:"Runtime"`
	Role             string                   `json:"Role"`
	Handler          *string                  `json:"Handler"`
	Code             *functionCode            `json:"Code"`
	Description      *string                  `json:"Description"`
	Timeout          *int                     `json:"Timeout"`
	MemorySize       *int                     `json:"MemorySize"`
	Publish          bool                     `json:"Publish"`
	PackageType      string                   `json:"PackageType"`
	Environment      *lambda.Environment      `json:"Environment"`
	TracingConfig    *lambda.TracingConfig    `json:"TracingConfig"`
	Tags             map[string]string        `json:"Tags"`
	Architectures    []string                 `json:"Architectures"`
	EphemeralStorage *lambda.EphemeralStorage `json:"EphemeralStorage"`
	SnapStart        *lambda.SnapStart        `json:"SnapStart"`
	LoggingConfig    *lambda.LoggingConfig    `json:"LoggingConfig"`
	DeadLetterConfig *lambda.DeadLetterConfig `json:"DeadLetterConfig"`
	KMSKeyArn        *string                  `json:"KMSKeyArn"`
	Layers           []string                 `json:"Layers"`
	VpcConfig        *struct {
		SubnetIds        []string `json:"SubnetIds"`
		SecurityGroupIds []string `json:"SecurityGroupIds"`
	} `json:"VpcConfig"`
}

// CreateFunction: POST /2015-03-31/functions → 201 FunctionConfiguration.
func (s *Server) CreateFunction(ctx context.Context, c *call) error {
	var in createFunctionRequest
	if err := decode(c.body, &in); err != nil {
		return err
	}
	var problems []string
	if in.FunctionName == "" {
		problems = append(problems, "Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	}
	if in.Role == "" {
		problems = append(problems, "Value null at 'role' failed to satisfy constraint: Member must not be null")
	}
	if in.Code == nil {
		problems = append(problems, "Value null at 'code' failed to satisfy constraint: Member must not be null")
	}
	cfg := lambda.FunctionConfiguration{Runtime: in.Runtime, Role: in.Role}
	if in.Handler != nil {
		cfg.Handler = *in.Handler
	}
	ci := configInput{
		Role: &in.Role, Runtime: &in.Runtime, Handler: in.Handler, Description: in.Description, Timeout: in.Timeout,
		MemorySize: in.MemorySize, Environment: in.Environment, TracingConfig: in.TracingConfig,
		EphemeralStorage: in.EphemeralStorage, Architectures: in.Architectures, LoggingConfig: in.LoggingConfig,
		DeadLetterConfig: in.DeadLetterConfig, KMSKeyArn: in.KMSKeyArn,
	}
	problems = append(problems, checkConfig(ci)...)
	if err := validation(problems); err != nil {
		return err
	}
	if err := checkService(ci); err != nil {
		return err
	}
	ref, ok := lambda.ParseFunctionRef(in.FunctionName)
	if !ok || ref.Qualifier != "" {
		return validation([]string{fmt.Sprintf("Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", in.FunctionName, functionNamePattern)})
	}
	if err := s.inScope(ref); err != nil {
		return err
	}
	if in.PackageType == "Image" || (in.Code.ImageUri != nil && *in.Code.ImageUri != "") {
		return invalidParameter("PackageType Image is not supported by gatehouse: deploy a .zip file archive")
	}
	if in.Runtime == "" || cfg.Handler == "" {
		return invalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment package format Zip.")
	}
	if err := s.checkRuntime(in.Runtime); err != nil {
		return err
	}
	if len(in.Layers) > 0 {
		return invalidParameter("Layers are not supported by gatehouse: include the layer's files in the deployment package")
	}
	if in.VpcConfig != nil && (len(in.VpcConfig.SubnetIds) > 0 || len(in.VpcConfig.SecurityGroupIds) > 0) {
		return invalidParameter("VpcConfig is not supported by gatehouse: local functions run on the host's network")
	}
	code, release, err := s.storeCode(in.Code.ZipFile, in.Code.S3Bucket, in.Code.S3Key)
	if err != nil {
		return err
	}
	cfg.FunctionName = ref.Name
	cfg.CodeSha256, cfg.CodeSize = code.Sha256, code.Size
	applyConfig(&cfg, configInput{Description: in.Description, Timeout: in.Timeout, MemorySize: in.MemorySize,
		Environment: in.Environment, TracingConfig: in.TracingConfig, EphemeralStorage: in.EphemeralStorage,
		Architectures: in.Architectures, LoggingConfig: in.LoggingConfig, SnapStart: in.SnapStart,
		DeadLetterConfig: in.DeadLetterConfig, KMSKeyArn: in.KMSKeyArn})
	fn := &lambda.Function{Configuration: cfg}
	if len(in.Tags) > 0 {
		fn.Tags = in.Tags
	}
	if in.Publish {
		fn, err = s.cfg.Registry.CreatePublished(ctx, fn)
	} else {
		fn, err = s.cfg.Registry.Create(ctx, fn)
	}
	release()
	if err != nil {
		s.collect(ctx, code.Hex) // nothing names the package if the create did not commit
		if errors.Is(err, lambda.ErrFunctionExists) {
			return conflict("Function already exist: %s", ref.Name)
		}
		return err
	}
	writeJSON(c.w, http.StatusCreated, published(fn, in.Publish))
	return nil
}

// published is what a create or update answers: with Publish the configuration of the
// version it published (Version "1", FunctionArn qualified), else $LATEST's.
func published(fn *lambda.Function, publish bool) lambda.FunctionConfiguration {
	if publish && len(fn.Versions) > 0 {
		return fn.Versions[len(fn.Versions)-1].Configuration
	}
	return fn.Configuration
}

// storeCode stores the deployment package a call gives: the zip, or (the gatehouse
// extension) a directory under LocalCodeRoot named as S3Bucket "gatehouse-local" and S3Key
// the directory. Any other S3 location is refused: gatehouse reads no S3. The package stays
// pinned until release is called, after the function document naming it has committed or
// failed (see lambda.CodeStore.Put); release is never nil.
func (s *Server) storeCode(zipFile []byte, bucket, key *string) (code lambda.Code, release func(), err error) {
	switch {
	case bucket != nil && *bucket == LocalCodeBucket:
		if s.cfg.LocalCodeRoot == "" {
			return lambda.Code{}, func() {}, invalidParameter("Code from a local directory (S3Bucket %q) is disabled: start gatehouse with --lambda-local-code-root", LocalCodeBucket)
		}
		dir, err := localDir(s.cfg.LocalCodeRoot, deref(key))
		if err != nil {
			return lambda.Code{}, func() {}, err
		}
		code, release, err := s.cfg.Code.PutDir(dir)
		return code, release, zipError(err)
	case bucket != nil || key != nil:
		return lambda.Code{}, func() {}, invalidParameter("Code.S3Bucket and Code.S3Key are not supported by gatehouse: upload the deployment package as Code.ZipFile (aws lambda ... --zip-file fileb://function.zip)")
	case len(zipFile) == 0:
		return lambda.Code{}, func() {}, invalidParameter("Please provide a source for function code.")
	}
	code, release, err = s.cfg.Code.Put(zipFile)
	return code, release, zipError(err)
}

// collect removes the code package hexSum if no function names it any more, after the write
// that stopped naming it committed. A failure is only logged: the write stands, and
// the next start's Sweep removes what is left.
func (s *Server) collect(ctx context.Context, hexSum string) {
	if err := s.cfg.Code.Collect(context.WithoutCancel(ctx), s.cfg.Registry, hexSum); err != nil {
		s.log.Warn("unreferenced lambda code not removed; the next start removes it", "err", err)
	}
}

// LocalCodeBucket is the S3Bucket that names a local directory as the code (S3Key is the
// directory), when LocalCodeRoot allows it: a gatehouse extension.
const LocalCodeBucket = "gatehouse-local"

// localDir resolves a local code directory, which must be under root after symlinks are
// resolved.
func localDir(root, dir string) (string, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return "", invalidParameter("S3Key must be the absolute path of the function's directory for S3Bucket %q", LocalCodeBucket)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("local code root: %w", err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", invalidParameter("Code directory %s: %v", dir, errors.Unwrap(err))
	}
	rel, err := filepath.Rel(realRoot, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", invalidParameter("Code directory %s is not under the local code root %s", dir, root)
	}
	if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
		return "", invalidParameter("Code directory %s is not a directory", dir)
	}
	return real, nil
}

// zipError renders the code store's package errors as Lambda's InvalidParameterValueException.
func zipError(err error) error {
	var iz *lambda.ErrInvalidZip
	if errors.As(err, &iz) {
		return invalidParameter("%s", iz.Reason)
	}
	return err
}

// getFunctionResponse is GetFunctionResponse.
type getFunctionResponse struct {
	Configuration lambda.FunctionConfiguration `json:"Configuration"`
	Code          functionCodeLocation         `json:"Code"`
	Tags          map[string]string            `json:"Tags,omitempty"`
	Concurrency   *concurrency                 `json:"Concurrency,omitempty"`
}

type functionCodeLocation struct {
	RepositoryType string `json:"RepositoryType"`
	Location       string `json:"Location"`
}

type concurrency struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

// GetFunction: GET /2015-03-31/functions/{FunctionName}.
func (s *Server) GetFunction(ctx context.Context, c *call) error {
	fn, q, err := s.qualified(ctx, c)
	if err != nil {
		return err
	}
	out := getFunctionResponse{
		Configuration: q.Function.Configuration,
		Code:          functionCodeLocation{RepositoryType: "S3", Location: codeURL(c.r, q.Function.CodeHex())},
		Tags:          fn.Tags,
	}
	if fn.ReservedConcurrency != nil {
		out.Concurrency = &concurrency{ReservedConcurrentExecutions: fn.ReservedConcurrency}
	}
	writeJSON(c.w, http.StatusOK, out)
	return nil
}

// codeURL is where this gatehouse serves a package, as the client reached it.
func codeURL(r *http.Request, hexSum string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + CodePath + hexSum + ".zip"
}

// downloadCode serves a deployment package by its SHA-256, while a function names it: the
// package of a deleted function is not served even in the moment before it is removed.
func (s *Server) downloadCode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	sum, ok := strings.CutSuffix(name, ".zip")
	if !ok || len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		writeError(w, notFound("The resource you requested does not exist."))
		return
	}
	refs, err := s.cfg.Registry.CodeRefs(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	if !refs[sum] {
		writeError(w, notFound("The resource you requested does not exist."))
		return
	}
	f, err := os.Open(s.cfg.Code.ZipPath(sum))
	if err != nil {
		writeError(w, notFound("The resource you requested does not exist."))
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// GetFunctionConfiguration: GET /2015-03-31/functions/{FunctionName}/configuration.
func (s *Server) GetFunctionConfiguration(ctx context.Context, c *call) error {
	_, q, err := s.qualified(ctx, c)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, q.Function.Configuration)
	return nil
}

// ListFunctions: GET /2015-03-31/functions?FunctionVersion&Marker&MaxItems. The marker is
// opaque: the base64 of the last key returned (the name; with FunctionVersion ALL, which
// lists every function's $LATEST and then its published versions, the name and the
// zero-padded version number, $LATEST being 0).
func (s *Server) ListFunctions(ctx context.Context, c *call) error {
	all := false
	switch v := c.r.URL.Query().Get("FunctionVersion"); v {
	case "":
	case "ALL":
		all = true
	default:
		return validation([]string{fmt.Sprintf("Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]", v)})
	}
	fns, err := s.cfg.Registry.List(ctx)
	if err != nil {
		return err
	}
	var cfgs []lambda.FunctionConfiguration
	var keys []string
	for _, f := range fns {
		if !all {
			cfgs = append(cfgs, f.Configuration)
			keys = append(keys, f.Configuration.FunctionName)
			continue
		}
		cfgs = append(cfgs, latestListed(f))
		keys = append(keys, f.Configuration.FunctionName+"\x00"+versionKey(lambda.LatestVersion))
		for _, v := range f.Versions {
			cfgs = append(cfgs, v.Configuration)
			keys = append(keys, f.Configuration.FunctionName+"\x00"+versionKey(v.Configuration.Version))
		}
	}
	items, next, err := page(c, len(cfgs), func(i int) string { return keys[i] })
	if err != nil {
		return err
	}
	out := struct {
		Functions  []lambda.FunctionConfiguration `json:"Functions"`
		NextMarker string                         `json:"NextMarker,omitempty"`
	}{Functions: []lambda.FunctionConfiguration{}, NextMarker: next}
	for _, i := range items {
		out.Functions = append(out.Functions, cfgs[i])
	}
	writeJSON(c.w, http.StatusOK, out)
	return nil
}

// page picks the indexes of one page of n items sorted by key, from the call's Marker and
// MaxItems (1 to 10000; Lambda's default is 50).
func page(c *call, n int, key func(int) string) ([]int, string, error) {
	return pageUpTo(c, n, key, 10000)
}

// pageUpTo is page answering at most most items whatever MaxItems asks (within the model's
// 1 to 10000).
func pageUpTo(c *call, n int, key func(int) string, most int) ([]int, string, error) {
	q := c.r.URL.Query()
	limit := 50
	if v := q.Get("MaxItems"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 10000 {
			return nil, "", validation([]string{fmt.Sprintf("Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", v)})
		}
		limit = min(m, most)
	}
	after := ""
	if v := q.Get("Marker"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 {
			return nil, "", invalidParameter("Invalid Marker: %s", v)
		}
		after = string(b)
	}
	start := sort.Search(n, func(i int) bool { return key(i) > after })
	end := min(start+limit, n)
	idx := make([]int, 0, end-start)
	for i := start; i < end; i++ {
		idx = append(idx, i)
	}
	next := ""
	if end < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(end - 1)))
	}
	return idx, next, nil
}

// updateFunctionCodeRequest is UpdateFunctionCodeRequest.
type updateFunctionCodeRequest struct {
	ZipFile       []byte   `json:"ZipFile"`
	S3Bucket      *string  `json:"S3Bucket"`
	S3Key         *string  `json:"S3Key"`
	ImageUri      *string  `json:"ImageUri"`
	Publish       bool     `json:"Publish"`
	DryRun        bool     `json:"DryRun"`
	RevisionId    string   `json:"RevisionId"`
	Architectures []string `json:"Architectures"`
}

// UpdateFunctionCode: PUT /2015-03-31/functions/{FunctionName}/code.
func (s *Server) UpdateFunctionCode(ctx context.Context, c *call) error {
	var in updateFunctionCodeRequest
	if err := decode(c.body, &in); err != nil {
		return err
	}
	if err := validation(checkArchitectures(in.Architectures)); err != nil {
		return err
	}
	fn, ref, err := s.functionRef(ctx, c)
	if err != nil {
		return err
	}
	if err := latestOnly(ref); err != nil {
		return err
	}
	if in.ImageUri != nil && *in.ImageUri != "" {
		return invalidParameter("Please don't provide ImageUri when updating a function with packageType Zip.")
	}
	if in.DryRun {
		if in.RevisionId != "" && in.RevisionId != fn.Configuration.RevisionId {
			return errPrecondition
		}
		writeJSON(c.w, http.StatusOK, fn.Configuration)
		return nil
	}
	code, release, err := s.storeCode(in.ZipFile, in.S3Bucket, in.S3Key)
	if err != nil {
		return err
	}
	var replaced string // the package the committed update stopped naming
	fn, err = s.cfg.Registry.Update(ctx, fn.Configuration.FunctionName, in.RevisionId, lambda.ChangeConfig, func(f *lambda.Function) error {
		replaced = f.CodeHex()
		f.Configuration.CodeSha256, f.Configuration.CodeSize = code.Sha256, code.Size
		if len(in.Architectures) > 0 {
			f.Configuration.Architectures = in.Architectures
		}
		if in.Publish {
			s.cfg.Registry.PublishIn(f, nil) // the new code and its version commit together
		}
		return nil
	})
	release()
	if err != nil {
		s.collect(ctx, code.Hex)
		return s.registryError(err)
	}
	if replaced != code.Hex {
		s.collect(ctx, replaced)
	}
	writeJSON(c.w, http.StatusOK, published(fn, in.Publish))
	return nil
}

// updateFunctionConfigurationRequest is UpdateFunctionConfigurationRequest.
type updateFunctionConfigurationRequest struct {
	Role             *string                  `json:"Role"`
	Handler          *string                  `json:"Handler"`
	Description      *string                  `json:"Description"`
	Timeout          *int                     `json:"Timeout"`
	MemorySize       *int                     `json:"MemorySize"`
	Environment      *lambda.Environment      `json:"Environment"`
	Runtime          *string                  `json:"Runtime"`
	TracingConfig    *lambda.TracingConfig    `json:"TracingConfig"`
	RevisionId       string                   `json:"RevisionId"`
	EphemeralStorage *lambda.EphemeralStorage `json:"EphemeralStorage"`
	SnapStart        *lambda.SnapStart        `json:"SnapStart"`
	LoggingConfig    *lambda.LoggingConfig    `json:"LoggingConfig"`
	DeadLetterConfig *lambda.DeadLetterConfig `json:"DeadLetterConfig"`
	KMSKeyArn        *string                  `json:"KMSKeyArn"`
	Layers           []string                 `json:"Layers"`
}

// UpdateFunctionConfiguration: PUT /2015-03-31/functions/{FunctionName}/configuration.
func (s *Server) UpdateFunctionConfiguration(ctx context.Context, c *call) error {
	var in updateFunctionConfigurationRequest
	if err := decode(c.body, &in); err != nil {
		return err
	}
	ci := configInput{Role: in.Role, Runtime: in.Runtime, Handler: in.Handler, Description: in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize, Environment: in.Environment, TracingConfig: in.TracingConfig,
		EphemeralStorage: in.EphemeralStorage, LoggingConfig: in.LoggingConfig, SnapStart: in.SnapStart,
		DeadLetterConfig: in.DeadLetterConfig, KMSKeyArn: in.KMSKeyArn}
	if err := validation(checkConfig(ci)); err != nil {
		return err
	}
	if err := checkService(ci); err != nil {
		return err
	}
	if len(in.Layers) > 0 {
		return invalidParameter("Layers are not supported by gatehouse: include the layer's files in the deployment package")
	}
	if in.Runtime != nil {
		if err := s.checkRuntime(*in.Runtime); err != nil {
			return err
		}
	}
	ref, err := s.ref(c)
	if err != nil {
		return err
	}
	if err := latestOnly(ref); err != nil {
		return err
	}
	fn, err := s.cfg.Registry.Update(ctx, ref.Name, in.RevisionId, lambda.ChangeConfig, func(f *lambda.Function) error {
		if in.Role != nil {
			f.Configuration.Role = *in.Role
		}
		if in.Runtime != nil {
			f.Configuration.Runtime = *in.Runtime
		}
		if in.Handler != nil {
			f.Configuration.Handler = *in.Handler
		}
		applyConfig(&f.Configuration, ci)
		return nil
	})
	if err != nil {
		return s.registryError(err)
	}
	// UpdateFunctionConfigurationRequest has no Publish (the botocore model): a
	// configuration change is published with PublishVersion, as Terraform does.
	writeJSON(c.w, http.StatusOK, fn.Configuration)
	return nil
}

// DeleteFunction: DELETE /2015-03-31/functions/{FunctionName} → 204. The model's
// DeleteFunctionResponse carries only the status code; Lambda answers 204 No Content for a
// function it deleted at once (202 is for deletions it finishes later), as the AWS SDK
// examples check.
func (s *Server) DeleteFunction(ctx context.Context, c *call) error {
	ref, err := s.ref(c)
	if err != nil {
		return err
	}
	scope := s.cfg.Registry.Scope()
	switch q := ref.Qualifier; {
	case q == lambda.LatestVersion:
		return invalidParameter("$LATEST version cannot be deleted without deleting the function.")
	case q != "" && !lambda.IsVersionNumber(q):
		// Not verified against AWS: the model's DeleteFunction Qualifier is a version.
		return invalidParameter("Deletion of aliases is not supported by DeleteFunction: use DeleteAlias")
	case q != "":
		v, err := s.cfg.Registry.DeleteVersion(ctx, ref.Name, q)
		if err != nil {
			return s.registryError(err)
		}
		if s.cfg.Invoker != nil {
			s.cfg.Invoker.Forget(v.Configuration.FunctionArn)
		}
		s.collect(ctx, lambda.CodeHexOf(v.Configuration.CodeSha256))
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	deleted, err := s.cfg.Registry.Delete(ctx, ref.Name)
	if err != nil {
		return s.registryError(err)
	}
	if s.cfg.Invoker != nil {
		s.cfg.Invoker.Forget(scope.FunctionARN(ref.Name))
		for _, v := range deleted.Versions {
			s.cfg.Invoker.Forget(v.Configuration.FunctionArn)
		}
	}
	s.collect(ctx, deleted.CodeHex())
	for _, v := range deleted.Versions {
		s.collect(ctx, lambda.CodeHexOf(v.Configuration.CodeSha256))
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// GetFunctionCodeSigningConfig: GET /2020-06-30/functions/{FunctionName}/code-signing-config.
// gatehouse verifies no code signatures: no configuration.
func (s *Server) GetFunctionCodeSigningConfig(ctx context.Context, c *call) error {
	fn, err := s.function(ctx, c)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, struct {
		CodeSigningConfigArn string `json:"CodeSigningConfigArn"`
		FunctionName         string `json:"FunctionName"`
	}{"", fn.Configuration.FunctionName})
	return nil
}

// GetFunctionConcurrency: GET /2019-09-30/functions/{FunctionName}/concurrency.
func (s *Server) GetFunctionConcurrency(ctx context.Context, c *call) error {
	fn, err := s.function(ctx, c)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, concurrency{ReservedConcurrentExecutions: fn.ReservedConcurrency})
	return nil
}

// PutFunctionConcurrency: PUT /2017-10-31/functions/{FunctionName}/concurrency. The reserved
// concurrency is the most processes the function runs at once here.
func (s *Server) PutFunctionConcurrency(ctx context.Context, c *call) error {
	var in struct {
		ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
	}
	if err := decode(c.body, &in); err != nil {
		return err
	}
	switch {
	case in.ReservedConcurrentExecutions == nil:
		return validation([]string{"Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null"})
	case *in.ReservedConcurrentExecutions < 0:
		return validation([]string{fmt.Sprintf("Value '%d' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.ReservedConcurrentExecutions)})
	}
	ref, err := s.ref(c)
	if err != nil {
		return err
	}
	n := *in.ReservedConcurrentExecutions
	if _, err := s.cfg.Registry.Update(ctx, ref.Name, "", lambda.ChangeTags, func(f *lambda.Function) error {
		f.ReservedConcurrency = &n
		return nil
	}); err != nil {
		return s.registryError(err)
	}
	writeJSON(c.w, http.StatusOK, concurrency{ReservedConcurrentExecutions: &n})
	return nil
}

// DeleteFunctionConcurrency: DELETE /2017-10-31/functions/{FunctionName}/concurrency → 204.
func (s *Server) DeleteFunctionConcurrency(ctx context.Context, c *call) error {
	ref, err := s.ref(c)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Registry.Update(ctx, ref.Name, "", lambda.ChangeTags, func(f *lambda.Function) error {
		f.ReservedConcurrency = nil
		return nil
	}); err != nil {
		return s.registryError(err)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// ref is the function the call's FunctionName (and Qualifier) names, in this scope.
func (s *Server) ref(c *call) (lambda.FunctionRef, error) {
	name := c.r.PathValue("FunctionName")
	ref, ok := lambda.ParseFunctionRef(name)
	if !ok {
		return ref, validation([]string{fmt.Sprintf("Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", name, functionNamePattern)})
	}
	if q := c.r.URL.Query().Get("Qualifier"); q != "" {
		if ref.Qualifier != "" && ref.Qualifier != q {
			return ref, invalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		ref.Qualifier = q
	}
	return ref, s.inScope(ref)
}

// inScope refuses a function ARN of another account or region: this gatehouse holds only its
// own.
func (s *Server) inScope(ref lambda.FunctionRef) error {
	scope := s.cfg.Registry.Scope()
	if (ref.Region != "" && ref.Region != scope.Region) || (ref.AccountID != "" && ref.AccountID != scope.AccountID) {
		region, account := ref.Region, ref.AccountID
		if region == "" {
			region = scope.Region
		}
		if account == "" {
			account = scope.AccountID
		}
		return notFound("Function not found: arn:aws:lambda:%s:%s:function:%s", region, account, ref.Name)
	}
	return nil
}

// function returns the stored document of the function the call names. A qualifier in the
// call must name one of its versions or aliases (else ResourceNotFoundException with the
// qualified ARN); the document is returned whole, $LATEST's configuration included.
func (s *Server) function(ctx context.Context, c *call) (*lambda.Function, error) {
	fn, _, err := s.functionRef(ctx, c)
	return fn, err
}

// functionRef is function with the call's reference (its Qualifier from the name or the
// query).
func (s *Server) functionRef(ctx context.Context, c *call) (*lambda.Function, lambda.FunctionRef, error) {
	ref, err := s.ref(c)
	if err != nil {
		return nil, ref, err
	}
	fn, err := s.cfg.Registry.Get(ctx, ref.Name)
	if err != nil {
		return nil, ref, s.registryError(err)
	}
	if fn.PolicyOf(ref.Qualifier) == nil {
		return nil, ref, notFound("Function not found: %s", s.cfg.Registry.Scope().QualifiedARN(ref.Name, ref.Qualifier))
	}
	return fn, ref, nil
}

// qualified returns the function the call names as its qualifier resolves it: a version's
// configuration for a version, an alias's FunctionVersion's for an alias, with FunctionArn
// the alias's ARN, as GetFunctionConfiguration answers for an alias.
func (s *Server) qualified(ctx context.Context, c *call) (*lambda.Function, *lambda.Qualified, error) {
	fn, ref, err := s.functionRef(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	q, err := fn.Resolve(s.cfg.Registry.Scope(), ref.Qualifier, func() float64 { return 1 })
	if err != nil {
		return nil, nil, s.registryError(err)
	}
	if ref.Qualifier != "" && ref.Qualifier != lambda.LatestVersion && !lambda.IsVersionNumber(ref.Qualifier) {
		q.Function.Configuration.FunctionArn = q.ARN
	}
	return fn, q, nil
}

// registryError renders the registry's errors as Lambda's.
func (s *Server) registryError(err error) error {
	var nf *lambda.NotFoundError
	var anf *lambda.AliasNotFoundError
	var refd *lambda.AliasesReferenceError
	switch {
	case errors.As(err, &nf):
		return notFound("%s", nf.Error())
	case errors.As(err, &anf):
		return notFound("%s", anf.Error())
	case errors.As(err, &refd):
		return conflict("%s", refd.Error())
	case errors.Is(err, lambda.ErrRevisionMismatch):
		return errPrecondition
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return err
}

// decode reads a JSON request body; an empty body is {}. Malformed JSON is Lambda's
// InvalidRequestContentException.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return invalidRequestContent("Could not parse request body into json: Invalid value for field %q: expected %s", te.Field, te.Type)
		}
		return invalidRequestContent("Could not parse request body into json: %v", err)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// checkRuntime refuses a managed runtime (python3.12, nodejs22.x, ...) this gatehouse has no
// interpreter for, with a message saying how to configure one (--lambda-runtime), rather
// than storing a function whose every call would fail. Other runtimes AWS has (java21,
// ...) are stored as before: they are listed and read back, and invoking them answers
// InvalidRuntimeException.
func (s *Server) checkRuntime(runtime string) error {
	if !lambda.ManagedRuntime(runtime) || s.cfg.Invoker == nil {
		return nil
	}
	if err := s.cfg.Invoker.RuntimeAvailable(runtime); err != nil {
		return invalidParameter("%s", err.Error())
	}
	return nil
}

// latestOnly refuses a call that changes $LATEST (UpdateFunctionCode,
// UpdateFunctionConfiguration) but names a published version or an alias: a version is
// immutable, and changing $LATEST behind a name that says "1" would surprise. AWS answers
// InvalidParameterValueException with these words.
func latestOnly(ref lambda.FunctionRef) error {
	if ref.Qualifier == "" || ref.Qualifier == lambda.LatestVersion {
		return nil
	}
	return invalidParameter("Current operation does not support versions other than $LATEST. Please set version to $LATEST or do not set a version in your request.")
}
