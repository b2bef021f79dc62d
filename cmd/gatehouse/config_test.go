package main

import (
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// loadConfigCase runs loadConfig(args, environ) for one case of a table: with wantErr it
// reports each part the error does not contain and returns false; without, it reports an
// error and returns false, or returns the config and true.
func loadConfigCase(t *testing.T, args []string, environ map[string]string, wantErr []string) (config, bool) {
	t.Helper()
	cfg, err := loadConfig(args, env(environ), io.Discard)
	if wantErr != nil {
		for _, w := range wantErr {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("loadConfig(%q, %v) = %v; want an error containing %q", args, environ, err, w)
			}
		}
		return config{}, false
	}
	if err != nil {
		t.Errorf("loadConfig(%q, %v) = %v", args, environ, err)
		return config{}, false
	}
	return cfg, true
}

func TestLoadConfigPrecedence(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "gatehouse.json")
	if err := os.WriteFile(file, []byte(`{"listen": "127.0.0.1:1111", "region": "eu-west-1", "account-id": "111111111111", "shutdown-timeout": "5s"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(
		[]string{"--config", file, "--listen", "127.0.0.1:3333"},
		env(map[string]string{"GATEHOUSE_LISTEN": "127.0.0.1:2222", "GATEHOUSE_REGION": "ap-south-1"}),
		io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:3333" {
		t.Errorf("listen = %q; want the flag's 127.0.0.1:3333", cfg.Listen)
	}
	if cfg.Region != "ap-south-1" {
		t.Errorf("region = %q; want the environment's ap-south-1 over the file's", cfg.Region)
	}
	if cfg.AccountID != "111111111111" || cfg.ShutdownTimeout != 5*time.Second {
		t.Errorf("account-id, shutdown-timeout = %q, %v; want the file's", cfg.AccountID, cfg.ShutdownTimeout)
	}
	if cfg.AdminListen != "127.0.0.1:9090" || cfg.Domain != "execute-api.localhost" || cfg.DataDir != "./gatehouse-data" {
		t.Errorf("defaults = %q %q %q", cfg.AdminListen, cfg.Domain, cfg.DataDir)
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := loadConfig(
		[]string{"--admin-listen", "0.0.0.0:9090", "--region", "mars", "--account-id", "12", "--log-level", "loud"},
		env(map[string]string{"GATEHOUSE_DOMAIN": "Not A Domain"}), io.Discard)
	if err == nil {
		t.Fatal("loadConfig accepted an invalid configuration")
	}
	for _, want := range []string{"admin-listen", "admin-credentials", "region", "account-id", "log-level", "domain"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:9090", true},
		{"localhost:9090", true},
		{"[::1]:9090", true},
		{"127.1.2.3:80", true},
		{":9090", false},
		{"0.0.0.0:9090", false},
		{"192.168.1.1:9090", false},
		{"example.com:9090", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		if got := isLoopback(tt.addr); got != tt.want {
			t.Errorf("isLoopback(%q) = %v; want %v", tt.addr, got, tt.want)
		}
	}
}

func TestRunRejectsUnknownCommand(t *testing.T) {
	t.Parallel()
	if err := run(t.Context(), []string{"frobnicate"}, env(nil), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("run(frobnicate) = %v; want an unknown command error", err)
	}
	if err := run(t.Context(), nil, env(nil), io.Discard, io.Discard); err == nil {
		t.Error("run() with no command succeeded")
	}
}

func TestDisplayURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "http://localhost:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "http://localhost:8080"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090}, "http://127.0.0.1:9090"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 9090}, "http://[::1]:9090"},
	} {
		if got := displayURL(tt.addr); got != tt.want {
			t.Errorf("displayURL(%v) = %q; want %q", tt.addr, got, tt.want)
		}
	}
}

// TestLoadConfigAWSEndpoints: --aws-endpoint repeats, the environment and the file give
// comma-separated entries, and every malformed entry is reported.
func TestLoadConfigAWSEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		env     map[string]string
		want    map[string]string
		wantErr []string
	}{
		{args: []string{"--aws-endpoint", "sqs=http://127.0.0.1:5000", "--aws-endpoint", "s3=http://127.0.0.1:5001/"},
			env:  map[string]string{"GATEHOUSE_AWS_ENDPOINT": "dynamodb=http://x"},
			want: map[string]string{"sqs": "http://127.0.0.1:5000", "s3": "http://127.0.0.1:5001/"}},
		{env: map[string]string{"GATEHOUSE_AWS_ENDPOINT": "*=http://127.0.0.1:5000, runtime.sagemaker=https://sm.example"},
			want: map[string]string{"*": "http://127.0.0.1:5000", "runtime.sagemaker": "https://sm.example"}},
		{args: []string{"--aws-endpoint", "sqs", "--aws-endpoint", "S Q S=http://x", "--aws-endpoint", "s3=ftp://x", "--aws-endpoint", "s3=http://x/path", "--aws-endpoint", "=http://x"},
			wantErr: []string{`"sqs" is not SERVICE=URL`, `"S Q S" is not a service name`, `s3: "ftp://x" is not a base URL`, `s3: "http://x/path" is not a base URL`, "s3 given twice", `"=http://x" is not SERVICE=URL`}},
		{args: []string{"--aws-credentials", "/nonexistent/credentials"}, wantErr: []string{"aws-credentials: stat /nonexistent/credentials"}},
	}
	for _, tt := range tests {
		cfg, ok := loadConfigCase(t, tt.args, tt.env, tt.wantErr)
		if !ok {
			continue
		}
		if got := cfg.AWSEndpoints.Map(); !maps.Equal(got, tt.want) {
			t.Errorf("loadConfig(%q, %v) endpoints = %v; want %v", tt.args, tt.env, got, tt.want)
		}
	}
}

// TestLoadConfigSlowClientLimits: the slow-client limits have their documented defaults
// (the header limit AWS's 10,240 bytes), are set like every setting, and none may be zero
// (which the servers would take as "no limit").
func TestLoadConfigSlowClientLimits(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{ReadHeaderTimeout: 10 * time.Second, ReadBodyTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 5 * time.Minute, MaxHeaderBytes: 10240, AdminRequestTimeout: 10 * time.Minute, AdminMaxBodyBytes: 80 << 20}
	got := config{ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadBodyTimeout: cfg.ReadBodyTimeout, WriteTimeout: cfg.WriteTimeout,
		IdleTimeout: cfg.IdleTimeout, MaxHeaderBytes: cfg.MaxHeaderBytes, AdminRequestTimeout: cfg.AdminRequestTimeout, AdminMaxBodyBytes: cfg.AdminMaxBodyBytes}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults = %+v; want %+v", got, want)
	}
	if cfg.AdminMaxBodyBytes <= 70167211+1 {
		t.Errorf("admin-max-body-bytes = %d; want above the Lambda code upload limit 70167211", cfg.AdminMaxBodyBytes)
	}

	file := filepath.Join(t.TempDir(), "gatehouse.json")
	if err := os.WriteFile(file, []byte(`{"read-body-timeout": "7s", "max-header-bytes": 20000}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = loadConfig([]string{"--config", file, "--write-timeout", "3s"}, env(map[string]string{"GATEHOUSE_IDLE_TIMEOUT": "1m", "GATEHOUSE_MAX_HEADER_BYTES": "16384"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ReadBodyTimeout != 7*time.Second || cfg.MaxHeaderBytes != 16384 || cfg.WriteTimeout != 3*time.Second || cfg.IdleTimeout != time.Minute {
		t.Errorf("read-body-timeout, max-header-bytes, write-timeout, idle-timeout = %v %d %v %v; want 7s (file) 16384 (env) 3s (flag) 1m (env)",
			cfg.ReadBodyTimeout, cfg.MaxHeaderBytes, cfg.WriteTimeout, cfg.IdleTimeout)
	}

	_, err = loadConfig([]string{"--read-header-timeout", "0", "--read-body-timeout", "0s", "--write-timeout", "0", "--idle-timeout", "0",
		"--admin-request-timeout", "0", "--max-header-bytes", "0", "--admin-max-body-bytes", "0"}, env(nil), io.Discard)
	for _, name := range []string{"read-header-timeout", "read-body-timeout", "write-timeout", "idle-timeout", "admin-request-timeout", "max-header-bytes", "admin-max-body-bytes"} {
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("loadConfig with %s 0: error %v; want one naming it", name, err)
		}
	}
}

// stateSettings is the part of a config the runtime state settings make.
type stateSettings struct {
	State, ThrottleOnStateError, QuotaOnStateError string
	StateTimeout                                   time.Duration
	AccountRateLimit                               float64
	AccountBurstLimit                              int
}

func stateSettingsOf(cfg config) stateSettings {
	return stateSettings{State: cfg.State, ThrottleOnStateError: cfg.ThrottleOnStateError, QuotaOnStateError: cfg.QuotaOnStateError,
		StateTimeout: cfg.StateTimeout, AccountRateLimit: cfg.AccountRateLimit, AccountBurstLimit: cfg.AccountBurstLimit}
}

// TestLoadConfigState: the runtime state settings have their documented defaults (in
// process; fail throttles open and quotas closed; AWS's account throttle), come from flags,
// the environment and the file like every setting, and every bad value is refused before
// anything starts.
func TestLoadConfigState(t *testing.T) {
	t.Parallel()
	defaults := stateSettings{ThrottleOnStateError: "allow", QuotaOnStateError: "deny", StateTimeout: 50 * time.Millisecond,
		AccountRateLimit: 10000, AccountBurstLimit: 5000}
	with := func(f func(*stateSettings)) stateSettings { s := defaults; f(&s); return s }
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		file    string
		want    stateSettings
		wantErr []string
	}{
		{name: "defaults", want: defaults},
		{name: "redis flags",
			args: []string{"--state", "redis://127.0.0.1:6379/3", "--state-timeout", "20ms", "--throttle-on-state-error", "deny", "--quota-on-state-error", "allow"},
			want: with(func(s *stateSettings) {
				s.State, s.StateTimeout, s.ThrottleOnStateError, s.QuotaOnStateError = "redis://127.0.0.1:6379/3", 20*time.Millisecond, "deny", "allow"
			})},
		{name: "rediss with a password and no database", args: []string{"--state", "rediss://user:secret@redis.example:6380"},
			want: with(func(s *stateSettings) { s.State = "rediss://user:secret@redis.example:6380" })},
		{name: "environment", env: map[string]string{"GATEHOUSE_STATE": "redis://10.0.0.5:6379/0", "GATEHOUSE_ACCOUNT_RATE_LIMIT": "2.5", "GATEHOUSE_ACCOUNT_BURST_LIMIT": "3"},
			want: with(func(s *stateSettings) {
				s.State, s.AccountRateLimit, s.AccountBurstLimit = "redis://10.0.0.5:6379/0", 2.5, 3
			})},
		{name: "file keys are the flag names",
			file: `{"state": "redis://127.0.0.1:6379/1", "state-timeout": "1s", "throttle-on-state-error": "deny", "quota-on-state-error": "allow", "account-rate-limit": 100, "account-burst-limit": 50}`,
			want: stateSettings{State: "redis://127.0.0.1:6379/1", StateTimeout: time.Second, ThrottleOnStateError: "deny", QuotaOnStateError: "allow",
				AccountRateLimit: 100, AccountBurstLimit: 50}},
		{name: "no account throttle", args: []string{"--account-rate-limit", "-1", "--account-burst-limit", "-1"},
			want: with(func(s *stateSettings) { s.AccountRateLimit, s.AccountBurstLimit = -1, -1 })},
		{name: "a rate of 0 with a burst is a finite allowance", args: []string{"--account-rate-limit", "0"},
			want: with(func(s *stateSettings) { s.AccountRateLimit = 0 })},
		{name: "unknown schemes", args: []string{"--state", "memory"}, wantErr: []string{`state: "memory" is neither empty (in-process state) nor a Redis URL`}},
		{name: "http is not redis", args: []string{"--state", "http://127.0.0.1:6379"}, wantErr: []string{`state: "http://127.0.0.1:6379" is neither empty (in-process state) nor a Redis URL`}},
		{name: "no host", args: []string{"--state", "redis:///0"}, wantErr: []string{`state: "redis:///0" has no host`}},
		{name: "a path that is not a database", args: []string{"--state", "redis://127.0.0.1:6379/cache"}, wantErr: []string{"state:", "database number"}},
		{name: "the password is not shown", args: []string{"--state", "redis://u:hunter2@127.0.0.1:6379/x"}, wantErr: []string{`"redis://u:xxxxx@127.0.0.1:6379/x"`}},
		{name: "the password is not shown in an unparsable URL", args: []string{"--state", "redis://u:hun%zzter2@h:1"}, wantErr: []string{`"redis://xxxxx@h:1"`}},
		{name: "bad values, all reported",
			args: []string{"--state-timeout", "0", "--throttle-on-state-error", "open", "--quota-on-state-error", "closed", "--account-rate-limit", "-2", "--account-burst-limit", "-5"},
			wantErr: []string{"state-timeout: must be positive", `throttle-on-state-error: "open" is not allow or deny`, `quota-on-state-error: "closed" is not deny or allow`,
				"account-rate-limit: -2 is not a rate", "account-burst-limit: -5 is not a burst"}},
		{name: "an account that admits nothing", args: []string{"--account-rate-limit", "0", "--account-burst-limit", "0"},
			wantErr: []string{"both 0 would refuse every request; use -1"}},
		{name: "not a number", args: []string{"--account-rate-limit", "fast"}, wantErr: []string{"account-rate-limit"}},
		{name: "infinity", args: []string{"--account-rate-limit", "+Inf"}, wantErr: []string{"account-rate-limit: +Inf is not a rate"}},
		{name: "bad file value", file: `{"state-timeout": "soon"}`, wantErr: []string{"state-timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args
			if tt.file != "" {
				file := filepath.Join(t.TempDir(), "gatehouse.json")
				if err := os.WriteFile(file, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"--config", file}, args...)
			}
			cfg, err := loadConfig(args, env(tt.env), io.Discard)
			if tt.wantErr != nil {
				for _, w := range tt.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("loadConfig(%q) = %v; want an error containing %q", args, err, w)
					}
				}
				if err != nil && strings.Contains(err.Error(), "hunter2") {
					t.Errorf("loadConfig(%q) error shows the password: %v", args, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig(%q) = %v", args, err)
			}
			if got := stateSettingsOf(cfg); got != tt.want {
				t.Errorf("loadConfig(%q) = %+v; want %+v", args, got, tt.want)
			}
		})
	}
}

// TestAccountThrottle: the flags become the gateway's and management API's throttle as
// given; -1 is a negative (no) throttle to both.
func TestAccountThrottle(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rate  float64
		burst int
		want  apigateway.ThrottleSettings
	}{
		{10000, 5000, apigateway.ThrottleSettings{RateLimit: 10000, BurstLimit: 5000}},
		{0.5, 1, apigateway.ThrottleSettings{RateLimit: 0.5, BurstLimit: 1}},
		{-1, -1, apigateway.ThrottleSettings{RateLimit: -1, BurstLimit: -1}},
	} {
		if got := (config{AccountRateLimit: tt.rate, AccountBurstLimit: tt.burst}).accountThrottle(); got != tt.want {
			t.Errorf("accountThrottle(rate %v, burst %d) = %+v; want %+v", tt.rate, tt.burst, got, tt.want)
		}
	}
}
