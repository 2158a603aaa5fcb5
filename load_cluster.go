//go:build !wasm

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/loopswithfriends/loops/server/loadgen"
)

// compareCluster runs the load of cfg against one node on addr and the same
// load spread over n nodes in cluster mode (each with an embedded
// nats-server, clustered on loopback), and prints both runs and the ratios:
// fan-out p50 and p99, memory per connection, CPU and NATS messages per
// toggle. With stretch, both hold their clients at once and take turns at
// toggling in stretches of that long (loadgen.Turns), so that whatever else
// the machine runs meanwhile falls on both alike; without, the cluster runs
// after the one node, or before it with clusterFirst. It returns the
// round's figures, and whether both runs passed.
func compareCluster(ctx context.Context, cfg loadgen.Config, addr string, n, nodeProcs int, stretch time.Duration, clusterFirst bool, cpuProfile string, stdout, stderr io.Writer) (clusterRound, bool, error) {
	singleCfg, clusterCfg := cfg, cfg
	var single, clustered *loadgen.Report
	var singleCPU, clusterCPU, msgs cpuSpan
	var loaded, idle int64
	profiled := make(chan error, 1)
	runCluster := func(ctx context.Context, cfg loadgen.Config) (*loadgen.Report, error) {
		c, err := spawnCluster(ctx, cfg, addr, n, nodeProcs, cpuProfile, stderr)
		if err != nil {
			return nil, err
		}
		defer c.stop()
		idle = sumRSS(c.pids)
		cfg.OnLoaded = func() {
			loaded = sumRSS(c.pids)
			msgs.from, clusterCPU.from = float64(natsMessages(ctx, c.monitors)), sumCPU(c.pids)
			if cpuProfile == "" {
				profiled <- nil
				return
			}
			// The first node's process holds its hub and its nats-server:
			// one profile over most of the toggles shows where a toggle's
			// time goes.
			secs := max(1, int(c.cfg.Duration.Seconds())-2)
			if cfg.Turns != nil {
				secs = int(time.Duration(cfg.Turns.Runs) * cfg.Duration / time.Second)
			}
			go func() {
				errs := make([]error, len(c.admins))
				var wg sync.WaitGroup
				for i, admin := range c.admins {
					path := cpuProfile + ".node"
					if i > 0 {
						path += strconv.Itoa(i + 1)
					}
					wg.Go(func() { errs[i] = fetchProfile(ctx, admin, secs, path) })
				}
				wg.Wait()
				profiled <- errors.Join(errs...)
			}()
		}
		cfg.OnToggled = func() {
			msgs.to, clusterCPU.to = float64(natsMessages(ctx, c.monitors)), sumCPU(c.pids)
		}
		cfg.URL, cfg.URLs, cfg.Admin, cfg.PID = c.cfg.URL, c.cfg.URLs, c.cfg.Admin, c.cfg.PID
		rep, err := loadgen.Run(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("load: the cluster: %w", err)
		}
		if err := <-profiled; err != nil {
			fmt.Fprintln(stderr, "loops: load:", err)
		}
		return rep, nil
	}
	runSingle := func(ctx context.Context, cfg loadgen.Config) (*loadgen.Report, error) {
		admin, err := adminAddr(addr)
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		args := hubArgs(addr, admin, cfg)
		if cpuProfile != "" && !slices.Contains(args, "-pprof") {
			args = append(args, "-pprof")
		}
		srv, err := spawnServer(ctx, args, addr, stderr)
		if err != nil {
			return nil, err
		}
		defer srv.stop()
		pid := srv.cmd.Process.Pid
		cfg.URL, cfg.Admin, cfg.PID = "ws://"+addr+"/socket", "http://"+admin, pid
		oneProfiled := make(chan error, 1)
		cfg.OnLoaded = func() {
			singleCPU.from = loadgen.CPUSeconds(pid)
			if cpuProfile == "" || cfg.Turns != nil {
				oneProfiled <- nil
				return
			}
			// The one node's profile over the same span as the nodes'.
			secs := max(1, int(cfg.Duration.Seconds())-2)
			go func() { oneProfiled <- fetchProfile(ctx, cfg.Admin, secs, cpuProfile+".one") }()
		}
		cfg.OnToggled = func() { singleCPU.to = loadgen.CPUSeconds(pid) }
		rep, err := loadgen.Run(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("load: the one node: %w", err)
		}
		if err := <-oneProfiled; err != nil {
			fmt.Fprintln(stderr, "loops: load:", err)
		}
		return rep, nil
	}

	var none clusterRound
	if stretch <= 0 {
		var err error
		if clusterFirst {
			if clustered, err = runCluster(ctx, clusterCfg); err != nil {
				return none, false, err
			}
		}
		if single, err = runSingle(ctx, singleCfg); err != nil {
			return none, false, err
		}
		if !clusterFirst {
			if clustered, err = runCluster(ctx, clusterCfg); err != nil {
				return none, false, err
			}
		}
	} else {
		// Both hold their clients at once; the one node toggles first.
		turns := loadgen.NewTurns(2, stretch)
		singleCfg.Turns, clusterCfg.Turns = turns, turns
		clusterCfg.Turn = 1
		singleCfg.Progress = prefixWriter{stderr, "one node: "}
		clusterCfg.Progress = prefixWriter{stderr, "cluster: "}
		fmt.Fprintf(stderr, "%s load: one node on %s and %d in cluster mode after it, taking turns every %s\n",
			time.Now().Format("15:04:05"), addr, n, stretch)
		var err, cerr error
		single, clustered, err, cerr = runAtOnce(ctx,
			func(ctx context.Context) (*loadgen.Report, error) { return runSingle(ctx, singleCfg) },
			func(ctx context.Context) (*loadgen.Report, error) { return runCluster(ctx, clusterCfg) })
		if cerr != nil {
			return none, false, cerr
		}
		if err != nil {
			return none, false, err
		}
	}

	fmt.Fprintln(stdout, "One node:")
	single.Format(stdout)
	fmt.Fprintf(stdout, "\n%d nodes in cluster mode, the same load spread over them:\n", n)
	clustered.Format(stdout)
	if stretch > 0 {
		fmt.Fprintln(stdout)
		formatClusterStretches(stdout, single, clustered)
	} else if len(single.Windows) > 0 && len(clustered.Windows) > 0 {
		fmt.Fprintln(stdout)
		formatClusterWindows(stdout, single, clustered)
	}

	perConn := float64(loaded-idle) / float64(max(1, clustered.Connected))
	perToggle := (msgs.to - msgs.from) / float64(max(1, clustered.Toggles))
	fmt.Fprintf(stdout, "\nOne node against %d in cluster mode, same load, same run: %d clients\n", n, cfg.Clients)
	how := "the cluster after the one node"
	if clusterFirst {
		how = "the cluster before the one node"
	}
	if stretch > 0 {
		how = fmt.Sprintf("both holding their clients at once, taking turns at toggling every %s", stretch)
	}
	if nodeProcs > 0 {
		fmt.Fprintf(stdout, "condition  %s; GOMAXPROCS %s the one node, %d each of the %d cluster nodes (-node-gomaxprocs), %d the generator, on %d cores\n",
			how, serverProcs(), nodeProcs, n, runtime.GOMAXPROCS(0), runtime.NumCPU())
	} else {
		fmt.Fprintf(stdout, "condition  %s; GOMAXPROCS %s every node (the one and each of the %d), %d the generator, on %d cores\n",
			how, serverProcs(), n, runtime.GOMAXPROCS(0), runtime.NumCPU())
	}
	fmt.Fprintf(stdout, "fan-out p50  %.2f ms one node, %.2f ms cluster (%.2fx)\n",
		single.Latency.P50, clustered.Latency.P50, clustered.Latency.P50/single.Latency.P50)
	fmt.Fprintf(stdout, "fan-out p99  %.2f ms one node, %.2f ms cluster (%.2fx; goal: under 2x)\n",
		single.Latency.P99, clustered.Latency.P99, clustered.Latency.P99/single.Latency.P99)
	// The sender's own echo crosses no NATS in either run: it shows how
	// much of the cluster's tail its nodes have before any fan-out.
	fmt.Fprintf(stdout, "own echo p99  %.2f ms one node, %.2f ms cluster (%.2fx; the sender's own node only, no NATS on its path)\n",
		single.EchoLatency.P99, clustered.EchoLatency.P99, clustered.EchoLatency.P99/single.EchoLatency.P99)
	fmt.Fprintf(stdout, "RSS per connection  %.1f KB one node, %.1f KB cluster (the %d nodes' RSS with embedded NATS, loaded minus idle, over all connections)\n",
		single.Server.RSSPerConnKB, perConn/1024, n)
	// Each run's CPU is its processes' from its last join to its last
	// toggle (a little more than the toggles: what the joins left, and
	// with turns the other run's stretches, when it idles).
	oneCPU := cpuPerToggle(singleCPU.to-singleCPU.from, single.Toggles)
	clusterPer := cpuPerToggle(clusterCPU.to-clusterCPU.from, clustered.Toggles)
	fmt.Fprintf(stdout, "CPU per toggle  %.3f ms one node, %.3f ms cluster (%.2fx; the %d nodes' processes with embedded NATS together)\n",
		oneCPU, clusterPer, clusterPer/oneCPU, n)
	fmt.Fprintf(stdout, "NATS messages per toggle  %.1f (in and out of all %d nats-servers from the last join to the last toggle, /varz, heartbeats included)\n", perToggle, n)
	r := clusterRound{
		First:      "one node",
		OneP99:     single.Latency.P99,
		ClusterP99: clustered.Latency.P99,
		EchoRatio:  clustered.EchoLatency.P99 / single.EchoLatency.P99,
		CPURatio:   clusterPer / oneCPU,
	}
	if clusterFirst {
		r.First = "cluster"
	}
	return r, single.Pass && clustered.Pass, nil
}

// clusterRound is one round of compareCluster: which ran first, each run's
// fan-out p99 (ms), and the cluster's own echo p99 and CPU per toggle over
// the one node's.
type clusterRound struct {
	First               string
	OneP99, ClusterP99  float64
	EchoRatio, CPURatio float64
}

// formatClusterRounds writes, after two rounds or more, each round's p99s
// and ratios and the median of the p99 ratios: the box's noise moves a
// single pair's ratio by more than the goal's margin.
func formatClusterRounds(w io.Writer, rounds []clusterRound) {
	if len(rounds) < 2 {
		return
	}
	fmt.Fprintf(w, "\nThe %d rounds, each with the run that started it:\n", len(rounds))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "round\tfirst\tone node p99\tcluster p99\tp99 ratio\town echo ratio\tCPU per toggle ratio")
	ratios := make([]float64, len(rounds))
	for i, r := range rounds {
		ratios[i] = r.ClusterP99 / r.OneP99
		fmt.Fprintf(tw, "%d\t%s\t%.2f ms\t%.2f ms\t%.2fx\t%.2fx\t%.2fx\n", i+1, r.First, r.OneP99, r.ClusterP99, ratios[i], r.EchoRatio, r.CPURatio)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "p99 ratio (cluster / one node): %s (goal: under 2x)\n", ratioSpread(ratios))
}

// cpuSpan is a count (CPU seconds, messages) at the last join and at the
// last toggle.
type cpuSpan struct{ from, to float64 }

// cluster is n nodes spawned in cluster mode, and the load's config for
// them: client i dials node i mod n.
type cluster struct {
	nodes    []*spawned
	pids     []int
	monitors []string
	admins   []string // with -cpuprofile
	cfg      loadgen.Config
}

func (c *cluster) stop() {
	for _, s := range c.nodes {
		if s != nil {
			s.stop()
		}
	}
}

// spawnCluster starts n nodes in cluster mode on the ports after addr's:
// node i serves on base+10+4i, its admin listener on the next port, its
// NATS routes on the one after, and NATS monitoring on the last.
func spawnCluster(ctx context.Context, cfg loadgen.Config, addr string, n, nodeProcs int, cpuProfile string, stderr io.Writer) (*cluster, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	base, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	port := func(i, k int) string { return net.JoinHostPort(host, strconv.Itoa(base+10+4*i+k)) }
	if os.Getenv("LOOPS_CLUSTER_KEY") == "" {
		os.Setenv("LOOPS_CLUSTER_KEY", "the load generator's cluster key, for loopback only")
	}
	c := &cluster{nodes: make([]*spawned, n), pids: make([]int, n), monitors: make([]string, n)}
	var env []string
	if nodeProcs > 0 {
		env = []string{"GOMAXPROCS=" + strconv.Itoa(nodeProcs)}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		var routes []string
		for j := range n {
			if j != i {
				routes = append(routes, "nats://"+port(j, 2))
			}
		}
		args := hubArgs(port(i, 0), port(i, 1), cfg)
		if cpuProfile != "" && !slices.Contains(args, "-pprof") {
			args = append(args, "-pprof")
		}
		args = append(args,
			"-nats", "embedded", "-node", fmt.Sprintf("n%d", i+1),
			"-nats-cluster", port(i, 2), "-nats-routes", strings.Join(routes, ","), "-nats-monitor", port(i, 3))
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.nodes[i], errs[i] = spawnServer(ctx, args, port(i, 0), stderr, env...)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.stop()
		return nil, err
	}
	c.cfg = cfg
	c.cfg.URLs = nil
	for i, s := range c.nodes {
		c.pids[i] = s.cmd.Process.Pid
		c.monitors[i] = "http://" + port(i, 3)
		c.admins = append(c.admins, "http://"+port(i, 1))
		if i > 0 {
			c.cfg.URLs = append(c.cfg.URLs, "ws://"+port(i, 0)+"/socket")
		}
	}
	c.cfg.URL, c.cfg.Admin, c.cfg.PID = "ws://"+port(0, 0)+"/socket", "http://"+port(0, 1), c.pids[0]
	return c, nil
}

// formatClusterStretches writes the stretches in pairs, each of the one
// node's beside the cluster's after it, with the ratio of their p99s.
func formatClusterStretches(w io.Writer, single, clustered *loadgen.Report) {
	fmt.Fprintln(w, "Stretch by stretch (each toggle counted in the stretch it was sent in):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "pair\tfrom\tone node p50\tone node p99\tcluster p50\tcluster p99\tp99 ratio\tload avg (one; cluster)")
	var ratios []float64
	for _, p := range pairStretches(single.Stretches, clustered.Stretches) {
		o, c := p[0], p[1]
		ratio := c.Latency.P99 / o.Latency.P99
		ratios = append(ratios, ratio)
		fmt.Fprintf(tw, "%d\t%.0f s\t%.2f ms\t%.2f ms\t%.2f ms\t%.2f ms\t%.2fx\t%.1f; %.1f\n",
			o.Index/2+1, o.Start, o.Latency.P50, o.Latency.P99, c.Latency.P50, c.Latency.P99, ratio, o.LoadAvg, c.LoadAvg)
	}
	_ = tw.Flush()
	if len(ratios) == 0 {
		return
	}
	fmt.Fprintf(w, "stretch p99 ratio (cluster / one node): %s\n", ratioSpread(ratios))
}

// formatClusterWindows writes the two runs' windows side by side: the
// same moment of each run, though not of the machine, with how busy its
// CPUs were then.
func formatClusterWindows(w io.Writer, single, clustered *loadgen.Report) {
	fmt.Fprintln(w, "Window by window (each toggle counted in the window it was sent in; busy: how many of the machine's CPUs were busy, with any process's work):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "from\tone node p50\tone node p99\tbusy\tcluster p50\tcluster p99\tbusy\tp99 ratio")
	for i := range min(len(single.Windows), len(clustered.Windows)) {
		o, c := single.Windows[i], clustered.Windows[i]
		fmt.Fprintf(tw, "%.0f s\t%.2f ms\t%.2f ms\t%s\t%.2f ms\t%.2f ms\t%s\t%.2fx\n",
			o.Start, o.Latency.P50, o.Latency.P99, busy(o.BusyCores), c.Latency.P50, c.Latency.P99, busy(c.BusyCores),
			c.Latency.P99/o.Latency.P99)
	}
	_ = tw.Flush()
}

// busy formats a window's busy CPUs.
func busy(cores float64) string {
	if cores < 0 {
		return "?"
	}
	return fmt.Sprintf("%.2f", cores)
}

// serverProcs returns the GOMAXPROCS the spawned servers start with.
func serverProcs() string {
	if p := os.Getenv("GOMAXPROCS"); p != "" {
		return p
	}
	return fmt.Sprintf("%d (default)", runtime.NumCPU())
}

// sumRSS returns the processes' resident memory together, in bytes.
func sumRSS(pids []int) int64 {
	var total int64
	for _, pid := range pids {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				total += kb << 10
			}
		}
		f.Close()
	}
	return total
}

// sumCPU returns the processes' CPU time together, in seconds.
func sumCPU(pids []int) float64 {
	var total float64
	for _, pid := range pids {
		total += loadgen.CPUSeconds(pid)
	}
	return total
}

// cpuPerToggle returns sec over toggles, in milliseconds.
func cpuPerToggle(sec float64, toggles int) float64 {
	return 1000 * sec / float64(max(1, toggles))
}

// natsMessages returns the messages in and out of the nats-servers so far,
// from their /varz.
func natsMessages(ctx context.Context, monitors []string) int64 {
	var total int64
	for _, m := range monitors {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m+"/varz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var v struct {
				In  int64 `json:"in_msgs"`
				Out int64 `json:"out_msgs"`
			}
			if json.NewDecoder(resp.Body).Decode(&v) == nil {
				total += v.In + v.Out
			}
			resp.Body.Close()
		}
		cancel()
	}
	return total
}

// fetchProfile writes a CPU profile of secs seconds from the pprof endpoint
// of the admin listener at admin to path.
func fetchProfile(ctx context.Context, admin string, secs int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs+30)*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", admin, secs), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("profile: %w", err)
	}
	return f.Close()
}
