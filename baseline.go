//go:build !wasm

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os/signal"
	"slices"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/loopswithfriends/loops/server/loadgen"
	"github.com/loopswithfriends/loops/server/loadgen/naivehub"
)

// baseline serves the naive hub, the load run's baseline: `loops baseline
// -addr 127.0.0.1:18082`. `loops load -baseline` starts it itself.
func baseline(args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("loops baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:18082", "address to serve the naive hub on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hs := &http.Server{Addr: *addr, Handler: naivehub.New(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("baseline: %w", err)
	case <-ctx.Done():
	}
	// Its sockets are hijacked: Close ends the listener, and the
	// process's exit ends them.
	return hs.Close()
}

// round is one run of the load against each hub.
type round struct {
	First string          `json:"first"`
	Hub   *loadgen.Report `json:"hub"`
	Naive *loadgen.Report `json:"naive"`
}

// compare runs the load against the hub spawned on addr and the naive hub
// spawned on naiveAddr, rounds times, each round starting with the hub the
// last one ended with, and prints both and the ratios.
func compare(ctx context.Context, cfg loadgen.Config, addr, naiveAddr string, rounds int, asJSON bool, stdout, stderr io.Writer) error {
	var all []round
	pass := true
	for i := range rounds {
		r := round{First: "hub"}
		order := []string{"hub", "naive"}
		if i%2 == 1 {
			r.First, order = "naive", []string{"naive", "hub"}
		}
		for _, which := range order {
			run, args, at := cfg, []string{"-addr", addr}, addr
			switch {
			case which == "naive":
				// The naive hub has no flight recorder to trace.
				run.OutlierTrace = ""
				args, at = []string{"baseline", "-addr", naiveAddr}, naiveAddr
			case cfg.OutlierTrace != "":
				run.OutlierTrace = fmt.Sprintf("%s.%d", cfg.OutlierTrace, i+1)
			}
			fmt.Fprintf(stderr, "%s load: round %d of %d: the %s on %s\n", time.Now().Format("15:04:05"), i+1, rounds, which, at)
			rep, err := runSpawned(ctx, run, args, at, stderr)
			if err != nil {
				return err
			}
			if !asJSON {
				rep.Format(stdout)
				fmt.Fprintln(stdout)
			}
			pass = pass && rep.Pass
			if which == "hub" {
				r.Hub = rep
			} else {
				r.Naive = rep
			}
		}
		all = append(all, r)
	}
	if asJSON {
		if err := writeJSON(stdout, all); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	} else {
		formatRounds(stdout, all)
	}
	if !pass {
		return errors.New("load: a run broke a goal or an invariant")
	}
	return nil
}

// runSpawned spawns this binary with args as a server on addr, loads it
// and stops it.
func runSpawned(ctx context.Context, cfg loadgen.Config, args []string, addr string, stderr io.Writer) (*loadgen.Report, error) {
	// The hub serves /metrics and /api/jams on its admin listener; the
	// naive hub serves them beside everything else.
	cfg.Admin = "http://" + addr
	if args[0] != "baseline" {
		admin, err := adminAddr(addr)
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		args = hubArgs(addr, admin, cfg)
		cfg.Admin = "http://" + admin
	}
	srv, err := spawnServer(ctx, args, addr, stderr)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	cfg.URL = "ws://" + addr + "/socket"
	cfg.PID = srv.cmd.Process.Pid
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return rep, nil
}

// formatRounds writes the rounds side by side, with the ratios of the hub's
// figures to the naive hub's.
func formatRounds(w io.Writer, rounds []round) {
	if len(rounds) == 0 {
		return
	}
	fmt.Fprintf(w, "The hub against the naive hub (server/loadgen/naivehub), same workload, same run: %d clients\n", rounds[0].Hub.Clients)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "round\tfirst\thub p50\thub p99\tnaive p50\tnaive p99\tp99 ratio\thub KB/conn\tnaive KB/conn\tKB ratio\tload avg\tlost")
	var ratios []float64
	for i, r := range rounds {
		ratio := r.Hub.Latency.P99 / r.Naive.Latency.P99
		ratios = append(ratios, ratio)
		fmt.Fprintf(tw, "%d\t%s\t%.2f ms\t%.2f ms\t%.2f ms\t%.2f ms\t%.2fx\t%.1f\t%.1f\t%.2fx\t%.1f / %.1f\t%d / %d\n",
			i+1, r.First, r.Hub.Latency.P50, r.Hub.Latency.P99, r.Naive.Latency.P50, r.Naive.Latency.P99, ratio,
			r.Hub.Server.RSSPerConnKB, r.Naive.Server.RSSPerConnKB, r.Hub.Server.RSSPerConnKB/r.Naive.Server.RSSPerConnKB,
			r.Hub.LoadAvg[1], r.Naive.LoadAvg[1], r.Hub.Lost, r.Naive.Lost)
	}
	_ = tw.Flush()
	slices.Sort(ratios)
	fmt.Fprintf(w, "p99 ratio (hub / naive): median %.2fx, best %.2fx, worst %.2fx over %d rounds (goal: at most 0.8x)\n",
		ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1], len(ratios))
}
