package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/gatehouse/gatehouse/"

// leafLibraries know nothing of gateways: they import nothing internal.
var leafLibraries = []string{"internal/arn", "internal/sigv4", "internal/iampolicy", "internal/vtl", "internal/jsonpath", "internal/meter", "internal/lambdacall"}

// contractSuites are the packages of contract tests every implementation of a seam runs:
// test support (they import testing), so only tests import them.
var contractSuites = []string{"internal/meter/metertest", "internal/gateway/cache/cachetest"}

func isContractSuite(pkg string) bool { return slices.Contains(contractSuites, pkg) }

// rule says which internal imports a package may not have. forbidden returns a reason when
// importer may not import imported (both relative to the module).
type rule struct {
	name      string
	forbidden func(importer, imported string) bool
}

func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

func isLeaf(pkg string) bool {
	for _, l := range leafLibraries {
		if under(pkg, l) {
			return true
		}
	}
	return false
}

// sameLeaf reports whether a and b are in one leaf library (meter/metertest and meter).
func sameLeaf(a, b string) bool {
	for _, l := range leafLibraries {
		if under(a, l) && under(b, l) {
			return true
		}
	}
	return false
}

var rules = []rule{
	{"the data plane never imports the management plane, openapi or a store backend", func(a, b string) bool {
		return under(a, "internal/gateway") && (under(b, "internal/mgmt") || under(b, "internal/openapi") ||
			(under(b, "internal/store") && b != "internal/store"))
	}},
	{"the management plane never imports the data plane", func(a, b string) bool {
		return under(a, "internal/mgmt") && under(b, "internal/gateway")
	}},
	// mapping (parsed templates bound to $context and $input) is vocabulary like invoke:
	// the integration stage renders integration request and response templates with it.
	{"pipeline stage packages import invoke, mapping, the models and leaf libraries only", func(a, b string) bool {
		if !strings.HasPrefix(a, "internal/gateway/") || under(a, "internal/gateway/invoke") {
			return false
		}
		if under(b, a) { // a stage's own internals, e.g. integration/h1
			return false
		}
		if isContractSuite(a) && (under(a, b) || b == "internal/testwait") { // cache/cachetest tests cache
			return false
		}
		return !(under(b, "internal/gateway/invoke") || under(b, "internal/gateway/mapping") || b == "internal/apigateway" || b == "internal/iam" || isLeaf(b))
	}},
	{"the Lambda API is management plane: it never imports the data plane or the apigateway management API", func(a, b string) bool {
		return under(a, "internal/lambdaapi") && (under(b, "internal/gateway") || under(b, "internal/mgmt"))
	}},
	{"the IAM API is management plane: it never imports the data plane, nor the other management APIs", func(a, b string) bool {
		return under(a, "internal/iamapi") && (under(b, "internal/gateway") || under(b, "internal/mgmt") || under(b, "internal/lambdaapi"))
	}},
	{"awsapi, the management APIs' shared scaffold, imports nothing internal", func(a, b string) bool {
		return under(a, "internal/awsapi") && strings.HasPrefix(b, "internal/")
	}},
	{"the apigateway management API never imports the Lambda API", func(a, b string) bool {
		return under(a, "internal/mgmt") && under(b, "internal/lambdaapi")
	}},
	{"lambda (functions, runtime, invoker) never imports either plane", func(a, b string) bool {
		return under(a, "internal/lambda") && (under(b, "internal/mgmt") || under(b, "internal/gateway") || under(b, "internal/lambdaapi"))
	}},
	{"leaf libraries import nothing internal but themselves", func(a, b string) bool {
		return isLeaf(a) && !sameLeaf(a, b)
	}},
	{"the model does no I/O and imports nothing internal", func(a, b string) bool {
		return a == "internal/apigateway" || a == "internal/apigatewayv2" || a == "internal/iam"
	}},
	{"testwait and the contract suites (they import testing) are for tests only", func(a, b string) bool {
		return (b == "internal/testwait" && !isContractSuite(a)) || isContractSuite(b)
	}},
}

// TestImportRules checks every package's non-test imports against the rules.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		importer := strings.TrimPrefix(fields[0], module)
		pkgs++
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			imported := strings.TrimPrefix(imp, module)
			for _, r := range rules {
				if r.forbidden(importer, imported) {
					t.Errorf("%s imports %s: %s", importer, imported, r.name)
				}
			}
		}
	}
	if pkgs < 5 {
		t.Fatalf("go list found %d packages; the rules checked nothing", pkgs)
	}
}

// TestRulesCatchViolations makes sure each rule can fail.
func TestRulesCatchViolations(t *testing.T) {
	t.Parallel()
	violations := []struct{ importer, imported string }{
		{"internal/gateway", "internal/mgmt"},
		{"internal/gateway/route", "internal/store/memory"},
		{"internal/mgmt/awsjson", "internal/gateway/invoke"},
		{"internal/gateway/integration", "internal/store"},
		{"internal/gateway/integration", "internal/gateway/route"},
		{"internal/gateway/integration/h1", "internal/gateway/integration"},
		{"internal/gateway/mapping", "internal/mgmt/awsjson"},
		{"internal/sigv4", "internal/apigateway"},
		{"internal/apigateway", "internal/store"},
		{"internal/lambdaapi", "internal/gateway/integration"},
		{"internal/lambdaapi", "internal/mgmt/awsjson"},
		{"internal/iamapi", "internal/gateway/invoke"},
		{"internal/iamapi", "internal/mgmt"},
		{"internal/awsapi", "internal/store"},
		{"internal/mgmt", "internal/lambdaapi"},
		{"internal/lambda", "internal/mgmt"},
		{"internal/lambda", "internal/gateway/integration"},
		{"internal/lambda", "internal/lambdaapi"},
		{"cmd/gatehouse", "internal/testwait"},
		{"internal/localstate", "internal/meter/metertest"},
		{"internal/meter", "internal/gateway/invoke"},
		{"internal/gateway", "internal/gateway/cache/cachetest"},
		{"internal/gateway/cache/cachetest", "internal/gateway/integration"},
		{"internal/gateway/cache", "internal/testwait"},
	}
	for _, v := range violations {
		caught := false
		for _, r := range rules {
			caught = caught || r.forbidden(v.importer, v.imported)
		}
		if !caught {
			t.Errorf("%s importing %s passed every rule; want a violation", v.importer, v.imported)
		}
	}
	allowed := []struct{ importer, imported string }{
		{"internal/gateway", "internal/store"},
		{"internal/gateway/route", "internal/gateway/invoke"},
		{"internal/gateway/integration", "internal/apigateway"},
		{"internal/gateway/integration", "internal/gateway/mapping"},
		{"internal/gateway/integration", "internal/gateway/integration/h1"},
		{"internal/mgmt", "internal/store"},
		{"cmd/gatehouse", "internal/gateway"},
		{"internal/lambdaapi", "internal/lambda"},
		{"internal/lambdaapi", "internal/sigv4"},
		{"internal/iamapi", "internal/sigv4"},
		{"internal/iamapi", "internal/awsapi"},
		{"internal/mgmt", "internal/awsapi"},
		{"internal/lambdaapi", "internal/awsapi"},
		{"internal/iamapi", "internal/iam"},
		{"internal/iamapi", "internal/store"},
		{"cmd/gatehouse", "internal/iamapi"},
		{"internal/lambda", "internal/store"},
		{"cmd/gatehouse", "internal/lambdaapi"},
		{"internal/meter/metertest", "internal/meter"},
		{"internal/gateway/cache/cachetest", "internal/gateway/cache"},
		{"internal/gateway/cache/cachetest", "internal/testwait"},
		{"internal/gateway/throttle", "internal/meter"},
		{"internal/gateway/integration", "internal/lambdacall"},
		{"internal/lambda", "internal/lambdacall"},
	}
	for _, v := range allowed {
		for _, r := range rules {
			if r.forbidden(v.importer, v.imported) {
				t.Errorf("%s importing %s broke rule %q; want it allowed", v.importer, v.imported, r.name)
			}
		}
	}
}
