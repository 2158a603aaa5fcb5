//go:build !wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/server/loadgen"
)

// load runs the load generator: `loops load -url ws://127.0.0.1:8080/socket
// -clients 10000 -duration 60s -pid N`, or with -spawn, against a server it
// starts itself from this binary.
func load(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loops load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgen.Config
	fs.StringVar(&cfg.URL, "url", "ws://127.0.0.1:8080/socket", "the server's socket")
	fs.StringVar(&cfg.Admin, "admin", "", "the server's admin listener, e.g. http://127.0.0.1:9090, for /metrics and /api/jams")
	fs.IntVar(&cfg.Clients, "clients", 1000, "well-behaved clients")
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "how long the clients toggle their loops")
	fs.DurationVar(&cfg.Period, "period", 5*time.Second, "how often each client toggles its loop")
	fs.DurationVar(&cfg.Jitter, "jitter", 250*time.Millisecond, "each toggle moves by a random amount within ± this")
	fs.DurationVar(&cfg.Settle, "settle", 3*time.Second, "wait after the last toggle before counting losses")
	fs.IntVar(&cfg.PID, "pid", 0, "the server's process id, for its RSS and CPU from /proc")
	attacked := fs.Bool("attack", false, "meanwhile, attack from 127.0.0.250 as issue 8 did (a mix flood, sockets to the per-address limit, slow readers of the WASM, join churn) in a process of its own; with -spawn, the same load runs first without the attacker and the ratios are printed")
	fs.BoolVar(&cfg.Chaos, "chaos", false, "drop and resume a tenth of the clients, and add clients that send bad input")
	fs.IntVar(&cfg.DialConcurrency, "concurrency", 200, "handshakes in flight")
	fs.IntVar(&cfg.ClientsPerIP, "per-ip", 250, "clients per loopback source address (127.0.0.1, .2, ...), under the server's per-address socket limit")
	fs.StringVar(&cfg.OutlierTrace, "outlier-trace", "", "write the server's execution trace around the first delivery slower than -outlier to this file (the server needs -admin and -pprof; -spawn gives it)")
	fs.DurationVar(&cfg.OutlierAt, "outlier", 20*time.Millisecond, "the latency -outlier-trace waits for")
	fs.DurationVar(&cfg.Window, "window", 0, "split each run's deliveries into windows of this long, by when their toggle was sent, each with how busy the machine's CPUs were (in -json; with -cluster back to back, side by side, 5s unless given)")
	seed := fs.Uint64("seed", 1, "seed of the run's randomness")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	spawn := fs.String("spawn", "", "start this binary as the server on this address (e.g. 127.0.0.1:18080) and load it")
	inProcess := fs.Bool("inprocess", false, "serve the hub in this process on a free loopback port and load it (for profiles)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (with -inprocess: server and generator; with -cluster: PATH.node, PATH.node2, ... are the nodes', each its hub and nats-server, over the toggles, PATH.one the one node's)")
	clusterNodes := fs.Int("cluster", 0, "with -spawn: run the load against one node on -spawn, then spread over this many nodes in cluster mode (-nats embedded) on the ports after it, and print both and the ratio")
	baseline := fs.String("baseline", "", "with -spawn: also spawn the naive hub (server/loadgen/naivehub) on this address, run the same load against it and print both and the ratio")
	stretch := fs.Duration("stretch", 10*time.Second, "with -baseline: both hubs hold their clients at once and take turns at toggling in stretches of this long, each for -duration in all (0: one after the other); with -cluster, only when given: the one node and the cluster take such turns instead of the cluster running after the one node")
	rounds := fs.Int("rounds", 1, "with -baseline, -attack or -cluster: how many times to run the pair, each round starting with the other hub (with -cluster, back to back: the other run)")
	procs := fs.Int("gomaxprocs", 0, "with -spawn: the GOMAXPROCS of every server it starts (the one node and each cluster node alike); 0 leaves their default, the machine's cores. The generator's own is set as any Go program's, by the GOMAXPROCS environment variable")
	nodeProcs := fs.Int("node-gomaxprocs", 0, "with -cluster: the GOMAXPROCS of each cluster node only, as an operator gives each node its share of a machine the nodes share (the one node keeps -gomaxprocs or its default); 0 leaves them as -gomaxprocs has it")
	memProfile := fs.String("memprofile", "", "write a heap profile once every client joined, and PATH.toggled after the last toggle (with -inprocess: server and generator)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Seed = *seed
	cfg.Progress = stderr
	if *procs < 0 || *nodeProcs < 0 {
		return errors.New("load: -gomaxprocs and -node-gomaxprocs must be 0 or more")
	}
	if *procs > 0 {
		// The servers are this binary's children and inherit the
		// environment; the generator's runtime read its own at start.
		os.Setenv("GOMAXPROCS", strconv.Itoa(*procs))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		// One profile once every client joined, one after the last toggle:
		// `go tool pprof -sample_index=alloc_space -base X X.toggled` shows
		// what the toggles allocated.
		heap := func(path string) func() {
			return func() {
				f, err := os.Create(path)
				if err != nil {
					fmt.Fprintln(stderr, "loops: load:", err)
					return
				}
				defer f.Close()
				runtime.GC()
				if err := pprof.WriteHeapProfile(f); err != nil {
					fmt.Fprintln(stderr, "loops: load:", err)
				}
			}
		}
		cfg.OnLoaded, cfg.OnToggled = heap(*memProfile), heap(*memProfile+".toggled")
	}
	if !*inProcess && os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// The generator keeps every client and every delivery. A
		// collection marks hundreds of MB on one of this box's two CPUs
		// for up to half a second (GODEBUG=gctrace=1: 418 ms at 724 MB
		// during 9,000 clients' toggles), and whatever it measures then
		// waits. It collects once its clients joined (loadgen.Run) and
		// then only past a memory limit, which a run's toggles stay
		// well under (18,000 clients: 243 MB after the joins, 4 MB a
		// second more).
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(3 << 30)
	}
	if *clusterNodes > 0 {
		if *spawn == "" || *inProcess {
			return errors.New("load: -cluster needs -spawn: the nodes run as processes of their own")
		}
		// The cluster's writes of a stretch's plays and stops come up to
		// Config.PlayWrite (2 s) after it, in the one node's turn: taking
		// turns is the exception here, asked for by name.
		var turns time.Duration
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "stretch" {
				turns = *stretch
			}
		})
		if turns <= 0 && cfg.Window <= 0 {
			cfg.Window = 5 * time.Second
		}
		return runRounds(max(1, *rounds), false, stdout, func(i int) (clusterRound, bool, error) {
			if *rounds > 1 {
				fmt.Fprintf(stderr, "%s load: round %d of %d\n", time.Now().Format("15:04:05"), i+1, *rounds)
			}
			// Back to back, each round starts with the run the last
			// ended with; with turns the one node always starts.
			return compareCluster(ctx, cfg, *spawn, *clusterNodes, *nodeProcs, turns, turns <= 0 && i%2 == 1, *cpuProfile, stdout, stderr)
		}, formatClusterRounds, "load: a run broke a goal or an invariant")
	}
	if *attacked {
		if *inProcess || *baseline != "" || *clusterNodes > 0 {
			return errors.New("load: -attack goes with -spawn or -url alone")
		}
		if *spawn != "" {
			return compareAttack(ctx, cfg, *spawn, max(1, *rounds), *asJSON, stdout, stderr)
		}
		cfg.Attack = attackProcess(cfg.Seed, stderr)
	}
	if *baseline != "" {
		if *spawn == "" || *inProcess {
			return errors.New("load: -baseline needs -spawn: both hubs run as processes of their own")
		}
		if *stretch > 0 {
			return compareTurns(ctx, cfg, *spawn, *baseline, max(1, *rounds), *stretch, *asJSON, stdout, stderr)
		}
		return compare(ctx, cfg, *spawn, *baseline, max(1, *rounds), *asJSON, stdout, stderr)
	}
	if *inProcess {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		adminLn, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		srv := server.New(server.Config{})
		hs := srv.HTTPServer("")
		go func() { _ = hs.Serve(ln) }()
		defer hs.Close()
		as := server.NewHTTPServer("", srv.Admin())
		go func() { _ = as.Serve(adminLn) }()
		defer as.Close()
		cfg.URL = "ws://" + ln.Addr().String() + "/socket"
		cfg.Admin = "http://" + adminLn.Addr().String()
		cfg.InProcess = true
	}
	if *spawn != "" {
		admin, err := adminAddr(*spawn)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		srv, err := spawnServer(ctx, hubArgs(*spawn, admin, cfg), *spawn, stderr)
		if err != nil {
			return err
		}
		defer srv.stop()
		cfg.URL = "ws://" + *spawn + "/socket"
		cfg.Admin = "http://" + admin
		cfg.PID = srv.cmd.Process.Pid
	}

	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if *asJSON {
		if err := writeJSON(stdout, rep); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	} else {
		rep.Format(stdout)
	}
	if !rep.Pass {
		return errors.New("load: the run broke a goal or an invariant")
	}
	return nil
}

type spawned struct {
	cmd  *exec.Cmd
	data string // the server's -data directory, removed when it stops
	done chan struct{}
}

// hubArgs are the arguments of a hub spawned on addr and admin for the load
// of cfg: room for all its clients, and -pprof for an outlier trace.
func hubArgs(addr, admin string, cfg loadgen.Config) []string {
	args := []string{"-addr", addr, "-admin", admin}
	if n := cfg.Clients + 100; n > server.DefaultMaxSockets {
		args = append(args, "-max-sockets", strconv.Itoa(n))
	}
	if cfg.OutlierTrace != "" {
		args = append(args, "-pprof")
	}
	return args
}

// adminAddr returns the admin address of a spawned server on addr: the
// next port.
func adminAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p >= 65535 {
		return "", fmt.Errorf("spawn: no port in %q", addr)
	}
	return net.JoinHostPort(host, strconv.Itoa(p+1)), nil
}

// settle waits, for at most 70 s, until the machine has no TCP sockets in
// TIME_WAIT, where Linux keeps a run's closed connections for a minute: a
// server spawned right after another run's 9,000 clients left ran slower
// than one on a box that had that minute (BENCHMARKS.md, Cluster mode), so
// each run of a comparison waits for it and finds the box as the first did.
func settle(ctx context.Context, stderr io.Writer) {
	// A cluster's nodes are spawned at once: one waits, and says so.
	settling.Lock()
	defer settling.Unlock()
	deadline := time.Now().Add(70 * time.Second)
	for said := false; time.Now().Before(deadline); said = true {
		b, err := os.ReadFile("/proc/net/sockstat")
		tw := 0
		if err == nil {
			tw = timeWaitIn(string(b))
		}
		if tw < 100 {
			return
		}
		if !said {
			fmt.Fprintf(stderr, "%s load: waiting for the last run's %d sockets to leave TIME_WAIT\n", time.Now().Format("15:04:05"), tw)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// settling makes the servers spawned at once wait in turn.
var settling sync.Mutex

// timeWaitIn returns the TCP sockets in TIME_WAIT that /proc/net/sockstat's
// text counts ("TCP: inuse 1 orphan 0 tw 9003 ..."), 0 without the count.
func timeWaitIn(sockstat string) int {
	for _, line := range strings.Split(sockstat, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "TCP:" {
			continue
		}
		for i := 1; i+1 < len(f); i += 2 {
			if f[i] == "tw" {
				n, _ := strconv.Atoi(f[i+1])
				return n
			}
		}
	}
	return 0
}

// spawnServer starts this binary with args as a server on addr, with a
// -data directory of its own unless it is the naive hub, and waits for its
// /healthz.
func spawnServer(ctx context.Context, args []string, addr string, stderr io.Writer, env ...string) (*spawned, error) {
	settle(ctx, stderr)
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	data, err := os.MkdirTemp("", "loops-load-data-")
	if err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	if len(args) == 0 || args[0] != "baseline" {
		args = append(args, "-data", data)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(data)
		return nil, fmt.Errorf("spawn: %w", err)
	}
	s := &spawned{cmd: cmd, data: data, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	// A cluster's node serves once JetStream has a leader: it waits for
	// the others.
	wait := 10 * time.Second
	if slices.Contains(args, "-nats") {
		wait = 90 * time.Second
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, errors.New("spawn: the server exited")
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.stop()
	return nil, fmt.Errorf("spawn: no /healthz on %s", addr)
}

// stop drains the spawned server and waits for it (at most 15 s).
func (s *spawned) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.data)
}

// writeJSON writes v to w as indented JSON, the form every subcommand's
// -json output takes.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
