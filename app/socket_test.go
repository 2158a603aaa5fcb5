//go:build !wasm

package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/shared"
)

// fakeHub speaks just enough of the protocol to drive a client: it welcomes
// every join (remembering the joins), answers pings, and can drop every
// connection.
type fakeHub struct {
	mu    sync.Mutex
	joins []shared.Join
	conns []*websocket.Conn
	pings int
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
	ctx := r.Context()
	for {
		_, frame, err := c.Read(ctx)
		if err != nil {
			return
		}
		m, err := shared.DecodeClient(frame)
		if err != nil {
			return
		}
		var reply shared.Message
		switch m := m.(type) {
		case *shared.Join:
			h.mu.Lock()
			h.joins = append(h.joins, *m)
			n := len(h.joins)
			h.mu.Unlock()
			jam := m.Jam
			if jam == "" {
				jam = "j1"
			}
			reply = &shared.Welcome{
				You: "u1", Resume: "token-" + string(rune('0'+n)), Loop: "drums", Now: 1000,
				Jam:     shared.JamInfo{ID: jam, Timeline: shared.NewTimeline(0), Capacity: 7},
				Members: []shared.Member{{ID: "u1", Loop: "drums"}},
			}
		case *shared.Ping:
			h.mu.Lock()
			h.pings++
			h.mu.Unlock()
			reply = &shared.Pong{ID: m.ID, T0: m.T0, Now: m.T0 + 500}
		case *shared.Play:
			reply = &shared.Played{ID: "u1", Bar: 7}
		default:
			continue
		}
		if err := c.Write(ctx, websocket.MessageText, shared.MustEncode(reply)); err != nil {
			return
		}
	}
}

func (h *fakeHub) dropAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.CloseNow()
	}
	h.conns = nil
}

func (h *fakeHub) joined() []shared.Join {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]shared.Join(nil), h.joins...)
}

// events collects what a client reports.
type events struct {
	mu  sync.Mutex
	all []socketEvent
}

func (e *events) add(ev socketEvent) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

func (e *events) wait(t *testing.T, what string, ok func(socketEvent) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		for _, ev := range e.all {
			if ok(ev) {
				e.mu.Unlock()
				return
			}
		}
		e.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s within 5s", what)
}

func (e *events) reset() {
	e.mu.Lock()
	e.all = nil
	e.mu.Unlock()
}

func TestJamClient(t *testing.T) {
	hub := &fakeHub{}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	var evs events
	c := newJamClient(url, "invite42", "", func() float64 { return float64(time.Now().UnixNano()) / 1e6 }, evs.add)
	c.minBackoff, c.maxBackoff = 20*time.Millisecond, 100*time.Millisecond
	c.burstGap = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	t.Run("it joins the jam of the link and goes online", func(t *testing.T) {
		evs.wait(t, "connecting", func(ev socketEvent) bool { return ev.state == stateConnecting })
		evs.wait(t, "welcome", func(ev socketEvent) bool { _, ok := ev.msg.(*shared.Welcome); return ok })
		evs.wait(t, "online", func(ev socketEvent) bool { return ev.state == stateOnline })
		if j := hub.joined(); len(j) != 1 || j[0].Jam != "invite42" || j[0].Resume != "" {
			t.Errorf("joins %+v, want one for invite42 without a token", j)
		}
	})
	t.Run("it pings for the clock and reports pongs with local times", func(t *testing.T) {
		evs.wait(t, "pong", func(ev socketEvent) bool {
			return ev.pong != nil && ev.pong.server == ev.pong.t0+500 && ev.pong.t1 >= ev.pong.t0
		})
	})
	t.Run("it sends the player's messages", func(t *testing.T) {
		if !c.Send(&shared.Play{}) {
			t.Fatal("Send refused while online")
		}
		evs.wait(t, "played", func(ev socketEvent) bool { p, ok := ev.msg.(*shared.Played); return ok && p.Bar == 7 })
	})
	t.Run("a lost connection comes back by itself with the resume token", func(t *testing.T) {
		evs.reset()
		hub.dropAll()
		evs.wait(t, "offline", func(ev socketEvent) bool { return ev.state == stateOffline })
		evs.wait(t, "online again", func(ev socketEvent) bool { return ev.state == stateOnline })
		j := hub.joined()
		if last := j[len(j)-1]; last.Resume != "token-1" || last.Jam != "invite42" {
			t.Errorf("rejoin %+v, want the jam and the first welcome's token", last)
		}
	})
	t.Run("while offline, sends are refused rather than queued", func(t *testing.T) {
		srv.Close()
		hub.dropAll()
		evs.wait(t, "offline", func(ev socketEvent) bool { return ev.state == stateOffline })
		time.Sleep(50 * time.Millisecond)
		if c.Send(&shared.Play{}) {
			t.Error("Send accepted with no connection")
		}
	})
}

func TestJamClientTakenOver(t *testing.T) {
	t.Run("a client whose user another tab took over (4000) says so and does not reconnect", func(t *testing.T) {
		hub := server.New(server.Config{})
		srv := httptest.NewServer(hub)
		defer srv.Close()
		url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/socket"

		var evs events
		c := newJamClient(url, "", "", func() float64 { return float64(time.Now().UnixNano()) / 1e6 }, evs.add)
		c.minBackoff, c.maxBackoff = 20*time.Millisecond, 100*time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{})
		go func() { c.Run(ctx); close(done) }()
		var welcome *shared.Welcome
		evs.wait(t, "welcome", func(ev socketEvent) bool {
			welcome, _ = ev.msg.(*shared.Welcome)
			return welcome != nil
		})

		// The other tab: the same token, on a socket of its own.
		other, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.CloseNow()
		if err := other.Write(ctx, websocket.MessageText, shared.MustEncode(&shared.Join{Resume: welcome.Resume})); err != nil {
			t.Fatal(err)
		}
		evs.wait(t, "elsewhere", func(ev socketEvent) bool { return ev.state == stateElsewhere })
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the client still runs after it was taken over")
		}
		evs.mu.Lock()
		last := evs.all[len(evs.all)-1]
		evs.mu.Unlock()
		if last.state != stateElsewhere {
			t.Errorf("the client reported %+v after elsewhere", last)
		}
		if st := hub.Stats(); st.Users != 1 {
			t.Errorf("%d users, want the one of the other tab", st.Users)
		}
		ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel2()
		_ = other.Close(websocket.StatusNormalClosure, "")
		hub.Drain(ctx2)
	})
}
