package lambda

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Managed runtimes: AWS's language runtimes (python3.12, nodejs22.x, ...) run here as a
// process of the machine's interpreter running a bootstrap script gatehouse embeds:
//
//	<interpreter> <runtime dir>/<bootstrap>      cwd = LAMBDA_TASK_ROOT = the code directory
//
// The script speaks the Lambda Runtime API each process already gets (runtime_api.go), so
// process model, concurrency, timeouts, crash handling and logs are those of custom
// runtimes. The scripts live in runtimes/<language>/ and are written at NewRuntime to a
// private runtime directory (LAMBDA_RUNTIME_DIR, AWS's /var/runtime; 0700, the scripts
// directly in it: bootstrap.py, bootstrap.js), removed at Close.
//
//go:embed runtimes
var runtimeScripts embed.FS

// language is one family of managed runtimes.
type language struct {
	name string // "python", "node"
	// command is the interpreter looked up on PATH when RuntimeConfig.Interpreters names
	// none for a runtime of the family.
	command string
	// bootstrap is the script's path in runtimeScripts. A script missing from this build
	// makes the family's runtimes unavailable (they are refused at CreateFunction).
	bootstrap string
	// probe are the interpreter arguments that print its real executable path and its
	// version on two lines: a shim on PATH (pyenv, nvm, asdf) is resolved once at
	// startup, so that cold starts do not pay for it.
	probe []string
	// env is the environment AWS's runtime of the family sets, given the runtime directory
	// and the task root; a function's own variables may override it.
	env func(runtimeDir, taskRoot string) map[string]string
	// flags, when set, are the interpreter arguments AWS's runtime passes before the
	// script, given the interpreter's version as probed; nil means none.
	flags func(version string) []string
}

var (
	python = &language{
		name:      "python",
		command:   "python3",
		bootstrap: "runtimes/python/bootstrap.py",
		probe:     []string{"-c", "import sys; print(sys.executable); print(sys.version.split()[0])"},
		env: func(runtimeDir, taskRoot string) map[string]string {
			return map[string]string{
				// AWS: PYTHONPATH=/var/runtime (then the task root, which the runtime
				// puts on sys.path itself, as the bootstrap does here).
				"PYTHONPATH": runtimeDir + ":" + taskRoot,
				// Unbuffered: print and logging reach gatehouse's log in order, at once.
				"PYTHONUNBUFFERED": "1",
				// The code directory is the code store's extracted package, shared by
				// every process of the function: nothing writes into it (AWS's
				// /var/task is read-only).
				"PYTHONDONTWRITEBYTECODE": "1",
			}
		},
	}
	node = &language{
		name:      "node",
		command:   "node",
		bootstrap: "runtimes/node/bootstrap.js",
		probe:     []string{"-e", "console.log(process.execPath); console.log(process.version)"},
		env: func(runtimeDir, taskRoot string) map[string]string {
			// AWS: NODE_PATH=/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task
			return map[string]string{
				"NODE_PATH": runtimeDir + "/node_modules:" + runtimeDir + ":" + taskRoot,
			}
		},
		flags: nodeFlags,
	}
)

// managedRuntimes maps each AWS managed runtime gatehouse runs locally to its language: the
// one table of which runtimes run with an interpreter. AWS's own names (botocore's lambda
// model, Runtime enum).
var managedRuntimes = map[string]*language{
	"python3.9":  python,
	"python3.10": python,
	"python3.11": python,
	"python3.12": python,
	"python3.13": python,
	"python3.14": python,
	"nodejs18.x": node,
	"nodejs20.x": node,
	"nodejs22.x": node,
	"nodejs24.x": node,
}

// ManagedRuntime reports whether runtime is one of AWS's language runtimes that gatehouse
// runs with an interpreter (python3.x, nodejs*.x); whether this gatehouse has one is
// Runtime.RuntimeAvailable.
func ManagedRuntime(runtime string) bool { return managedRuntimes[runtime] != nil }

// customRuntime reports whether runtime is an OS-only custom runtime, whose deployment
// package's bootstrap is the process ("" is one too, for specs built by hand).
func customRuntime(runtime string) bool {
	switch runtime {
	case "", "provided", "provided.al2", "provided.al2023":
		return true
	}
	return false
}

// managedNames lists the managed runtimes, sorted, for messages.
func managedNames() []string {
	names := make([]string, 0, len(managedRuntimes))
	for n := range managedRuntimes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// managed is one managed runtime as this Runtime runs it.
type managed struct {
	runtime     string // AWS's name, "python3.12"
	lang        *language
	interpreter string   // absolute path of the real executable; "" when unavailable
	version     string   // what the interpreter says it is, "3.11.7", "v22.3.0"
	flags       []string // interpreter arguments before the script (lang.flags)
	script      string   // the bootstrap's path in the runtime directory
	// unavailable says why functions of this runtime cannot run here, as users are told
	// (CreateFunction's InvalidParameterValueException); "" when they can.
	unavailable string
}

// ErrRuntimeUnavailable: a managed runtime this gatehouse has no interpreter (or no
// bootstrap) for. It wraps ErrRuntimeNotSupported.
var ErrRuntimeUnavailable = fmt.Errorf("%w: no interpreter", ErrRuntimeNotSupported)

// runtimeDirPrefix begins the name of every runtime directory.
const runtimeDirPrefix = "gatehouse-lambda-runtime-"

// probeTimeout bounds one interpreter's startup probe.
const probeTimeout = 10 * time.Second

// setupManaged resolves the interpreter of every managed runtime (configured, else looked
// up on PATH; each distinct one run once to learn its real path and version) and writes the
// bootstrap scripts to a new private directory under parent ("" is os.TempDir(); a parent
// given is gatehouse's own, and earlier runtime directories in it are removed). It returns
// the runtimes by name and the directory, which the caller removes. A configured
// interpreter that cannot run is an error (every one is listed); a default missing from
// PATH only makes its runtimes unavailable.
func setupManaged(interpreters map[string]string, parent string, log *slog.Logger) (map[string]*managed, string, error) {
	var problems []error
	for name, p := range interpreters {
		if !ManagedRuntime(name) {
			problems = append(problems, fmt.Errorf("interpreter for %q: not a runtime that runs with an interpreter (one of %s)", name, strings.Join(managedNames(), ", ")))
		} else if p == "" {
			problems = append(problems, fmt.Errorf("interpreter for %q: empty path", name))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, "", err
	}
	if parent != "" {
		// A directory of gatehouse's own (under its data directory, which one gatehouse
		// holds at a time): what a gatehouse killed before its Close left there goes now.
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return nil, "", fmt.Errorf("runtime directory: %w", err)
		}
		stale, _ := filepath.Glob(filepath.Join(parent, runtimeDirPrefix+"*"))
		for _, d := range stale {
			os.RemoveAll(d)
		}
	}
	dir, err := os.MkdirTemp(parent, runtimeDirPrefix+"*")
	if err != nil {
		return nil, "", fmt.Errorf("runtime directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("runtime directory: %w", err)
	}
	type probed struct {
		path, version string
		err           error
	}
	probes := map[string]probed{} // by command as configured or looked up
	out := make(map[string]*managed, len(managedRuntimes))
	for _, name := range managedNames() {
		lang := managedRuntimes[name]
		m := &managed{runtime: name, lang: lang, script: filepath.Join(dir, path.Base(lang.bootstrap))}
		out[name] = m
		b, err := fs.ReadFile(runtimeScripts, lang.bootstrap)
		if err != nil {
			m.unavailable = fmt.Sprintf("The runtime %s is not available in this build of gatehouse: it has no %s bootstrap (%s).", name, lang.name, path.Base(lang.bootstrap))
			log.Info("lambda runtime unavailable", "runtime", name, "reason", m.unavailable)
			continue
		}
		if _, err := os.Stat(m.script); errors.Is(err, fs.ErrNotExist) {
			if err := os.WriteFile(m.script, b, 0o600); err != nil {
				os.RemoveAll(dir)
				return nil, "", fmt.Errorf("write the %s bootstrap: %w", lang.name, err)
			}
		}
		command, configured := interpreters[name]
		if !configured {
			command = lang.command
		}
		pr, done := probes[command]
		if !done {
			pr.path, pr.version, pr.err = probeInterpreter(command, lang.probe)
			probes[command] = pr
		}
		if pr.err != nil {
			if configured {
				problems = append(problems, fmt.Errorf("interpreter for %s: %w", name, pr.err))
				continue
			}
			if errors.Is(pr.err, exec.ErrNotFound) {
				m.unavailable = fmt.Sprintf("The runtime %s has no interpreter on this gatehouse: %s was not found on PATH. Install it, or start gatehouse with --lambda-runtime %s=/path/to/%s.", name, command, name, lang.command)
				log.Info("lambda runtime unavailable", "runtime", name, "reason", m.unavailable)
				continue
			}
			// On PATH, but its probe failed (a broken shim, or one too slow: probeTimeout):
			// say so, not "not found", and loudly, since the runtime stays unavailable.
			m.unavailable = fmt.Sprintf("The runtime %s has no interpreter on this gatehouse: %s is on PATH but did not run as expected (%v). Fix it, or start gatehouse with --lambda-runtime %s=/path/to/%s.", name, command, pr.err, name, lang.command)
			log.Warn("lambda runtime unavailable", "runtime", name, "reason", m.unavailable)
			continue
		}
		m.interpreter, m.version = pr.path, pr.version
		if lang.flags != nil {
			m.flags = lang.flags(m.version)
		}
		log.Info("lambda runtime available", "runtime", name, "interpreter", m.interpreter, "version", m.version)
	}
	if err := errors.Join(problems...); err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	return out, dir, nil
}

// probeInterpreter runs command with args (lang.probe) and returns the executable path and
// version it prints.
func probeInterpreter(command string, args []string) (path, version string, err error) {
	p, err := exec.LookPath(command)
	if err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, args...)
	// gatehouse's own environment: a shim (pyenv, nvm) needs its variables to find the
	// real interpreter. Functions never see it.
	b, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("run %s: %w", p, err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !filepath.IsAbs(strings.TrimSpace(lines[0])) {
		return "", "", fmt.Errorf("run %s: unexpected answer %q to its version probe", p, b)
	}
	return strings.TrimSpace(lines[0]), strings.TrimSpace(lines[1]), nil
}

// RuntimeAvailable says whether functions of runtime run on this Runtime: nil for the
// custom runtimes and for managed runtimes with an interpreter; otherwise an error wrapping
// ErrRuntimeNotSupported (ErrRuntimeUnavailable for a managed runtime without an
// interpreter) whose message tells users what to do.
func (r *Runtime) RuntimeAvailable(runtime string) error {
	if customRuntime(runtime) {
		return nil
	}
	m := r.managed[runtime]
	if m == nil {
		return fmt.Errorf("%w: %q (local functions use a custom runtime — provided.al2023, provided.al2 or provided, whose bootstrap is the process — or one of %s)", ErrRuntimeNotSupported, runtime, strings.Join(managedNames(), ", "))
	}
	if m.unavailable != "" {
		return &unavailableError{msg: m.unavailable}
	}
	return nil
}

// unavailableError is a managed runtime without an interpreter or bootstrap; its message
// is for users as it is.
type unavailableError struct{ msg string }

func (e *unavailableError) Error() string { return e.msg }
func (e *unavailableError) Unwrap() error { return ErrRuntimeUnavailable }

// nodeFlags are the flags AWS starts node with, as far as this node knows them: AWS
// disables require() of ES modules (--no-experimental-require-module, Node 20 and 22) and
// module syntax detection (--no-experimental-detect-module, Node 22), so that a .js file
// with ES module syntax and no "type":"module" is a syntax error, not an ES module
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html, the table of disabled
// experimental features). The options exist from Node 20.17/22.0 (require-module) and
// 20.10/21.1 (detect-module); an older node has neither feature on by default, and gets
// no flag (it would refuse an option it does not know). version is "v22.3.0".
func nodeFlags(version string) []string {
	var major, minor int
	if _, err := fmt.Sscanf(strings.TrimPrefix(version, "v"), "%d.%d", &major, &minor); err != nil {
		return nil
	}
	at := func(maj, min int) bool { return major > maj || major == maj && minor >= min }
	var flags []string
	if at(22, 0) || major == 20 && minor >= 17 {
		flags = append(flags, "--no-experimental-require-module")
	}
	if at(21, 1) || major == 20 && minor >= 10 {
		flags = append(flags, "--no-experimental-detect-module")
	}
	return flags
}
