//go:build !wasm

package server

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
)

// loopFiles serves the loop kit as WAV files: GET /loops/{id}.wav and
// GET /loops/mix.wav?ids=a,b,c. Files are rendered by shared/sound, the
// code the browser runs, on first request and kept in a bounded cache;
// concurrent requests for the same file share one render.
type loopFiles struct {
	// sampleRate of the files served.
	sampleRate int
	// maxEntries bounds the cache: a 48 kHz loop is 0.9 MB.
	maxEntries int
	// maxIDs bounds the ids a mix request may list, duplicates included,
	// so a query cannot make the server parse an unbounded list.
	maxIDs int
	// renders bounds the renders running at once, so a burst of distinct
	// mixes cannot take every core from the jam hub.
	renders chan struct{}
	// render makes the WAV file of a canonical list of ids; tests wrap it.
	render func(ids []string) ([]byte, error)

	mu    sync.Mutex
	files map[string]*list.Element // of *loopFile, by canonical key
	lru   list.List                // most recently used at the front
}

// loopFile is a cache entry: done is closed once body (or err) is set.
type loopFile struct {
	key  string
	done chan struct{}
	body []byte
	etag string
	err  error
}

// newLoopFiles returns the handler of GET /loops/{id}.wav and
// GET /loops/mix.wav?ids=a,b,c.
func newLoopFiles() http.Handler {
	const sampleRate = 48000
	return &loopFiles{
		sampleRate: sampleRate,
		maxEntries: 32,
		maxIDs:     2 * len(shared.Catalog),
		renders:    make(chan struct{}, 2),
		render:     func(ids []string) ([]byte, error) { return renderWAV(ids, sampleRate) },
		files:      map[string]*list.Element{},
	}
}

// renderWAV renders one loop, or the mix of several, as a WAV file.
func renderWAV(ids []string, sampleRate int) ([]byte, error) {
	left, right, err := sound.Mix(ids, sampleRate)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(44 + 4*len(left))
	if err := sound.EncodeWAV(&b, sampleRate, left, right); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// errBadMix is a mix query that lists no ids, too many, or an unknown one.
var errBadMix = errors.New("bad mix")

func (lf *loopFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/loops/")
	name, isWAV := strings.CutSuffix(name, ".wav")
	if !ok || !isWAV || name == "" || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	var ids []string
	if name == "mix" {
		var err error
		if ids, err = lf.mixIDs(r.URL.Query().Get("ids")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	} else {
		if _, known := shared.LoopByID(name); !known {
			http.NotFound(w, r)
			return
		}
		ids = []string{name}
	}
	f, err := lf.get(r, ids)
	if err != nil {
		if r.Context().Err() == nil {
			http.Error(w, "render failed", http.StatusInternalServerError)
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", f.etag)
	// ServeContent answers If-None-Match with 304, HEAD and Range requests
	// (audio elements seek with them).
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// mixIDs validates the ids of a mix query and returns them de-duplicated
// and sorted: the canonical list, and the cache key.
func (lf *loopFiles) mixIDs(q string) ([]string, error) {
	if q == "" {
		return nil, fmt.Errorf("%w: no ids: want ?ids=a,b,c", errBadMix)
	}
	parts := strings.SplitN(q, ",", lf.maxIDs+1)
	if len(parts) > lf.maxIDs {
		return nil, fmt.Errorf("%w: more than %d ids", errBadMix, lf.maxIDs)
	}
	var ids []string
	for _, id := range parts {
		id = strings.TrimSpace(id)
		if _, known := shared.LoopByID(id); !known {
			return nil, fmt.Errorf("%w: unknown loop %q", errBadMix, id)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// get returns the file of ids, rendering it unless it is cached or being
// rendered, and waiting for the render no longer than the request lasts.
func (lf *loopFiles) get(r *http.Request, ids []string) (*loopFile, error) {
	key := strings.Join(ids, ",")
	lf.mu.Lock()
	e, ok := lf.files[key]
	if ok {
		lf.lru.MoveToFront(e)
	} else {
		e = lf.lru.PushFront(&loopFile{key: key, done: make(chan struct{})})
		lf.files[key] = e
		// The render outlives the request that started it: whoever asks
		// next gets the file.
		go lf.fill(e.Value.(*loopFile), ids)
	}
	f := e.Value.(*loopFile)
	lf.mu.Unlock()
	select {
	case <-f.done:
		return f, f.err
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

// fill renders a file, then makes room in the cache.
func (lf *loopFiles) fill(f *loopFile, ids []string) {
	lf.renders <- struct{}{}
	body, err := lf.render(ids)
	<-lf.renders
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if err != nil {
		f.err = fmt.Errorf("render %s: %w", f.key, err)
		// A failure is not cached: the next request tries again.
		if e, ok := lf.files[f.key]; ok && e.Value == f {
			lf.lru.Remove(e)
			delete(lf.files, f.key)
		}
	} else {
		sum := sha256.Sum256(body)
		f.body, f.etag = body, `"`+hex.EncodeToString(sum[:12])+`"`
	}
	close(f.done)
	// Evict the least recently used finished files beyond the bound; files
	// still rendering stay, so their waiters are not orphaned.
	for e := lf.lru.Back(); e != nil && lf.lru.Len() > lf.maxEntries; {
		prev := e.Prev()
		old := e.Value.(*loopFile)
		select {
		case <-old.done:
			lf.lru.Remove(e)
			delete(lf.files, old.key)
		default:
		}
		e = prev
	}
}
