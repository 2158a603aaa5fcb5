//go:build !wasm

package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
)

// pair returns a jam of two: the client under test and a bystander.
func pair(t *testing.T, s *testServer) (x, y *client, wx, wy *shared.Welcome) {
	t.Helper()
	x, wx = s.join(t, "pair")
	y, wy = s.join(t, "pair")
	wstest.Expect[*shared.Joined](x)
	return x, y, wx, wy
}

func TestBadInputThatGetsAnError(t *testing.T) {
	for _, tc := range []struct {
		name string
		code string
		// do makes x send the bad input; x is in a jam with y unless
		// joined is false.
		do     func(x *client, wy *shared.Welcome)
		joined bool
	}{
		{"a message of an unknown type gets unknown_type", shared.CodeUnknownType,
			func(x *client, _ *shared.Welcome) { x.SendRaw(`{"type":"dance","steps":3}`) }, true},
		{"a play before joining gets not_joined", shared.CodeNotJoined,
			func(x *client, _ *shared.Welcome) { x.Send(&shared.Play{}) }, false},
		{"a stop before joining gets not_joined", shared.CodeNotJoined,
			func(x *client, _ *shared.Welcome) { x.Send(&shared.Stop{}) }, false},
		{"a swap before joining gets not_joined", shared.CodeNotJoined,
			func(x *client, _ *shared.Welcome) { x.Send(&shared.Swap{Loop: "bells"}) }, false},
		{"a leave before joining gets not_joined", shared.CodeNotJoined,
			func(x *client, _ *shared.Welcome) { x.Send(&shared.Leave{}) }, false},
		{"a ping before joining gets not_joined", shared.CodeNotJoined,
			func(x *client, _ *shared.Welcome) { x.Send(&shared.Ping{ID: 1}) }, false},
		{"a second join gets already_joined", shared.CodeAlreadyJoined,
			func(x *client, _ *shared.Welcome) { x.Send(&shared.Join{Jam: "elsewhere"}) }, true},
		{"a jam id with a space gets bad_jam", shared.CodeBadJam,
			func(x *client, _ *shared.Welcome) { x.Send(&shared.Join{Jam: "pair two"}) }, false},
		{"a jam id with a slash gets bad_jam", shared.CodeBadJam,
			func(x *client, _ *shared.Welcome) { x.Send(&shared.Join{Jam: "../pair"}) }, false},
		{"a jam id of 65 characters gets bad_jam", shared.CodeBadJam,
			func(x *client, _ *shared.Welcome) { x.Send(&shared.Join{Jam: strings.Repeat("j", 65)}) }, false},
		{"a swap to a loop not in the catalog gets unknown_loop", shared.CodeUnknownLoop,
			func(x *client, _ *shared.Welcome) { x.Send(&shared.Swap{Loop: "kazoo"}) }, true},
		{"a swap to another member's loop gets loop_taken", shared.CodeLoopTaken,
			func(x *client, wy *shared.Welcome) { x.Send(&shared.Swap{Loop: wy.Loop}) }, true},
	} {
		t.Run(tc.name+" and the jam sees nothing", func(t *testing.T) {
			s := newTestServer(t, Config{})
			x, y, _, wy := pair(t, s)
			if !tc.joined {
				x = s.dial(t)
			}
			tc.do(x, wy)
			x.ExpectError(tc.code)
			y.ExpectQuiet()
			// The connection stays open and usable.
			if tc.joined {
				x.ExpectQuiet()
			} else {
				x.Join("pair", "")
				wstest.Expect[*shared.Joined](y)
			}
			if st := s.stats(t); st.JamSizes["pair"] < 2 {
				t.Fatalf("stats %+v", st)
			}
		})
	}

	t.Run("messages over the rate limit get rate_limited and the jam sees nothing", func(t *testing.T) {
		s := newTestServer(t, Config{RateWindow: time.Minute})
		x, y, _, _ := pair(t, s)
		const pings = 45
		for i := 0; i < pings; i++ {
			x.Send(&shared.Ping{ID: int64(i)})
		}
		pongs, limited := 0, 0
		for i := 0; i < pings; i++ {
			switch m := x.Next().(type) {
			case *shared.Pong:
				pongs++
			case *shared.Error:
				if m.Code != shared.CodeRateLimited {
					t.Fatalf("error %+v", m)
				}
				limited++
			}
		}
		// The join was one of the 40.
		if pongs != shared.RateLimit-1 || limited != pings-pongs {
			t.Fatalf("%d pongs and %d rate_limited, want %d and %d", pongs, limited, shared.RateLimit-1, pings-shared.RateLimit+1)
		}
		y.ExpectQuiet()
	})
}

func TestBadInputThatCloses(t *testing.T) {
	huge := `{"type":"ping","id":1,"pad":"` + strings.Repeat("x", shared.MaxFrameBytes) + `"}`
	for _, tc := range []struct {
		name   string
		status int
		reason string
		do     func(x *client)
	}{
		{"malformed JSON closes with 1007", shared.StatusInvalidPayload, reasonBadFrame,
			func(x *client) { x.SendRaw(`{"type":"play"`) }},
		{"a frame that is not an object closes with 1007", shared.StatusInvalidPayload, reasonBadFrame,
			func(x *client) { x.SendRaw(`["play"]`) }},
		{"a frame without a type closes with 1007", shared.StatusInvalidPayload, reasonBadFrame,
			func(x *client) { x.SendRaw(`{"loop":"bells"}`) }},
		{"a frame whose type is not a string closes with 1007", shared.StatusInvalidPayload, reasonBadFrame,
			func(x *client) { x.SendRaw(`{"type":7}`) }},
		{"a swap whose loop is a number closes with 1007", shared.StatusInvalidPayload, reasonBadFrame,
			func(x *client) { x.SendRaw(`{"type":"swap","loop":5}`) }},
		{"a ping whose id is a string closes with 1007", shared.StatusInvalidPayload, reasonBadFrame,
			func(x *client) { x.SendRaw(`{"type":"ping","id":"one","t0":1}`) }},
		{"a binary frame closes with 1003", shared.StatusUnsupportedData, reasonBinary,
			func(x *client) {
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				if err := x.WS.Write(ctx, websocket.MessageBinary, []byte(`{"type":"play"}`)); err != nil {
					x.T.Fatal(err)
				}
			}},
		{"a frame over 4096 bytes closes with 1009", shared.StatusMessageTooBig, reasonTooBig,
			func(x *client) { x.SendRaw(huge) }},
	} {
		t.Run(tc.name+" and the jam sees only a left", func(t *testing.T) {
			s := newTestServer(t, Config{})
			x, y, wx, _ := pair(t, s)
			tc.do(x)
			x.ExpectClose(tc.status)
			if l := wstest.Expect[*shared.Left](y); l.ID != wx.You {
				t.Fatalf("left %s, want %s", l.ID, wx.You)
			}
			y.ExpectQuiet()
			if got := counterValue(t, s.metrics.closes.WithLabelValues(tc.reason)); got != 1 {
				t.Fatalf("closes{reason=%q} = %v, want 1", tc.reason, got)
			}
			if st := s.stats(t); st.Users != 1 || st.JamSizes["pair"] != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}

	t.Run("a frame of exactly 4096 bytes is accepted", func(t *testing.T) {
		s := newTestServer(t, Config{})
		x, _, _, _ := pair(t, s)
		head := `{"type":"ping","id":9,"pad":"`
		x.SendRaw(head + strings.Repeat("x", shared.MaxFrameBytes-len(head)-2) + `"}`)
		if p := wstest.Expect[*shared.Pong](x); p.ID != 9 {
			t.Fatalf("pong %+v", p)
		}
	})

	t.Run("a client that keeps exceeding the rate limit is closed with 1008 and the jam sees only a left", func(t *testing.T) {
		s := newTestServer(t, Config{RateLimitGrace: 300 * time.Millisecond, QueueSize: 100000})
		x, y, wx, _ := pair(t, s)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			frame := shared.MustEncode(&shared.Ping{ID: 1})
			for ctx.Err() == nil {
				if x.WS.Write(ctx, websocket.MessageText, frame) != nil {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
		limited := 0
		for {
			m, err := x.Read(testTimeout)
			if err != nil {
				if websocket.CloseStatus(err) != shared.StatusPolicyViolation {
					t.Fatalf("ended with %v, want 1008", err)
				}
				break
			}
			if e, ok := m.(*shared.Error); ok && e.Code == shared.CodeRateLimited {
				limited++
			}
		}
		cancel()
		<-done
		if limited == 0 {
			t.Fatalf("closed without a rate_limited error first")
		}
		if l := wstest.Expect[*shared.Left](y); l.ID != wx.You {
			t.Fatalf("left %s, want %s", l.ID, wx.You)
		}
		y.ExpectQuiet()
		if got := counterValue(t, s.metrics.closes.WithLabelValues(reasonRateLimited)); got != 1 {
			t.Fatalf("closes{reason=rate_limited} = %v, want 1", got)
		}
	})
}
