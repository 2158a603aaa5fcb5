//go:build !wasm

package app

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// On a user's Linux desktop Firefox (and PulseAudio) ask RealtimeKit, over
// the system D-Bus, to run their audio threads at real-time priority; with
// polkit saying yes to a local session's user, they get SCHED_RR. A
// container has no system bus and no rtkit, so the test's Firefox would
// render its audio at the priority of everything else and starve on a busy
// box as no desktop's does. realtimeKit gives each test browser a desktop's
// arrangement of its own: a system bus (dbus-daemon with the distribution's
// policies), polkitd and rtkit-daemon on it, all as Debian ships them, the
// browser told where the bus is by DBUS_SYSTEM_BUS_ADDRESS. Firefox then
// promotes its threads itself, exactly as it does for users.
//
// LOOPS_FF_RTKIT=0 leaves it out (the bench's other condition). Where the
// daemons are missing or do not come up, the test goes on without and
// logs why: the condition a run measured is in its log either way.

const (
	rtkitDaemon  = "/usr/libexec/rtkit-daemon"
	polkitDaemon = "/usr/lib/polkit-1/polkitd"
	rtkitName    = "org.freedesktop.RealtimeKit1"
)

// busConfig is the system bus's own configuration (Debian's system.conf)
// listening on a socket of the test's, without its daemon user, forking
// and service helper: the services are started by the test.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=%s</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus" send_member="UpdateActivationEnvironment"/>
  </policy>
  <includedir>/usr/share/dbus-1/system.d</includedir>
  <includedir>/etc/dbus-1/system.d</includedir>
</busconfig>
`

// rtkit is the one system bus with polkitd and rtkit-daemon the test's
// browsers share: rtkit-daemon allows its user three threads (its
// RLIMIT_NPROC), so one runs on a machine at a time, as on a desktop.
var rtkit struct {
	sync.Mutex
	users     int
	addr, why string
	stop      func()
	logged    bool
}

// realtimeKit returns the address of a system bus with polkitd and
// rtkit-daemon on it for one browser, starting them for the first, or ""
// and why not. release ends the daemons once the last browser is gone.
func realtimeKit(t *testing.T) (addr, why string, release func()) {
	t.Helper()
	rtkit.Lock()
	defer rtkit.Unlock()
	if rtkit.users == 0 {
		rtkit.addr, rtkit.why, rtkit.stop = startRealtimeKit()
	}
	rtkit.users++
	if !rtkit.logged {
		rtkit.logged = true
		if rtkit.addr != "" {
			t.Logf("rtkit on the test's system bus: the browsers' audio threads may ask for real-time priority, as on a desktop")
		} else {
			t.Logf("no rtkit: the browsers' audio threads run at normal priority (%s)", rtkit.why)
		}
	}
	var once sync.Once
	return rtkit.addr, rtkit.why, func() {
		once.Do(func() {
			rtkit.Lock()
			defer rtkit.Unlock()
			if rtkit.users--; rtkit.users == 0 {
				rtkit.stop()
			}
		})
	}
}

func startRealtimeKit() (addr, why string, stop func()) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if os.Getenv("LOOPS_FF_RTKIT") == "0" {
		return "", "LOOPS_FF_RTKIT=0", stop
	}
	for _, p := range []string{rtkitDaemon, polkitDaemon} {
		if _, err := os.Stat(p); err != nil {
			return "", "no " + p + ": apt-get install rtkit polkitd", stop
		}
	}
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		return "", "no dbus-daemon: apt-get install dbus-daemon", stop
	}
	// A short path: a unix socket's name has at most 107 bytes.
	dir, err := os.MkdirTemp("", "rtkit")
	if err != nil {
		return "", err.Error(), stop
	}
	stops = append(stops, func() { os.RemoveAll(dir) })
	// polkitd connects as its own user.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err.Error(), stop
	}
	sock := filepath.Join(dir, "system_bus_socket")
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, sock)), 0o644); err != nil {
		return "", err.Error(), stop
	}
	addr = "unix:path=" + sock
	var logs []*bytes.Buffer
	start := func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "DBUS_SYSTEM_BUS_ADDRESS="+addr)
		// The bus goes if the test is killed; the daemons leave once
		// their bus is gone.
		if name == "dbus-daemon" {
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		}
		// A pipe, not a file: rtkit-daemon limits its own file size to
		// 0 and would die of SIGXFSZ writing its log to one.
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		logs = append(logs, &out)
		if err := cmd.Start(); err != nil {
			return err
		}
		stops = append(stops, func() { cmd.Process.Kill(); cmd.Wait() })
		return nil
	}
	failed := func(what string) (string, string, func()) {
		var said []string
		for _, l := range logs {
			if s := strings.Join(strings.Fields(l.String()), " "); s != "" {
				said = append(said, s)
			}
		}
		return "", what + ": " + strings.Join(said, "; "), stop
	}
	if err := start("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile"); err != nil {
		return failed("dbus-daemon: " + err.Error())
	}
	if !waitUntil(5*time.Second, func() bool { _, err := os.Stat(sock); return err == nil }) {
		return failed("the system bus did not come up in 5 s")
	}
	if err := start(polkitDaemon, "--no-debug"); err != nil {
		return failed("polkitd: " + err.Error())
	}
	if err := start(rtkitDaemon, "--stderr"); err != nil {
		return failed("rtkit-daemon: " + err.Error())
	}
	if !waitUntil(10*time.Second, func() bool { return onBus(addr, rtkitName) && onBus(addr, "org.freedesktop.PolicyKit1") }) {
		return failed("rtkit-daemon and polkitd were not on the bus within 10 s (is another rtkit-daemon running?)")
	}
	return addr, "", stop
}

// onBus reports whether a name is owned on the bus at addr.
func onBus(addr, name string) bool {
	out, err := exec.Command("dbus-send", "--bus="+addr, "--print-reply", "--dest=org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:"+name).Output()
	return err == nil && strings.Contains(string(out), "boolean true")
}

func waitUntil(d time.Duration, ok func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if ok() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// childThread is a thread of one of this test's child processes (the
// browsers, their sound servers, the app's server).
type childThread struct {
	tid        string
	proc, name string
	policy     string // "TS" (SCHED_OTHER), "RR", "FIFO", ...
	rtprio     int
	cpuS       float64 // user and system time so far
}

func (c childThread) String() string {
	s := c.proc + "/" + c.name + " " + c.policy
	if c.rtprio > 0 {
		s += " " + strconv.Itoa(c.rtprio)
	}
	return s + fmt.Sprintf(" %.1f s", c.cpuS)
}

// childThreads reads /proc for the threads of this process's descendants.
func childThreads() []childThread {
	parent, comm := procTree()
	var threads []childThread
	for pid := range parent {
		if !under(parent, pid, os.Getpid()) {
			continue
		}
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/[0-9]*", pid))
		for _, task := range tasks {
			f := procStat(task + "/stat")
			policy, rtprio, ok := sched(f)
			if !ok {
				continue
			}
			name, ok := map[int]string{0: "TS", 1: "FIFO", 2: "RR", 3: "BATCH", 5: "IDLE", 6: "DEADLINE"}[policy]
			if !ok {
				name = strconv.Itoa(policy)
			}
			threads = append(threads, childThread{filepath.Base(task), comm[pid], f[0], name, rtprio, float64(cpuTicks(f)) / 100})
		}
	}
	sort.Slice(threads, func(i, j int) bool { return threads[i].cpuS > threads[j].cpuS })
	return threads
}

// procTree reads every process's parent and comm from /proc.
func procTree() (parent map[int]int, comm map[int]string) {
	parent, comm = map[int]int{}, map[int]string{}
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range pids {
		pid, _ := strconv.Atoi(filepath.Base(p))
		if f := procStat(p + "/stat"); f != nil {
			parent[pid], _ = strconv.Atoi(f[2])
			comm[pid] = f[0]
		}
	}
	return parent, comm
}

// under reports whether pid descends from root, by procTree's parents.
func under(parent map[int]int, pid, root int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		if pid = parent[pid]; pid == root {
			return true
		}
	}
	return false
}

// threadReport says which of the test's child threads run at a real-time
// policy, and which spent the most CPU since before (from childThreads).
func threadReport(before []childThread) (realtime, busiest string) {
	was := map[string]float64{}
	for _, th := range before {
		was[th.tid] = th.cpuS
	}
	now := childThreads()
	for i := range now {
		now[i].cpuS -= was[now[i].tid]
	}
	sort.Slice(now, func(i, j int) bool { return now[i].cpuS > now[j].cpuS })
	var rt, busy []string
	for i, th := range now {
		if th.policy != "TS" && th.policy != "BATCH" && th.policy != "IDLE" {
			rt = append(rt, th.String())
		}
		if i < 16 {
			busy = append(busy, th.String())
		}
	}
	if len(rt) == 0 {
		rt = []string{"none"}
	}
	return strings.Join(rt, ", "), strings.Join(busy, ", ")
}

// procStat returns a /proc stat file's comm, then its fields from the
// third (the state) on: f[0] the comm, f[k] stat(5)'s field k+2.
func procStat(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return nil
	}
	rest := strings.Fields(s[end+1:])
	if len(rest) < 2 {
		return nil
	}
	return append([]string{s[open+1 : end]}, rest...)
}

// cpuTicks returns the user and system time of a stat file's fields from
// procStat, in clock ticks: stat(5)'s 14th and 15th fields.
func cpuTicks(f []string) int {
	if len(f) < 14 {
		return 0
	}
	ut, _ := strconv.Atoi(f[12])
	st, _ := strconv.Atoi(f[13])
	return ut + st
}

// sched returns the scheduling policy and real-time priority of a stat
// file's fields from procStat: stat(5)'s 41st and 40th fields.
func sched(f []string) (policy, rtprio int, ok bool) {
	if len(f) < 40 {
		return 0, 0, false
	}
	policy, _ = strconv.Atoi(f[39])
	rtprio, _ = strconv.Atoi(f[38])
	return policy, rtprio, true
}

// TestRealtimeKit checks the desktop's arrangement the Firefox tests give
// their browsers: a process that asks rtkit on the test's system bus for
// real-time priority, as Firefox's and PulseAudio's audio threads do, runs
// at SCHED_RR afterwards. Where rtkit cannot start, it says why and passes,
// as the browser tests go on without it.
func TestRealtimeKit(t *testing.T) {
	addr, why, release := realtimeKit(t)
	defer release()
	if addr == "" {
		t.Logf("no rtkit: %s", why)
		return
	}
	// rtkit serves only a process that bounds its real-time CPU time.
	sleeper := exec.Command("prlimit", "--rttime=200000", "sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	pid := sleeper.Process.Pid
	// prlimit execs sleep in the same process; wait until it has.
	if !waitUntil(5*time.Second, func() bool { f := procStat(fmt.Sprintf("/proc/%d/stat", pid)); return f != nil && f[0] == "sleep" }) {
		t.Fatal("prlimit did not run sleep within 5 s")
	}
	policy := func() string {
		policy, rtprio, ok := sched(procStat(fmt.Sprintf("/proc/%d/stat", pid)))
		if !ok {
			t.Fatalf("no stat for %d", pid)
		}
		return fmt.Sprintf("%d %d", policy, rtprio)
	}
	if p := policy(); p != "0 0" {
		t.Fatalf("sleep runs at policy and priority %s before asking", p)
	}
	out, err := exec.Command("dbus-send", "--bus="+addr, "--print-reply", "--dest="+rtkitName,
		"/org/freedesktop/RealtimeKit1", rtkitName+".MakeThreadRealtimeWithPID",
		fmt.Sprintf("uint64:%d", pid), fmt.Sprintf("uint64:%d", pid), "uint32:10").CombinedOutput()
	if err != nil {
		t.Fatalf("rtkit said no: %v: %s", err, out)
	}
	if p := policy(); p != "2 10" { // SCHED_RR, priority 10
		t.Fatalf("sleep runs at policy and priority %s after rtkit said yes, want 2 10 (SCHED_RR)", p)
	}
}
