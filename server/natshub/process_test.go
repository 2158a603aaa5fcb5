//go:build linux

package natshub

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go"
)

// The environment of a node process: the test binary started again, as a
// node of its own (runNodeProcess), so that a test can SIGKILL it.
const (
	envNode   = "LOOPS_NATSHUB_TEST_NODE"  // the node's name
	envRoute  = "LOOPS_NATSHUB_TEST_ROUTE" // the first node's cluster URL, or none for the first
	envData   = "LOOPS_NATSHUB_TEST_DATA"  // its JetStream directory
	nodeReady = "node listening"           // the line a node writes once it listens
)

func TestMain(m *testing.M) {
	if os.Getenv(envNode) != "" {
		if err := runNodeProcess(); err != nil {
			fmt.Fprintln(os.Stderr, "node:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runNodeProcess serves one node of a cluster until the process is killed:
// an embedded nats-server clustered with the others, its hub, and the
// server on a real listener, as `loops -nats embedded` runs them. Every
// port is the kernel's choice (no race with other processes for a port
// picked before); the node writes them on stdout as
// "node listening SOCKETS CLUSTER", and the nodes after the first route to
// the first one's cluster URL (NATS tells them of each other), the first
// one to itself. Its logs and
// its nats-server's warnings and errors go to stderr, the test's.
func runNodeProcess() error {
	name := os.Getenv(envNode)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("process", name)
	var routes []string
	if r := os.Getenv(envRoute); r != "" {
		routes = []string{r}
	}
	cfg := EmbeddedConfig{Name: name, DataDir: os.Getenv(envData), Cluster: "127.0.0.1:0", Routes: routes, Log: log}
	var emb *Embedded
	var err error
	if len(routes) == 0 {
		emb, err = startFirstEmbedded(cfg)
	} else {
		emb, err = StartEmbedded(cfg)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("%s %s %s\n", nodeReady, ln.Addr(), emb.ClusterURL())
	nc, err := emb.Connect(append(ConnOptions(name), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))...)
	if err != nil {
		return err
	}
	// The buckets' three replicas wait for all three servers to be in
	// the cluster, and JetStream for its leader: slow under -race on a
	// crowded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hub, err := New(ctx, Config{Conn: nc, Key: testKey, Node: name, Replicas: 3, Log: log})
	if err != nil {
		return err
	}
	store, err := NewRecordingStore(ctx, RecordingsConfig{Conn: nc, Replicas: 3})
	if err != nil {
		return err
	}
	return http.Serve(ln, server.New(server.Config{Cluster: hub, Recordings: store}))
}

// procNode is a node running in a process of its own.
type procNode struct {
	name    string
	addr    string // its sockets'
	cluster string // its nats-server's routes'
	cmd     *exec.Cmd
	done    chan struct{}
}

func (n *procNode) url() string { return "ws://" + n.addr + "/socket" }

// kill ends the node's process with SIGKILL and waits until it is gone.
func (n *procNode) kill(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %s: %v", n.name, err)
	}
	<-n.done
}

// startNode starts this test binary as a node routing to route (none for
// the first) and returns once it listens.
func startNode(t *testing.T, name, route string) *procNode {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envNode+"="+name, envRoute+"="+route, envData+"="+t.TempDir())
	cmd.Stderr = os.Stderr
	// A node outlives no test binary, even one killed on a timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &procNode{name: name, cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-n.done
	})
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if f := strings.Fields(strings.TrimPrefix(lines.Text(), nodeReady)); len(f) == 2 && strings.HasPrefix(lines.Text(), nodeReady) {
			n.addr, n.cluster = f[0], f[1]
			break
		}
	}
	// The pipe is read to its end, so that the node never blocks on it.
	go func() {
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(n.done)
	}()
	if n.addr == "" {
		t.Fatalf("node %s did not start", name)
	}
	return n
}

// processCluster starts n nodes, each a process of its own (this test
// binary again), whose embedded nats-servers form one cluster, and waits
// until each one serves. The processes are killed when the test ends.
func processCluster(t *testing.T, n int) []*procNode {
	t.Helper()
	nodes := make([]*procNode, n)
	for i := range n {
		route := ""
		if i > 0 {
			route = nodes[0].cluster
		}
		nodes[i] = startNode(t, fmt.Sprintf("proc%d", i), route)
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for _, node := range nodes {
		for {
			res, err := hc.Get("http://" + node.addr + "/healthz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-node.done:
				t.Fatalf("node %s exited before it served", node.name)
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s did not serve within 2 min: %v", node.name, err)
			}
		}
	}
	return nodes
}

// TestClusterProcessKilled runs three nodes as processes and SIGKILLs one
// while its jams are busy: nothing is lost, and its players come back.
func TestClusterProcessKilled(t *testing.T) {
	nodes := processCluster(t, 3)
	parent := t // the clients outlive the subtests
	live := []string{nodes[0].url(), nodes[1].url()}

	// Two jams of six players, two on each node; in each, a player on
	// the doomed node and one elsewhere play.
	type jam struct {
		cs   []*client
		want map[string]shared.Member // every member as the jam must stay
	}
	jams := make([]*jam, 2)
	for k := range jams {
		j := &jam{cs: make([]*client, 6)}
		for i := range j.cs {
			j.cs[i] = wstest.Dial(t, nodes[i%3].url())
			j.cs[i].Join(fmt.Sprintf("killed-%d", k), "")
		}
		j.cs[2].Send(&shared.Play{})
		j.cs[3].Send(&shared.Play{})
		for _, c := range j.cs {
			// Events from other nodes come in their own time: a pong
			// does not wait for them.
			c.Until(func() bool {
				v := c.View.ByID()
				return len(v) == 6 && v[j.cs[2].Welcome.You].Playing && v[j.cs[3].Welcome.You].Playing
			})
		}
		wstest.SameViews(t, j.cs...)
		j.want = j.cs[0].View.ByID()
		jams[k] = j
	}

	// A play is on its way on a live node as the node dies.
	for _, j := range jams {
		j.cs[1].Send(&shared.Play{})
	}
	nodes[2].kill(t)
	start := time.Now()
	for _, j := range jams {
		p := wstest.Expect[*shared.Played](j.cs[1])
		m := j.want[p.ID]
		m.Playing, m.Bar = true, p.Bar
		j.want[p.ID] = m
	}

	t.Run("its players are back on the other nodes within 10 s as the same users, loops and playing states", func(t *testing.T) {
		for _, j := range jams {
			for _, i := range []int{2, 5} {
				old := j.cs[i].Welcome
				back := rejoinURLs(parent, live, old.Resume, 10*time.Second)
				if took := time.Since(start); took > 10*time.Second {
					t.Fatalf("back after %v, want within 10 s", took)
				}
				w := back.Welcome
				if w.You != old.You || w.Jam.ID != old.Jam.ID {
					t.Fatalf("back as %s in %s, want %s in %s", w.You, w.Jam.ID, old.You, old.Jam.ID)
				}
				if me, _ := member(w, w.You); me != j.want[old.You] {
					t.Fatalf("back as %+v, want %+v", me, j.want[old.You])
				}
				j.cs[i] = back
			}
		}
		t.Logf("all back %v after the kill", time.Since(start).Round(time.Millisecond))
	})

	t.Run("every view is equal again, with no jam state lost", func(t *testing.T) {
		for k, j := range jams {
			for _, c := range j.cs {
				c.Until(func() bool { return maps.Equal(c.View.ByID(), j.want) })
			}
			wstest.SameViews(t, j.cs...)
			if !maps.Equal(j.cs[0].View.ByID(), j.want) {
				t.Fatalf("jam %d after the kill:\n%v\nwant\n%v", k, j.cs[0].View.ByID(), j.want)
			}
		}
	})

	t.Run("the jams go on across the live nodes", func(t *testing.T) {
		for _, j := range jams {
			j.cs[5].Send(&shared.Play{})
			for _, c := range j.cs {
				if p := wstest.Expect[*shared.Played](c); p.ID != j.cs[5].Welcome.You {
					t.Fatalf("played %s, want %s", p.ID, j.cs[5].Welcome.You)
				}
			}
			wstest.SameViews(t, j.cs...)
		}
	})
}
