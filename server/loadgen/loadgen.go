//go:build !wasm

// Package loadgen is the hub's load generator: it opens many protocol
// clients against a running server over loopback, has them toggle their
// loops, and measures joins, fan-out latency, lost messages, closes and the
// server's memory and CPU. With chaos on, some clients drop and resume,
// others send bad input, and every invariant of PROTOCOL.md is checked
// against every well-behaved client's view and /api/stats.
package loadgen

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/server/internal/defaults"
	"github.com/loopswithfriends/loops/shared"
)

// Config configures a run. Zero fields take the defaults in brackets.
type Config struct {
	// URL is the server's socket, e.g. ws://127.0.0.1:8080/socket.
	URL string
	// Admin is the server's admin listener, e.g. http://127.0.0.1:9090, for
	// /metrics and every jam's size (/api/jams); without it those checks
	// and figures are left out.
	Admin string
	// URLs are more sockets of the same hub, the other nodes of a
	// cluster: client i dials URL or one of URLs in turn, and each new
	// session of a client (a resume) goes to the next one.
	URLs []string
	// Origin is the handshake's Origin header [http://host of the URL
	// dialled].
	Origin string
	// Clients is how many well-behaved clients join [100].
	Clients int
	// Duration is how long the clients toggle their loops [30s].
	Duration time.Duration
	// Period is how often each client toggles its loop [5s].
	Period time.Duration
	// Jitter moves each toggle by a random amount within ±Jitter of its
	// place in the period, so that the clients do not keep one rhythm [0].
	Jitter time.Duration
	// Settle is how long the generator waits after the last toggle before
	// it counts what never arrived and checks the views [3s].
	Settle time.Duration
	// DialConcurrency bounds the handshakes in flight [200].
	DialConcurrency int
	// ClientsPerIP is how many clients share one loopback source address
	// before the next (127.0.0.2, ...) is used: one address has about 28k
	// ephemeral ports, and the server holds at most its per-address socket
	// limit from each [250].
	ClientsPerIP int
	// JoinTimeout bounds each dial, join and welcome [15s].
	JoinTimeout time.Duration
	// PID is the server's process, read through /proc; 0 when unknown.
	PID int
	// InProcess says the server runs in this process: its goroutines and
	// heap are read from the runtime (they include the generator's own).
	InProcess bool
	// Attack, when set, is called as the clients start toggling to start
	// issue 8's attacker (Attack in attack.go, as a process of its own:
	// `loops attack`); the function it returns stops the attacker once
	// the toggles are over and returns its report.
	Attack func(ctx context.Context, url string) (stop func() (*AttackReport, error), err error)
	// Chaos turns on dropping, resuming and bad input.
	Chaos bool
	// DropFraction is the share of clients that drop and resume [0.1].
	DropFraction float64
	// BadPerKind is how many extra clients send each kind of bad input
	// (malformed, oversized, binary, flood) [Clients/200, at least 1].
	BadPerKind int
	// Seed makes the run's randomness repeatable [1].
	Seed uint64
	// Progress receives one line per phase; nil discards them.
	Progress io.Writer
	// OnLoaded, when set, is called once every client joined, before the
	// first toggle (for a heap profile of the loaded server, say).
	OnLoaded func()
	// OutlierTrace, when set, is the file the server's execution trace
	// around the first delivery that takes OutlierAt or longer is written
	// to: the last seconds of its flight recorder (/debug/flight on the
	// admin listener, served with -pprof), fetched a second after the outlier arrived.
	OutlierTrace string
	// OutlierAt is the latency that counts as an outlier [20ms].
	OutlierAt time.Duration
	// OnToggled, when set, is called after the last toggle, before the
	// settle (with OnLoaded, for the allocations of the toggles alone).
	OnToggled func()
	// Turns, when set, has this run take turns at toggling with the other
	// runs of Turns in this process (a hub and its baseline, each with
	// clients of its own): this one is Turn, from 0, and its report has a
	// latency summary per stretch it toggled in.
	Turns *Turns
	Turn  int
	// Window, when set, has the report split the deliveries into windows
	// of this length from the first toggle (by when the toggle was sent),
	// each with how busy the machine's CPUs were in it: a run's p99 is
	// its worst windows', and those show whether the machine was busy.
	Window time.Duration
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.URL == "" {
		return cfg, errors.New("loadgen: no URL")
	}
	for _, s := range append([]string{cfg.URL}, cfg.URLs...) {
		if _, err := url.Parse(s); err != nil {
			return cfg, fmt.Errorf("loadgen: parse url: %w", err)
		}
	}
	defaults.Set(&cfg.Clients, 100)
	defaults.Set(&cfg.Duration, 30*time.Second)
	defaults.Set(&cfg.Period, 5*time.Second)
	defaults.Set(&cfg.Settle, 3*time.Second)
	defaults.Set(&cfg.DialConcurrency, 200)
	defaults.Set(&cfg.ClientsPerIP, 250)
	defaults.Set(&cfg.JoinTimeout, 15*time.Second)
	defaults.Set(&cfg.DropFraction, 0.1)
	defaults.Set(&cfg.BadPerKind, max(1, cfg.Clients/200))
	defaults.Set(&cfg.OutlierAt, 20*time.Millisecond)
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	return cfg, nil
}

// gen is one run's state.
type gen struct {
	cfg     Config
	rng     *rand.Rand
	probe   *serverProbe
	clients []*client
	byID    sync.Map // user id -> *client
	lat     latencies
	// writeLat is each toggle's write, echoLat each sender's own played
	// or stopped: they tell the generator's share from the server's.
	writeLat latencies
	echoLat  latencies

	// With Turns: when the toggles start, each stretch's latencies (by
	// the time the toggle was sent) and the load average at its start.
	turnStart   time.Time
	stretchLat  []latencies
	stretchLoad []float64

	// With Window: when the toggles start, each window's latencies and
	// the machine's busy CPUs in it (sampleWindows).
	windowStart time.Time
	windowLat   []latencies
	windowBusy  []float64

	sent      atomic.Int64
	untracked atomic.Int64
	lateTurn  atomic.Int64 // toggles dropped: their turn ended before a sender was free
	outlier   atomic.Bool  // the outlier trace was taken

	poll    *poller
	dialMu  sync.Mutex
	dialers map[int]*net.Dialer
	host    net.IP

	mu         sync.Mutex
	unexpected int
	reasons    map[string]int
	notes      []string
	noteCount  int
}

// Run runs the load and returns its report. The error is for a run that
// could not be made (no server); a run that breaks an invariant returns a
// report whose Pass is false.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	probe, err := newServerProbe(cfg.URL, cfg.Admin, cfg.PID, cfg.InProcess)
	if err != nil {
		return nil, err
	}
	g := &gen{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		probe:   probe,
		dialers: make(map[int]*net.Dialer),
		reasons: make(map[string]int),
	}
	if u, err := url.Parse(cfg.URL); err == nil {
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() && ip.To4() != nil {
			g.host = ip
		}
	}
	if g.poll, err = newPoller(); err != nil {
		return nil, err
	}
	defer g.poll.close()
	return g.run(ctx)
}

// traceOutlier fetches the server's flight recorder a second after a
// delivery that took lat arrived at at, and writes it to OutlierTrace.
func (g *gen) traceOutlier(lat time.Duration, at time.Time) {
	time.Sleep(time.Second)
	body, err := g.probe.getAdmin(context.Background(), "/debug/flight")
	if err == nil {
		err = os.WriteFile(g.cfg.OutlierTrace, body, 0o644)
	}
	if err != nil {
		g.progress("outlier trace: %v", err)
		return
	}
	g.progress("a delivery took %.1f ms at %s: the server's trace around it is in %s", float64(lat)/1e6, at.Format("15:04:05.000"), g.cfg.OutlierTrace)
}

func (g *gen) progress(format string, args ...any) {
	fmt.Fprintf(g.cfg.Progress, "%s load: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// notef keeps the first notes of things a client saw that it should not.
func (g *gen) notef(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.noteCount++
	if len(g.notes) < 20 {
		g.notes = append(g.notes, fmt.Sprintf(format, args...))
	}
}

// noteClose records a session the generator did not end itself, with a
// note of when it ended, for the server's log.
func (g *gen) noteClose(c *client, wasOpen bool, err error) {
	if !c.role.wellBehaved() {
		return // the chaos code reads the status it expects
	}
	g.mu.Lock()
	g.unexpected++
	g.reasons[closeReason(err)]++
	g.mu.Unlock()
	when := "before its welcome"
	if wasOpen {
		when = "after its welcome"
	}
	g.notef("client %d: closed at %s, %s: %v", c.idx, time.Now().Format("15:04:05.000"), when, err)
}

func closeReason(err error) string {
	if s := websocket.CloseStatus(err); s != -1 {
		return fmt.Sprintf("status %d", int(s))
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, net.ErrClosed):
		return "closed"
	}
	return "error: " + err.Error()
}

// socketURL returns the socket the n-th session of a client dials: URL and
// URLs in turn.
func (g *gen) socketURL(n int) string {
	if i := n % (len(g.cfg.URLs) + 1); i > 0 {
		return g.cfg.URLs[i-1]
	}
	return g.cfg.URL
}

// origin returns the Origin of a handshake with socket.
func (g *gen) origin(socket string) string {
	if g.cfg.Origin != "" {
		return g.cfg.Origin
	}
	u, err := url.Parse(socket)
	if err != nil {
		return ""
	}
	return "http://" + u.Host
}

// dialer returns the dialer of the clients in slot: its source address.
func (g *gen) dialer(slot int) *net.Dialer {
	g.dialMu.Lock()
	defer g.dialMu.Unlock()
	if d, ok := g.dialers[slot]; ok {
		return d
	}
	d := &net.Dialer{Timeout: g.cfg.JoinTimeout}
	if g.host != nil {
		// 127.0.0.1, 127.0.0.2, ...: all loopback, each with its own ports.
		ip := make(net.IP, 4)
		copy(ip, g.host.To4())
		ip[3] = byte(1 + slot%250)
		ip[2] += byte(slot / 250)
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	g.dialers[slot] = d
	return d
}

func (g *gen) run(ctx context.Context) (*Report, error) {
	cfg := g.cfg
	r := &Report{
		URL: cfg.URL, Clients: cfg.Clients, Duration: cfg.Duration.String(),
		Period: cfg.Period.String(), Jitter: cfg.Jitter.String(), PID: cfg.PID, InProcess: cfg.InProcess,
		CloseReasons: map[string]int{},
	}
	if _, err := g.probe.stats(ctx); err != nil {
		return nil, fmt.Errorf("loadgen: the server does not answer: %w", err)
	}

	// Who does what.
	drops := 0
	if cfg.Chaos {
		drops = int(float64(cfg.Clients)*cfg.DropFraction + 0.5)
	}
	for i := range cfg.Clients {
		role := roleSteady
		if i < drops {
			role = roleDropper
		}
		g.clients = append(g.clients, &client{role: role, g: g})
	}
	if cfg.Chaos {
		for _, bad := range []role{roleMalformed, roleOversized, roleBinary, roleFlood} {
			for range cfg.BadPerKind {
				g.clients = append(g.clients, &client{role: bad, g: g})
			}
		}
	}
	// Shuffled, so that droppers and misbehaving clients land in jams
	// among well-behaved ones.
	g.rng.Shuffle(len(g.clients), func(i, j int) { g.clients[i], g.clients[j] = g.clients[j], g.clients[i] })
	for i, c := range g.clients {
		c.idx = i
	}

	// Idle.
	idle := g.probe.proc()
	r.Server.RSSIdleKB = idle.rssKB
	r.Server.GoroutinesIdle = g.probe.goroutines(ctx)
	var heapIdle int64
	if cfg.InProcess {
		heapIdle = heapKB()
		r.Server.HeapIdleKB = heapIdle
	}

	// Joins.
	g.progress("joining %d clients (%d concurrent handshakes)", len(g.clients), cfg.DialConcurrency)
	joinStart := time.Now()
	var joinLat latencies
	var failed atomic.Int64
	var firstErr atomic.Value
	sem := make(chan struct{}, cfg.DialConcurrency)
	var wg sync.WaitGroup
	for _, c := range g.clients {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var err error
			for attempt := range 3 {
				var d time.Duration
				if d, err = c.dial(ctx, ""); err == nil {
					joinLat.add(c.idx, d)
					return
				}
				time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
			}
			failed.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
		}()
	}
	wg.Wait()
	joinSecs := time.Since(joinStart).Seconds()
	r.JoinFailed = int(failed.Load())
	if e, ok := firstErr.Load().(string); ok {
		r.JoinError = e
	}
	r.Connected = len(g.clients) - r.JoinFailed
	r.JoinSeconds = joinSecs
	r.JoinsPerSec = float64(r.Connected) / joinSecs
	r.JoinLatency = joinLat.summary()
	g.progress("%d joined in %.1fs (%.0f/s), %d failed", r.Connected, joinSecs, r.JoinsPerSec, r.JoinFailed)

	// Loaded, before any toggle.
	time.Sleep(time.Second)
	loaded := g.probe.proc()
	r.Server.RSSLoadKB = loaded.rssKB
	if r.Connected > 0 && loaded.rssKB > 0 {
		r.Server.RSSPerConnKB = float64(loaded.rssKB-idle.rssKB) / float64(r.Connected)
	}
	r.Server.GoroutinesLoad = g.probe.goroutines(ctx)
	if cfg.InProcess {
		r.Server.HeapLoadKB = heapKB()
		if r.Connected > 0 {
			r.Server.HeapPerConnKB = float64(r.Server.HeapLoadKB-heapIdle) / float64(r.Connected)
		}
	}
	if st, err := g.probe.stats(ctx); err == nil {
		r.JamsAfterJoin, r.UsersAfterJoin = st.Jams, st.Users
	}
	r.Server.CPUJoinPercent = cpuPercent(idle, loaded)
	if cfg.OnLoaded != nil {
		cfg.OnLoaded()
	}
	if !cfg.InProcess {
		// The joins left the generator's heap near its collector's
		// goal: its next collection would mark hundreds of MB during
		// the first toggles, one of the two CPUs for a third of a
		// second (GODEBUG=gctrace=1), and what it measures would wait.
		// Collected now, its next goal is far off.
		runtime.GC()
	}

	// Toggles, with chaos alongside.
	g.progress("toggling every %s for %s", cfg.Period, cfg.Duration)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	end := start.Add(cfg.Duration)
	if t := cfg.Turns; t != nil {
		var err error
		if start, err = t.wait(ctx); err != nil {
			g.closeAll()
			g.release()
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		n := t.stretches(cfg.Duration)
		end = start.Add(time.Duration(n) * t.Stretch)
		g.turnStart = start
		g.stretchLat = make([]latencies, n)
		g.stretchLoad = make([]float64, n)
		go g.sampleStretchLoad(runCtx, n)
	}
	var windowsSampled chan struct{}
	if cfg.Window > 0 {
		n := int((end.Sub(start) + cfg.Window - 1) / cfg.Window)
		g.windowStart = start
		g.windowLat = make([]latencies, n)
		g.windowBusy = make([]float64, n)
		windowsSampled = make(chan struct{})
		go g.sampleWindows(runCtx, windowsSampled)
	}
	var chaos *chaosRun
	if cfg.Chaos {
		chaos = g.startChaos(runCtx, start)
	}
	var stopAttack func() (*AttackReport, error)
	if cfg.Attack != nil {
		var err error
		if stopAttack, err = cfg.Attack(runCtx, cfg.URL); err != nil {
			g.closeAll()
			g.release()
			return nil, fmt.Errorf("loadgen: %w", err)
		}
	}
	peak := g.samplePeak(runCtx, end)
	before, selfBefore := g.probe.proc(), readProc(os.Getpid())
	r.LoadAvg[0] = loadAvg()
	g.toggleUntil(runCtx, start, end)
	r.LoadAvg[1] = loadAvg()
	after, selfAfter := g.probe.proc(), readProc(os.Getpid())
	r.Server.CPUPercent = cpuPercent(before, after)
	r.GeneratorCPUPercent = cpuPercent(selfBefore, selfAfter)
	if cfg.OnToggled != nil {
		cfg.OnToggled()
	}
	r.Server.RSSPeakKB = <-peak
	if stopAttack != nil {
		a, err := stopAttack()
		if err != nil {
			// The attacker broke, not the server: the run is void.
			g.notef("the attacker: %v", err)
			a = &AttackReport{Broken: err.Error()}
		}
		r.Attack = a
	}
	if chaos != nil {
		g.progress("waiting for the chaos clients")
		r.Chaos = chaos.wait()
	}

	// Settle: at least cfg.Settle, then on while deliveries are still
	// awaited and keep arriving (a starved server can fall seconds
	// behind), at most a minute. The views are checked first, so that a
	// close the server sent late has arrived before losses are counted.
	settleStart := time.Now()
	time.Sleep(cfg.Settle)
	for best, since := g.pending(), time.Now(); best > 0 && time.Since(settleStart) < time.Minute; {
		time.Sleep(time.Second)
		if n := g.pending(); n < best {
			best, since = n, time.Now()
		} else if time.Since(since) > 5*time.Second {
			break // nothing arrived for five seconds: lost, not late
		}
	}
	r.SettleSeconds = time.Since(settleStart).Seconds()
	r.Toggles = int(g.sent.Load())
	r.Server.Closes = g.probe.serverCloses(ctx)
	if h, ok := g.probe.serverFanout(ctx); ok {
		r.Server.Fanout = &h
	}
	r.Invariants = g.checkInvariants(ctx)
	a := g.accountEvents()
	r.Events, r.Void, r.Lost, r.LostAfterResume, r.LostSamples = a.events, a.void, a.lost, a.resumed, a.samples
	r.Latency = g.lat.summary()
	for i := range g.stretchLat {
		if i%cfg.Turns.Runs == cfg.Turn {
			r.Stretches = append(r.Stretches, StretchReport{
				Index: i, Start: (time.Duration(i) * cfg.Turns.Stretch).Seconds(),
				LoadAvg: g.stretchLoad[i], Latency: g.stretchLat[i].summary(),
			})
		}
	}
	if windowsSampled != nil {
		<-windowsSampled // the last window ended during the settle, or ends now
		for i := range g.windowLat {
			r.Windows = append(r.Windows, WindowReport{
				Start: (time.Duration(i) * cfg.Window).Seconds(), BusyCores: g.windowBusy[i],
				Latency: g.windowLat[i].summary(),
			})
		}
	}
	r.WriteLatency = g.writeLat.summary()
	r.EchoLatency = g.echoLat.summary()
	r.Untracked = int(g.untracked.Load())
	r.LateTurn = int(g.lateTurn.Load())
	g.progress("%d toggles, %d deliveries, p99 %.1f ms, %d lost", r.Toggles, r.Latency.Count, r.Latency.P99, r.Lost)

	// Leave, then look for what stays behind.
	g.progress("closing the clients")
	g.closeAll()
	g.release()
	r.Server.RSSAfterKB, r.Server.GoroutinesAfter, r.Server.HeapAfterKB = g.waitDrained(ctx, r.Server.GoroutinesIdle, heapIdle, &r.Invariants)
	if cfg.InProcess && r.Server.HeapLoadKB > heapIdle {
		// The resume store keeps a little of every user for a minute, and
		// a few MB come and go (pools, the metrics), so the heap need not
		// fall all the way; half of what the load added must.
		if left := r.Server.HeapAfterKB - heapIdle; left > 8<<10 && left > (r.Server.HeapLoadKB-heapIdle)/2 {
			r.Invariants.Violations = append(r.Invariants.Violations,
				fmt.Sprintf("heap %d KB after every client left, %d KB idle, %d KB loaded", r.Server.HeapAfterKB, heapIdle, r.Server.HeapLoadKB))
		}
	}

	g.mu.Lock()
	r.UnexpectedCloses = g.unexpected
	for k, v := range g.reasons {
		r.CloseReasons[k] = v
	}
	r.Notes = append(r.Notes, g.notes...)
	if g.noteCount > len(g.notes) {
		r.Notes = append(r.Notes, fmt.Sprintf("... and %d more", g.noteCount-len(g.notes)))
	}
	g.mu.Unlock()
	r.Pass = len(r.Failures()) == 0
	return r, nil
}

func cpuPercent(a, b procSample) float64 {
	if !a.ok || !b.ok || !b.at.After(a.at) {
		return 0
	}
	return 100 * (b.cpuSec - a.cpuSec) / b.at.Sub(a.at).Seconds()
}

// samplePeak reads the server's RSS every second until end and sends the
// highest.
func (g *gen) samplePeak(ctx context.Context, end time.Time) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for time.Now().Before(end) {
			if s := g.probe.proc(); s.rssKB > peak {
				peak = s.rssKB
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				out <- peak
				return
			}
		}
		out <- peak
	}()
	return out
}

// toggleUntil has every well-behaved client toggle its loop once a period,
// each at its own random phase moved by up to ±Jitter each time, until end.
// One scheduler takes the clients in the order of their next toggles and
// hands them to a few senders, so that a slow write never delays the
// schedule of the others.
func (g *gen) toggleUntil(ctx context.Context, start, end time.Time) {
	var q toggleQueue
	for _, c := range g.clients {
		if c.role.wellBehaved() {
			phase := time.Duration(g.rng.Int64N(int64(g.cfg.Period)))
			q = append(q, &toggleSlot{c: c, phase: phase, at: g.toggleAt(start, phase, 0)})
		}
	}
	heap.Init(&q)

	sendq := make(chan *client, 1024)
	var wg sync.WaitGroup
	for range min(32, max(1, len(q))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range sendq {
				c.toggle(ctx)
			}
		}()
	}
	defer wg.Wait()
	defer close(sendq)

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for len(q) > 0 && q[0].at.Before(end) {
		s := q[0]
		if !g.myTurn(s.at) {
			// Another run's stretch: this client stays quiet.
			s.round++
			s.at = g.toggleAt(start, s.phase, s.round)
			heap.Fix(&q, 0)
			continue
		}
		if d := time.Until(s.at); d > time.Millisecond {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		select {
		case sendq <- s.c:
		case <-ctx.Done():
			return
		}
		s.round++
		s.at = g.toggleAt(start, s.phase, s.round)
		heap.Fix(&q, 0)
	}
}

// toggleAt returns when a client of the given phase within the period
// toggles for the round-th time (from 0): every period from start+phase,
// moved by up to ±Jitter, but for the first. Moved, the first toggles of
// the clients whose phase is under Jitter could fall before start, and all
// of those (1 in 80 clients at the defaults) would go at once as the run
// begins: a burst no real crowd sends, which set the first window's tail.
func (g *gen) toggleAt(start time.Time, phase time.Duration, round int) time.Time {
	at := start.Add(time.Duration(round)*g.cfg.Period + phase)
	if j := g.cfg.Jitter; j > 0 && round > 0 {
		at = at.Add(time.Duration(g.rng.Int64N(int64(2*j)+1)) - j)
	}
	return at
}

// myTurn reports whether a toggle at at is this run's to send: always,
// unless the run takes turns.
func (g *gen) myTurn(at time.Time) bool {
	t := g.cfg.Turns
	return t == nil || t.stretch(g.turnStart, at)%t.Runs == g.cfg.Turn
}

// sampleStretchLoad reads the load average at the start of each of this
// run's n stretches.
func (g *gen) sampleStretchLoad(ctx context.Context, n int) {
	t := g.cfg.Turns
	for i := g.cfg.Turn; i < n; i += t.Runs {
		select {
		case <-time.After(time.Until(g.turnStart.Add(time.Duration(i) * t.Stretch))):
		case <-ctx.Done():
			return
		}
		g.stretchLoad[i] = loadAvg()
	}
}

// sampleWindows reads the machine's CPU time at the start of the first
// window and at the end of each, for the CPUs busy in each window, and
// closes done after the last (or when ctx is done).
func (g *gen) sampleWindows(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	prev := readCPUStat()
	for i := range g.windowBusy {
		select {
		case <-time.After(time.Until(g.windowStart.Add(time.Duration(i+1) * g.cfg.Window))):
		case <-ctx.Done():
			return
		}
		cur := readCPUStat()
		g.windowBusy[i] = cur.busyCores(prev)
		prev = cur
	}
}

// toggleSlot is one client's place in the toggle schedule.
type toggleSlot struct {
	c     *client
	phase time.Duration
	round int
	at    time.Time
}

// toggleQueue is a min-heap of toggleSlots by their next toggle.
type toggleQueue []*toggleSlot

func (q toggleQueue) Len() int           { return len(q) }
func (q toggleQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q toggleQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *toggleQueue) Push(x any)        { *q = append(*q, x.(*toggleSlot)) }
func (q *toggleQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	*q = old[:len(old)-1]
	return s
}

// closeAll ends every session with a leave and a normal closure.
func (g *gen) closeAll() {
	sem := make(chan struct{}, 256)
	var wg sync.WaitGroup
	for _, c := range g.clients {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.close()
		}()
	}
	wg.Wait()
}

// release drops what the generator holds of its clients, so that an
// in-process heap reading after the run shows the server's own.
func (g *gen) release() {
	for _, c := range g.clients {
		c.mu.Lock()
		c.conn, c.view, c.events = nil, shared.View{}, nil
		c.mu.Unlock()
	}
	g.byID.Clear()
	for i := range g.lat.shards {
		g.lat.shards[i].ns = nil
		g.writeLat.shards[i].ns = nil
		g.echoLat.shards[i].ns = nil
	}
	g.dialMu.Lock()
	clear(g.dialers)
	g.dialMu.Unlock()
}

// waitDrained waits for the server to have no users and its goroutines to
// fall back near where they were idle, and returns its RSS, goroutines and
// (in process) heap then. What stays behind is added to inv.
func (g *gen) waitDrained(ctx context.Context, idleGoroutines int, heapIdle int64, inv *InvariantReport) (rss int64, goroutines int, heap int64) {
	deadline := time.Now().Add(15 * time.Second)
	users := -1
	for time.Now().Before(deadline) {
		if st, err := g.probe.stats(ctx); err == nil {
			users = st.Users
			if users == 0 {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if users != 0 {
		inv.Violations = append(inv.Violations, fmt.Sprintf("/api/stats still counts %d users after every client left", users))
	}
	// A few goroutines come and go (timers, the HTTP server's idle
	// connections, the probe's own requests).
	slack := 20
	for time.Now().Before(deadline) {
		goroutines = g.probe.goroutines(ctx)
		if goroutines < 0 || idleGoroutines < 0 || goroutines <= idleGoroutines+slack {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if goroutines >= 0 && idleGoroutines >= 0 && goroutines > idleGoroutines+slack {
		inv.Violations = append(inv.Violations, fmt.Sprintf("%d goroutines after every client left, %d when idle", goroutines, idleGoroutines))
	}
	if g.cfg.InProcess {
		heap = heapKB()
	}
	return g.probe.proc().rssKB, goroutines, heap
}
