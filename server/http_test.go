//go:build !wasm

package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
)

// dialOrigin opens a socket with the Origin header and returns the HTTP
// status of the handshake.
func (s *testServer) dialOrigin(t *testing.T, origin string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	ws, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.ts.URL, "http")+"/socket", &websocket.DialOptions{HTTPHeader: h})
	if err == nil {
		_ = ws.CloseNow()
	}
	if res == nil {
		t.Fatalf("dial: %v", err)
	}
	return res.StatusCode
}

func TestHTTP(t *testing.T) {
	t.Run("a socket from another origin is refused with 403", func(t *testing.T) {
		s := newTestServer(t, Config{AllowedOrigins: []string{"https://friend.example", "pal.example"}})
		own := s.ts.URL
		for origin, want := range map[string]int{
			"":                                    http.StatusSwitchingProtocols,
			own:                                   http.StatusSwitchingProtocols,
			"https://friend.example":              http.StatusSwitchingProtocols,
			"http://pal.example":                  http.StatusSwitchingProtocols,
			"https://evil.example":                http.StatusForbidden,
			"http://friend.example":               http.StatusForbidden,
			"https://friend.example.evil.example": http.StatusForbidden,
			"null":                                http.StatusForbidden,
		} {
			if got := s.dialOrigin(t, origin); got != want {
				t.Errorf("origin %q: status %d, want %d", origin, got, want)
			}
		}
	})

	t.Run("GET /api/loops serves the first kit's loops in order", func(t *testing.T) {
		s := newTestServer(t, Config{})
		var loops []shared.Loop
		if code := s.getJSON(t, "/api/loops", &loops); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		want := shared.Kits[0].Loops
		if len(loops) != len(want) || len(loops) < shared.Capacity {
			t.Fatalf("%d loops", len(loops))
		}
		for i, l := range loops {
			if l != want[i] {
				t.Errorf("loop %d: %+v, want %+v", i, l, want[i])
			}
		}
	})

	t.Run("GET /api/kits serves every kit with its timeline and loops", func(t *testing.T) {
		s := newTestServer(t, Config{})
		var kits []struct {
			ID          string        `json:"id"`
			Name        string        `json:"name"`
			BPM         int           `json:"bpm"`
			BeatsPerBar int           `json:"beats_per_bar"`
			BarsPerLoop int           `json:"bars_per_loop"`
			Loops       []shared.Loop `json:"loops"`
		}
		if code := s.getJSON(t, "/api/kits", &kits); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		if len(kits) != len(shared.Kits) {
			t.Fatalf("%d kits, want %d", len(kits), len(shared.Kits))
		}
		for i, k := range kits {
			want := shared.Kits[i]
			if k.ID != want.ID || k.Name != want.Name || k.BPM != want.BPM || k.BeatsPerBar != want.BeatsPerBar ||
				k.BarsPerLoop != want.BarsPerLoop || len(k.Loops) != len(want.Loops) || len(k.Loops) < shared.Capacity {
				t.Errorf("kit %d: %+v, want %+v", i, k, want)
			}
		}
	})

	t.Run("GET /metrics on the admin listener has every metric", func(t *testing.T) {
		s := newTestServer(t, Config{})
		a, _ := s.join(t, "")
		a.Send(&shared.Play{})
		wstest.Expect[*shared.Played](a)
		admin := httptest.NewServer(s.Admin())
		defer admin.Close()
		res, err := http.Get(admin.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, want := range []string{
			"loops_jams 1", "loops_users 1", "loops_joins_total 1",
			"loops_messages_in_total 2", "loops_messages_out_total 2",
			`loops_closes_total{reason="slow"} 0`, `loops_closes_total{reason="bad_frame"} 0`,
			"loops_fanout_seconds_bucket", "loops_fanout_seconds_count 2",
			"go_goroutines ", "go_memstats_heap_inuse_bytes ", "process_resident_memory_bytes ", "process_open_fds ",
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})

	t.Run("GET /healthz is 200 until the server drains", func(t *testing.T) {
		s := newTestServer(t, Config{})
		if code := s.getJSON(t, "/healthz", nil); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		s.Drain(context.Background())
		if code := s.getJSON(t, "/healthz", nil); code != http.StatusServiceUnavailable {
			t.Fatalf("status %d while draining", code)
		}
	})

	t.Run("the app gets every other path", func(t *testing.T) {
		app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") })
		s := newTestServer(t, Config{App: app})
		res, err := http.Get(s.ts.URL + "/jam/abc")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(body) != "app" {
			t.Fatalf("body %q", body)
		}
	})
}

func TestDrain(t *testing.T) {
	t.Run("draining closes every socket with 1001, refuses new ones and returns", func(t *testing.T) {
		s := newTestServer(t, Config{})
		var clients []*client
		for i := 0; i < 10; i++ {
			c, _ := s.join(t, "")
			clients = append(clients, c)
		}
		idle := s.dial(t) // connected, not joined
		clients = append(clients, idle)

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					_, err := c.Read(testTimeout)
					if err == nil {
						continue
					}
					if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
						t.Errorf("ended with %v, want 1001", err)
					}
					return
				}
			}()
		}
		start := time.Now()
		s.Drain(ctx)
		if ctx.Err() != nil {
			t.Fatalf("Drain returned only when its context ended")
		}
		t.Logf("drained in %v", time.Since(start))
		wg.Wait()
		if st := s.stats(t); st.Users != 0 || st.Jams != 0 {
			t.Fatalf("stats after drain: %+v", st)
		}
		if got := s.dialOrigin(t, ""); got != http.StatusServiceUnavailable {
			t.Fatalf("a socket while draining: status %d, want 503", got)
		}
	})
}
