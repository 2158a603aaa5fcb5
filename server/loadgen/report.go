//go:build !wasm

package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Report is what a run measured.
type Report struct {
	URL string `json:"url"`
	// Attack is what the attacker of Config.Attack did, or nil.
	Attack    *AttackReport `json:"attack,omitempty"`
	Clients   int           `json:"clients"`
	Duration  string        `json:"duration"`
	Period    string        `json:"period"`
	Jitter    string        `json:"jitter,omitempty"`
	PID       int           `json:"pid,omitempty"`
	InProcess bool          `json:"in_process,omitempty"`
	// LoadAvg is /proc/loadavg's one-minute figure before the toggles and
	// after them: the box is shared, and other work skews the latencies.
	LoadAvg [2]float64 `json:"loadavg"`

	// Connected counts the clients that got a welcome; JoinsPerSec is
	// Connected over the time from the first dial to the last welcome.
	Connected      int            `json:"connected"`
	JoinFailed     int            `json:"join_failed"`
	JoinError      string         `json:"join_error,omitempty"`
	JoinSeconds    float64        `json:"join_seconds"`
	JoinsPerSec    float64        `json:"joins_per_sec"`
	JoinLatency    LatencySummary `json:"join_latency_ms"`
	JamsAfterJoin  int            `json:"jams_after_join"`
	UsersAfterJoin int            `json:"users_after_join"`

	// Toggles counts the plays and stops sent; Latency is from a toggle's
	// send to its played or stopped at each member, the sender included.
	Toggles int `json:"toggles"`
	// SettleSeconds is how long the generator waited after the last toggle
	// for deliveries to stop arriving.
	SettleSeconds float64        `json:"settle_seconds"`
	Events        int            `json:"events"`
	Void          int            `json:"void_events"`
	Latency       LatencySummary `json:"fanout_latency_ms"`
	// WriteLatency is the generator's write of each toggle; EchoLatency
	// the sender's own played or stopped.
	WriteLatency LatencySummary `json:"write_latency_ms"`
	EchoLatency  LatencySummary `json:"echo_latency_ms"`
	Lost         int            `json:"lost"`
	// LostAfterResume is the part of Lost sent by clients that had dropped
	// and resumed.
	LostAfterResume int      `json:"lost_after_resume"`
	LostSamples     []string `json:"lost_samples,omitempty"`
	// Stretches are the run's own stretches when it took turns with
	// another (Config.Turns).
	Stretches []StretchReport `json:"stretches,omitempty"`
	// Windows split the deliveries by when their toggle was sent
	// (Config.Window).
	Windows []WindowReport `json:"windows,omitempty"`
	// LateTurn counts the toggles not sent because their run's stretch
	// had ended by the time a sender took them.
	LateTurn  int `json:"late_turn_toggles,omitempty"`
	Untracked int `json:"untracked_deliveries"`

	UnexpectedCloses int            `json:"unexpected_closes"`
	CloseReasons     map[string]int `json:"close_reasons,omitempty"`

	Server ServerFigures `json:"server"`
	// GeneratorCPUPercent is this process's CPU while toggling (in
	// process, the server's too).
	GeneratorCPUPercent float64         `json:"generator_cpu_percent"`
	Chaos               *ChaosReport    `json:"chaos,omitempty"`
	Invariants          InvariantReport `json:"invariants"`
	Notes               []string        `json:"notes,omitempty"`
	Pass                bool            `json:"pass"`
}

// LatencySummary is a latency distribution in milliseconds.
type LatencySummary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

// ServerFigures are the server's memory, CPU and goroutines.
type ServerFigures struct {
	RSSIdleKB      int64   `json:"rss_idle_kb"`
	RSSLoadKB      int64   `json:"rss_load_kb"`
	RSSPeakKB      int64   `json:"rss_peak_kb"`
	RSSAfterKB     int64   `json:"rss_after_kb"`
	RSSPerConnKB   float64 `json:"rss_per_conn_kb"`
	HeapIdleKB     int64   `json:"heap_idle_kb,omitempty"`
	HeapLoadKB     int64   `json:"heap_load_kb,omitempty"`
	HeapAfterKB    int64   `json:"heap_after_kb,omitempty"`
	HeapPerConnKB  float64 `json:"heap_per_conn_kb,omitempty"`
	CPUJoinPercent float64 `json:"cpu_join_percent"`
	CPUPercent     float64 `json:"cpu_percent"`
	// Fanout is the server's own histogram over the whole run (every
	// frame: welcomes, joins and lefts too).
	Fanout *ServerHistogram `json:"fanout,omitempty"`
	// Closes are loops_closes_total before the generator closed its
	// clients: the connections the server ended, by reason.
	Closes          map[string]int `json:"closes,omitempty"`
	GoroutinesIdle  int            `json:"goroutines_idle"`
	GoroutinesLoad  int            `json:"goroutines_load"`
	GoroutinesAfter int            `json:"goroutines_after"`
}

// ServerHistogram is the server's own fan-out histogram
// (loops_fanout_seconds): the bucket bounds below which its quantiles lie.
type ServerHistogram struct {
	Count     int64   `json:"count"`
	P50Below  float64 `json:"p50_below_ms"`
	P99Below  float64 `json:"p99_below_ms"`
	P999Below float64 `json:"p999_below_ms"`
}

// ChaosReport is what the droppers and the misbehaving clients saw.
type ChaosReport struct {
	Drops        int                         `json:"drops"`
	Resumed      int                         `json:"resumed_same_user"`
	NewIdentity  int                         `json:"resumed_as_new_user"`
	ResumeFailed int                         `json:"resume_failed"`
	Misbehaving  map[string]*MisbehaveResult `json:"misbehaving"`
	Problems     []string                    `json:"problems,omitempty"`
}

// failures says what the chaos broke, or that it tried nothing: no client
// dropped, a dropped client that did not come back as the same user, bad
// input not closed as PROTOCOL.md says.
func (c *ChaosReport) failures() []string {
	var f []string
	if c.Drops == 0 {
		f = append(f, "the chaos dropped no client: no resume was tried")
	}
	if c.Resumed != c.Drops {
		f = append(f, fmt.Sprintf("%d drops, %d resumed as the same user (%d as a new one, %d failed): %v",
			c.Drops, c.Resumed, c.NewIdentity, c.ResumeFailed, c.Problems))
	}
	for _, kind := range slices.Sorted(maps.Keys(c.Misbehaving)) {
		if m := c.Misbehaving[kind]; m.AsExpected != m.Clients {
			f = append(f, fmt.Sprintf("%s input: %d of %d closed with %s, got %v", kind, m.AsExpected, m.Clients, m.Expected, m.Got))
		}
	}
	return f
}

// Failures says, a sentence each, what the run broke of what a hub must
// keep: every client joined, every play and stop reached every member,
// nobody was closed but on purpose, the views and the server's counts
// agree, and the chaos and the attacker did no harm. Empty when it passed.
func (r *Report) Failures() []string {
	var f []string
	if r.JoinFailed != 0 {
		f = append(f, fmt.Sprintf("%d clients could not join: %s", r.JoinFailed, r.JoinError))
	}
	if r.Latency.Count == 0 {
		f = append(f, "no played or stopped arrived")
	}
	if r.Lost != 0 {
		f = append(f, fmt.Sprintf("%d deliveries lost (%d after a resume): %v", r.Lost, r.LostAfterResume, r.LostSamples))
	}
	if r.UnexpectedCloses != 0 {
		f = append(f, fmt.Sprintf("%d unexpected closes: %v", r.UnexpectedCloses, r.CloseReasons))
	}
	for _, v := range r.Invariants.Violations {
		f = append(f, "invariant: "+v)
	}
	if r.Chaos != nil {
		f = append(f, r.Chaos.failures()...)
	}
	if r.Attack != nil && r.Attack.Broken != "" {
		f = append(f, "the attacker: "+r.Attack.Broken)
	}
	return f
}

// MisbehaveResult counts the close statuses one kind of bad input got.
type MisbehaveResult struct {
	Clients           int            `json:"clients"`
	Expected          string         `json:"expected"`
	AsExpected        int            `json:"as_expected"`
	Got               map[string]int `json:"got"`
	RateLimitedErrors int            `json:"rate_limited_errors,omitempty"`
}

// InvariantReport is the check of the views against each other and
// /api/stats after the run settled.
type InvariantReport struct {
	Clients     int      `json:"clients_checked"`
	Jams        int      `json:"jams_checked"`
	ServerJams  int      `json:"server_jams"`
	ServerUsers int      `json:"server_users"`
	Violations  []string `json:"violations"`
}

// Format writes the report for people.
func (r *Report) Format(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	mode := "load"
	if r.Chaos != nil {
		mode = "load + chaos"
	}
	if r.Attack != nil {
		mode += " + attack"
	}
	jitter := ""
	if r.Jitter != "" && r.Jitter != "0s" {
		jitter = " ±" + r.Jitter
	}
	p("Hub %s: %d clients against %s, toggling every %s%s for %s", mode, r.Clients, r.URL, r.Period, jitter, r.Duration)
	p("machine      load average %.2f before the toggles, %.2f after (2 cores)", r.LoadAvg[0], r.LoadAvg[1])
	p("joins        %d connected, %d failed, %.1f s, %.0f joins/s (join p50 %.1f ms, p99 %.1f ms)",
		r.Connected, r.JoinFailed, r.JoinSeconds, r.JoinsPerSec, r.JoinLatency.P50, r.JoinLatency.P99)
	if r.JoinError != "" {
		p("             first failure: %s", r.JoinError)
	}
	p("jams         %d jams for %d users after the joins", r.JamsAfterJoin, r.UsersAfterJoin)
	p("toggles      %d sent, %d void (sender dropped before any delivery)", r.Toggles, r.Void)
	if r.LateTurn > 0 {
		p("             %d not sent: their turn had ended before a sender was free", r.LateTurn)
	}
	l := r.Latency
	p("fan-out      %d deliveries: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms",
		l.Count, l.P50, l.P90, l.P99, l.P999, l.Max)
	p("             (the sender's own echo: p50 %.2f ms, p99 %.2f ms; the toggle's write: p50 %.2f ms, p99 %.2f ms)",
		r.EchoLatency.P50, r.EchoLatency.P99, r.WriteLatency.P50, r.WriteLatency.P99)
	p("lost         %d, %d of them sent after a resume (counted %.1f s after the last toggle; %d deliveries of void or unknown events)",
		r.Lost, r.LostAfterResume, r.SettleSeconds, r.Untracked)
	for _, s := range r.LostSamples {
		p("             %s", s)
	}
	p("closes       %d unexpected %s", r.UnexpectedCloses, formatCounts(r.CloseReasons))
	if a := r.Attack; a != nil {
		p("attack       from %s (%.0f%% CPU): mixes by status %v; sockets held without joining, peak %d, refused %v; %d slow WASM readers, %d cut off; %d joins, %d rate_limited",
			a.From, a.CPUPercent, a.Mixes, a.SocketsPeak, a.SocketsRefused, a.SlowReaders, a.SlowCutOff, a.Joins, a.JoinsLimited)
		if a.Broken != "" {
			p("             the attacker broke: %s", a.Broken)
		}
	}
	s := r.Server
	p("server RSS   idle %s, loaded %s, peak %s, after %s; %.1f KB per connection",
		kb(s.RSSIdleKB), kb(s.RSSLoadKB), kb(s.RSSPeakKB), kb(s.RSSAfterKB), s.RSSPerConnKB)
	if r.InProcess {
		p("heap         idle %s, loaded %s, after %s; %.1f KB per connection (in process: generator included)",
			kb(s.HeapIdleKB), kb(s.HeapLoadKB), kb(s.HeapAfterKB), s.HeapPerConnKB)
	}
	p("server CPU   %.0f%% while joining, %.0f%% while toggling (100%% = one core)", s.CPUJoinPercent, s.CPUPercent)
	if h := s.Fanout; h != nil {
		p("server own   %d frames written: p50 < %g ms, p99 < %g ms, p99.9 < %g ms (loops_fanout_seconds, receipt to write)",
			h.Count, h.P50Below, h.P99Below, h.P999Below)
	}
	if s.Closes != nil {
		p("server closes %s (loops_closes_total before the clients left)", formatCounts(s.Closes))
	}
	p("generator    %.0f%% CPU while toggling", r.GeneratorCPUPercent)
	p("goroutines   idle %d, loaded %d, after %d", s.GoroutinesIdle, s.GoroutinesLoad, s.GoroutinesAfter)
	if c := r.Chaos; c != nil {
		p("chaos        %d drops: %d resumed as the same user, %d as a new user, %d failed",
			c.Drops, c.Resumed, c.NewIdentity, c.ResumeFailed)
		for _, kind := range slices.Sorted(maps.Keys(c.Misbehaving)) {
			m := c.Misbehaving[kind]
			extra := ""
			if m.RateLimitedErrors > 0 {
				extra = fmt.Sprintf(", %d rate_limited errors", m.RateLimitedErrors)
			}
			p("             %-9s %d/%d closed with %s %s%s", kind, m.AsExpected, m.Clients, m.Expected, formatCounts(m.Got), extra)
		}
		for _, s := range c.Problems {
			p("             %s", s)
		}
	}
	iv := r.Invariants
	p("invariants   %d clients in %d jams checked against /api/stats (%d jams, %d users): %d violations",
		iv.Clients, iv.Jams, iv.ServerJams, iv.ServerUsers, len(iv.Violations))
	for _, v := range iv.Violations {
		p("             %s", v)
	}
	for _, n := range r.Notes {
		p("note         %s", n)
	}
	for _, f := range r.Failures() {
		p("failed       %s", f)
	}
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	p("result       %s", verdict)
}

func kb(v int64) string {
	if v <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MB", float64(v)/1024)
}

func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
