//go:build !wasm

// Package server is the jam hub: HTTP, the WebSocket protocol, jams and the
// balancer.
//
// Who owns what: the hub's lock covers the set of jams and every join and
// leave, so the balancer sees sizes that cannot change under it and a jam
// never passes its capacity; each jam's lock covers its members' loops and
// playing states, so plays, stops and swaps of different jams never wait on
// each other. Every frame a jam sends is encoded once, and its bytes are
// queued to each member under the jam's lock, so all members see one order.
//
// What a connection costs: one goroutine, its read loop, parked in a read
// with a 4 KB stack (messages are handled on goroutines of their own);
// small socket buffers; an outgoing queue that is a nil slice while empty
// and whose writer goroutine exists only while frames wait. Queuing never
// blocks: a connection whose queue is full is closed with 1008. Any frame
// from a client proves it alive; one shared timer looks at a slice of the
// connections at a time and pings only those that have been quiet, closing
// those that leave two pings in a row unanswered.
package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/server/internal/defaults"
	"github.com/loopswithfriends/loops/shared"
)

// Config configures a Server. Zero fields take the defaults of PROTOCOL.md;
// the tunables exist so tests and benchmarks can turn them.
type Config struct {
	// App serves the browser app: every path the hub does not own.
	App http.Handler
	// AllowedOrigins are origins, besides the server's own host, allowed to
	// open sockets: "https://example.com" (scheme and host) or
	// "example.com" (host only, any scheme).
	AllowedOrigins []string
	// Log receives the server's logs; nil discards them.
	Log *slog.Logger

	// Now is the server's wall clock, the one every protocol time is read
	// from; nil means time.Now.
	Now func() time.Time
	// QueueSize is how many frames may wait for a connection before it
	// counts as too slow and is closed with 1008. It is a limit, not an
	// allocation: the queue grows only as far as frames wait, so it can be
	// large enough for every burst the rate limit lets through a jam.
	QueueSize int
	// WriteTimeout bounds each write to a socket; a write that takes longer
	// ends the connection.
	WriteTimeout time.Duration
	// PingInterval paces the heartbeat: a connection from which nothing
	// came for half an interval (no frame, no pong) gets a WebSocket
	// ping, which waits half an interval for its answer; one unanswered is
	// followed by a second, and a connection that answers neither is
	// closed (PROTOCOL.md: two unanswered pings). A dead peer is so closed
	// within two and a half intervals of its last frame. A client that
	// sends frames more often, as the app does, is never pinged.
	PingInterval time.Duration
	// RateLimit is how many messages a client may send in any RateWindow.
	RateLimit int
	// RateWindow is the window of RateLimit.
	RateWindow time.Duration
	// RateLimitGrace is how long a client may keep exceeding RateLimit
	// before it is closed with 1008.
	RateLimitGrace time.Duration
	// ResumeWindow is how long after a user leaves their resume token
	// still brings them back.
	ResumeWindow time.Duration

	// Recordings keeps the recordings players save; nil keeps them in
	// memory until the process ends.
	Recordings RecordingStore
	// RecordRate is how many recordings one socket may save in any
	// RecordWindow: each is a write to the store.
	RecordRate int
	// RecordWindow is the window of RecordRate.
	RecordWindow time.Duration
	// Cluster, when set, owns the jams instead of this server's own hub:
	// several servers sharing one Cluster act as one hub (cluster.go).
	Cluster Cluster
	// MaxResume and MaxResumePerAddr bound the resume tokens of closed
	// connections kept for ResumeWindow, in total and per client address;
	// past a bound the oldest goes first.
	MaxResume, MaxResumePerAddr int

	// JoinTimeout is how long a socket may stay open without being in a
	// jam before it is closed with 1008: an idle socket costs memory and
	// a slot of the socket limits.
	JoinTimeout time.Duration
	// JoinLimit is how many joins a socket may send in JoinWindow; the
	// excess gets rate_limited, so that no socket churns a jam with joined
	// and left.
	JoinLimit  int
	JoinWindow time.Duration
	// MaxSockets is how many sockets the server holds at once; past it the
	// upgrade is refused with 503.
	MaxSockets int
	// MaxSocketsPerAddr is how many sockets one client address holds at
	// once; past it the upgrade is refused with 429.
	MaxSocketsPerAddr int
	// TrustProxy takes the client's address from the last entry of
	// X-Forwarded-For, the one the reverse proxy in front of the server
	// added; without a proxy it would let any client pick its address.
	TrustProxy bool
	// ResponseReadTimeout and ResponseWriteTimeout bound reading the
	// request and writing the response of every HTTP request but the
	// socket's.
	ResponseReadTimeout, ResponseWriteTimeout time.Duration
	// ReadHeaderTimeout and IdleTimeout are the public listener's
	// (HTTPServer): how long a client may take to send a request's
	// headers, and how long a keep-alive connection may wait for its next
	// request.
	ReadHeaderTimeout, IdleTimeout time.Duration
	// PprofOnAdmin serves Go's profiles at /debug/pprof/ on the admin
	// handler.
	PprofOnAdmin bool
}

// The defaults of the tunables.
const (
	DefaultQueueSize    = 256
	DefaultWriteTimeout = 5 * time.Second
	DefaultPingInterval = 20 * time.Second

	// DefaultMaxSockets suits a 2-core machine with 24 GiB and 20,000 open
	// files: a connection costs under 20 KB and a file descriptor, so this
	// many are 0.3 GB and leave files for HTTP; the hub's CPU, not memory,
	// is what more sockets would run out of (BENCHMARKS.md: 10,000 clients
	// toggling take a third of a core).
	DefaultMaxSockets = 16000
	// DefaultMaxSocketsPerAddr leaves room for a school or an office
	// behind one NAT address while keeping one host from taking more than
	// a thirtieth of the server.
	DefaultMaxSocketsPerAddr = 500
	// DefaultMaxResume bounds the released resume tokens: a few hundred
	// bytes each, a minute each.
	DefaultMaxResume = 100000
	// DefaultMaxResumePerAddr is twice the sockets an address may hold:
	// every one of them may drop and come back at once.
	DefaultMaxResumePerAddr = 2 * DefaultMaxSocketsPerAddr
)

func (cfg Config) withDefaults() Config {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	defaults.Set(&cfg.QueueSize, DefaultQueueSize)
	defaults.Set(&cfg.WriteTimeout, DefaultWriteTimeout)
	defaults.Set(&cfg.PingInterval, DefaultPingInterval)
	defaults.Set(&cfg.RateLimit, shared.RateLimit)
	defaults.Set(&cfg.RateWindow, time.Second)
	defaults.Set(&cfg.RateLimitGrace, shared.RateLimitGrace)
	defaults.Set(&cfg.ResumeWindow, shared.ResumeWindow)
	if cfg.Recordings == nil {
		cfg.Recordings = newMemoryStore()
	}
	defaults.Set(&cfg.RecordRate, shared.RecordsPerMinute)
	defaults.Set(&cfg.RecordWindow, time.Minute)
	defaults.Set(&cfg.MaxResume, DefaultMaxResume)
	defaults.Set(&cfg.MaxResumePerAddr, DefaultMaxResumePerAddr)
	defaults.Set(&cfg.JoinTimeout, shared.JoinTimeout)
	defaults.Set(&cfg.JoinLimit, shared.JoinLimit)
	defaults.Set(&cfg.JoinWindow, shared.JoinWindow)
	defaults.Set(&cfg.ResponseReadTimeout, ResponseReadTimeout)
	defaults.Set(&cfg.ResponseWriteTimeout, ResponseWriteTimeout)
	defaults.Set(&cfg.ReadHeaderTimeout, ReadHeaderTimeout)
	defaults.Set(&cfg.IdleTimeout, IdleTimeout)
	defaults.Set(&cfg.MaxSockets, DefaultMaxSockets)
	defaults.Set(&cfg.MaxSocketsPerAddr, DefaultMaxSocketsPerAddr)
	return cfg
}

// Server is the jam hub and everything it serves over HTTP.
type Server struct {
	cfg   Config
	log   *slog.Logger
	mux   *http.ServeMux
	admin *http.ServeMux
	// loopFiles serves /loops/: the loops' WAV files and their mixes.
	loopFiles *loopFiles
	hub       *hub
	resume    *resumeStore
	metrics   *metrics
	beat      *heartbeat

	// wg counts every goroutine the server starts for its connections, so
	// that Drain can wait for all of them.
	wg sync.WaitGroup

	// stopFlight stops the flight recorder of -pprof, if any; Drain
	// calls it.
	stopFlight func()
	flightOnce sync.Once

	mu       sync.Mutex
	conns    map[*conn]struct{}
	sockets  int            // upgrades admitted and not yet ended
	perAddr  map[string]int // of sockets, by client address
	draining bool
	gone     chan struct{} // closed when draining and conns is empty
}

var _ http.Handler = (*Server)(nil)

// New returns a Server.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:     cfg,
		log:     cfg.Log,
		mux:     http.NewServeMux(),
		admin:   http.NewServeMux(),
		resume:  newResumeStore(cfg.MaxResume, cfg.MaxResumePerAddr),
		conns:   make(map[*conn]struct{}),
		perAddr: make(map[string]int),
		gone:    make(chan struct{}),
	}
	s.hub = newHub(s)
	s.metrics = newMetrics(s.hub)
	s.beat = newHeartbeat(s)
	s.mux.HandleFunc("GET /socket", s.serveSocket)
	s.mux.HandleFunc("GET /api/loops", s.serveLoops)
	s.mux.HandleFunc("GET /api/kits", s.serveKits)
	s.mux.HandleFunc("GET /api/stats", s.serveStats)
	s.mux.HandleFunc("GET /api/recordings/{id}", s.serveRecording)
	s.mux.HandleFunc("GET /healthz", s.serveHealth)
	s.loopFiles = newLoopFiles()
	s.loopFiles.addrOf = s.clientAddr
	s.mux.Handle("GET /loops/", s.loopFiles)
	// What the admin listener serves is not found here, even by the app.
	for _, p := range []string{"/metrics", "/api/jams", "/debug/pprof/"} {
		s.mux.Handle(p, http.NotFoundHandler())
	}
	if cfg.App != nil {
		s.mux.Handle("/", compressText(cfg.App))
	}
	s.admin.Handle("GET /metrics", s.metrics.handler())
	s.admin.HandleFunc("GET /api/jams", s.serveJams)
	s.admin.HandleFunc("GET /healthz", s.serveHealth)
	if cfg.PprofOnAdmin {
		s.handleProfiles(s.admin)
	}
	return s
}

// Admin returns the handler of the admin listener: /metrics, /api/jams
// (every jam's id and size) and, with PprofOnAdmin, /debug/pprof/. Serve it
// only on a loopback or private address: jam ids are the keys to jams.
func (s *Server) Admin() http.Handler { return s.admin }

// Drain stops accepting joins, closes every socket with 1001 and waits for
// the connections to end or ctx to be done. It may be called more than once.
func (s *Server) Drain(ctx context.Context) {
	if s.stopFlight != nil {
		s.flightOnce.Do(s.stopFlight)
	}
	s.mu.Lock()
	s.draining = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	if len(s.conns) == 0 {
		s.closeGone()
	}
	s.mu.Unlock()
	s.hub.drain()
	for _, c := range conns {
		c.closeAsync(statusGoingAway, "server shutting down", reasonDraining)
	}
	select {
	case <-s.gone:
	case <-ctx.Done():
		return
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// isDraining reports whether Drain was called.
func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// track adds c to the live connections; it reports false when the server
// is draining and c must be closed instead.
func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.conns[c] = struct{}{}
	s.beat.add(c)
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	s.release(c.addr)
	s.beat.remove(c)
	if s.draining && len(s.conns) == 0 {
		s.closeGone()
	}
}

func (s *Server) closeGone() {
	select {
	case <-s.gone:
	default:
		close(s.gone)
	}
}

// nowMs returns the server clock in protocol milliseconds.
func (s *Server) nowMs() float64 { return toMs(s.cfg.Now()) }

func toMs(t time.Time) float64 { return float64(t.UnixNano()) / 1e6 }
