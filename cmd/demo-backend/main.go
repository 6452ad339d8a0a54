package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9001", "address to listen on, host:port")
	name := flag.String("name", "demo", "backend name written into every answer")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*listen, *name, logger); err != nil {
		logger.LogAttrs(context.Background(), slog.LevelError, "demo backend failed",
			slog.String("error", err.Error()))
		os.Exit(1)
	}
}

// run listens on addr and serves until SIGTERM or SIGINT.
func run(addr, name string, logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("demo-backend: listen %s: %w", addr, err)
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "demo backend listening",
		slog.String("listen", ln.Addr().String()), slog.String("name", name))

	if err := serve(ctx, ln, name); err != nil {
		return err
	}
	logger.LogAttrs(context.Background(), slog.LevelInfo, "demo backend stopped",
		slog.String("name", name))
	return nil
}
