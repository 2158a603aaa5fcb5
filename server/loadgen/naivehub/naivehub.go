//go:build !wasm

// Package naivehub is the baseline the load runs measure the hub against:
// the hub a first version would be. One mutex guards everything; each
// connection has a writer goroutine fed by a 64-slot channel, and a full
// channel closes the connection; there is no heartbeat, no rate limit and
// no resume. It speaks the part of PROTOCOL.md the load run uses (join,
// welcome, joined, left, play, played, stop, stopped, ping, pong, leave)
// with the messages and rules of shared/, so that the generator checks it
// as it checks the hub.
package naivehub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/loopswithfriends/loops/shared"
)

// queueSize is each connection's channel of frames waiting to be written.
const queueSize = 64

// writeTimeout bounds each write.
const writeTimeout = 5 * time.Second

// Hub is the naive hub.
type Hub struct {
	mux *http.ServeMux

	mu      sync.Mutex // guards everything below and every jam and member
	jams    map[string]*jam
	filling *jam // the jam new users go to while it has room
	users   int
	seq     int
}

var _ http.Handler = (*Hub)(nil)

type jam struct {
	id       string
	timeline shared.Timeline
	members  []*member
	taken    []bool
}

type member struct {
	id      string
	jam     *jam
	loop    int
	playing bool
	bar     int64
	c       *conn
}

type conn struct {
	ws   *websocket.Conn
	out  chan []byte
	m    *member
	gone bool
}

// New returns a Hub serving /socket, /api/stats (protocol v2: sizes only),
// /healthz and, for the load generator, /api/jams and /metrics on the same
// listener.
func New() *Hub {
	h := &Hub{mux: http.NewServeMux(), jams: make(map[string]*jam)}
	h.mux.HandleFunc("GET /socket", h.serveSocket)
	h.mux.HandleFunc("GET /api/stats", h.serveStats)
	h.mux.HandleFunc("GET /api/jams", h.serveJams)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	h.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	})
	return h
}

// ServeHTTP serves the hub.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Hub) serveStats(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	st := shared.Stats{Jams: len(h.jams), Users: h.users, Sizes: make(map[string]int)}
	for _, j := range h.jams {
		st.Sizes[shared.SizeKey(len(j.members))]++
	}
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

func (h *Hub) serveJams(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	js := shared.JamSizes{JamSizes: make(map[string]int, len(h.jams))}
	for id, j := range h.jams {
		js.JamSizes[id] = len(j.members)
	}
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(js)
}

func (h *Hub) serveSocket(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	ws.SetReadLimit(shared.MaxFrameBytes)
	c := &conn{ws: ws, out: make(chan []byte, queueSize)}
	go c.write()
	defer ws.CloseNow()
	defer h.leave(c)
	for {
		_, data, err := ws.Read(context.Background())
		if err != nil {
			return
		}
		msg, err := shared.DecodeClient(data)
		if err != nil {
			return
		}
		h.handle(c, msg)
	}
}

func (c *conn) write() {
	for frame := range c.out {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		err := c.ws.Write(ctx, websocket.MessageText, frame)
		cancel()
		if err != nil {
			_ = c.ws.CloseNow()
			for range c.out {
			}
			return
		}
	}
}

// send queues frame for c, or closes c when its channel is full. h.mu is
// held.
func (c *conn) send(frame []byte) {
	if c.gone {
		return
	}
	select {
	case c.out <- frame:
	default:
		go c.ws.Close(websocket.StatusPolicyViolation, "too slow")
	}
}

func (h *Hub) handle(c *conn, msg shared.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := float64(time.Now().UnixNano()) / 1e6
	if _, ok := msg.(*shared.Join); ok {
		if c.m == nil {
			h.join(c, now)
		}
		return
	}
	m := c.m
	if m == nil {
		c.send(shared.MustEncode(shared.Errorf(shared.CodeNotJoined, "join a jam first")))
		return
	}
	j := m.jam
	switch msg := msg.(type) {
	case *shared.Ping:
		c.send(shared.MustEncode(&shared.Pong{ID: msg.ID, T0: msg.T0, Now: now}))
	case *shared.Play:
		if !m.playing {
			m.playing, m.bar = true, j.timeline.NextBar(now)
			j.broadcast(shared.MustEncode(&shared.Played{ID: m.id, Bar: m.bar}), nil)
		}
	case *shared.Stop:
		if m.playing {
			m.playing, m.bar = false, j.timeline.NextBar(now)
			j.broadcast(shared.MustEncode(&shared.Stopped{ID: m.id, Bar: m.bar}), nil)
		}
	case *shared.Leave:
		h.remove(c)
	}
}

// join places c's user in the filling jam. h.mu is held.
func (h *Hub) join(c *conn, now float64) {
	j := h.filling
	if j == nil || len(j.members) >= shared.Capacity {
		h.seq++
		j = &jam{id: "j" + strconv.Itoa(h.seq), timeline: shared.NewTimeline(float64(int64(now))), taken: make([]bool, len(shared.DefaultKit().Loops))}
		h.jams[j.id] = j
		h.filling = j
	}
	loop := 0
	for j.taken[loop] {
		loop++
	}
	j.taken[loop] = true
	m := &member{id: uuid.NewString(), jam: j, loop: loop, bar: j.timeline.BarAt(now), c: c}
	j.members = append(j.members, m)
	c.m = m
	h.users++
	views := make([]shared.Member, len(j.members))
	for i, o := range j.members {
		views[i] = o.view()
	}
	c.send(shared.MustEncode(&shared.Welcome{
		You: m.id, Resume: uuid.NewString(), Loop: shared.DefaultKit().Loops[loop].ID, Now: now,
		Jam:     shared.JamInfo{ID: j.id, Timeline: j.timeline, Capacity: shared.Capacity},
		Members: views,
	}))
	j.broadcast(shared.MustEncode(&shared.Joined{Member: m.view()}), m)
}

func (m *member) view() shared.Member {
	return shared.Member{ID: m.id, Loop: shared.DefaultKit().Loops[m.loop].ID, Playing: m.playing, Bar: m.bar}
}

// broadcast queues frame to every member but skip. h.mu is held.
func (j *jam) broadcast(frame []byte, skip *member) {
	for _, m := range j.members {
		if m != skip {
			m.c.send(frame)
		}
	}
}

func (h *Hub) leave(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(c)
	if !c.gone {
		c.gone = true
		close(c.out)
	}
}

// remove takes c's user out of their jam. h.mu is held.
func (h *Hub) remove(c *conn) {
	m := c.m
	if m == nil {
		return
	}
	j := m.jam
	c.m = nil
	for i, o := range j.members {
		if o == m {
			j.members = append(j.members[:i], j.members[i+1:]...)
			break
		}
	}
	j.taken[m.loop] = false
	h.users--
	if len(j.members) == 0 {
		delete(h.jams, j.id)
		if h.filling == j {
			h.filling = nil
		}
	}
	j.broadcast(shared.MustEncode(&shared.Left{ID: m.id}), nil)
}
