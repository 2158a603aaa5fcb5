//go:build !wasm

package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux the project runs on.
const clockTicks = 100

// procSample is a server process's memory and CPU time at one moment.
type procSample struct {
	at     time.Time
	rssKB  int64
	cpuSec float64
	ok     bool
}

// readProc reads /proc/PID/status VmRSS and /proc/PID/stat utime+stime.
func readProc(pid int) procSample {
	s := procSample{at: time.Now()}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				s.rssKB, _ = strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s
	}
	// The command name may hold spaces; the fields after it are fixed.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return s
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.cpuSec = float64(ut+st) / clockTicks
	s.ok = true
	return s
}

// CPUSeconds returns the CPU time, user and system, the process pid has
// used so far; 0 when it cannot be read.
func CPUSeconds(pid int) float64 { return readProc(pid).cpuSec }

// serverProbe reads the server's figures: its process through /proc (when
// the PID is known), its goroutines through /metrics or, in process, the
// runtime, and its jams through /api/stats.
type serverProbe struct {
	base      string // http://host:port
	admin     string // the admin listener's http://host:port, or ""
	pid       int
	inProcess bool
	http      *http.Client
}

func newServerProbe(wsURL, admin string, pid int, inProcess bool) (*serverProbe, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	scheme := "http"
	if u.Scheme == "wss" || u.Scheme == "https" {
		scheme = "https"
	}
	if inProcess && pid == 0 {
		pid = os.Getpid()
	}
	return &serverProbe{
		base:      scheme + "://" + u.Host,
		admin:     strings.TrimSuffix(admin, "/"),
		pid:       pid,
		inProcess: inProcess,
		http:      &http.Client{Timeout: 10 * time.Second},
	}, nil
}

func (p *serverProbe) proc() procSample {
	if p.pid <= 0 {
		return procSample{at: time.Now()}
	}
	return readProc(p.pid)
}

// Stats is what the server says of its jams: GET /api/stats and, with the
// admin listener, GET /api/jams (JamSizes stays nil without it).
type Stats struct {
	shared.Stats
	JamSizes map[string]int
}

func (p *serverProbe) stats(ctx context.Context) (Stats, error) {
	var st Stats
	body, err := p.get(ctx, "/api/stats")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(body, &st.Stats); err != nil {
		return st, fmt.Errorf("decode /api/stats: %w", err)
	}
	if p.admin == "" {
		return st, nil
	}
	body, err = p.getFrom(ctx, p.admin, "/api/jams")
	if err != nil {
		return st, err
	}
	var js shared.JamSizes
	if err := json.Unmarshal(body, &js); err != nil {
		return st, fmt.Errorf("decode /api/jams: %w", err)
	}
	st.JamSizes = js.JamSizes
	return st, nil
}

// getAdmin returns the body of GET path on the admin listener.
func (p *serverProbe) getAdmin(ctx context.Context, path string) ([]byte, error) {
	if p.admin == "" {
		return nil, fmt.Errorf("no admin listener to read %s from", path)
	}
	return p.getFrom(ctx, p.admin, path)
}

// metrics returns the admin listener's /metrics.
func (p *serverProbe) metrics(ctx context.Context) ([]byte, error) {
	if p.admin == "" {
		return nil, errors.New("no admin listener to read /metrics from")
	}
	return p.getFrom(ctx, p.admin, "/metrics")
}

// goroutines returns the server's goroutines: the runtime's count in
// process, else go_goroutines of /metrics; -1 when unknown.
func (p *serverProbe) goroutines(ctx context.Context) int {
	if p.inProcess {
		return runtime.NumGoroutine()
	}
	body, err := p.metrics(ctx)
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return int(v)
			}
		}
	}
	return -1
}

func (p *serverProbe) get(ctx context.Context, path string) ([]byte, error) {
	return p.getFrom(ctx, p.base, path)
}

func (p *serverProbe) getFrom(ctx context.Context, base, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", path, err)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: %s", path, resp.Status)
	}
	return body, nil
}

// serverFanout reads the server's own loops_fanout_seconds histogram (from
// receiving a message to writing a frame it caused) and returns its count
// and the upper bounds of the buckets holding its p50 and p99, in ms; ok is
// false when /metrics has no such histogram.
func (p *serverProbe) serverFanout(ctx context.Context) (h ServerHistogram, ok bool) {
	body, err := p.metrics(ctx)
	if err != nil {
		return h, false
	}
	type bucket struct {
		le    float64
		count float64
	}
	var buckets []bucket
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, found := strings.CutPrefix(line, `loops_fanout_seconds_bucket{le="`)
		if !found {
			continue
		}
		le, count, found := strings.Cut(rest, `"} `)
		if !found {
			continue
		}
		l, err1 := strconv.ParseFloat(le, 64)
		n, err2 := strconv.ParseFloat(strings.TrimSpace(count), 64)
		if err1 == nil && err2 == nil {
			buckets = append(buckets, bucket{l, n})
		}
	}
	if len(buckets) == 0 {
		return h, false
	}
	total := buckets[len(buckets)-1].count
	h.Count = int64(total)
	at := func(q float64) float64 {
		for _, b := range buckets {
			if b.count >= q*total {
				return b.le * 1000
			}
		}
		return buckets[len(buckets)-1].le * 1000
	}
	h.P50Below, h.P99Below, h.P999Below = at(0.5), at(0.99), at(0.999)
	return h, true
}

// serverCloses reads loops_closes_total from /metrics: the connections the
// server ended, by reason (zero counts left out).
func (p *serverProbe) serverCloses(ctx context.Context) map[string]int {
	body, err := p.metrics(ctx)
	if err != nil {
		return nil
	}
	out := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, found := strings.CutPrefix(sc.Text(), `loops_closes_total{reason="`)
		if !found {
			continue
		}
		reason, count, found := strings.Cut(rest, `"} `)
		if n, err := strconv.ParseFloat(strings.TrimSpace(count), 64); found && err == nil && n > 0 {
			out[reason] = int(n)
		}
	}
	return out
}

// loadAvg returns the one-minute load average, or 0.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// cpuStat is the machine's CPU time from /proc/stat, in clock ticks: busy
// (any process's or the kernel's work) and all; ok is false where there
// is no /proc/stat.
type cpuStat struct {
	busy, all uint64
	cpus      int
	ok        bool
}

func readCPUStat() cpuStat {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}
	}
	line, rest, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return cpuStat{}
	}
	var st cpuStat
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return cpuStat{}
		}
		if i >= 8 {
			break // guest time, counted in user time already
		}
		st.all += n
		if i != 3 && i != 4 { // idle, iowait
			st.busy += n
		}
	}
	for l := range strings.Lines(rest) {
		if len(l) > 3 && strings.HasPrefix(l, "cpu") && l[3] >= '0' && l[3] <= '9' {
			st.cpus++
		}
	}
	st.ok = st.cpus > 0
	return st
}

// busyCores returns how many CPUs were busy on average from prev to st,
// -1 when either is unknown.
func (st cpuStat) busyCores(prev cpuStat) float64 {
	if !st.ok || !prev.ok || st.all <= prev.all {
		return -1
	}
	return float64(st.busy-prev.busy) / float64(st.all-prev.all) * float64(st.cpus)
}

// heapKB returns the in-process heap in use after a collection, in KB.
func heapKB() int64 {
	// Two collections: the first moves sync.Pool contents to the victim
	// cache, the second frees them.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse) / 1024
}
