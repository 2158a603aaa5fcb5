//go:build !wasm

package natshub

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// EmbeddedConfig configures a nats-server started inside the process.
type EmbeddedConfig struct {
	// Name names the server in its cluster; it must differ between nodes.
	Name string
	// DataDir holds JetStream's files (in DataDir/nats).
	DataDir string
	// Listen is where the server serves NATS clients (HOST:PORT), for
	// tools and for nodes started with -nats URL; empty is a random
	// loopback port (this process connects in process anyway). Port 0,
	// here and in Cluster and Monitor, is one the kernel picks.
	Listen string
	// Cluster is the HOST:PORT the server takes routes on; empty runs a
	// server of its own, not clustered. ClusterURL tells the others the
	// port the kernel picked for port 0.
	Cluster string
	// Routes are the other servers' cluster addresses, as
	// nats://HOST:PORT. A clustered JetStream needs at least one, even on
	// the first server: a route to itself will do (it is skipped), and
	// the servers that route to a server learn of each other from it.
	Routes []string
	// Monitor, when set (HOST:PORT), serves nats-server's monitoring
	// endpoints there (/varz counts the messages in and out).
	Monitor string
	// Log receives the server's warnings and errors (its notices at
	// debug); nil discards them.
	Log *slog.Logger
	// ReadyTimeout bounds the start, until the server takes clients and
	// routes [2m: JetStream starts first, slow on a crowded machine].
	ReadyTimeout time.Duration
}

// Embedded is a nats-server running inside the process.
type Embedded struct {
	ns *natsserver.Server
}

// StartEmbedded starts a nats-server with JetStream in the process and waits
// until it takes connections (and routes, when clustered).
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 2 * time.Minute
	}
	opts := &natsserver.Options{
		ServerName: cfg.Name,
		JetStream:  true,
		StoreDir:   filepath.Join(cfg.DataDir, "nats"),
		// A clustered server starts its routes only once it listens for
		// clients, so it always does: on a random loopback port unless
		// told where.
		Host:   "127.0.0.1",
		Port:   natsserver.RANDOM_PORT,
		NoSigs: true,
		NoLog:  true,
	}
	if cfg.Listen != "" {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen: %w", err)
		}
		opts.Host, opts.Port = host, port
	}
	if cfg.Monitor != "" {
		host, port, err := splitHostPort(cfg.Monitor)
		if err != nil {
			return nil, fmt.Errorf("nats monitor: %w", err)
		}
		opts.HTTPHost, opts.HTTPPort = host, port
	}
	if cfg.Cluster != "" {
		host, port, err := splitHostPort(cfg.Cluster)
		if err != nil {
			return nil, fmt.Errorf("nats cluster: %w", err)
		}
		opts.Cluster = natsserver.ClusterOpts{Name: "loops", Host: host, Port: port}
		for _, r := range cfg.Routes {
			u := natsserver.RoutesFromStr(r)
			if len(u) == 0 {
				return nil, fmt.Errorf("nats route %q: not a URL", r)
			}
			opts.Routes = append(opts.Routes, u...)
		}
	}
	ns, err := natsserver.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	logs := &natsLog{log: cfg.Log.With("nats", cfg.Name)}
	ns.SetLoggerV2(logs, false, false, false)
	go ns.Start()
	// Start fails with a fatal error (logged) rather than an error: a
	// port taken, JetStream refusing its configuration. Either ends the
	// wait at once.
	deadline := time.Now().Add(cfg.ReadyTimeout)
	for !ns.ReadyForConnections(50 * time.Millisecond) {
		if msg := logs.lastFatal(); msg != "" {
			ns.Shutdown()
			return nil, fmt.Errorf("nats server: %s", msg)
		}
		if time.Now().After(deadline) {
			ns.Shutdown()
			return nil, fmt.Errorf("nats server: not ready within %v", cfg.ReadyTimeout)
		}
	}
	return &Embedded{ns: ns}, nil
}

// Connect returns a connection to the embedded server, in process.
func (e *Embedded) Connect(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.InProcessServer(e.ns)}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("nats connect: %w", err)
	}
	return nc, nil
}

// ClientURL returns the URL clients reach the server at, when it listens.
func (e *Embedded) ClientURL() string { return e.ns.ClientURL() }

// ClusterURL returns the URL other servers route to this one at
// (nats://HOST:PORT, the port the kernel picked if asked to), or "" when
// it is not clustered.
func (e *Embedded) ClusterURL() string {
	a := e.ns.ClusterAddr()
	if a == nil {
		return ""
	}
	return "nats://" + a.String()
}

// Shutdown stops the server; its clients lose their connection.
func (e *Embedded) Shutdown() {
	e.ns.Shutdown()
	e.ns.WaitForShutdown()
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	if port == 0 {
		// nats-server reads 0 as its default port (or none at all).
		port = natsserver.RANDOM_PORT
	}
	return host, port, nil
}
