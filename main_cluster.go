//go:build !wasm

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/server/natshub"
)

// clusterFlags are the flags of cluster mode: several nodes acting as one
// hub on NATS (server/natshub).
type clusterFlags struct {
	nats      *string
	cluster   *string
	routes    *string
	listen    *string
	monitor   *string
	node      *string
	key       *string
	replicas  *int
	playWrite *time.Duration

	nc           *nats.Conn // once started
	replicasUsed int
}

func addClusterFlags(fs *flag.FlagSet) *clusterFlags {
	return &clusterFlags{
		nats:      fs.String("nats", os.Getenv("LOOPS_NATS"), `cluster mode: "embedded" starts nats-server in this process; a URL (nats://host:4222) joins an existing NATS; empty runs one node alone (also LOOPS_NATS)`),
		cluster:   fs.String("nats-cluster", "", "with -nats embedded: HOST:PORT the embedded server takes routes from the others on"),
		routes:    fs.String("nats-routes", "", "with -nats embedded: comma-separated routes to the other nodes' -nats-cluster, nats://HOST:PORT"),
		listen:    fs.String("nats-listen", "", "with -nats embedded: also serve NATS clients on HOST:PORT (for nodes started with -nats URL, and tools)"),
		monitor:   fs.String("nats-monitor", "", "with -nats embedded: serve nats-server's monitoring endpoints (/varz, /jsz) on HOST:PORT; keep it private"),
		node:      fs.String("node", "", "this node's name in the cluster, unique [host name and -addr port]"),
		key:       fs.String("cluster-key", "", "the secret every node signs resume tokens with, at least 16 bytes (better: LOOPS_CLUSTER_KEY)"),
		replicas:  fs.Int("nats-replicas", 0, "copies JetStream keeps of each bucket [3 with three or more embedded nodes, else 1]"),
		playWrite: fs.Duration("play-write", envDuration("LOOPS_PLAY_WRITE"), "how often the node writes its members' plays and stops that their jams' records lack, in replicated writes of 256 a key spread over the next period; the members hear them at once and every node keeps them [10s] (also LOOPS_PLAY_WRITE)"),
	}
}

// start returns the cluster for server.Config.Cluster and the function that
// stops it, or nil when the node runs alone.
func (f *clusterFlags) start(ctx context.Context, addr, data string, log *slog.Logger) (server.Cluster, func(), error) {
	if *f.nats == "" {
		return nil, func() {}, nil
	}
	key := *f.key
	if key == "" {
		key = os.Getenv("LOOPS_CLUSTER_KEY")
	}
	if len(key) < 16 {
		return nil, nil, errors.New("cluster mode needs a shared key of at least 16 bytes: -cluster-key or LOOPS_CLUSTER_KEY")
	}
	node := *f.node
	if node == "" {
		host, _ := os.Hostname()
		_, port, _ := net.SplitHostPort(addr)
		node = host + "-" + port
	}
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	opts := append(natshub.ConnOptions(node), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	var nc *nats.Conn
	replicas := *f.replicas
	if *f.nats == "embedded" {
		routes := splitList(*f.routes)
		emb, err := natshub.StartEmbedded(natshub.EmbeddedConfig{
			Name: node, DataDir: data, Listen: *f.listen, Cluster: *f.cluster, Routes: routes, Monitor: *f.monitor,
			Log: log,
		})
		if err != nil {
			return nil, nil, err
		}
		stops = append(stops, emb.Shutdown)
		log.Info("embedded nats", "clients", emb.ClientURL(), "cluster", emb.ClusterURL())
		if nc, err = emb.Connect(opts...); err != nil {
			stop()
			return nil, nil, err
		}
		if replicas == 0 {
			replicas = min(3, 1+len(routes))
		}
	} else {
		var err error
		if nc, err = nats.Connect(*f.nats, opts...); err != nil {
			return nil, nil, fmt.Errorf("nats: %w", err)
		}
	}
	stops = append(stops, nc.Close)
	f.nc, f.replicasUsed = nc, replicas
	log.Info("joining the cluster", "node", node, "nats", *f.nats, "replicas", max(1, replicas))
	hub, err := natshub.New(ctx, natshub.Config{Conn: nc, Key: []byte(key), Node: node, Replicas: replicas, PlayWrite: *f.playWrite, Log: log})
	if err != nil {
		stop()
		return nil, nil, err
	}
	stops = append(stops, hub.Close)
	return hub, stop, nil
}

// recordings returns the store of the cluster's recordings, a JetStream KV
// bucket every node reads; start must have started the cluster.
func (f *clusterFlags) recordings(ctx context.Context, keep time.Duration, maxBytes int64) (server.RecordingStore, error) {
	return natshub.NewRecordingStore(ctx, natshub.RecordingsConfig{
		Conn: f.nc, Replicas: f.replicasUsed, Keep: keep, MaxBytes: maxBytes,
	})
}

// envDuration returns the duration in the environment variable name, 0 when
// it is unset or not a duration.
func envDuration(name string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(name))
	return d
}
