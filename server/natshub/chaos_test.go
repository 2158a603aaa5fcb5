//go:build !wasm

package natshub

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server/loadgen"
)

// TestClusterChaos runs the load generator's chaos run against three nodes,
// its clients spread over them and each resume sent to another node than
// the one the client left.
func TestClusterChaos(t *testing.T) {
	t.Run("with clients on three nodes, drops resuming on other nodes and bad input, every view agrees and nothing is lost", func(t *testing.T) {
		nodes := testCluster(t, 3, nil)
		admin := httptest.NewServer(nodes[0].srv.Admin())
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		rep, err := loadgen.Run(ctx, loadgen.Config{
			URL:   nodes[0].url(),
			URLs:  []string{nodes[1].url(), nodes[2].url()},
			Admin: admin.URL,
			// A smaller run than the single node's: three nodes with
			// their nats-servers share this process, under the race
			// detector, on a shared box.
			Clients:  24,
			Duration: 12 * time.Second,
			Period:   3 * time.Second,
			Settle:   2 * time.Second,
			// Not InProcess: this process's heap holds three
			// nats-servers too, whose JetStream caches grow with the
			// run, so the generator's heap check would measure NATS,
			// not the hub. Goroutines are still checked (/metrics).
			Chaos: true,
			Seed:  uint64(time.Now().UnixNano()),
		})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		rep.Format(&b)
		t.Log("\n" + b.String())

		if rep.JoinFailed != 0 {
			t.Errorf("%d clients could not join: %s", rep.JoinFailed, rep.JoinError)
		}
		if rep.Latency.Count == 0 {
			t.Error("no played or stopped arrived")
		}
		if rep.Lost != 0 {
			t.Errorf("%d deliveries lost (%d after a resume): %v", rep.Lost, rep.LostAfterResume, rep.LostSamples)
		}
		if rep.UnexpectedCloses != 0 {
			t.Errorf("%d unexpected closes: %v", rep.UnexpectedCloses, rep.CloseReasons)
		}
		if rep.Chaos.Drops == 0 || rep.Chaos.Resumed != rep.Chaos.Drops {
			t.Errorf("%d drops, %d resumed as the same user: %v", rep.Chaos.Drops, rep.Chaos.Resumed, rep.Chaos.Problems)
		}
		for kind, m := range rep.Chaos.Misbehaving {
			if m.AsExpected != m.Clients {
				t.Errorf("%s input: %d of %d closed with %s, got %v", kind, m.AsExpected, m.Clients, m.Expected, m.Got)
			}
		}
		for _, v := range rep.Invariants.Violations {
			t.Errorf("invariant: %s", v)
		}
		if !rep.Pass {
			t.Error("the run failed")
		}
	})
}
