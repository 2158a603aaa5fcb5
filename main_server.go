//go:build !wasm

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/trace"
	"strings"
	"syscall"
	"time"

	"github.com/loopswithfriends/loops/app"
	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/server/boltstore"
	"github.com/loopswithfriends/loops/web"
)

// commands are the subcommands of loops, besides serving.
var commands = map[string]func(args []string, stdout, stderr io.Writer) error{
	"render":   render,   // render.go: every loop and the full mix as WAV files
	"load":     load,     // load.go: the load generator
	"baseline": baseline, // baseline.go: the naive hub the load compares against
}

// serve runs the command named by args and returns the exit code.
func serve(args []string) int {
	cmd := func(args []string, _, stderr io.Writer) error { return run(args, stderr) }
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, ok := commands[args[0]]
		if !ok {
			fmt.Fprintf(os.Stderr, "loops: unknown command %q (commands: render, load, baseline)\n", args[0])
			return 2
		}
		cmd, args = sub, args[1:]
	}
	if err := cmd(args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loops:", err)
		return 1
	}
	return 0
}

// run serves the app and the hub until SIGINT or SIGTERM, then drains.
func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("loops", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("LOOPS_ADDR", ":8080"), "address to serve on (also LOOPS_ADDR)")
	origins := fs.String("origins", os.Getenv("LOOPS_ORIGINS"), "comma-separated extra origins allowed to open sockets, e.g. https://example.com (also LOOPS_ORIGINS)")
	debug := fs.Bool("debug", false, "log joins and leaves")
	profile := fs.Bool("pprof", false, "serve Go's profiles at /debug/pprof/ (keep it off where the world can reach)")
	data := fs.String("data", envOr("LOOPS_DATA", "data"), "directory of the recordings database, created if missing (also LOOPS_DATA)")
	keep := fs.Duration("keep", boltstore.DefaultKeep, "how long recordings are kept")
	dataLimit := fs.Int64("data-limit-mb", boltstore.DefaultMaxBytes>>20, "total size of the recordings in MB; past it the oldest are dropped")
	cluster := addClusterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	store, err := boltstore.Open(*data, boltstore.Options{Keep: *keep, MaxBytes: *dataLimit << 20})
	if err != nil {
		return fmt.Errorf("-data %s: %w", *data, err)
	}
	defer store.Close()

	// A cluster of nodes elects its JetStream leader while they start, so
	// a node may wait a while for the others.
	startCtx, cancelStart := context.WithTimeout(context.Background(), 2*time.Minute)
	cl, stopCluster, err := cluster.start(startCtx, *addr, *data, log)
	cancelStart()
	if err != nil {
		return err
	}
	defer stopCluster()
	srv := server.New(server.Config{
		App:            app.Handler(version, web.FS),
		AllowedOrigins: splitList(*origins),
		Log:            log,
		Recordings:     store,
		Cluster:        cl,
	})
	var handler http.Handler = srv
	if *profile {
		handler = withProfiles(srv)
	}
	hs := &http.Server{Addr: *addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	log.Info("serving", "addr", *addr, "version", version)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal ends the process at once
	log.Info("draining")
	// Sockets get most of the 10 seconds to close; the HTTP server gets
	// the rest to finish its last requests.
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Second)
	defer cancel()
	drainCtx, cancelDrain := context.WithTimeout(ctx, 7*time.Second)
	srv.Drain(drainCtx)
	cancelDrain()
	if err := hs.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// withProfiles serves Go's profiles at /debug/pprof/, with blocking and
// mutex contention sampled, and the last seconds of the execution trace at
// /debug/flight (a flight recorder, for the moments around a latency
// outlier: `loops load -outlier-trace` fetches it), and everything else
// with h.
func withProfiles(h http.Handler) http.Handler {
	runtime.SetBlockProfileRate(int(50 * time.Microsecond))
	runtime.SetMutexProfileFraction(20)
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 5 * time.Second, MaxBytes: 64 << 20})
	flight := fr.Start() == nil
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/flight", func(w http.ResponseWriter, r *http.Request) {
		if !flight {
			http.Error(w, "no flight recorder", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = fr.WriteTo(w)
	})
	mux.Handle("/", h)
	return mux
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
