//go:build !wasm

package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// clock is a clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recording returns a recording made now, with an id from n.
func recording(n int, now time.Time) *shared.Recording {
	return &shared.Recording{
		ID: fmt.Sprintf("rec-%018d", n), Created: float64(now.UnixMicro()) / 1000, Kit: "golden-hour",
		BPM: 100, BeatsPerBar: 4, BarsPerLoop: 2, FirstBar: int64(n), Bars: 10,
		Parts: []shared.Part{{Loop: "drums", From: 0, To: 10}, {Loop: "bass", From: 2, To: 7}},
	}
}

func open(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func has(t *testing.T, s *Store, id string) bool {
	t.Helper()
	_, err := s.Get(context.Background(), id)
	if err != nil && !errors.Is(err, shared.ErrRecordingNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestStore(t *testing.T) {
	ctx := context.Background()

	t.Run("a recording put is got back whole, after the store is reopened too", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new", "data")
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rec := recording(1, time.Now())
		if err := s.Put(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, rec); err == nil {
			t.Fatal("a second put under the same id was accepted")
		}
		s.Close()
		s = open(t, dir, Options{})
		got, err := s.Get(ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(rec) {
			t.Fatalf("got %+v, want %+v", got, rec)
		}
		if _, err := s.Get(ctx, "nobody"); !errors.Is(err, shared.ErrRecordingNotFound) {
			t.Fatalf("an unknown id: %v", err)
		}
	})

	t.Run("a recording expires after Keep, and the sweep drops it from the file", func(t *testing.T) {
		c := &clock{now: time.Now()}
		s := open(t, t.TempDir(), Options{Keep: time.Hour, Now: c.Now})
		old := recording(1, c.Now())
		s.Put(ctx, old)
		c.add(30 * time.Minute)
		young := recording(2, c.Now())
		s.Put(ctx, young)
		c.add(31 * time.Minute)
		if has(t, s, old.ID) || !has(t, s, young.ID) {
			t.Fatalf("after 61 minutes: old kept %v, young kept %v; want only the young", has(t, s, old.ID), has(t, s, young.ID))
		}
		if n, _ := s.Size(); n != 2 {
			t.Fatalf("%d recordings in the file before the sweep, want 2", n)
		}
		if err := s.Sweep(); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Size(); n != 1 {
			t.Fatalf("%d recordings in the file after the sweep, want 1", n)
		}
	})

	t.Run("past the size limit the oldest go first, never the one just put", func(t *testing.T) {
		c := &clock{now: time.Now()}
		one := 0
		{
			probe := open(t, t.TempDir(), Options{})
			probe.Put(ctx, recording(0, c.Now()))
			_, b := probe.Size()
			one = int(b)
		}
		s := open(t, t.TempDir(), Options{MaxBytes: int64(3*one + one/2), Now: c.Now})
		for i := 1; i <= 5; i++ {
			if err := s.Put(ctx, recording(i, c.Now())); err != nil {
				t.Fatal(err)
			}
			c.add(time.Second)
		}
		var kept []int
		for i := 1; i <= 5; i++ {
			if has(t, s, recording(i, time.Time{}).ID) {
				kept = append(kept, i)
			}
		}
		if fmt.Sprint(kept) != "[3 4 5]" {
			t.Fatalf("kept %v, want [3 4 5]", kept)
		}
		if n, b := s.Size(); n != 3 || b != int64(3*one) {
			t.Fatalf("%d recordings of %d bytes, want 3 of %d", n, b, 3*one)
		}

		tiny := open(t, t.TempDir(), Options{MaxBytes: 1, Now: c.Now})
		rec := recording(9, c.Now())
		if err := tiny.Put(ctx, rec); err != nil || !has(t, tiny, rec.ID) {
			t.Fatalf("a recording larger than the limit on its own: %v, kept %v", err, has(t, tiny, rec.ID))
		}
	})

	t.Run("a directory that cannot be made, or a file another server holds, is a clear error", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		if _, err := Open(filepath.Join(file, "data"), Options{}); err == nil {
			t.Fatal("a data directory under a file opened")
		}
		dir := t.TempDir()
		open(t, dir, Options{})
		_, err := Open(dir, Options{OpenTimeout: 100 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "another") {
			t.Fatalf("a store held by another: %v", err)
		}
	})
}
