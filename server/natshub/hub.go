//go:build !wasm

// Package natshub spreads the jam hub over several nodes on NATS: each
// node keeps serving its own sockets, and the jams live in JetStream, so a
// jam's members may sit on any nodes and a node may die without losing one.
//
// Where the state is: every jam is one value of the jams bucket (a
// JetStream KV), under its id: its timeline, its members with their loops,
// playing states and the node holding each, and the last event. Every change
// (a join, leave, swap, takeover) is a compare-and-set on the
// key's revision, made by the node that decides it: the one holding the
// member's socket, which also picks the bar. A node that loses the race
// reads the jam again and decides again, so racing joins on different nodes
// never put eight in a jam or one loop twice.
//
// How events travel: the bucket republishes every change of jam ID on the
// subject PREFIX.jam.ID, with the record, which carries the frame to
// deliver. Every node hears every jam's subject (PREFIX.jam.*): it keeps
// its picture of the cluster from the records (world.go), and writes the
// frames of the jams it holds members of to their sockets; the stream
// orders the changes of a jam, so every member sees them in one order,
// with the same bars.
// Plays and stops go out on a plain publish on the same subject instead,
// numbered per member (fast.go): a member's plays and stops reach everyone
// in their order, once, in one hop. They reach a jam's record with its next
// change, and meanwhile each node writes its members' plays and stops of a
// while in one value of its own (nodeplays.go).
//
// Who owns what: the jams bucket owns the jams; a node owns only its
// sockets and, for each jam it holds members of, a cache of the last record
// it saw (the first guess of its next compare-and-set). Resume tokens are
// signed with a key every node shares and are used up in the tokens bucket,
// so any node accepts one, once. Each node beats in the nodes bucket; the
// members of a node that stopped beating are removed by the live node with
// the smallest name.
package natshub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/server/internal/defaults"
	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config configures a Hub. Zero fields take the defaults in brackets.
type Config struct {
	// Conn is the node's NATS connection, made with ConnOptions; the Hub
	// does not close it.
	Conn *nats.Conn
	// Key signs resume tokens; every node of a cluster must have the same
	// one, and it must stay secret: it lets its holder be anyone.
	Key []byte
	// Node names this node; names must differ between nodes [a UUID].
	Node string
	// Prefix starts every bucket and subject name, so that several
	// clusters can share one NATS ["loops"].
	Prefix string
	// Replicas is how many copies JetStream keeps of each bucket: 3 on a
	// three-node cluster, so that one node may die [1].
	Replicas int
	// Now is the clock protocol times come from [time.Now].
	Now func() time.Time
	// ResumeWindow is how long a resume token brings back a user who left
	// [shared.ResumeWindow].
	ResumeWindow time.Duration
	// TokenLifetime bounds a token while its connection is open: a user
	// connected longer resumes as new [12h].
	TokenLifetime time.Duration
	// Beat is how often the node tells the others it is alive [1s].
	Beat time.Duration
	// NodeTimeout is how long after its last beat a node counts as dead
	// and its members are removed [8s]. With Beat it bounds how long a
	// member whose node died stays in its jam.
	NodeTimeout time.Duration
	// OpTimeout bounds each call to JetStream [5s].
	OpTimeout time.Duration
	// PlayWrite is how often a node writes its plays and stops [10s]:
	// the members hear one at once, on its plain publish, every node
	// keeps it until its jam's record holds it, and every PlayWrite each
	// node writes all its members' plays and stops that their records
	// lack under its own keys of the plays bucket, spread over the
	// PlayWrite that follows, so that each is written within two
	// (nodeplays.go): a replicated write a node and key, where one a
	// jam cost the three nodes of a cluster about 2 ms of CPU each, a
	// quarter of their CPU at 9,000 clients (BENCHMARKS.md). Only a node started
	// meanwhile misses one whose node died in that while.
	PlayWrite time.Duration
	// Log receives the hub's logs; nil discards them.
	Log *slog.Logger
}

func (cfg Config) withDefaults() Config {
	if cfg.Node == "" {
		cfg.Node = uuid.NewString()
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "loops"
	}
	defaults.Set(&cfg.Replicas, 1)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	defaults.Set(&cfg.ResumeWindow, shared.ResumeWindow)
	defaults.Set(&cfg.TokenLifetime, 12*time.Hour)
	defaults.Set(&cfg.Beat, time.Second)
	defaults.Set(&cfg.NodeTimeout, 8*time.Second)
	defaults.Set(&cfg.OpTimeout, 5*time.Second)
	defaults.Set(&cfg.PlayWrite, 10*time.Second)
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg
}

// Hub is one node's share of a hub spread over NATS: a server.Cluster.
type Hub struct {
	cfg  Config
	log  *slog.Logger
	nc   *nats.Conn
	sign signer

	jams   jetstream.KeyValue // jam id -> jamRecord
	left   jetstream.KeyValue // user id -> leftRecord, for the resume window
	tokens jetstream.KeyValue // token id -> used, for the token's lifetime
	nodes  jetstream.KeyValue // node name -> its last beat
	plays  jetstream.KeyValue // node name (and parts) -> its plays and stops (nodeplays.go)

	world    *world
	creating sync.Mutex // held while this node creates a public jam
	// kitTurn counts the jams the balancer created here (nextKit).
	kitTurn atomic.Int64
	online  atomic.Bool
	halted  atomic.Bool // the node is gone: tests stop it abruptly

	mu      sync.Mutex
	clients map[server.Client]*local // every socket that joined, or is joining
	local   map[string]*localJam     // jams with members here

	stop chan struct{}
	wg   sync.WaitGroup
}

var _ server.Cluster = (*Hub)(nil)

// ConnOptions are the options of node's NATS connection (Config.Conn),
// before the caller's own (reconnects, say): its name, and NoEcho. A node
// delivers its own plays and stops to its sockets and hears them (toggle)
// before it publishes them, so their copy back on the jams' subject would
// be one more message a toggle, its hand-offs and the node's receipt, for
// nothing. The changes of the jams arrive all the same: the bucket's stream
// republishes them, not the node's connection.
func ConnOptions(node string) []nats.Option {
	return []nats.Option{nats.Name("loops " + node), nats.NoEcho()}
}

// New connects a Hub to the buckets, creating them when they are missing,
// and starts its node's beat. Until ctx is done it retries while JetStream
// is not ready yet (a cluster electing its leader, say).
func New(ctx context.Context, cfg Config) (*Hub, error) {
	cfg = cfg.withDefaults()
	if cfg.Conn == nil {
		return nil, errors.New("natshub: no NATS connection")
	}
	if len(cfg.Key) < 16 {
		return nil, errors.New("natshub: the resume key must have at least 16 bytes")
	}
	h := &Hub{
		cfg:     cfg,
		log:     cfg.Log.With("node", cfg.Node),
		nc:      cfg.Conn,
		sign:    signer{key: cfg.Key},
		clients: make(map[server.Client]*local),
		local:   make(map[string]*localJam),
		stop:    make(chan struct{}),
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, fmt.Errorf("natshub: jetstream: %w", err)
	}
	p := cfg.Prefix
	// The jams and the nodes' beats are written all the time and matter
	// only while some node runs: replicated, they are kept in memory (a
	// node that dies and comes back catches up from the others), which
	// spares every write its appends to the stream's and Raft's files:
	// those took 4.8% of the three nodes' CPU at 9,000 clients, the
	// memory stores 1.4% (BENCHMARKS.md). A single copy, and the resume
	// tokens and the left users, which must outlive a restart of every
	// node, are kept on disk.
	live := jetstream.FileStorage
	if cfg.Replicas > 1 {
		live = jetstream.MemoryStorage
	}
	buckets := []struct {
		kv      *jetstream.KeyValue
		cfg     jetstream.KeyValueConfig
		storage jetstream.StorageType
	}{
		{&h.jams, jetstream.KeyValueConfig{Bucket: p + "-jams", History: 1,
			RePublish: &jetstream.RePublish{Source: "$KV." + p + "-jams.*", Destination: p + ".jam.{{wildcard(1)}}"}}, live},
		{&h.left, jetstream.KeyValueConfig{Bucket: p + "-left", History: 1, TTL: cfg.ResumeWindow}, jetstream.FileStorage},
		{&h.tokens, jetstream.KeyValueConfig{Bucket: p + "-tokens", History: 1, TTL: cfg.TokenLifetime + time.Minute}, jetstream.FileStorage},
		{&h.nodes, jetstream.KeyValueConfig{Bucket: p + "-nodes", History: 1, TTL: 3 * cfg.NodeTimeout}, live},
		{&h.plays, jetstream.KeyValueConfig{Bucket: p + "-plays", History: 1}, live},
	}
	for _, b := range buckets {
		b.cfg.Replicas = cfg.Replicas
		b.cfg.Storage = b.storage
		kv, err := createBucket(ctx, js, b.cfg)
		if err != nil {
			return nil, err
		}
		*b.kv = kv
	}
	h.world = newWorld(h)
	if err := h.world.start(ctx); err != nil {
		return nil, err
	}
	h.online.Store(cfg.Conn.IsConnected())
	cfg.Conn.SetDisconnectErrHandler(func(*nats.Conn, error) { h.lost("disconnected") })
	cfg.Conn.SetClosedHandler(func(*nats.Conn) { h.lost("closed") })
	cfg.Conn.SetReconnectHandler(func(*nats.Conn) { h.regained() })
	h.wg.Add(2)
	go h.beat()
	go h.writePlays()
	return h, nil
}

// createBucket creates or updates a bucket, retrying until ctx is done while
// JetStream is not ready. A bucket that exists keeps its storage, which
// JetStream cannot change: the nodes of a cluster whose buckets were made
// before the storage followed the replicas use them as they are.
func createBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if old, err := js.KeyValue(actx, cfg.Bucket); err == nil {
			if st, err := old.Status(actx); err == nil {
				if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok && bs.StreamInfo() != nil {
					cfg.Storage = bs.StreamInfo().Config.Storage
				}
			}
		}
		kv, err := js.CreateOrUpdateKeyValue(actx, cfg)
		cancel()
		if err == nil {
			return kv, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("natshub: bucket %s: %w (%w)", cfg.Bucket, err, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Close stops the node's beat, its writes of its plays (nodeplays.go) and
// its watches. It neither closes the sockets (the server drains them, and
// each one's Leave comes here) nor the NATS connection.
func (h *Hub) Close() {
	select {
	case <-h.stop:
		return
	default:
	}
	close(h.stop)
	h.world.stopWatch()
	h.wg.Wait()
}

// Node returns the node's name.
func (h *Hub) Node() string { return h.cfg.Node }

// lost closes every socket of the node with 1012 when its NATS connection
// is gone: the node can no longer hear its jams, so its clients must go
// where they can (their resume brings them back as they were).
func (h *Hub) lost(why string) {
	select {
	case <-h.stop:
		return // closed: the connection goes with the process
	default:
	}
	if !h.online.Swap(false) || h.halted.Load() {
		return
	}
	h.log.Warn("lost the cluster", "why", why)
	h.mu.Lock()
	clients := make([]*local, 0, len(h.clients))
	for c, l := range h.clients {
		clients = append(clients, l)
		delete(h.clients, c)
	}
	h.mu.Unlock()
	for _, l := range clients {
		h.dropLocal(l)
		l.c.CloseWith(server.StatusTryAgainLater, "the server lost the cluster, try again")
	}
}

// regained lets the node take joins again once its connection is back, and
// removes its members that it no longer holds (their sockets were closed
// while it could not write).
func (h *Hub) regained() {
	if h.halted.Load() {
		return
	}
	h.online.Store(true)
	h.log.Info("back in the cluster")
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		// What changed while the connection was down did not come in.
		ctx, cancel := h.opCtx()
		err := h.world.load(ctx)
		cancel()
		if err != nil {
			h.log.Warn("reading the jams again failed", "err", err)
		}
		h.reap(func(node string) bool { return node == h.cfg.Node }, h.holds)
	}()
}

// halt makes the node stop acting at once, as if its process died: no more
// writes, beats or deliveries. Tests use it for an abrupt stop in process.
func (h *Hub) halt() {
	h.halted.Store(true)
	h.online.Store(false)
}

// opCtx returns the context of one call to JetStream.
func (h *Hub) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), h.cfg.OpTimeout)
}

func (h *Hub) nowMs() float64 { return float64(h.cfg.Now().UnixNano()) / 1e6 }

// Stats returns the numbers of the whole cluster as this node last saw them.
func (h *Hub) Stats() shared.Stats { return h.world.stats() }

// JamSizes returns every jam's member count, for the admin listener.
func (h *Hub) JamSizes() shared.JamSizes { return h.world.jamSizes() }
