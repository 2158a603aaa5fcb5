//go:build !wasm

package natshub

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestNATSLog(t *testing.T) {
	var out bytes.Buffer
	l := &natsLog{log: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, c := range []struct {
		log   func(string, ...any)
		line  string
		level string
	}{
		{l.Errorf, "Error trying to connect to route (attempt %v): %v", "level=WARN"},
		{l.Errorf, "JetStream cluster requires configured routes", "level=ERROR"},
		{l.Warnf, "Plaintext passwords detected", "level=WARN"},
		{l.Noticef, "Server is ready", "level=DEBUG"},
	} {
		out.Reset()
		c.log(c.line, 1, "connection refused")
		if got := out.String(); !strings.Contains(got, c.level) {
			t.Errorf("%q logged as %q, want %s", c.line, got, c.level)
		}
	}
	l.Fatalf("no routes")
	if l.lastFatal() != "no routes" {
		t.Errorf("the fatal error kept is %q", l.lastFatal())
	}
}
