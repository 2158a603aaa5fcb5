//go:build !wasm

package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/shared"
)

// memStats is what the server process reports of its memory.
type memStats struct {
	HeapInuse, StackInuse, Sys uint64
	RSS                        uint64
	Goroutines                 int
}

// TestMemoryServerProcess is not a test: run by TestMemoryPerConnection
// with LOOPS_MEM_SERVER set, it serves a hub on a free port, prints the
// address and serves /debug/mem until its stdin closes.
func TestMemoryServerProcess(t *testing.T) {
	if os.Getenv("LOOPS_MEM_SERVER") == "" {
		t.Skip("a helper process of TestMemoryPerConnection")
	}
	if os.Getenv("LOOPS_MEMTEST_HEAP") != "" {
		runtime.MemProfileRate = 1
	}
	s := New(Config{})
	mux := http.NewServeMux()
	mux.Handle("/", s)
	mux.HandleFunc("/debug/mem", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = json.NewEncoder(w).Encode(memStats{
			HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, Sys: ms.Sys,
			RSS: rss(), Goroutines: runtime.NumGoroutine(),
		})
	})
	mux.HandleFunc("/debug/heap", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		_ = pprof.Lookup("heap").WriteTo(w, 0)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	fmt.Println("ADDR", ln.Addr())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Drain(ctx)
	_ = hs.Close()
}

// rss returns the process's resident set size in bytes.
func rss() uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// startServerProcess runs TestMemoryServerProcess in a process of its own
// and returns its address and a function that reads its memory.
func startServerProcess(t *testing.T) (addr string, mem func() memStats) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryServerProcess$")
	cmd.Env = append(os.Environ(), "LOOPS_MEM_SERVER=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "ADDR" {
			addr = f[1]
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return addr, func() memStats {
		res, err := http.Get("http://" + addr + "/debug/mem")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m memStats
		_ = json.NewDecoder(res.Body).Decode(&m)
		return m
	}
}

// TestMemoryPerConnection measures the server's memory per idle, joined
// connection in a process of its own. It runs only with LOOPS_MEMTEST set
// (LOOPS_MEMTEST=2000 go test -run TestMemoryPerConnection ./server/),
// and means most without -race.
func TestMemoryPerConnection(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LOOPS_MEMTEST"))
	if n <= 0 {
		t.Skip("set LOOPS_MEMTEST to the number of connections to measure")
	}
	addr, mem := startServerProcess(t)
	before := mem()

	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/socket", nil)
			if err != nil {
				t.Error(err)
				return
			}
			conns[i] = ws
			_ = ws.Write(ctx, websocket.MessageText, shared.MustEncode(&shared.Join{}))
			if _, _, err := ws.Read(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Let the joined frames settle; the clients read nothing more.
	time.Sleep(time.Second)
	after := mem()
	if path := os.Getenv("LOOPS_MEMTEST_HEAP"); path != "" {
		if res, err := http.Get("http://" + addr + "/debug/heap"); err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			_ = os.WriteFile(path, b, 0o644)
		}
	}
	for _, ws := range conns {
		if ws != nil {
			_ = ws.CloseNow()
		}
	}
	per := func(a, b uint64) float64 { return (float64(b) - float64(a)) / float64(n) }
	t.Logf("%d connections: per connection heap %.0f B, stack %.0f B, heap+stack %.0f B, Go sys %.0f B, RSS %.0f B; goroutines %d -> %d",
		n, per(before.HeapInuse, after.HeapInuse), per(before.StackInuse, after.StackInuse),
		per(before.HeapInuse+before.StackInuse, after.HeapInuse+after.StackInuse),
		per(before.Sys, after.Sys), per(before.RSS, after.RSS), before.Goroutines, after.Goroutines)
}
