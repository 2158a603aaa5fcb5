//go:build !wasm

package natshub

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/nats-io/nats.go"
)

// testKey is the resume key every test node shares.
var testKey = []byte("a test key that is long enough")

// testLog takes the nodes' and their nats-servers' warnings and errors: go
// test shows them when a test fails.
var testLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// testNode is one node of a test cluster: an embedded nats-server, its
// Hub and a server.Server behind a real httptest.Server.
type testNode struct {
	name  string
	emb   *Embedded
	nc    *nats.Conn
	hub   *Hub
	store *RecordingStore
	srv   *server.Server
	ts    *httptest.Server
	lis   *trackingListener

	stopOnce sync.Once
}

// url returns the node's socket URL.
func (n *testNode) url() string { return "ws" + strings.TrimPrefix(n.ts.URL, "http") + "/socket" }

// testCluster starts n nodes on loopback whose embedded nats-servers form
// one cluster, JetStream replicating every bucket on three of them; tune
// changes each hub's Config. Everything stops when the test ends.
func testCluster(t *testing.T, n int, tune func(*Config)) []*testNode {
	t.Helper()
	nodes := make([]*testNode, n)
	errs := make([]error, n)
	// The first server routes to itself (a clustered JetStream needs a
	// route) and the others to it, taking the kernel's ports: it tells
	// them of each other.
	start := func(i int, routes []string) {
		nodes[i] = &testNode{name: fmt.Sprintf("node%d", i)}
		cfg := EmbeddedConfig{Name: nodes[i].name, DataDir: t.TempDir(), Cluster: "127.0.0.1:0", Routes: routes, Log: testLog}
		if i == 0 {
			nodes[i].emb, errs[i] = startFirstEmbedded(cfg)
		} else {
			nodes[i].emb, errs[i] = StartEmbedded(cfg)
		}
	}
	start(0, nil)
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start(i, []string{nodes[0].emb.ClusterURL()})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			for _, node := range nodes {
				if node.emb != nil {
					node.emb.Shutdown()
				}
			}
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, node := range nodes {
			node.stop()
		}
	})
	for i, node := range nodes {
		nc, err := node.emb.Connect(append(ConnOptions(node.name), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))...)
		if err != nil {
			t.Fatal(err)
		}
		node.nc = nc
		cfg := Config{Conn: nc, Key: testKey, Node: node.name, Replicas: min(3, n), Log: testLog}
		if tune != nil {
			tune(&cfg)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			nodes[i].hub, errs[i] = New(ctx, cfg)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, node := range nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		store, err := NewRecordingStore(ctx, RecordingsConfig{Conn: node.nc, Replicas: min(3, n)})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		node.store = store
		node.srv = server.New(server.Config{Cluster: node.hub, Recordings: store})
		node.lis = &trackingListener{Listener: listenLoopback(t)}
		node.ts = httptest.NewUnstartedServer(node.srv)
		_ = node.ts.Listener.Close()
		node.ts.Listener = node.lis
		node.ts.Start()
	}
	return nodes
}

// startFirstEmbedded starts the first server of a cluster, routing to
// itself on a port free a moment ago; another process may take the port
// meanwhile, so a port taken is tried again with another.
func startFirstEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	for try := 0; ; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		addr := l.Addr().String()
		_ = l.Close()
		cfg.Cluster, cfg.Routes = addr, []string{"nats://" + addr}
		emb, err := StartEmbedded(cfg)
		if err == nil || try == 4 || !strings.Contains(err.Error(), "listening on router port") {
			return emb, err
		}
	}
}

// stop drains the node and stops it in order.
func (n *testNode) stop() {
	n.stopOnce.Do(func() {
		if n.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			n.srv.Drain(ctx)
			cancel()
			n.ts.Close()
		}
		if n.hub != nil {
			n.hub.Close()
		}
		if n.nc != nil {
			n.nc.Close()
		}
		n.emb.Shutdown()
	})
}

// kill stops the node at once, as SIGKILL would: its hub acts no more, its
// sockets and its NATS connections are cut without a word.
func (n *testNode) kill() {
	n.stopOnce.Do(func() {
		n.hub.halt()
		n.lis.cut()
		n.nc.Close()
		n.emb.Shutdown()
		n.hub.Close()
		n.ts.Close()
	})
}

// trackingListener keeps every connection it accepts, so that kill can cut
// them (httptest forgets a connection once it is hijacked).
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

// cut closes every connection with a reset: no close frame, no FIN.
func (l *trackingListener) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
	_ = l.Listener.Close()
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
