//go:build !wasm

package loadgen

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/shared"
)

// AttackReport is what the attacker of -attack did and got while the
// well-behaved clients toggled: issue 8's attacks at once, from an address
// of their own (the well-behaved clients' per-address limit is not theirs).
type AttackReport struct {
	From string `json:"from"`
	// CPUPercent is the attacker's process's CPU over its run (100% = one
	// core): on loopback it shares the server's cores.
	CPUPercent float64 `json:"cpu_percent"`
	// Mixes: random subsets of /loops/mix.wav, half read in full, half
	// left as soon as the headers came; by status.
	Mixes map[int]int64 `json:"mixes"`
	// Sockets held open without joining (reopened when the server closes
	// them after its join timeout), and upgrades refused, by status.
	SocketsPeak    int64         `json:"sockets_peak"`
	SocketsRefused map[int]int64 `json:"sockets_refused"`
	// SlowReaders read the WASM without Accept-Encoding at 1 KB a second;
	// SlowCutOff counts those the server's write deadline cut off.
	SlowReaders int   `json:"slow_readers"`
	SlowCutOff  int64 `json:"slow_cut_off"`
	// Joins and JoinsLimited: one socket joining and leaving as fast as
	// it may (the rest gets rate_limited).
	Joins        int64 `json:"joins"`
	JoinsLimited int64 `json:"joins_limited"`
	// Broken says why the attacker did not run to its end, if it did not.
	Broken string `json:"broken,omitempty"`
}

// AttackFrom is the attacker's loopback address by default.
const AttackFrom = "127.0.0.250"

// AttackKinds are the attacks Attack runs, by name: the mix flood, sockets
// held without joining, slow readers of the WASM, and join churn.
var AttackKinds = []string{"mix", "sockets", "slow", "churn"}

// Attack runs the attacks of issue 8 named in kinds (every one of
// AttackKinds when kinds is empty) from the loopback address from against
// the server whose socket is wsURL (ws://host/socket), until ctx is done,
// and returns what it did and got. `loops attack` runs it as a process of
// its own, so that the attacker's work is not the load generator's.
func Attack(ctx context.Context, wsURL, from string, seed uint64, kinds ...string) (*AttackReport, error) {
	for _, k := range kinds {
		if !slices.Contains(AttackKinds, k) {
			return nil, fmt.Errorf("attack: no attack %q (the attacks: %s)", k, strings.Join(AttackKinds, ", "))
		}
	}
	on := func(kind string) bool { return len(kinds) == 0 || slices.Contains(kinds, kind) }
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, fmt.Errorf("attack: %w", err)
	}
	if net.ParseIP(from) == nil {
		return nil, fmt.Errorf("attack: %q is not an address", from)
	}
	rep := &AttackReport{From: from, Mixes: map[int]int64{}, SocketsRefused: map[int]int64{}}
	if on("slow") {
		rep.SlowReaders = 20
	}
	base := "http://" + u.Host
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 16}}
	var mu sync.Mutex
	var wg sync.WaitGroup

	// The mix flood: eight connections of random subsets.
	if on("mix") {
		for w := range 8 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(seed, uint64(w)))
				for i := 0; ctx.Err() == nil; i++ {
					var ids []string
					for _, l := range shared.DefaultKit().Loops {
						if rng.IntN(2) == 0 {
							ids = append(ids, l.ID)
						}
					}
					if len(ids) == 0 {
						ids = []string{shared.DefaultKit().Loops[0].ID}
					}
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/loops/mix.wav?ids="+strings.Join(ids, ","), nil)
					res, err := client.Do(req)
					if err != nil {
						continue
					}
					if i%2 == 0 {
						_, _ = io.Copy(io.Discard, res.Body)
					}
					res.Body.Close()
					mu.Lock()
					rep.Mixes[res.StatusCode]++
					mu.Unlock()
				}
			})
		}
	}

	// Sockets to the per-address limit, never joining.
	var open, peak atomic.Int64
	if on("sockets") {
		wg.Go(func() {
			opts := &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}}
			for ctx.Err() == nil {
				ws, res, err := websocket.Dial(ctx, wsURL, opts)
				if err != nil {
					if res != nil {
						mu.Lock()
						rep.SocketsRefused[res.StatusCode]++
						mu.Unlock()
					}
					select {
					case <-ctx.Done():
					case <-time.After(200 * time.Millisecond):
					}
					continue
				}
				if n := open.Add(1); n > peak.Load() {
					peak.Store(n)
				}
				wg.Go(func() {
					defer open.Add(-1)
					defer ws.CloseNow()
					_, _, _ = ws.Read(ctx) // until the server closes it
				})
			}
		})
	}

	// Slow readers of the WASM, plain (the largest body).
	var cutOff atomic.Int64
	for range rep.SlowReaders {
		wg.Go(func() {
			nc, err := dialer.DialContext(ctx, "tcp", u.Host)
			if err != nil {
				return
			}
			defer nc.Close()
			fmt.Fprintf(nc, "GET /web/app.wasm HTTP/1.1\r\nHost: %s\r\n\r\n", u.Host)
			buf := make([]byte, 1024)
			for ctx.Err() == nil {
				_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := nc.Read(buf); err != nil {
					if ctx.Err() == nil {
						cutOff.Add(1)
					}
					return
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		})
	}

	// Join churn: one socket joining and leaving a public jam.
	var joins, limited atomic.Int64
	if on("churn") {
		wg.Go(func() {
			opts := &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}}
			for ctx.Err() == nil {
				ws, _, err := websocket.Dial(ctx, wsURL, opts)
				if err != nil {
					time.Sleep(200 * time.Millisecond)
					continue
				}
				for ctx.Err() == nil {
					if ws.Write(ctx, websocket.MessageText, shared.MustEncode(&shared.Join{})) != nil {
						break
					}
					_, frame, err := ws.Read(ctx)
					if err != nil {
						break
					}
					switch m, _ := shared.DecodeServer(frame); m := m.(type) {
					case *shared.Welcome:
						joins.Add(1)
						_ = ws.Write(ctx, websocket.MessageText, shared.MustEncode(&shared.Leave{}))
					case *shared.Error:
						if m.Code == shared.CodeRateLimited {
							limited.Add(1)
						}
					}
					select {
					case <-ctx.Done():
					case <-time.After(100 * time.Millisecond):
					}
				}
				ws.CloseNow()
			}
		})
	}

	wg.Wait()
	client.CloseIdleConnections()
	rep.SocketsPeak, rep.SlowCutOff = peak.Load(), cutOff.Load()
	rep.Joins, rep.JoinsLimited = joins.Load(), limited.Load()
	return rep, nil
}
