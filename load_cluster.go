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
	"time"

	"github.com/loopswithfriends/loops/server/loadgen"
)

// compareCluster runs the load of cfg against one node on addr, then the
// same load spread over n nodes in cluster mode (each with an embedded
// nats-server, clustered on loopback), and prints both runs and the ratios:
// fan-out p50 and p99, memory per connection, and NATS messages per toggle.
func compareCluster(ctx context.Context, cfg loadgen.Config, addr string, n int, cpuProfile string, stdout, stderr io.Writer) error {
	single, err := runSpawned(ctx, cfg, []string{"hub"}, addr, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "One node:")
	single.Format(stdout)

	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	base, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	// Node i serves on base+10+4i, its admin listener on the next port,
	// its NATS routes on the one after, and NATS monitoring on the last.
	port := func(i, k int) string { return net.JoinHostPort(host, strconv.Itoa(base+10+4*i+k)) }
	if os.Getenv("LOOPS_CLUSTER_KEY") == "" {
		os.Setenv("LOOPS_CLUSTER_KEY", "the load generator's cluster key, for loopback only")
	}
	nodes := make([]*spawned, n)
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
			nodes[i], errs[i] = spawnServer(ctx, args, port(i, 0), stderr)
		}()
	}
	wg.Wait()
	defer func() {
		for _, s := range nodes {
			if s != nil {
				s.stop()
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	pids := make([]int, n)
	cfg.URLs = nil
	for i, s := range nodes {
		pids[i] = s.cmd.Process.Pid
		if i > 0 {
			cfg.URLs = append(cfg.URLs, "ws://"+port(i, 0)+"/socket")
		}
	}
	cfg.URL, cfg.Admin, cfg.PID = "ws://"+port(0, 0)+"/socket", "http://"+port(0, 1), pids[0]
	monitors := make([]string, n)
	for i := range n {
		monitors[i] = "http://" + port(i, 3)
	}
	idle := sumRSS(pids)
	var loaded int64
	var msgsLoaded, msgsToggled int64
	var cpuLoaded, cpuToggled float64
	profiled := make(chan error, 1)
	cfg.OnLoaded = func() {
		loaded, msgsLoaded, cpuLoaded = sumRSS(pids), natsMessages(ctx, monitors), sumCPU(pids)
		if cpuProfile == "" {
			profiled <- nil
			return
		}
		// The first node's process holds its hub and its nats-server: one
		// profile over most of the toggles shows where a toggle's time goes.
		secs := max(1, int(cfg.Duration.Seconds())-2)
		go func() { profiled <- fetchProfile(ctx, cfg.Admin, secs, cpuProfile+".node") }()
	}
	cfg.OnToggled = func() { msgsToggled, cpuToggled = natsMessages(ctx, monitors), sumCPU(pids) }
	clustered, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if err := <-profiled; err != nil {
		fmt.Fprintln(stderr, "loops: load:", err)
	}
	fmt.Fprintf(stdout, "\n%d nodes in cluster mode, the same load spread over them:\n", n)
	clustered.Format(stdout)

	perConn := float64(loaded-idle) / float64(max(1, clustered.Connected))
	perToggle := float64(msgsToggled-msgsLoaded) / float64(max(1, clustered.Toggles))
	fmt.Fprintf(stdout, "\nOne node against %d in cluster mode, same load, same run: %d clients\n", n, cfg.Clients)
	fmt.Fprintf(stdout, "GOMAXPROCS  %s every node (the one and each of the %d), %d the generator, on %d cores\n",
		serverProcs(), n, runtime.GOMAXPROCS(0), runtime.NumCPU())
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
	// The one node's CPU is its share while toggling over the toggles'
	// stretch; the cluster's is the nodes' from the last join to the last
	// toggle (a little more than the toggles: what the joins left).
	oneCPU := cpuPerToggle(single.Server.CPUPercent/100*cfg.Duration.Seconds(), single.Toggles)
	clusterCPU := cpuPerToggle(cpuToggled-cpuLoaded, clustered.Toggles)
	fmt.Fprintf(stdout, "CPU per toggle  %.3f ms one node, %.3f ms cluster (%.2fx; the %d nodes' processes with embedded NATS together)\n",
		oneCPU, clusterCPU, clusterCPU/oneCPU, n)
	fmt.Fprintf(stdout, "NATS messages per toggle  %.1f (in and out of all %d nats-servers while toggling, /varz, heartbeats included)\n", perToggle, n)
	if !single.Pass || !clustered.Pass {
		return errors.New("load: a run broke a goal or an invariant")
	}
	return nil
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
