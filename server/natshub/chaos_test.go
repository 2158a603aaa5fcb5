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

		for _, f := range rep.Failures() {
			t.Error(f)
		}
	})
}
