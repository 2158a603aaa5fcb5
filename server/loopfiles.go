//go:build !wasm

package server

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
)

// loopFiles serves the kits' loops as WAV files: GET /loops/{id}.wav and
// GET /loops/mix.wav?ids=a,b,c, of the default kit or, with ?kit=, of
// another.
//
// What a request can cost: each loop of each kit is synthesized at most
// once in the process's life (single-flight), one at a time, and kept, as
// the 16-bit samples the files carry (0.9 MB a loop of two bars at 100 BPM
// at 48 kHz; about 35 MB for every loop of the three kits, half what float
// samples would keep, and kept for good once anyone asks). A file, one loop
// or a mix, is never stored: it is the sum of those renders, computed as it
// is written (mixReader), so no request starts synthesis beyond the
// per-loop renders,
// and a client that goes away stops its own work at the next write. The
// expensive parts are bounded and refused rather than queued: requests
// waiting for a loop's first render and responses being written are
// counted, and past either bound the answer is 503 with Retry-After.
type loopFiles struct {
	// sampleRate of the files served.
	sampleRate int
	// maxIDs bounds the ids a mix request may list, duplicates included,
	// so a query cannot make the server parse an unbounded list.
	maxIDs int
	// maxWaiting bounds the requests waiting for a first render.
	maxWaiting int32
	// maxWriting bounds the files being written at once: each sums its
	// loops as it goes and holds a copy buffer.
	maxWriting int32
	// retryAfter is what a refused request is told to wait, in seconds.
	retryAfter string
	// cpu is the one slot of heavy work: a loop's synthesis, or a chunk of
	// a mix being summed. Holding it, such work takes at most one core of
	// the two, so the jam hub always has the other; waiting for it is
	// bounded by maxWaiting and maxWriting.
	cpu chan struct{}
	// render synthesizes one loop; tests wrap it.
	render func(kit, id string) (left, right []float32, err error)

	loops   map[string]*loopRender // one per loop of each kit, by loopKey, made up front
	waiting atomic.Int32
	writing atomic.Int32

	// perAddr limits each client address to perAddrLimit requests in a
	// window of perAddrWindow (429 past it), so that one address cannot
	// take the slots of heavy work from everyone; addrOf names a request's
	// address (the server's clientAddr, X-Forwarded-For when trusted).
	addrOf        func(*http.Request) string
	perAddrLimit  int
	perAddrWindow time.Duration
	limMu         sync.Mutex
	limStart      time.Time
	limCounts     map[string]int
}

// allowAddr counts a request of addr and reports whether it is within the
// per-address limit. The counts of a window are dropped whole when it ends.
func (lf *loopFiles) allowAddr(addr string, now time.Time) bool {
	lf.limMu.Lock()
	defer lf.limMu.Unlock()
	if now.Sub(lf.limStart) >= lf.perAddrWindow || lf.limCounts == nil {
		lf.limStart, lf.limCounts = now, make(map[string]int)
	}
	lf.limCounts[addr]++
	return lf.limCounts[addr] <= lf.perAddrLimit
}

// loopRender is one loop's samples, rendered once: done is closed once
// pcm (or err) is set.
type loopRender struct {
	kit, id string
	mu      sync.Mutex
	started bool
	done    chan struct{}
	pcm     []int16  // left and right of each frame, as sound.PCM16 makes them
	sum     [32]byte // of the samples, for the files' ETags
	err     error
}

// newLoopFiles returns the handler of GET /loops/{id}.wav and
// GET /loops/mix.wav?ids=a,b,c.
func newLoopFiles() *loopFiles {
	const sampleRate = 48000
	lf := &loopFiles{
		sampleRate: sampleRate,
		maxWaiting: 64,
		maxWriting: 64,
		retryAfter: "5",
		// A page plays loops it renders itself; a download takes a few.
		perAddrLimit:  20,
		perAddrWindow: 10 * time.Second,
		cpu:           make(chan struct{}, 1),
		render:        func(kit, id string) ([]float32, []float32, error) { return sound.Render(kit, id, sampleRate) },
		loops:         make(map[string]*loopRender),
	}
	for _, k := range shared.Kits {
		lf.maxIDs = max(lf.maxIDs, 2*len(k.Loops))
		for _, l := range k.Loops {
			lf.loops[loopKey(k.ID, l.ID)] = &loopRender{kit: k.ID, id: l.ID, done: make(chan struct{})}
		}
	}
	return lf
}

// loopKey is the key of a kit's loop in loopFiles.loops.
func loopKey(kit, id string) string { return kit + "/" + id }

// errBadMix is a mix query that lists no ids, too many, or an unknown one.
var errBadMix = errors.New("bad mix")

// errBusy is a request refused because too many wait or are written.
var errBusy = errors.New("busy")

func (lf *loopFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Counted first, whatever the request: a flood of requests, good or
	// bad, costs no more than the 429 past the address's limit.
	if lf.addrOf != nil && !lf.allowAddr(lf.addrOf(r), time.Now()) {
		w.Header().Set("Retry-After", strconv.Itoa(int(lf.perAddrWindow.Seconds())))
		http.Error(w, "too many requests from your address: try again shortly", http.StatusTooManyRequests)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/loops/")
	name, isWAV := strings.CutSuffix(name, ".wav")
	if !ok || !isWAV || name == "" || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	kit := shared.DefaultKit()
	if id := r.URL.Query().Get("kit"); id != "" {
		if kit = shared.KitByID(id); kit == nil {
			http.NotFound(w, r)
			return
		}
	}
	var ids []string
	if name == "mix" {
		var err error
		if ids, err = lf.mixIDs(kit.ID, r.URL.Query().Get("ids")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	} else {
		if _, known := lf.loops[loopKey(kit.ID, name)]; !known {
			http.NotFound(w, r)
			return
		}
		ids = []string{loopKey(kit.ID, name)}
	}
	if lf.writing.Add(1) > lf.maxWriting {
		lf.writing.Add(-1)
		lf.refuse(w)
		return
	}
	defer lf.writing.Add(-1)
	loops, err := lf.get(r.Context(), ids)
	switch {
	case errors.Is(err, errBusy):
		lf.refuse(w)
		return
	case err != nil:
		if r.Context().Err() == nil {
			http.Error(w, "render failed", http.StatusInternalServerError)
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", etagOf(loops))
	// ServeContent answers If-None-Match with 304, HEAD and Range requests
	// (audio elements seek with them), and reads only what it writes.
	http.ServeContent(w, r, "", time.Time{}, newMixReader(lf.sampleRate, loops, lf.cpu))
}

// refuse answers 503 with Retry-After.
func (lf *loopFiles) refuse(w http.ResponseWriter) {
	w.Header().Set("Retry-After", lf.retryAfter)
	http.Error(w, "busy: try again shortly", http.StatusServiceUnavailable)
}

// mixIDs validates the ids of a mix query of a kit's loops and returns
// their keys de-duplicated and sorted: the canonical list.
func (lf *loopFiles) mixIDs(kit, q string) ([]string, error) {
	if q == "" {
		return nil, fmt.Errorf("%w: no ids: want ?ids=a,b,c", errBadMix)
	}
	parts := strings.SplitN(q, ",", lf.maxIDs+1)
	if len(parts) > lf.maxIDs {
		return nil, fmt.Errorf("%w: more than %d ids", errBadMix, lf.maxIDs)
	}
	ids := make([]string, 0, len(parts))
	for _, id := range parts {
		id = strings.TrimSpace(id)
		if _, known := lf.loops[loopKey(kit, id)]; !known {
			return nil, fmt.Errorf("%w: unknown loop %q", errBadMix, id)
		}
		ids = append(ids, loopKey(kit, id))
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// get returns the renders of ids (keys of loops), starting the first render of any that
// has none, and waiting for them no longer than ctx lasts. A render is
// started only for a client still there; once started it is finished and
// kept, whoever waits. Past maxWaiting waiting requests it returns errBusy.
func (lf *loopFiles) get(ctx context.Context, ids []string) ([]*loopRender, error) {
	loops := make([]*loopRender, len(ids))
	ready := true
	for i, id := range ids {
		loops[i] = lf.loops[id]
		select {
		case <-loops[i].done:
		default:
			ready = false
		}
	}
	if !ready {
		if lf.waiting.Add(1) > lf.maxWaiting {
			lf.waiting.Add(-1)
			return nil, errBusy
		}
		defer lf.waiting.Add(-1)
	}
	for _, l := range loops {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		lf.start(l)
		select {
		case <-l.done:
			if l.err != nil {
				return nil, l.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return loops, nil
}

// start begins l's render unless it has begun: on a goroutine of its own
// that waits its turn for a synthesis slot. There are as many renders in a
// process's life as loops in the catalog.
func (lf *loopFiles) start(l *loopRender) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return
	}
	l.started = true
	go func() {
		lf.cpu <- struct{}{}
		left, right, err := lf.render(l.kit, l.id)
		if err == nil && len(left) != len(right) {
			err = errors.New("channels differ in length")
		}
		var sum [32]byte
		var pcm []int16
		if err == nil {
			pcm = make([]int16, 2*len(left))
			for i := range left {
				pcm[2*i], pcm[2*i+1] = sound.PCM16(left[i]), sound.PCM16(right[i])
			}
			sum = sha256.Sum256(pcmBytes(pcm))
		}
		<-lf.cpu
		l.mu.Lock()
		defer l.mu.Unlock()
		if err != nil {
			// Synthesis is deterministic: it would fail again.
			l.err = fmt.Errorf("render %s/%s: %w", l.kit, l.id, err)
			close(l.done)
			return
		}
		l.sum, l.pcm = sum, pcm
		close(l.done)
	}()
}

// pcmBytes returns the bytes of samples, without a copy.
func pcmBytes(samples []int16) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(samples))), 2*len(samples))
}

// etagOf returns the ETag of the file summing loops: a hash of their
// samples' hashes, so it changes when the synthesis does.
func etagOf(loops []*loopRender) string {
	h := sha256.New()
	for _, l := range loops {
		h.Write(l.sum[:])
	}
	return `"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
}

// mixReader is a WAV file of the sum of some loops, made as it is read:
// the header of sound.WAVHeader, then each frame the sum of the loops'
// 16-bit samples, clipped. A loop's file is its render encoded as
// sound.EncodeWAV does; a mix's samples are within half a step a loop of
// sound.Mix encoded (each loop was rounded to 16 bits on its own), far
// below what 16 bits can play. It seeks, for Range requests. Each Read sums
// its chunk holding the cpu slot.
type mixReader struct {
	header []byte
	loops  []*loopRender
	cpu    chan struct{}
	size   int64
	off    int64
}

var _ io.ReadSeeker = (*mixReader)(nil)

func newMixReader(sampleRate int, loops []*loopRender, cpu chan struct{}) *mixReader {
	frames := len(loops[0].pcm) / 2
	return &mixReader{
		header: sound.WAVHeader(sampleRate, frames),
		loops:  loops,
		cpu:    cpu,
		size:   44 + 4*int64(frames),
	}
}

// mixSlice is how many frames a mix sums between two yields of its core:
// about 0.1 ms of work.
const mixSlice = 1024

// Read fills p from the current offset.
func (m *mixReader) Read(p []byte) (int, error) {
	if m.off >= m.size {
		return 0, io.EOF
	}
	n := 0
	if m.off < int64(len(m.header)) {
		c := copy(p, m.header[m.off:])
		n += c
		m.off += int64(c)
	}
	if n == len(p) || m.off >= m.size {
		return n, nil
	}
	m.cpu <- struct{}{}
	defer func() { <-m.cpu }()
	var f [4]byte
	for k := 0; n < len(p) && m.off < m.size; k++ {
		if k%mixSlice == mixSlice-1 {
			// A slice of work done: let the hub's goroutines, which
			// have no priority over this one, have the core.
			runtime.Gosched()
		}
		pos := m.off - int64(len(m.header))
		frame, within := pos/4, pos%4
		var l, r int32
		for _, lp := range m.loops {
			l += int32(lp.pcm[2*frame])
			r += int32(lp.pcm[2*frame+1])
		}
		dst := p[n:]
		if within != 0 || len(dst) < 4 {
			dst = f[:]
		}
		binary.LittleEndian.PutUint16(dst[0:], uint16(clip16(l)))
		binary.LittleEndian.PutUint16(dst[2:], uint16(clip16(r)))
		c := 4
		if within != 0 || len(p[n:]) < 4 {
			c = copy(p[n:], f[within:])
		}
		n += c
		m.off += int64(c)
	}
	return n, nil
}

// clip16 clips a sum of 16-bit samples to 16 bits.
func clip16(v int32) int16 {
	return int16(min(max(v, -32768), 32767))
}

// Seek sets the offset of the next Read.
func (m *mixReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += m.off
	case io.SeekEnd:
		offset += m.size
	default:
		return 0, errors.New("mix: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("mix: negative offset")
	}
	m.off = offset
	return offset, nil
}
