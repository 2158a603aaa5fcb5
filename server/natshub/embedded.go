//go:build !wasm

package natshub

import (
	"errors"
	"fmt"
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
	// loopback port (this process connects in process anyway).
	Listen string
	// Cluster is the HOST:PORT the server takes routes on; empty runs a
	// server of its own, not clustered.
	Cluster string
	// Routes are the other servers' cluster addresses, as
	// nats://HOST:PORT.
	Routes []string
	// Monitor, when set (HOST:PORT), serves nats-server's monitoring
	// endpoints there (/varz counts the messages in and out).
	Monitor string
}

// Embedded is a nats-server running inside the process.
type Embedded struct {
	ns *natsserver.Server
}

// StartEmbedded starts a nats-server with JetStream in the process and waits
// until it takes connections.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
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
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("nats server: not ready within 30s")
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
	return host, port, nil
}
