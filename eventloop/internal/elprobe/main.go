// Command elprobe is a measuring aid for the eventloop package, not part
// of the gateway. It serves a fixed 1 KiB answer on either transport for
// wrk ("serve"), or opens many idle keep-alive connections to a server it
// starts as a child process and reports the server's resident memory per
// connection ("idle"). Every run is bounded by -max and talks to loopback
// only.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cloudwego/netpoll"
	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/eventloop"
)

func main() {
	mode := flag.String("mode", "serve", `"serve" or "idle"`)
	transport := flag.String("transport", "eventloop", `"eventloop" or "standard"`)
	conns := flag.Int("conns", 5000, "idle: connections to open")
	maxRun := flag.Duration("max", 2*time.Minute, "stop after this long")
	bufSize := flag.Int("netpoll-buffer", 0, "netpoll Config.BufferSize (0: default)")
	nodeCap := flag.Int("netpoll-node", 0, "netpoll LinkBufferCap (0: default)")
	bodyBytes := flag.Int("body-bytes", 1024, "size of the answer body")
	reduce := flag.Bool("reduce-memory", true, "standard: fasthttp ReduceMemoryUsage")
	upstream := flag.String("upstream", "", "serve: proxy every request to this address instead")
	kick := flag.Duration("kick", 0, "serve: wake netpoll's poller this often (experiment)")
	schedOut := flag.String("sched-out", "", "serve: append scheduling-latency quantiles to this file on exit")
	hold := flag.Duration("hold", 0, "idle: keep the connections open this long after measuring")
	flag.Parse()

	var err error
	switch *mode {
	case "serve":
		body = []byte(strings.Repeat("x", *bodyBytes))
		if *nodeCap > 0 {
			netpoll.LinkBufferCap = *nodeCap
		}
		if *kick > 0 {
			if err := startKick(*kick); err != nil {
				fmt.Fprintln(os.Stderr, "elprobe: kick:", err)
				os.Exit(1)
			}
		}
		if *upstream != "" {
			h = proxyTo(*upstream, *transport == "eventloop")
		}
		err = serve(*transport, *maxRun, *bufSize, *reduce)
		if *schedOut != "" {
			writeSchedLatency(*schedOut)
		}
	case "idle":
		err = idle([]string{"-mode", "serve", "-transport", *transport,
			"-max", maxRun.String(), "-netpoll-buffer", strconv.Itoa(*bufSize),
			"-netpoll-node", strconv.Itoa(*nodeCap), "-body-bytes", strconv.Itoa(*bodyBytes),
			"-reduce-memory=" + strconv.FormatBool(*reduce)}, *conns, *maxRun, *hold)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "elprobe:", err)
		os.Exit(1)
	}
}

// body is the fixed answer, -body-bytes long.
var body []byte

// h is the handler "serve" runs: body, or a proxy with -upstream.
var h fasthttp.RequestHandler = func(ctx *fasthttp.RequestCtx) { ctx.SetBody(body) }

// proxyTo returns a handler that forwards each request to addr through a
// HostClient, dialing with netpoll when netpollDial is set.
func proxyTo(addr string, netpollDial bool) fasthttp.RequestHandler {
	hc := &fasthttp.HostClient{Addr: addr, MaxConns: 4096, ReadTimeout: 10 * time.Second}
	if netpollDial {
		hc.Dial = eventloop.NewDialFunc(time.Second)
	}
	return func(ctx *fasthttp.RequestCtx) {
		if err := hc.Do(&ctx.Request, &ctx.Response); err != nil {
			ctx.Error(err.Error(), fasthttp.StatusBadGateway)
		}
	}
}

// serve listens on 127.0.0.1:0, prints "addr pid" and serves until
// SIGTERM, stdin closing or maxRun.
func serve(transport string, maxRun time.Duration, bufSize int, reduce bool) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("%s %d\n", ln.Addr(), os.Getpid())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() { _, _ = bufio.NewReader(os.Stdin).ReadString('\n'); stop <- syscall.SIGTERM }()
	go func() { time.Sleep(maxRun); stop <- syscall.SIGTERM }()

	var shutdown func(context.Context) error
	switch transport {
	case "eventloop":
		if bufSize > 0 {
			if err := netpoll.Configure(netpoll.Config{BufferSize: bufSize}); err != nil {
				return err
			}
		}
		s, err := eventloop.New(h, eventloop.Config{
			ReadTimeout: 30 * time.Second, AllowSingleProc: true,
			Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		})
		if err != nil {
			return err
		}
		go func() { _ = s.Serve(ln) }()
		shutdown = s.Shutdown
	case "standard":
		s := &fasthttp.Server{Handler: h, ReadTimeout: 30 * time.Second,
			ReduceMemoryUsage: reduce}
		go func() { _ = s.Serve(ln) }()
		shutdown = s.ShutdownWithContext
	default:
		return fmt.Errorf("unknown transport %q", transport)
	}
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return shutdown(ctx)
}

// idle starts a child with childArgs ("serve" mode), measures its RSS,
// opens n keep-alive connections that each make one request, waits, and
// measures again.
func idle(childArgs []string, n int, maxRun, hold time.Duration) error {
	cmd := exec.Command(os.Args[0], childArgs...)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	var addr string
	var pid int
	if _, err := fmt.Fscan(bufio.NewReader(out), &addr, &pid); err != nil {
		return fmt.Errorf("read child address: %w", err)
	}

	deadline := time.Now().Add(maxRun)
	warm := dialAndAsk(addr, deadline)
	if warm == nil {
		return fmt.Errorf("warm-up request failed")
	}
	time.Sleep(time.Second) // measuring aid: let the child settle
	before := rss(pid)

	held := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range held {
			_ = c.Close()
		}
	}()
	for range n {
		c := dialAndAsk(addr, deadline)
		if c == nil {
			return fmt.Errorf("connection %d failed", len(held))
		}
		held = append(held, c)
	}
	time.Sleep(2 * time.Second) // measuring aid: let the child settle
	after := rss(pid)
	fmt.Printf("conns=%d rss_before_kib=%d rss_after_kib=%d per_conn_kib=%.2f go=%s gomaxprocs=%d\n",
		n, before, after, float64(after-before)/float64(n), runtime.Version(),
		runtime.GOMAXPROCS(0))
	if hold > 0 {
		fmt.Printf("hold %s %d\n", addr, pid)
		time.Sleep(min(hold, time.Until(deadline))) // measuring aid: others load the child now
	}
	return nil
}

// request is the one request each idle connection makes.
const request = "GET / HTTP/1.1\r\nHost: probe\r\n\r\n"

// dialAndAsk opens a connection, makes one request and reads the answer,
// returning the connection still open, or nil.
func dialAndAsk(addr string, deadline time.Time) net.Conn {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil
	}
	_ = c.SetDeadline(deadline)
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	resp.SkipBody = false
	if _, err := c.Write([]byte(request)); err != nil {
		_ = c.Close()
		return nil
	}
	if err := resp.Read(bufio.NewReaderSize(c, 2048)); err != nil {
		_ = c.Close()
		return nil
	}
	return c
}

// rss returns the resident set of process pid in KiB, or -1.
func rss(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return kib
		}
	}
	return -1
}

// writeSchedLatency appends the runtime's goroutine scheduling-latency
// distribution (time spent runnable before running) to path: the share of
// waits over 1, 5 and 10 ms, which a poller parked with the only P shows.
func writeSchedLatency(path string) {
	sample := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(sample)
	h := sample[0].Value.Float64Histogram()
	var total, over1, over5, over10 uint64
	for i, c := range h.Counts {
		lo := h.Buckets[i]
		total += c
		if lo >= 0.001 {
			over1 += c
		}
		if lo >= 0.005 {
			over5 += c
		}
		if lo >= 0.010 {
			over10 += c
		}
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s gomaxprocs=%d waits=%d over1ms=%.4f%% over5ms=%.4f%% over10ms=%.4f%%\n",
		strings.Join(os.Args[1:], " "), runtime.GOMAXPROCS(0), total,
		100*float64(over1)/float64(total), 100*float64(over5)/float64(total),
		100*float64(over10)/float64(total))
}
