//go:build !wasm

package server

import (
	"bufio"
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/shared"
)

// TestLoadFanout is a quick look at the load goal, not the benchmark of the
// bench issue: LOOPS_LOADTEST clients join a server in its own process and
// each plays or stops every few seconds for LOOPS_LOADTEST_SECONDS (10);
// it logs the server's p99 fan-out latency and memory.
func TestLoadFanout(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LOOPS_LOADTEST"))
	if n <= 0 {
		t.Skip("set LOOPS_LOADTEST to the number of clients")
	}
	secs, _ := strconv.Atoi(os.Getenv("LOOPS_LOADTEST_SECONDS"))
	if secs <= 0 {
		secs = 10
	}
	addr, mem := startServerProcess(t)
	before := mem()

	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs)*time.Second+time.Minute)
	defer cancel()
	var joined, done sync.WaitGroup
	stop := make(chan struct{})
	sem := make(chan struct{}, 100)
	var mu sync.Mutex
	received := 0
	for i := 0; i < n; i++ {
		joined.Add(1)
		done.Add(1)
		sem <- struct{}{}
		go func() {
			defer done.Done()
			ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/socket", nil)
			if err != nil {
				<-sem
				joined.Done()
				t.Error(err)
				return
			}
			defer ws.CloseNow()
			_ = ws.Write(ctx, websocket.MessageText, shared.MustEncode(&shared.Join{}))
			<-sem
			joined.Done()
			go func() {
				got := 0
				for {
					if _, _, err := ws.Read(ctx); err != nil {
						mu.Lock()
						received += got
						mu.Unlock()
						return
					}
					got++
				}
			}()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			play, stopF := shared.MustEncode(&shared.Play{}), shared.MustEncode(&shared.Stop{})
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				case <-time.After(time.Duration(2000+rng.IntN(4000)) * time.Millisecond):
				}
				f := play
				if k%2 == 1 {
					f = stopF
				}
				if err := ws.Write(ctx, websocket.MessageText, f); err != nil {
					return
				}
			}
		}()
	}
	joined.Wait()
	t.Logf("%d clients joined", n)
	time.Sleep(3 * time.Second) // let the joins settle
	start := fanout(t, addr)
	time.Sleep(time.Duration(secs) * time.Second)
	p99, count := fanout(t, addr).p99Since(start)
	during := mem() // after: its forced GC would add to the latencies
	close(stop)
	done.Wait()
	t.Logf("fan-out: %d frames, p99 under %v; memory per connection: heap+stack %.0f B, RSS %.0f B; goroutines %d",
		count, p99, (float64(during.HeapInuse+during.StackInuse)-float64(before.HeapInuse+before.StackInuse))/float64(n),
		(float64(during.RSS)-float64(before.RSS))/float64(n), during.Goroutines)
}

// histogram is loops_fanout_seconds as scraped: cumulative bucket counts.
type histogram struct {
	le     []float64
	counts []float64
}

// fanout scrapes loops_fanout_seconds.
func fanout(t *testing.T, addr string) histogram {
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var h histogram
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), `loops_fanout_seconds_bucket{le="`); ok {
			le, after, _ := strings.Cut(rest, `"} `)
			v, _ := strconv.ParseFloat(after, 64)
			l, _ := strconv.ParseFloat(le, 64)
			h.le, h.counts = append(h.le, l), append(h.counts, v)
		}
	}
	return h
}

// p99Since returns the upper bound of the bucket that holds the 99th
// percentile of the frames since start, and their number.
func (h histogram) p99Since(start histogram) (time.Duration, int) {
	total := h.counts[len(h.counts)-1] - start.counts[len(start.counts)-1]
	for i := range h.le {
		if h.counts[i]-start.counts[i] >= 0.99*total {
			return time.Duration(h.le[i] * float64(time.Second)), int(total)
		}
	}
	return -1, int(total)
}
