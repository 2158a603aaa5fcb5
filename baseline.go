//go:build !wasm

package main

import (
	"context"
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
	hub := pairedCase{first: "hub", what: "the hub on " + addr, run: func(i int) (*loadgen.Report, error) {
		run := cfg
		if cfg.OutlierTrace != "" {
			run.OutlierTrace = fmt.Sprintf("%s.%d", cfg.OutlierTrace, i+1)
		}
		return runSpawned(ctx, run, []string{"-addr", addr}, addr, stderr)
	}}
	naive := pairedCase{first: "naive", what: "the naive on " + naiveAddr, run: func(int) (*loadgen.Report, error) {
		run := cfg
		run.OutlierTrace = "" // the naive hub has no flight recorder to trace
		return runSpawned(ctx, run, []string{"baseline", "-addr", naiveAddr}, naiveAddr, stderr)
	}}
	return comparePaired(rounds, asJSON, stdout, stderr, [2]pairedCase{hub, naive},
		func(first string, rep [2]*loadgen.Report) round {
			return round{First: first, Hub: rep[0], Naive: rep[1]}
		},
		formatRounds, "load: a run broke a goal or an invariant")
}

// compareTurns is compare with both hubs up at once, each loaded by
// clients of its own from this process, taking turns at toggling in
// stretches of stretch (loadgen.Turns): whatever else the box does hits
// both alike. It prints both reports, each stretch's p99 beside the other
// hub's next to it, and the ratios.
func compareTurns(ctx context.Context, cfg loadgen.Config, addr, naiveAddr string, rounds int, stretch time.Duration, asJSON bool, stdout, stderr io.Writer) error {
	return runRounds(rounds, asJSON, stdout, func(i int) (round, bool, error) {
		r := round{First: "hub"}
		if i%2 == 1 {
			r.First = "naive"
		}
		fmt.Fprintf(stderr, "%s load: round %d of %d: the hub on %s and the naive hub on %s, taking turns every %s, the %s first\n",
			time.Now().Format("15:04:05"), i+1, rounds, addr, naiveAddr, stretch, r.First)
		hub, naive, err := runTurns(ctx, cfg, addr, naiveAddr, stretch, r.First == "naive", stderr)
		if err != nil {
			return r, false, err
		}
		r.Hub, r.Naive = hub, naive
		if !asJSON {
			hub.Format(stdout)
			fmt.Fprintln(stdout)
			naive.Format(stdout)
			fmt.Fprintln(stdout)
			formatStretches(stdout, r)
			fmt.Fprintln(stdout)
		}
		return r, hub.Pass && naive.Pass, nil
	}, formatRounds, "load: a run broke a goal or an invariant")
}

// runTurns spawns the hub on addr and the naive hub on naiveAddr and loads
// both at once, taking turns (the naive hub first when naiveFirst).
func runTurns(ctx context.Context, cfg loadgen.Config, addr, naiveAddr string, stretch time.Duration, naiveFirst bool, stderr io.Writer) (hub, naive *loadgen.Report, err error) {
	admin, err := adminAddr(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	hubSrv, err := spawnServer(ctx, hubArgs(addr, admin, cfg), addr, stderr)
	if err != nil {
		return nil, nil, err
	}
	defer hubSrv.stop()
	naiveSrv, err := spawnServer(ctx, []string{"baseline", "-addr", naiveAddr}, naiveAddr, stderr)
	if err != nil {
		return nil, nil, err
	}
	defer naiveSrv.stop()

	turns := loadgen.NewTurns(2, stretch)
	hubCfg, naiveCfg := cfg, cfg
	hubCfg.URL, hubCfg.Admin, hubCfg.PID = "ws://"+addr+"/socket", "http://"+admin, hubSrv.cmd.Process.Pid
	naiveCfg.URL, naiveCfg.Admin, naiveCfg.PID = "ws://"+naiveAddr+"/socket", "http://"+naiveAddr, naiveSrv.cmd.Process.Pid
	naiveCfg.OutlierTrace = "" // the naive hub has no flight recorder
	hubCfg.Turns, naiveCfg.Turns = turns, turns
	if naiveFirst {
		hubCfg.Turn = 1
	} else {
		naiveCfg.Turn = 1
	}
	// The same seed: both hubs get the same clients' phases and jitters.
	hubCfg.Progress = prefixWriter{stderr, "hub: "}
	naiveCfg.Progress = prefixWriter{stderr, "naive: "}

	hub, naive, err, nerr := runAtOnce(ctx,
		func(ctx context.Context) (*loadgen.Report, error) { return loadgen.Run(ctx, hubCfg) },
		func(ctx context.Context) (*loadgen.Report, error) { return loadgen.Run(ctx, naiveCfg) })
	if err != nil {
		return nil, nil, fmt.Errorf("load: the hub: %w", err)
	}
	if nerr != nil {
		return nil, nil, fmt.Errorf("load: the naive hub: %w", nerr)
	}
	return hub, naive, nil
}

// runAtOnce runs two loads at once, first here and second beside it, and
// returns their reports and errors. Loads that take turns wait for each
// other's clients, so either one's failure cancels both.
func runAtOnce(ctx context.Context, first, second func(context.Context) (*loadgen.Report, error)) (a, b *loadgen.Report, errA, errB error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		rep *loadgen.Report
		err error
	}
	secondc := make(chan result, 1)
	go func() {
		rep, err := second(ctx)
		if err != nil {
			cancel()
		}
		secondc <- result{rep, err}
	}()
	a, errA = first(ctx)
	if errA != nil {
		cancel()
	}
	r := <-secondc
	return a, r.rep, errA, r.err
}

// prefixWriter writes each line of progress with a prefix: the two runs
// of compareTurns write at once.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// formatStretches writes a round's stretches in pairs, each of the hub's
// beside the naive hub's next to it, with the ratio of their p99s.
func formatStretches(w io.Writer, r round) {
	fmt.Fprintln(w, "Stretch by stretch (each toggle counted in the stretch it was sent in):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "pair	from	hub deliveries	hub p50	hub p99	naive deliveries	naive p50	naive p99	p99 ratio	load avg (hub; naive)")
	var ratios []float64
	for _, p := range pairStretches(r.Hub.Stretches, r.Naive.Stretches) {
		h, n := p[0], p[1]
		ratio := h.Latency.P99 / n.Latency.P99
		ratios = append(ratios, ratio)
		fmt.Fprintf(tw, "%d	%.0f s	%d	%.2f ms	%.2f ms	%d	%.2f ms	%.2f ms	%.2fx	%.1f; %.1f\n",
			h.Index/2+1, min(h.Start, n.Start), h.Latency.Count, h.Latency.P50, h.Latency.P99,
			n.Latency.Count, n.Latency.P50, n.Latency.P99, ratio, h.LoadAvg, n.LoadAvg)
	}
	_ = tw.Flush()
	if len(ratios) == 0 {
		return
	}
	fmt.Fprintf(w, "stretch p99 ratio (hub / naive): %s; whole run %.2fx (goal: at most 0.8x)\n",
		ratioSpread(ratios), r.Hub.Latency.P99/r.Naive.Latency.P99)
}

// pairStretches returns each of a's stretches, in order, beside b's
// stretch of the same pair (the two stretches 2k and 2k+1 of two runs
// taking turns are pair k), where b has it.
func pairStretches(a, b []loadgen.StretchReport) [][2]loadgen.StretchReport {
	byIndex := make(map[int]loadgen.StretchReport, len(b))
	for _, s := range b {
		byIndex[s.Index] = s
	}
	var pairs [][2]loadgen.StretchReport
	for _, s := range a {
		if o, ok := byIndex[s.Index^1]; ok {
			pairs = append(pairs, [2]loadgen.StretchReport{s, o})
		}
	}
	return pairs
}

// ratioSpread words the median, best and worst of the pairs' ratios,
// sorting them.
func ratioSpread(ratios []float64) string {
	slices.Sort(ratios)
	return fmt.Sprintf("median %.2fx, best %.2fx, worst %.2fx over %d pairs",
		ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1], len(ratios))
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
