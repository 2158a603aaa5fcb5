//go:build !wasm

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/loopswithfriends/loops/server/loadgen"
)

// attack runs issue 8's attacker alone, until -duration is over or SIGINT
// or SIGTERM, then writes what it did as JSON: `loops attack -url
// ws://127.0.0.1:8080/socket`. `loops load -attack` starts it as a process
// of its own beside the well-behaved clients, so that the attacker's work
// does not slow the generator that measures them.
func attack(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loops attack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "ws://127.0.0.1:8080/socket", "the server's socket")
	from := fs.String("from", loadgen.AttackFrom, "the loopback address to attack from")
	seed := fs.Uint64("seed", 1, "seed of the mix flood's randomness")
	duration := fs.Duration("duration", 0, "how long to attack (0: until SIGINT or SIGTERM)")
	only := fs.String("only", "", "run only these attacks, comma-separated, of "+strings.Join(loadgen.AttackKinds, ", ")+" (all when empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	start, cpu0 := time.Now(), cpuSeconds()
	var kinds []string
	if *only != "" {
		kinds = strings.Split(*only, ",")
	}
	rep, err := loadgen.Attack(ctx, *url, *from, *seed, kinds...)
	if err != nil {
		return err
	}
	rep.CPUPercent = 100 * (cpuSeconds() - cpu0) / time.Since(start).Seconds()
	if err := writeJSON(stdout, rep); err != nil {
		return fmt.Errorf("attack: %w", err)
	}
	return nil
}

// cpuSeconds is the CPU time this process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// attackProcess is loadgen.Config.Attack: it starts this binary's `attack`
// against the run's server, and its stop ends it with SIGTERM and reads its
// report.
func attackProcess(seed uint64, stderr io.Writer) func(context.Context, string) (func() (*loadgen.AttackReport, error), error) {
	return func(ctx context.Context, url string) (func() (*loadgen.AttackReport, error), error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("attack: %w", err)
		}
		var out bytes.Buffer
		cmd := exec.Command(exe, "attack", "-url", url, "-seed", strconv.FormatUint(seed, 10))
		cmd.Stdout, cmd.Stderr = &out, stderr
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("attack: %w", err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return func() (*loadgen.AttackReport, error) {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			var err error
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				return nil, errors.New("attack: the attacker did not stop within 15 s of SIGTERM")
			}
			if err != nil {
				return nil, fmt.Errorf("attack: the attacker: %w", err)
			}
			var rep loadgen.AttackReport
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				return nil, fmt.Errorf("attack: the attacker's report: %w", err)
			}
			return &rep, nil
		}, nil
	}
}

// attackPair is one run without the attacker and one with it, each against
// a server of its own.
type attackPair struct {
	First   string          `json:"first"`
	Without *loadgen.Report `json:"without"`
	With    *loadgen.Report `json:"with"`
}

// The goals of issue 8's attack run.
const (
	attackP99Goal      = 25.0 // ms, the honest clients' fan-out under attack
	attackRSSRatioGoal = 2.0  // the server's RSS peak under attack over without
)

// compareAttack runs the load against a server spawned on addr without the
// attacker and with it (a process of its own), rounds times, each round
// starting with the case the last one ended with, and prints both and the
// ratios.
func compareAttack(ctx context.Context, cfg loadgen.Config, addr string, rounds int, asJSON bool, stdout, stderr io.Writer) error {
	without := pairedCase{first: "without", what: "without the attacker, on " + addr, run: func(int) (*loadgen.Report, error) {
		return runSpawned(ctx, cfg, []string{"-addr", addr}, addr, stderr)
	}}
	with := pairedCase{first: "with", what: "with the attacker, on " + addr, run: func(i int) (*loadgen.Report, error) {
		run := cfg
		run.Attack = attackProcess(cfg.Seed+uint64(i), stderr)
		return runSpawned(ctx, run, []string{"-addr", addr}, addr, stderr)
	}}
	return comparePaired(rounds, asJSON, stdout, stderr, [2]pairedCase{without, with},
		func(first string, rep [2]*loadgen.Report) attackPair {
			return attackPair{First: first, Without: rep[0], With: rep[1]}
		},
		formatAttackPairs, "load: a run broke an invariant or lost a message")
}

// formatAttackPairs writes the pairs side by side, with the ratios and the
// goals of issue 8.
func formatAttackPairs(w io.Writer, pairs []attackPair) {
	if len(pairs) == 0 {
		return
	}
	fmt.Fprintf(w, "Issue 8's attacker (a process of its own) against %d well-behaved clients, each pair in the same run\n", pairs[0].With.Clients)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "round\tfirst\tp99 without\tp99 with\tp99 ratio\tRSS peak without\tRSS peak with\tRSS ratio\tserver CPU without / with\tattacker CPU\tlost\tload avg without / with\tgoals")
	for i, p := range pairs {
		wo, wi := p.Without, p.With
		rss := float64(wi.Server.RSSPeakKB) / float64(max(1, wo.Server.RSSPeakKB))
		goals := "met"
		if wi.Latency.P99 >= attackP99Goal || wi.Lost > 0 || rss > attackRSSRatioGoal {
			goals = "missed"
		}
		var attackerCPU float64
		if wi.Attack != nil {
			attackerCPU = wi.Attack.CPUPercent
		}
		fmt.Fprintf(tw, "%d\t%s\t%.2f ms\t%.2f ms\t%.2fx\t%s\t%s\t%.2fx\t%.0f%% / %.0f%%\t%.0f%%\t%d / %d\t%.1f / %.1f\t%s\n",
			i+1, p.First, wo.Latency.P99, wi.Latency.P99, wi.Latency.P99/wo.Latency.P99,
			kbText(wo.Server.RSSPeakKB), kbText(wi.Server.RSSPeakKB), rss,
			wo.Server.CPUPercent, wi.Server.CPUPercent, attackerCPU, wo.Lost, wi.Lost,
			wo.LoadAvg[1], wi.LoadAvg[1], goals)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "goals under attack: honest p99 < %.0f ms, nothing lost, RSS peak at most %.0fx the run without\n", attackP99Goal, attackRSSRatioGoal)
}

// kbText writes a size in KB as MB.
func kbText(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }
