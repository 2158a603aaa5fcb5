//go:build !wasm

package natshub

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go"
)

// The environment of a node process: the test binary started again, as a
// node of its own (runNodeProcess), so that a test can SIGKILL it.
const (
	envNode    = "LOOPS_NATSHUB_TEST_NODE"   // the node's name
	envAddr    = "LOOPS_NATSHUB_TEST_ADDR"   // where it serves sockets
	envCluster = "LOOPS_NATSHUB_TEST_ROUTE"  // where its nats-server takes routes
	envRoutes  = "LOOPS_NATSHUB_TEST_ROUTES" // the others', comma-separated
	envData    = "LOOPS_NATSHUB_TEST_DATA"   // its JetStream directory
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
// server on a real listener, as `loops -nats embedded` runs them.
func runNodeProcess() error {
	name := os.Getenv(envNode)
	emb, err := StartEmbedded(EmbeddedConfig{
		Name:    name,
		DataDir: os.Getenv(envData),
		Cluster: os.Getenv(envCluster),
		Routes:  strings.Split(os.Getenv(envRoutes), ","),
	})
	if err != nil {
		return err
	}
	nc, err := emb.Connect(nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hub, err := New(ctx, Config{Conn: nc, Key: testKey, Node: name, Replicas: 3})
	if err != nil {
		return err
	}
	store, err := NewRecordingStore(ctx, RecordingsConfig{Conn: nc, Replicas: 3})
	if err != nil {
		return err
	}
	srv := server.New(server.Config{Cluster: hub, Recordings: store})
	ln, err := net.Listen("tcp", os.Getenv(envAddr))
	if err != nil {
		return err
	}
	return http.Serve(ln, srv)
}

// procNode is a node running in a process of its own.
type procNode struct {
	name string
	addr string
	cmd  *exec.Cmd
	done chan struct{}
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

// processCluster starts n nodes, each a process of its own (this test
// binary again), whose embedded nats-servers form one cluster, and waits
// until each one serves. The processes are killed when the test ends.
func processCluster(t *testing.T, n int) []*procNode {
	t.Helper()
	ports := freePorts(t, 2*n)
	nodes := make([]*procNode, n)
	for i := range n {
		var routes []string
		for j := range n {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[n+j]))
			}
		}
		node := &procNode{name: fmt.Sprintf("proc%d", i), addr: fmt.Sprintf("127.0.0.1:%d", ports[i]), done: make(chan struct{})}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(),
			envNode+"="+node.name,
			envAddr+"="+node.addr,
			fmt.Sprintf("%s=127.0.0.1:%d", envCluster, ports[n+i]),
			envRoutes+"="+strings.Join(routes, ","),
			envData+"="+t.TempDir(),
		)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		node.cmd = cmd
		go func() { _ = cmd.Wait(); close(node.done) }()
		nodes[i] = node
	}
	t.Cleanup(func() {
		for _, node := range nodes {
			_ = node.cmd.Process.Kill()
			<-node.done
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for _, node := range nodes {
		for {
			res, err := http.Get("http://" + node.addr + "/healthz")
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
				t.Fatalf("node %s did not serve within 90 s: %v", node.name, err)
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
			j.cs[i] = dialURL(t, nodes[i%3].url())
			j.cs[i].join(fmt.Sprintf("killed-%d", k), "")
		}
		j.cs[2].send(&shared.Play{})
		j.cs[3].send(&shared.Play{})
		for _, c := range j.cs {
			// Events from other nodes come in their own time: a pong
			// does not wait for them.
			c.until(func() bool {
				return len(c.view) == 6 && c.view[j.cs[2].welcome.You].Playing && c.view[j.cs[3].welcome.You].Playing
			})
		}
		sameViews(t, j.cs...)
		j.want = maps.Clone(j.cs[0].view)
		jams[k] = j
	}

	// A play is on its way on a live node as the node dies.
	for _, j := range jams {
		j.cs[1].send(&shared.Play{})
	}
	nodes[2].kill(t)
	start := time.Now()
	for _, j := range jams {
		p := expect[*shared.Played](j.cs[1])
		m := j.want[p.ID]
		m.Playing, m.Bar = true, p.Bar
		j.want[p.ID] = m
	}

	t.Run("its players are back on the other nodes within 10 s as the same users, loops and playing states", func(t *testing.T) {
		for _, j := range jams {
			for _, i := range []int{2, 5} {
				old := j.cs[i].welcome
				back := rejoinURLs(parent, live, old.Resume, 10*time.Second)
				if took := time.Since(start); took > 10*time.Second {
					t.Fatalf("back after %v, want within 10 s", took)
				}
				w := back.welcome
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
				c.until(func() bool { return maps.Equal(c.view, j.want) })
			}
			sameViews(t, j.cs...)
			if !maps.Equal(j.cs[0].view, j.want) {
				t.Fatalf("jam %d after the kill:\n%v\nwant\n%v", k, j.cs[0].view, j.want)
			}
		}
	})

	t.Run("the jams go on across the live nodes", func(t *testing.T) {
		for _, j := range jams {
			j.cs[5].send(&shared.Play{})
			for _, c := range j.cs {
				if p := expect[*shared.Played](c); p.ID != j.cs[5].welcome.You {
					t.Fatalf("played %s, want %s", p.ID, j.cs[5].welcome.You)
				}
			}
			sameViews(t, j.cs...)
		}
	})
}
