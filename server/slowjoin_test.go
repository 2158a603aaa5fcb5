//go:build !wasm

package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// slowCluster is a cluster whose joins take delay: a join of the id
// "fails" gets bad_jam, one of "unreachable" finds the cluster
// unavailable, any other places the user (without a welcome: the tests
// look only at the socket's fate). The tests call nothing else of it.
type slowCluster struct {
	Cluster
	delay time.Duration

	mu     sync.Mutex
	joined map[Client]bool
}

func (sc *slowCluster) Join(c Client, want, _ string, _ *shared.Kit, _ time.Time) error {
	time.Sleep(sc.delay)
	switch want {
	case "fails":
		return shared.Errorf(shared.CodeBadJam, "no jam %q here", want)
	case "unreachable":
		return fmt.Errorf("%w: the jams' bucket did not answer", ErrUnavailable)
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

// TestUnavailableClusterCloses1012: a join the cluster cannot place for
// want of the cluster closes the socket with 1012, and the server's log
// says why.
func TestUnavailableClusterCloses1012(t *testing.T) {
	var log lockedBuffer
	sc := &slowCluster{joined: make(map[Client]bool)}
	s := newTestServer(t, Config{Cluster: sc, Log: slog.New(slog.NewTextHandler(&log, nil))})

	c := s.dial(t)
	c.Send(&shared.Join{Jam: "unreachable"})
	c.ExpectClose(StatusTryAgainLater)
	got := log.String()
	for _, want := range []string{"closing a socket with 1012", "message=join", "the jams' bucket did not answer"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log lacks %q:\n%s", want, got)
		}
	}
}

// lockedBuffer is a bytes.Buffer a server's log writes to while a test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
