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

	"github.com/portico-gw/portico/config"
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

// configFlag parses the flags shared by serve and validate. A flag it
// does not know is an error: running on the default config because of a
// typo would be worse than stopping.
func configFlag(name string, args []string, stderr io.Writer) (*flag.FlagSet, *string, *string, error) {
	fs := flag.NewFlagSet("portico "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/portico.toml", "path of the TOML config file")
	logFormat := fs.String("log-format", "", `log format, "text" or "json" (overrides [server] log_format)`)
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "portico %s: unexpected argument %q\n", name, fs.Arg(0))
		return nil, nil, nil, errUsage
	}
	return fs, path, logFormat, nil
}

// loadFromArgs parses the flags of serve or validate and loads the
// config they name. A non-zero code means stop with it: 2 for bad flags,
// 1 for a config that does not load (its problems already printed).
func loadFromArgs(name string, args []string, stderr io.Writer) (f *config.File, path, logFormat string, code int) {
	_, p, lf, err := configFlag(name, args, stderr)
	if err != nil {
		return nil, "", "", 2
	}
	if f, err = loadChecked(*p); err != nil {
		fmt.Fprintln(stderr, err)
		return nil, "", "", 1
	}
	return f, *p, *lf, 0
}

func validateCmd(args []string, stdout, stderr io.Writer) int {
	f, _, _, code := loadFromArgs("validate", args, stderr)
	if code != 0 {
		return code
	}
	fmt.Fprintf(stdout, "%s: ok (%s, %s, hash %s)\n",
		f.Path, plural(len(f.Routes), "route"), plural(len(f.Upstreams), "upstream"), f.Hash)
	return 0
}

func serveCmd(args []string, stderr io.Writer) int {
	f, path, logFormat, code := loadFromArgs("serve", args, stderr)
	if code != 0 {
		return code
	}
	format := f.Server.LogFormat
	if logFormat != "" {
		format = logFormat
	}
	logger := newLogger(stderr, format, f.Server.LogLevel)
	if err := serve(context.Background(), f, path, logger); err != nil {
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

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
