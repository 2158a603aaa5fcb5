//go:build !wasm

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
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
	"attack":   attack,   // attack.go: issue 8's attacker, which load -attack starts
}

// serve runs the command named by args and returns the exit code.
func serve(args []string) int {
	cmd := func(args []string, _, stderr io.Writer) error { return run(args, stderr) }
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, ok := commands[args[0]]
		if !ok {
			fmt.Fprintf(os.Stderr, "loops: unknown command %q (commands: render, load, baseline, attack)\n", args[0])
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
	admin := fs.String("admin", os.Getenv("LOOPS_ADMIN"), "address of the admin listener: /metrics, /api/jams and, with -pprof, /debug/pprof/; a loopback or private address, e.g. 127.0.0.1:9090 (also LOOPS_ADMIN; none when empty)")
	profile := fs.Bool("pprof", false, "serve Go's profiles at /debug/pprof/ on the admin listener")
	maxSockets := fs.Int("max-sockets", server.DefaultMaxSockets, "sockets the server holds at once; past it upgrades get 503")
	maxPerAddr := fs.Int("max-sockets-per-addr", server.DefaultMaxSocketsPerAddr, "sockets one client address holds at once; past it upgrades get 429")
	trustProxy := fs.Bool("trust-proxy", false, "take the client's address from the last X-Forwarded-For entry (only behind a reverse proxy that sets it)")
	data := fs.String("data", envOr("LOOPS_DATA", "data"), "directory of the recordings database, created if missing (also LOOPS_DATA)")
	keep := fs.Duration("keep", boltstore.DefaultKeep, "how long recordings are kept")
	dataLimit := fs.Int64("data-limit-mb", boltstore.DefaultMaxBytes>>20, "total size of the recordings in MB; past it the oldest are dropped")
	cluster := addClusterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *profile && *admin == "" {
		return errors.New("-pprof needs -admin: profiles are never served on the public listener")
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	// A cluster of nodes elects its JetStream leader while they start, so
	// a node may wait a while for the others.
	startCtx, cancelStart := context.WithTimeout(context.Background(), 2*time.Minute)
	cl, stopCluster, err := cluster.start(startCtx, *addr, *data, log)
	cancelStart()
	if err != nil {
		return err
	}
	defer stopCluster()
	// A cluster keeps the recordings where every node reads them; one
	// node alone keeps them in its data directory.
	var store server.RecordingStore
	if cl != nil {
		startCtx, cancelStart := context.WithTimeout(context.Background(), time.Minute)
		store, err = cluster.recordings(startCtx, *keep, *dataLimit<<20)
		cancelStart()
		if err != nil {
			return err
		}
	} else {
		bolt, err := boltstore.Open(*data, boltstore.Options{Keep: *keep, MaxBytes: *dataLimit << 20})
		if err != nil {
			return fmt.Errorf("-data %s: %w", *data, err)
		}
		defer bolt.Close()
		store = bolt
	}
	srv := server.New(server.Config{
		App:               app.Handler(version, web.FS),
		AllowedOrigins:    splitList(*origins),
		Log:               log,
		Recordings:        store,
		Cluster:           cl,
		MaxSockets:        *maxSockets,
		MaxSocketsPerAddr: *maxPerAddr,
		TrustProxy:        *trustProxy,
		PprofOnAdmin:      *profile,
	})
	hs := srv.HTTPServer(*addr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 2)
	l, err := net.Listen("tcp", hs.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	go func() { errc <- hs.Serve(l) }()
	log.Info("serving", "addr", l.Addr().String(), "version", version)
	if *admin != "" {
		as := server.NewHTTPServer(*admin, srv.Admin())
		go func() { errc <- as.ListenAndServe() }()
		defer as.Close()
		log.Info("admin", "addr", *admin, "pprof", *profile)
	}

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
