// Command gatehouse runs a self-hosted AWS API Gateway: the management API that AWS's own
// clients drive, and the data plane that serves the deployed APIs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// A gateway's live heap is small (the compiled stages) and its garbage is per
		// request: collecting at 4x the live heap rather than 2x costs a few MB and saves
		// about a tenth of the data plane's CPU under load (docs/performance.md). GOGC set in
		// the environment wins.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // --help: the usage was printed
		}
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		os.Exit(2)
	}
}

const usage = `gatehouse: a self-hosted AWS API Gateway

Usage:
  gatehouse serve [flags]   run the management API and the data plane
  gatehouse help            show this help (gatehouse serve --help lists the flags)
`

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		cfg, err := loadConfig(args[1:], getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, newLogger(cfg, stderr), stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
