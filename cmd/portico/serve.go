package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"reflect"
	"syscall"
	"time"

	"github.com/portico-gw/portico/accesslog"
	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/limits"
	"github.com/portico-gw/portico/metrics"
	"github.com/portico-gw/portico/proxy"
)

// frontEnd is what both transports offer the process: serve a listener
// until shut down, then drain.
type frontEnd interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context) error
}

// loadChecked reads the config at path and compiles it without starting
// anything, so every problem is reported with its file, line and key.
func loadChecked(path string) (*config.File, error) {
	f, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := proxy.Check(f); err != nil {
		return nil, err
	}
	return f, nil
}

// serve runs the gateway until SIGTERM or SIGINT, reloading on SIGHUP.
func serve(ctx context.Context, f *config.File, path string, logger *slog.Logger) error {
	// Signals are caught before anything is announced, so a SIGHUP sent
	// the moment the ready line appears reloads instead of killing.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sigs)

	access, err := accesslog.New(f.AccessLog, logger)
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	defer access.Close()

	reg := metrics.New()
	reg.AddGauge("portico_access_log_dropped_records", "Access log records dropped because the ring was full.",
		func() float64 { return float64(access.Dropped()) })
	g, err := proxy.New(f, proxy.Options{Logger: logger, AccessLog: access,
		TLS: f.Server.TLS != nil, Metrics: reg})
	if err != nil {
		return err
	}
	defer g.Close()
	addLimitsGauges(reg, g)

	ln, err := net.Listen("tcp", f.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", f.Server.Listen, err)
	}
	fe, err := newFrontEnd(g, f, logger)
	if err != nil {
		ln.Close()
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- fe.Serve(ln) }()

	adm, err := startAdmin(g, f, reg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer adm.close()

	logger.Info("portico ready",
		slog.String("listen", ln.Addr().String()),
		slog.String("transport", f.Server.Transport),
		slog.String("config", f.Path),
		slog.String("config_hash", f.Hash),
		slog.String("version", buildVersion()))

	for {
		select {
		case err := <-serveErr:
			return fmt.Errorf("serve: %w", err)
		case done := <-adm.reloads:
			done <- reload(g, path, logger)
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				_ = reload(g, path, logger)
			case syscall.SIGUSR1:
				if err := access.Reopen(); err != nil {
					logger.Error("access log reopen failed", slog.String("error", err.Error()))
				}
			default:
				return shutdown(fe, g.Config().Server.ShutdownTimeout, sig, logger)
			}
		case <-ctx.Done():
			return shutdown(fe, g.Config().Server.ShutdownTimeout, nil, logger)
		}
	}
}

// reload loads the file again and swaps it in; a broken file leaves the
// running config untouched.
func reload(g *proxy.Gateway, path string, logger *slog.Logger) error {
	old := g.Config()
	f, err := config.Load(path)
	if err == nil {
		err = g.Reload(f)
	}
	if err != nil {
		logger.Error("config reload rejected; keeping the running config",
			slog.String("config", path), slog.String("error", err.Error()))
		return err
	}
	if old != nil && !reflect.DeepEqual(restartOnly(old.Server), restartOnly(f.Server)) {
		logger.Warn("[server] listener settings (listen, transport, timeouts, header size, "+
			"connection limit, memory, TLS, logging) change only on restart; "+
			"max_body_bytes and trusted_proxies applied now", slog.String("config", path))
	}
	logger.Info("config reloaded", slog.String("config", path), slog.String("config_hash", f.Hash))
	return nil
}

// restartOnly is the [server] table without the keys a reload applies
// (max_body_bytes and trusted_proxies are read per request from the live
// config); what is left needs a restart to change.
func restartOnly(s config.Server) config.Server {
	s.MaxBodyBytes, s.TrustedProxies = 0, nil
	return s
}

// shutdown stops accepting, lets in-flight requests finish until the
// deadline, and returns nil: a drained stop is a clean exit.
func shutdown(fe frontEnd, deadline time.Duration, sig os.Signal, logger *slog.Logger) error {
	name := "context"
	if sig != nil {
		name = sig.String()
	}
	logger.Info("shutting down", slog.String("signal", name), slog.Duration("deadline", deadline))
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := fe.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	} else if err != nil {
		logger.Warn("shutdown deadline passed with requests in flight")
	}
	logger.Info("stopped")
	return nil
}

// addLimitsGauges exports the limits engine's state, read at scrape time.
func addLimitsGauges(reg *metrics.Registry, g *proxy.Gateway) {
	gauges := []struct {
		name, help string
		read       func(limits.Stats) float64
	}{
		{"portico_limiter_keys", "Rate-limit counters held in this process.",
			func(s limits.Stats) float64 { return float64(s.Keys) }},
		{"portico_limiter_table_full_decisions", "Decisions that found the counter table full and used a shared counter.",
			func(s limits.Stats) float64 { return float64(s.TableFull) }},
		{"portico_limiter_redis_up", "1 when the Redis backend answered its last call (0 without Redis).",
			func(s limits.Stats) float64 { return b2f(s.RedisUp) }},
		{"portico_limiter_redis_fallbacks", "Times Redis went down and counting fell back to this process.",
			func(s limits.Stats) float64 { return float64(s.RedisFallbacks) }},
	}
	for _, gg := range gauges {
		read := gg.read
		reg.AddGauge(gg.name, gg.help, func() float64 { return read(g.LimitsStats()) })
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
