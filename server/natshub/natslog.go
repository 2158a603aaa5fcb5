//go:build !wasm

package natshub

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// natsLog writes an embedded nats-server's logs to a slog.Logger: its
// warnings and errors as such (a route it cannot dial yet a warning), its notices (the start-up banner, routes
// coming and going) at debug. A fatal error is kept too, so that
// StartEmbedded can say why the server never became ready: nats-server's
// Fatalf does not end the process here, it only stops Start.
type natsLog struct {
	log *slog.Logger

	mu    sync.Mutex
	fatal string
}

func (l *natsLog) Noticef(format string, v ...any) { l.at(slog.LevelDebug, format, v) }
func (l *natsLog) Warnf(format string, v ...any)   { l.at(slog.LevelWarn, format, v) }
func (l *natsLog) Errorf(format string, v ...any) {
	level := slog.LevelError
	if strings.HasPrefix(format, routeDialError) {
		// A peer not up yet: every node of a cluster that starts says so
		// of the others until they are; nats-server goes on trying.
		level = slog.LevelWarn
	}
	l.at(level, format, v)
}

// routeDialError begins nats-server's error for a route it could not dial.
const routeDialError = "Error trying to connect to route"

func (l *natsLog) Debugf(format string, v ...any) { l.at(slog.LevelDebug, format, v) }
func (l *natsLog) Tracef(format string, v ...any) { l.at(slog.LevelDebug, format, v) }

func (l *natsLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	l.fatal = msg
	l.mu.Unlock()
	l.log.Error(msg, "fatal", true)
}

// lastFatal returns the last fatal error, or "".
func (l *natsLog) lastFatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatal
}

func (l *natsLog) at(level slog.Level, format string, v []any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.log.Log(context.Background(), level, fmt.Sprintf(format, v...))
}
