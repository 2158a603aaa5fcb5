//go:build !wasm

package loadgen_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/server/loadgen"

	"net/http/httptest"
)

// envInt reads a size from the environment, so that `make bench` can run
// the same test at full size.
func envInt(name string, fallback int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return fallback
}

func envDuration(name string, fallback time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return fallback
}

func TestChaos(t *testing.T) {
	t.Run("under load with drops, resumes and bad input, every view agrees with the server and nothing is lost or left behind", func(t *testing.T) {
		srv := server.New(server.Config{})
		ts := httptest.NewServer(srv)
		defer ts.Close()
		admin := httptest.NewServer(srv.Admin())
		defer admin.Close()

		clients := envInt("LOADGEN_CLIENTS", 60)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		rep, err := loadgen.Run(ctx, loadgen.Config{
			URL:       "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket",
			Admin:     admin.URL,
			Clients:   clients,
			Duration:  envDuration("LOADGEN_DURATION", 12*time.Second),
			Period:    2 * time.Second,
			Settle:    2 * time.Second,
			InProcess: true,
			Chaos:     true,
			Seed:      uint64(time.Now().UnixNano()),
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
