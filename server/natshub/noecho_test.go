//go:build !wasm

package natshub

import (
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go"
)

// TestClusterNoEcho checks what a node's connection, made with ConnOptions
// as bin/loops makes it, gets on the jams' subject: none of its own plays
// and stops (it delivered and heard them before publishing), every one of
// another node's, and its own changes of a jam all the same, since the
// bucket's stream republishes them, not the node's connection. It looks
// through a second subscription on each node's own connection, which gets
// what the hub's gets: a record the stream republishes once more (CI's
// crowded JetStream did) is told apart from a play, not miscounted as one.
func TestClusterNoEcho(t *testing.T) {
	nodes := testCluster(t, 2, nil)
	a := joinAt(t, nodes[0], "echo", "")
	b := joinAt(t, nodes[1], "echo", "")
	wstest.Expect[*shared.Joined](a)
	own, other := newJamSpy(t, nodes[0]), newJamSpy(t, nodes[1])

	const toggles = 6
	for i := range toggles {
		if i%2 == 0 {
			a.Send(&shared.Play{})
			wstest.Expect[*shared.Played](a)
			wstest.Expect[*shared.Played](b)
		} else {
			a.Send(&shared.Stop{})
			wstest.Expect[*shared.Stopped](a)
			wstest.Expect[*shared.Stopped](b)
		}
	}
	// node1's hub has every play by now (b got them), so its spy has
	// them too; the server put any echo of node0's publishes before its
	// answer to the flush, behind them.
	if plays, _ := own.took(t); plays != 0 {
		t.Fatalf("node0 got %d plays and stops on the jams' subject for its own %d, want none", plays, toggles)
	}
	if plays, _ := other.took(t); plays != toggles {
		t.Fatalf("node1 got %d plays and stops on the jams' subject for node0's %d, want %d", plays, toggles, toggles)
	}

	// A change node0 writes reaches its own socket through the bucket's
	// republish, the only way it has.
	kit := shared.KitByID(a.Welcome.Jam.Kit)
	free := kit.Loops[len(kit.Loops)-1].ID
	a.Send(&shared.Swap{Loop: free})
	for _, c := range []*client{a, b} {
		if s := wstest.Expect[*shared.Swapped](c); s.ID != a.Welcome.You || s.Loop != free {
			t.Fatalf("swapped %+v, want %s to %s", s, a.Welcome.You, free)
		}
	}
	// At least once: a node takes a record by its revision, so a second
	// copy changes nothing.
	for i, spy := range []*jamSpy{own, other} {
		if plays, records := spy.took(t); plays != 0 || records < 1 {
			t.Fatalf("node%d got %d plays and %d records on the jams' subject for node0's swap, want 0 and the republished record", i, plays, records)
		}
	}
}

// jamSpy is a second subscription to the jams' subject on a node's own
// connection.
type jamSpy struct {
	n    *testNode
	msgs chan *nats.Msg
}

// newJamSpy subscribes to the jams' subject on n's connection, as the hub
// does: the server gives it every message it gives the hub's.
func newJamSpy(t *testing.T, n *testNode) *jamSpy {
	t.Helper()
	s := &jamSpy{n: n, msgs: make(chan *nats.Msg, 256)}
	sub, err := n.nc.ChanSubscribe(n.hub.world.sub.Subject, s.msgs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := n.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return s
}

// took returns how many plain publishes (plays and stops) and how many
// republished records the spy got since the last call, once the server
// answered a flush: everything it sent the connection before has arrived.
func (s *jamSpy) took(t *testing.T) (plays, records int) {
	t.Helper()
	if err := s.n.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case m := <-s.msgs:
			if recordSeq(m) != "" {
				records++
			} else {
				plays++
			}
		default:
			return plays, records
		}
	}
}

// jamMessages returns how many messages of the jams' subject the node's
// connection took in so far, delivered to its hub or waiting for it, once
// the server answered a flush: everything published before has arrived.
func jamMessages(t *testing.T, n *testNode) int64 {
	t.Helper()
	if err := n.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	sub := n.hub.world.sub
	delivered, err := sub.Delivered()
	if err != nil {
		t.Fatal(err)
	}
	pending, _, err := sub.Pending()
	if err != nil {
		t.Fatal(err)
	}
	return delivered + int64(pending)
}

// TestClusterRecordCopy: a second copy of a jam's record on its subject
// (the stream republished it again) reaches no socket twice.
func TestClusterRecordCopy(t *testing.T) {
	nodes := testCluster(t, 2, nil)
	a := joinAt(t, nodes[0], "copy", "")
	b := joinAt(t, nodes[1], "copy", "")
	wstest.Expect[*shared.Joined](a)

	// A connection of the test's own keeps what the subject carries.
	spy, err := nodes[1].emb.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer spy.Close()
	subject := nodes[1].hub.cfg.Prefix + ".jam.copy"
	msgs := make(chan *nats.Msg, 16)
	if _, err := spy.ChanSubscribe(subject, msgs); err != nil {
		t.Fatal(err)
	}
	if err := spy.Flush(); err != nil {
		t.Fatal(err)
	}

	kit := shared.KitByID(a.Welcome.Jam.Kit)
	free := kit.Loops[len(kit.Loops)-1].ID
	a.Send(&shared.Swap{Loop: free})
	for _, c := range []*client{a, b} {
		wstest.Expect[*shared.Swapped](c)
	}
	var record *nats.Msg
	for record == nil {
		select {
		case m := <-msgs:
			if recordSeq(m) != "" {
				record = m
			}
		case <-time.After(wstest.Timeout):
			t.Fatal("the swap's record never came on the jam's subject")
		}
	}

	copied := nats.NewMsg(subject)
	copied.Header, copied.Data = record.Header, record.Data
	if err := spy.PublishMsg(copied); err != nil {
		t.Fatal(err)
	}
	if err := spy.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		jamMessages(t, n) // the copy has reached both nodes
	}
	time.Sleep(100 * time.Millisecond)
	a.ExpectQuiet()
	b.ExpectQuiet()
}
