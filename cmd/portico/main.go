// Command portico runs the Portico API gateway.
//
//	portico -config FILE            run the gateway
//	portico validate -config FILE   check a config; exit 1 with FILE:LINE: key: problem
//	portico version                 print the version
//
// Signals: SIGTERM and SIGINT drain and exit, SIGHUP reloads the config
// (a broken file is rejected and the running config kept), SIGUSR1 reopens
// the access log file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCmd(args, stderr)
	case "validate":
		return validateCmd(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "portico", buildVersion())
		return 0
	case "hash-key":
		return hashKeyCmd(args, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "portico: unknown command %q (want serve, validate, version or hash-key)\n", cmd)
		return 2
	}
}

// configFlag parses the -config flag shared by serve and validate.
func configFlag(name string, args []string, stderr io.Writer) (*flag.FlagSet, *string, *string) {
	fs := flag.NewFlagSet("portico "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/portico.toml", "path of the TOML config file")
	logFormat := fs.String("log-format", "", `log format, "text" or "json" (overrides [server] log_format)`)
	_ = fs.Parse(args)
	return fs, path, logFormat
}

func validateCmd(args []string, stdout, stderr io.Writer) int {
	fs, path, _ := configFlag("validate", args, stderr)
	if fs.Parsed() && fs.NArg() > 0 {
		fmt.Fprintf(stderr, "portico validate: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	f, err := loadChecked(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%d routes, %d upstreams, hash %s)\n",
		f.Path, len(f.Routes), len(f.Upstreams), f.Hash)
	return 0
}

func serveCmd(args []string, stderr io.Writer) int {
	fs, path, logFormat := configFlag("serve", args, stderr)
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "portico: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	f, err := loadChecked(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	format := f.Server.LogFormat
	if *logFormat != "" {
		format = *logFormat
	}
	logger := newLogger(stderr, format, f.Server.LogLevel)
	if err := serve(context.Background(), f, *path, logger); err != nil {
		logger.Error("portico stopped", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// newLogger builds the process logger on w.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return version
}

var errUsage = errors.New("usage")
