//go:build !wasm

package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
)

// loopFilesServer serves newLoopFiles, counting its loop renders.
func loopFilesServer(t *testing.T) (*httptest.Server, *loopFiles, *atomic.Int32) {
	t.Helper()
	lf := newLoopFiles()
	var renders atomic.Int32
	render := lf.render
	lf.render = func(kit, id string) ([]float32, []float32, error) {
		renders.Add(1)
		return render(kit, id)
	}
	ts := httptest.NewServer(lf)
	t.Cleanup(ts.Close)
	return ts, lf, &renders
}

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func wantWAV(t *testing.T, ids []string) []byte {
	t.Helper()
	return wantKitWAV(t, shared.DefaultKit().ID, ids)
}

func wantKitWAV(t *testing.T, kit string, ids []string) []byte {
	t.Helper()
	l, r, err := sound.Mix(kit, ids, 48000)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := sound.EncodeWAV(&b, 48000, l, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// wantMix returns the file of a mix of the default kit's loops ids: the
// sum of the loops' own 16-bit files, clipped. It also checks that this is
// within half a step a loop of sound.Mix encoded, the mix of the float
// samples.
func wantMix(t *testing.T, ids []string) []byte {
	t.Helper()
	le := binary.LittleEndian
	var sum []int32
	for _, id := range ids {
		loop := wantWAV(t, []string{id})
		if sum == nil {
			sum = make([]int32, (len(loop)-44)/2)
		}
		for i := range sum {
			sum[i] += int32(int16(le.Uint16(loop[44+2*i:])))
		}
	}
	exact := wantWAV(t, ids)
	// Each loop rounded on its own: at most half a step each, and half a
	// step for the float mix's own rounding.
	tolerance := int32(len(ids)+2) / 2
	out := slices.Clone(exact[:44])
	for i, v := range sum {
		v = min(max(v, -32768), 32767)
		out = le.AppendUint16(out, uint16(int16(v)))
		if d := v - int32(int16(le.Uint16(exact[44+2*i:]))); d > tolerance || d < -tolerance {
			t.Fatalf("sample %d: the sum of the 16-bit loops is %d steps from the float mix's", i, d)
		}
	}
	return out
}

func TestLoopFiles(t *testing.T) {
	t.Run("a loop is a 48 kHz 16-bit stereo WAV of the kit's samples, cacheable", func(t *testing.T) {
		ts, _, _ := loopFilesServer(t)
		resp, body := get(t, ts.URL+"/loops/bass.wav")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "audio/wav" {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
			t.Errorf("Cache-Control %q", cc)
		}
		if resp.Header.Get("ETag") == "" {
			t.Error("no ETag")
		}
		le := binary.LittleEndian
		if len(body) != 44+4*230400 || le.Uint32(body[24:]) != 48000 || le.Uint16(body[22:]) != 2 || le.Uint16(body[34:]) != 16 {
			t.Fatalf("%d bytes, header % x", len(body), body[:min(44, len(body))])
		}
		if !bytes.Equal(body, wantWAV(t, []string{"bass"})) {
			t.Error("the file is not the kit's bass loop")
		}
	})

	t.Run("a request with the ETag gets 304 Not Modified", func(t *testing.T) {
		ts, _, renders := loopFilesServer(t)
		resp, _ := get(t, ts.URL+"/loops/drums.wav")
		resp2, body := get(t, ts.URL+"/loops/drums.wav", "If-None-Match", resp.Header.Get("ETag"))
		if resp2.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("status %d, %d bytes", resp2.StatusCode, len(body))
		}
		if n := renders.Load(); n != 1 {
			t.Errorf("%d renders, want 1", n)
		}
	})

	t.Run("a range request gets part of the file", func(t *testing.T) {
		ts, _, _ := loopFilesServer(t)
		resp, body := get(t, ts.URL+"/loops/keys.wav", "Range", "bytes=0-43")
		if resp.StatusCode != http.StatusPartialContent || len(body) != 44 || string(body[:4]) != "RIFF" {
			t.Errorf("status %d, %d bytes", resp.StatusCode, len(body))
		}
	})

	t.Run("a mix is the sum of its loops, whatever their order and repeats", func(t *testing.T) {
		ts, _, renders := loopFilesServer(t)
		resp, body := get(t, ts.URL+"/loops/mix.wav?ids=pad,drums,bass")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if !bytes.Equal(body, wantMix(t, []string{"bass", "drums", "pad"})) {
			t.Error("the mix is not the sum of bass, drums and pad")
		}
		resp2, body2 := get(t, ts.URL+"/loops/mix.wav?ids=bass,pad,drums,pad")
		if resp2.StatusCode != http.StatusOK || !bytes.Equal(body, body2) || resp.Header.Get("ETag") != resp2.Header.Get("ETag") {
			t.Error("the same loops in another order, with a repeat, are another file")
		}
		if n := renders.Load(); n != 3 {
			t.Errorf("%d loop renders, want 3", n)
		}
	})

	t.Run("?kit= serves each kit's loops, and an unknown kit is 404", func(t *testing.T) {
		ts, _, _ := loopFilesServer(t)
		for _, k := range shared.Kits {
			id := k.Loops[len(k.Loops)-1].ID
			resp, body := get(t, ts.URL+"/loops/"+id+".wav?kit="+k.ID)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, wantKitWAV(t, k.ID, []string{id})) {
				t.Errorf("%s/%s: status %d, or not the kit's loop", k.ID, id, resp.StatusCode)
			}
		}
		if resp, _ := get(t, ts.URL+"/loops/drums.wav?kit=polka"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown kit: status %d", resp.StatusCode)
		}
	})

	t.Run("unknown loops are 404 and bad mixes 400", func(t *testing.T) {
		ts, _, renders := loopFilesServer(t)
		for path, want := range map[string]int{
			"/loops/kazoo.wav":               http.StatusNotFound,
			"/loops/drums.mp3":               http.StatusNotFound,
			"/loops/drums":                   http.StatusNotFound,
			"/loops/a/drums.wav":             http.StatusNotFound,
			"/loops/.wav":                    http.StatusNotFound,
			"/loops/mix.wav":                 http.StatusBadRequest,
			"/loops/mix.wav?ids=":            http.StatusBadRequest,
			"/loops/mix.wav?ids=drums,kazoo": http.StatusBadRequest,
			"/loops/mix.wav?ids=drums,,bass": http.StatusBadRequest,
			"/loops/mix.wav?ids=" + strings.Repeat("drums,", 24) + "drums": http.StatusBadRequest,
		} {
			if resp, body := get(t, ts.URL+path); resp.StatusCode != want {
				t.Errorf("GET %s: status %d, want %d (%s)", path, resp.StatusCode, want, body)
			}
		}
		if n := renders.Load(); n != 0 {
			t.Errorf("%d renders for bad requests", n)
		}
	})

	t.Run("concurrent requests for one mix render each of its loops once", func(t *testing.T) {
		ts, _, renders := loopFilesServer(t)
		var wg sync.WaitGroup
		bodies := make([][]byte, 8)
		for i := range bodies {
			wg.Go(func() {
				resp, err := http.Get(ts.URL + "/loops/mix.wav?ids=arp,lead")
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				bodies[i], _ = io.ReadAll(resp.Body)
			})
		}
		wg.Wait()
		if n := renders.Load(); n != 2 {
			t.Errorf("%d loop renders, want 2", n)
		}
		for i, b := range bodies {
			if !bytes.Equal(b, bodies[0]) || len(b) != 44+4*230400 {
				t.Errorf("response %d differs (%d bytes)", i, len(b))
			}
		}
	})

	t.Run("each loop renders once for good: mixes of it start no synthesis", func(t *testing.T) {
		ts, _, renders := loopFilesServer(t)
		for _, q := range []string{"drums", "bass", "drums,bass", "bass,keys", "keys,drums,bass", "drums"} {
			if resp, _ := get(t, ts.URL+"/loops/mix.wav?ids="+q); resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: status %d", q, resp.StatusCode)
			}
		}
		if n := renders.Load(); n != 3 {
			t.Errorf("%d loop renders, want 3", n)
		}
	})

	t.Run("a mix read in ranges is the mix", func(t *testing.T) {
		ts, _, _ := loopFilesServer(t)
		want := wantMix(t, []string{"bells", "keys"})
		var got []byte
		for _, r := range [][2]int{{0, 2}, {3, 45}, {46, 99_999}, {100_000, len(want) - 1}} {
			resp, body := get(t, ts.URL+"/loops/mix.wav?ids=keys,bells", "Range", fmt.Sprintf("bytes=%d-%d", r[0], r[1]))
			if resp.StatusCode != http.StatusPartialContent {
				t.Fatalf("range %v: status %d", r, resp.StatusCode)
			}
			got = append(got, body...)
		}
		if !bytes.Equal(got, want) {
			t.Error("the ranges do not make the mix")
		}
	})

	t.Run("past the bound of waiting requests, a request for a loop not rendered yet gets 503 and Retry-After", func(t *testing.T) {
		ts, lf, renders := loopFilesServer(t)
		lf.maxWaiting = 2
		release := make(chan struct{})
		render := lf.render
		lf.render = func(kit, id string) ([]float32, []float32, error) {
			<-release
			return render(kit, id)
		}
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if resp, _ := get(t, ts.URL+"/loops/lead.wav"); resp.StatusCode != http.StatusOK {
					t.Errorf("a waiting request: status %d", resp.StatusCode)
				}
			})
		}
		wstest.WaitFor(t, "two requests waiting", func() bool { return lf.waiting.Load() == 2 })
		resp, _ := get(t, ts.URL+"/loops/mix.wav?ids=lead,pad")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("the third: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		close(release)
		wg.Wait()
		if n := renders.Load(); n != 1 {
			t.Errorf("%d loop renders, want 1 (the refused request started none)", n)
		}
	})

	t.Run("past the bound of files being written, a request gets 503 and Retry-After", func(t *testing.T) {
		ts, lf, _ := loopFilesServer(t)
		lf.maxWriting = 0
		resp, _ := get(t, ts.URL+"/loops/drums.wav")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})

	t.Run("a client that has gone starts no render", func(t *testing.T) {
		_, lf, renders := loopFilesServer(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/loops/mix.wav?ids=arp,bells,clav", nil)
		lf.ServeHTTP(httptest.NewRecorder(), r)
		time.Sleep(50 * time.Millisecond)
		if n := renders.Load(); n != 0 {
			t.Errorf("%d loop renders for a client that had gone", n)
		}
	})

	t.Run("only GET and HEAD are served", func(t *testing.T) {
		ts, _, _ := loopFilesServer(t)
		resp, err := http.Post(ts.URL+"/loops/drums.wav", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST: status %d", resp.StatusCode)
		}
		resp, err = http.Head(ts.URL + "/loops/drums.wav")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.ContentLength != 44+4*230400 {
			t.Errorf("HEAD: status %d, length %d", resp.StatusCode, resp.ContentLength)
		}
	})
}
