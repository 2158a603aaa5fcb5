//go:build !wasm

package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// dumpFirefoxStacks writes what every process of f is doing into dir, for
// a tab taken as frozen: each process's command line, each thread's name,
// state and CPU ticks twice 2 s apart (a starved thread runs, a stuck one
// does not), then gdb's backtrace of every thread. LOOPS_FF_STACKS=dir
// turns it on in freezeLoads.
func dumpFirefoxStacks(t *testing.T, f *firefox, dir, name string) {
	if f.cmd == nil || f.cmd.Process == nil {
		return
	}
	pids := descendants(f.cmd.Process.Pid)
	first := threadTicks(pids)
	time.Sleep(2 * time.Second)
	second := threadTicks(pids)
	var b strings.Builder
	for _, pid := range pids {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		fmt.Fprintf(&b, "== pid %d: %s\n", pid, strings.ReplaceAll(string(cmdline), "\x00", " "))
		for _, th := range second[pid] {
			fmt.Fprintf(&b, "  tid %d %-16q %s ticks %d (+%d in 2s)\n", th.tid, th.comm, th.state, th.ticks, th.ticks-first[pid].ticksOf(th.tid))
		}
	}
	var mu sync.Mutex
	stacks := map[int]string{}
	var wg sync.WaitGroup
	for _, pid := range pids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, "gdb", "-p", strconv.Itoa(pid), "-batch", "-nx",
				"-ex", "set pagination off", "-ex", "thread apply all bt 40").CombinedOutput()
			mu.Lock()
			stacks[pid] = fmt.Sprintf("%s\n(gdb: %v)\n", out, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, pid := range pids {
		fmt.Fprintf(&b, "\n==== gdb pid %d\n%s", pid, stacks[pid])
	}
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, name+".txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Logf("stacks: %v", err)
		return
	}
	t.Logf("stacks of the frozen Firefox: %s", path)
}

// descendants lists pid and every process under it.
func descendants(pid int) []int {
	parent, _ := procTree()
	out := []int{pid}
	for p := range parent {
		if under(parent, p, pid) {
			out = append(out, p)
		}
	}
	sort.Ints(out)
	return out
}

// threadTick is a thread's name, state and CPU ticks so far.
type threadTick struct {
	tid         int
	comm, state string
	ticks       int
}

type threadList []threadTick

func (l threadList) ticksOf(tid int) int {
	for _, th := range l {
		if th.tid == tid {
			return th.ticks
		}
	}
	return 0
}

// threadTicks reads the threads of each of pids from /proc.
func threadTicks(pids []int) map[int]threadList {
	out := map[int]threadList{}
	for _, pid := range pids {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/[0-9]*", pid))
		for _, task := range tasks {
			f := procStat(task + "/stat")
			if f == nil {
				continue
			}
			tid, _ := strconv.Atoi(filepath.Base(task))
			out[pid] = append(out[pid], threadTick{tid: tid, comm: f[0], state: f[1], ticks: cpuTicks(f)})
		}
	}
	return out
}
