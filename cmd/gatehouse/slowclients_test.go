package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// childServeEnv holds the serve arguments of the child process TestSlowClients starts.
const childServeEnv = "GATEHOUSE_TEST_CHILD_SERVE"

// TestChildServe is gatehouse itself, in a child process of TestSlowClients (so that no
// binary need be built): it runs "serve" with the arguments in childServeEnv.
func TestChildServe(t *testing.T) {
	args := os.Getenv(childServeEnv)
	if args == "" {
		t.Skip("the child process of TestSlowClients")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, strings.Split(args, "\n"), os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// TestSlowClients: under a descriptor limit far below the number of slow clients (headers
// never finished, bodies never sent) on both listeners, a well-behaved client of each is
// still served, because the timeouts close the slow connections and accept retries after
// EMFILE; and every slow connection is closed by the server. The timeouts are short, set
// by flags; every wait has a generous deadline and nothing is timed.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	const fdLimit = 40 // the child's own descriptors (runtime, store, listeners, logs) are about 15
	const slowPerKind = 20
	args := []string{"serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--read-header-timeout", "1s", "--read-body-timeout", "1s", "--idle-timeout", "1s", "--write-timeout", "1s",
		"--log-format", "json", "--log-level", "info"}
	cmd := exec.Command("prlimit", fmt.Sprintf("--nofile=%d:%d", fdLimit, fdLimit), os.Args[0], "-test.run=^TestChildServe$", "-test.v=false")
	cmd.Env = append(os.Environ(), childServeEnv+"="+strings.Join(args, "\n"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})

	// The started line names both listeners' addresses; the rest of the log is kept for
	// failure messages.
	var logMu sync.Mutex
	var logTail []string
	started := make(chan map[string]any, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			if logTail = append(logTail, line); len(logTail) > 20 {
				logTail = logTail[1:]
			}
			logMu.Unlock()
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "gatehouse started" {
				started <- rec
			}
		}
	}()
	logs := func() string {
		logMu.Lock()
		defer logMu.Unlock()
		return strings.Join(logTail, "\n")
	}
	var rec map[string]any
	select {
	case rec = <-started:
	case err := <-exited:
		t.Fatalf("gatehouse exited before it started: %v\n%s", err, logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("gatehouse did not start within 60 s\n%s", logs())
	}
	var addrs []string
	for _, k := range []string{"data_plane", "management_api"} {
		u, err := url.Parse(fmt.Sprint(rec[k]))
		if err != nil || u.Host == "" {
			t.Fatalf("started line has %s = %v", k, rec[k])
		}
		addrs = append(addrs, u.Host)
	}

	// More slow connections than descriptors: on each listener, headers that never end
	// and bodies that never come.
	var slow []net.Conn
	t.Cleanup(func() {
		for _, c := range slow {
			c.Close()
		}
	})
	for _, addr := range addrs {
		for i := range 2 * slowPerKind {
			c, err := net.DialTimeout("tcp", addr, 30*time.Second)
			if err != nil {
				t.Fatalf("dial %s: %v", addr, err)
			}
			slow = append(slow, c)
			send := "GET / HTTP/1.1\r\nHost: slow\r\nX-Never: ends"
			if i%2 == 1 {
				send = "POST /restapis HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
			}
			c.Write([]byte(send))
		}
	}

	// A well-behaved client of each listener is served.
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, addr := range addrs {
		resp, err := client.Get("http://" + addr + "/restapis")
		if err != nil {
			t.Fatalf("well-behaved client of %s not served among %d slow connections under %d descriptors: %v\n%s", addr, len(slow), fdLimit, err, logs())
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	// The server closed every slow connection (what it answered first, if anything, is
	// the timeout's: nothing, or 408 for a body on the data plane).
	deadline := time.Now().Add(60 * time.Second)
	for i, c := range slow {
		c.SetReadDeadline(deadline)
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("slow connection %d of %d still open after 60 s\n%s", i, len(slow), logs())
		}
	}
}
