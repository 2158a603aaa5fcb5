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

// startHub serves a single-node hub for one test: the generator's socket
// URL and the hub's admin URL, both closed when the test ends.
func startHub(t *testing.T) (socket, admin string) {
	srv := server.New(server.Config{})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	adm := httptest.NewServer(srv.Admin())
	t.Cleanup(adm.Close)
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket", adm.URL
}

// smallRun is a run of 21 clients toggling every 500 ms for 3 s against a
// hub of its own.
func smallRun(t *testing.T) loadgen.Config {
	socket, admin := startHub(t)
	return loadgen.Config{
		URL:      socket,
		Admin:    admin,
		Clients:  21,
		Duration: 3 * time.Second,
		Period:   500 * time.Millisecond,
		Settle:   time.Second,
	}
}

func TestChaos(t *testing.T) {
	t.Run("under load with drops, resumes and bad input, every view agrees with the server and nothing is lost or left behind", func(t *testing.T) {
		socket, admin := startHub(t)

		clients := envInt("LOADGEN_CLIENTS", 60)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		rep, err := loadgen.Run(ctx, loadgen.Config{
			URL:       socket,
			Admin:     admin,
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

		for _, f := range rep.Failures() {
			t.Error(f)
		}
	})
}

func TestTurns(t *testing.T) {
	t.Run("two runs taking turns toggle only in their own stretches, both from one start", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		turns := loadgen.NewTurns(2, time.Second)
		cfg := func(turn int) loadgen.Config {
			c := smallRun(t)
			c.Turns, c.Turn = turns, turn
			return c
		}
		runs := []loadgen.Config{cfg(0), cfg(1)}
		reps := make([]*loadgen.Report, 2)
		errs := make([]error, 2)
		done := make(chan int)
		for i, c := range runs {
			go func() {
				reps[i], errs[i] = loadgen.Run(ctx, c)
				done <- i
			}()
		}
		<-done
		<-done
		for i, rep := range reps {
			if errs[i] != nil {
				t.Fatalf("run %d: %v", i, errs[i])
			}
			if !rep.Pass || rep.Lost != 0 {
				t.Errorf("run %d: pass %v, %d lost", i, rep.Pass, rep.Lost)
			}
			// Three seconds each, in stretches of one: six stretches,
			// three of them this run's.
			if len(rep.Stretches) != 3 {
				t.Fatalf("run %d has %d stretches, want 3: %+v", i, len(rep.Stretches), rep.Stretches)
			}
			n := 0
			for _, s := range rep.Stretches {
				if s.Index%2 != i {
					t.Errorf("run %d reports stretch %d, the other run's", i, s.Index)
				}
				if s.Latency.Count == 0 {
					t.Errorf("run %d: no deliveries in its stretch %d", i, s.Index)
				}
				n += s.Latency.Count
			}
			if n != rep.Latency.Count {
				t.Errorf("run %d: %d deliveries in its own stretches, %d in all: it toggled in the other's", i, n, rep.Latency.Count)
			}
		}
	})
}

func TestWindows(t *testing.T) {
	t.Run("a run's deliveries are split by when their toggle was sent, every window with the machine's busy CPUs", func(t *testing.T) {
		cfg := smallRun(t)
		cfg.Window = time.Second
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		rep, err := loadgen.Run(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Pass || rep.Lost != 0 {
			t.Errorf("pass %v, %d lost", rep.Pass, rep.Lost)
		}
		if len(rep.Windows) != 3 {
			t.Fatalf("%d windows in 3 s of toggles, want 3: %+v", len(rep.Windows), rep.Windows)
		}
		n := 0
		for i, w := range rep.Windows {
			if w.Start != float64(i) {
				t.Errorf("window %d starts at %v s, want %d", i, w.Start, i)
			}
			if w.Latency.Count == 0 {
				t.Errorf("no deliveries in window %d", i)
			}
			if _, err := os.Stat("/proc/stat"); err == nil && (w.BusyCores < 0 || w.BusyCores > 1024) {
				t.Errorf("window %d: %v busy CPUs", i, w.BusyCores)
			}
			n += w.Latency.Count
		}
		if n != rep.Latency.Count {
			t.Errorf("%d deliveries in the windows, %d in all", n, rep.Latency.Count)
		}
	})
}
