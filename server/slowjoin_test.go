//go:build !wasm

package server

import (
	"sync"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// slowCluster is a cluster whose joins take delay: a join of the id
// "fails" gets bad_jam, any other places the user (without a welcome: the
// tests look only at the socket's fate). The tests call nothing else of
// it.
type slowCluster struct {
	Cluster
	delay time.Duration

	mu     sync.Mutex
	joined map[Client]bool
}

func (sc *slowCluster) Join(c Client, want, _ string, _ *shared.Kit, _ time.Time) error {
	time.Sleep(sc.delay)
	if want == "fails" {
		return shared.Errorf(shared.CodeBadJam, "no jam %q here", want)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.joined[c] = true
	return nil
}

func (sc *slowCluster) Joined(c Client) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.joined[c]
}

func (sc *slowCluster) Leave(c Client) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	delete(sc.joined, c)
}

// TestJoinTimeoutWaitsForTheCluster: PROTOCOL.md closes a socket that has
// not sent join within the timeout. One that sent it in time is not closed
// because the cluster took longer than the timeout to place it; one whose
// slow join failed gets its error, and is closed a grace later, its
// timeout being over.
func TestJoinTimeoutWaitsForTheCluster(t *testing.T) {
	// Long enough that a crowded machine under the race detector reads
	// the joins within it: both are sent as soon as their sockets open.
	const timeout = time.Second
	sc := &slowCluster{delay: 5 * timeout / 2, joined: make(map[Client]bool)}
	s := newTestServer(t, Config{JoinTimeout: timeout, Cluster: sc})

	placed := s.dial(t)
	placed.Send(&shared.Join{})
	failed := s.dial(t)
	failed.Send(&shared.Join{Jam: "fails"})

	failed.ExpectError(shared.CodeBadJam)
	errored := time.Now()
	failed.ExpectClose(shared.StatusPolicyViolation)
	if took := time.Since(errored); took > lateJoinGrace+timeout/2 {
		t.Errorf("closed %v after the failed join, want within %v: the timeout ran out during it", took, lateJoinGrace)
	}

	time.Sleep(timeout) // a timeout past the placing join's end
	placed.ExpectQuiet()
}
