//go:build !wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/server/loadgen"
	"github.com/loopswithfriends/loops/shared"
)

// TestBinary runs the real command: it builds bin/loops into a temporary
// folder, serves, and stops it with SIGTERM.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "loops")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	t.Run("LOOPS_ADDR sets the address, and SIGTERM closes every socket with 1001 and exits within 10 s", func(t *testing.T) {
		addr := freeAddr(t)
		cmd := exec.Command(bin)
		cmd.Dir = t.TempDir() // for the default -data, ./data
		cmd.Env = append(os.Environ(), "LOOPS_ADDR="+addr)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		waitHealthy(t, addr)

		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		var socks []*websocket.Conn
		for i := range 3 {
			c, _, err := websocket.Dial(ctx, "ws://"+addr+"/socket", nil)
			if err != nil {
				t.Fatalf("dial %d: %v", i, err)
			}
			if err := c.Write(ctx, websocket.MessageText, shared.MustEncode(&shared.Join{})); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Read(ctx); err != nil { // welcome
				t.Fatal(err)
			}
			socks = append(socks, c)
		}

		start := time.Now()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		for i, c := range socks {
			var err error
			for err == nil {
				_, _, err = c.Read(ctx) // joined frames of later sockets come first
			}
			if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
				t.Errorf("socket %d ended with %v (status %d), want 1001", i, err, got)
			}
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("exit: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the server did not exit within 10 s of SIGTERM")
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("exit took %v", d)
		}
	})

	t.Run("-addr beats LOOPS_ADDR and an unknown command is refused", func(t *testing.T) {
		addr := freeAddr(t)
		cmd := exec.Command(bin, "-addr", addr, "-data", t.TempDir())
		cmd.Env = append(os.Environ(), "LOOPS_ADDR=127.0.0.1:1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		waitHealthy(t, addr)
		if code := getStatus(t, addr, "/debug/pprof/"); code != http.StatusNotFound {
			t.Errorf("/debug/pprof/ without -pprof: status %d, want 404", code)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("exit: %v", err)
		}

		out, err := exec.Command(bin, "dance").CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("loops dance: %v, want exit status 2\n%s", err, out)
		}
	})

	t.Run("the recordings database is made in ./data, and a -data that cannot be opened is a clear error and exit 1", func(t *testing.T) {
		addr := freeAddr(t)
		dir := t.TempDir()
		cmd := exec.Command(bin, "-addr", addr)
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		waitHealthy(t, addr)
		if _, err := os.Stat(filepath.Join(dir, "data", "recordings.db")); err != nil {
			t.Errorf("no database in ./data: %v", err)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("exit: %v", err)
		}

		file := filepath.Join(dir, "a-file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-addr", freeAddr(t), "-data", file).CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "-data "+file) {
			t.Errorf("-data on a file: %v, want exit status 1 and a message naming it\n%s", err, out)
		}
	})

	t.Run("-admin serves the metrics, every jam and, with -pprof, Go's profiles; the public listener none of them", func(t *testing.T) {
		addr, admin := freeAddr(t), freeAddr(t)
		cmd := exec.Command(bin, "-addr", addr, "-admin", admin, "-pprof", "-data", t.TempDir())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		waitHealthy(t, addr)
		for _, path := range []string{"/debug/pprof/goroutine?debug=1", "/metrics", "/api/jams"} {
			if code := getStatus(t, admin, path); code != http.StatusOK {
				t.Errorf("admin %s: status %d, want 200", path, code)
			}
			if code := getStatus(t, addr, path); code != http.StatusNotFound {
				t.Errorf("public %s: status %d, want 404", path, code)
			}
		}
		if code := getStatus(t, addr, "/api/loops"); code != http.StatusOK {
			t.Errorf("/api/loops: status %d, want 200", code)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("exit: %v", err)
		}
	})

	t.Run("loops attack runs issue 8's attacker until SIGTERM and writes what the server refused it as JSON", func(t *testing.T) {
		addr := freeAddr(t)
		srv := exec.Command(bin, "-addr", addr, "-data", t.TempDir(), "-max-sockets-per-addr", "20")
		srv.Stderr = os.Stderr
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		defer srv.Process.Kill()
		waitHealthy(t, addr)

		var out strings.Builder
		att := exec.Command(bin, "attack", "-url", "ws://"+addr+"/socket")
		att.Stdout, att.Stderr = &out, os.Stderr
		if err := att.Start(); err != nil {
			t.Fatal(err)
		}
		defer att.Process.Kill()
		time.Sleep(3 * time.Second)
		if err := att.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := att.Wait(); err != nil {
			t.Fatalf("the attacker: %v", err)
		}
		var rep loadgen.AttackReport
		if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
			t.Fatalf("its report %q: %v", out.String(), err)
		}
		// One address gets 20 files in 10 s, holds 20 sockets (the join
		// churn's among them, when it gets one), and joins 5 times a
		// minute on a socket: the rest is refused.
		if rep.From != loadgen.AttackFrom || rep.Mixes[http.StatusTooManyRequests] == 0 || rep.Mixes[http.StatusOK] > 20 ||
			rep.SocketsPeak < 1 || rep.SocketsPeak > 20 || rep.SocketsRefused[http.StatusTooManyRequests] == 0 ||
			rep.Joins > shared.JoinLimit || rep.CPUPercent <= 0 {
			t.Errorf("the attacker's report: %+v", rep)
		}
		_ = srv.Process.Signal(syscall.SIGTERM)
		if err := srv.Wait(); err != nil {
			t.Errorf("the server's exit: %v", err)
		}
	})

	t.Run("-pprof without -admin is refused: profiles never go on the public listener", func(t *testing.T) {
		out, err := exec.Command(bin, "-addr", freeAddr(t), "-pprof").CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("loops -pprof: %v, want exit status 1\n%s", err, out)
		}
	})
}

func getStatus(t *testing.T, addr, path string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(fmt.Sprintf("http://%s/healthz", addr))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", addr)
}
