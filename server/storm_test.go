//go:build !wasm

package server

import (
	"maps"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

func TestStorm(t *testing.T) {
	t.Run("racing plays, stops, swaps, leaves and resumes leave every member with the server's view", func(t *testing.T) {
		s := newTestServer(t, Config{RateLimit: 1 << 20, JoinLimit: 1 << 20})
		const actors, ops = 7, 150
		views := make([]*shared.View, actors)
		clients := make([]*client, actors)
		for i := range clients {
			c := s.dial(t)
			clients[i] = c
			views[i] = &shared.View{}
			views[i].Apply(c.Join("storm", ""))
		}

		// Each actor reads on one goroutine and acts on another; a ping
		// with a negative id marks the end of each phase.
		var acting, settling sync.WaitGroup
		acted := make([]chan struct{}, actors)
		for i, c := range clients {
			acted[i] = make(chan struct{})
			tokens := make(chan string, 1)
			token, you := views[i].Resume, views[i].You
			acting.Add(1)
			settling.Add(1)
			go func() {
				defer settling.Done()
				for {
					m, err := c.Read(testTimeout)
					if err != nil {
						t.Errorf("actor %d: %v", i, err)
						return
					}
					if p, ok := m.(*shared.Pong); ok && p.ID == -1 {
						close(acted[i])
					}
					if p, ok := m.(*shared.Pong); ok && p.ID == -2 {
						return
					}
					if w, ok := m.(*shared.Welcome); ok {
						if w.You != you {
							t.Errorf("actor %d resumed as %s, want %s", i, w.You, you)
						}
						tokens <- w.Resume
					}
					views[i].Apply(m)
				}
			}()
			go func() {
				defer acting.Done()
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				for n := 0; n < ops; n++ {
					switch r := rng.IntN(20); {
					case r < 7:
						c.Send(&shared.Play{})
					case r < 14:
						c.Send(&shared.Stop{})
					case r < 19:
						c.Send(&shared.Swap{Loop: shared.DefaultKit().Loops[rng.IntN(len(shared.DefaultKit().Loops))].ID})
					default:
						// Leave and come back with the resume token.
						c.Send(&shared.Leave{})
						c.Send(&shared.Join{Jam: "storm", Resume: token})
						token = <-tokens
					}
				}
				c.Send(&shared.Ping{ID: -1})
			}()
		}
		acting.Wait()
		for _, ch := range acted {
			<-ch
		}
		// Every message of every actor is handled: what remains is to read
		// what it caused.
		for _, c := range clients {
			c.Send(&shared.Ping{ID: -2})
		}
		settling.Wait()
		if t.Failed() {
			return
		}

		want := map[string]shared.Member{}
		s.hub.mu.Lock()
		if j := s.hub.jams["storm"]; j != nil {
			j.mu.Lock()
			for _, m := range j.members {
				want[m.id] = m.view()
			}
			j.mu.Unlock()
		}
		s.hub.mu.Unlock()
		if len(want) != actors {
			t.Fatalf("the server has %d members, want %d", len(want), actors)
		}
		loops := map[string]bool{}
		for _, m := range want {
			if loops[m.Loop] {
				t.Fatalf("loop %s twice in %+v", m.Loop, want)
			}
			loops[m.Loop] = true
		}
		for i, v := range views {
			if !maps.Equal(v.ByID(), want) {
				t.Errorf("actor %d sees\n%+v\nthe server has\n%+v", i, v.ByID(), want)
			}
		}
	})
}
