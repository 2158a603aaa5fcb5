//go:build !wasm

package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/loopswithfriends/loops/shared"
)

// busyRecording is a 10-minute recording as busy as a full jam gets: seven
// loops at once for most of its 250 bars, each stopping, swapping and coming
// back every few bars.
func busyRecording(n int) *shared.Recording {
	rec := recording(n, time.Now())
	rec.Bars, rec.Parts = shared.HistoryBars, nil
	ids := []string{"drums", "bass", "keys", "guitar", "lead", "pad", "arp", "congas", "shaker", "bells", "texture", "clav"}
	for m := range shared.Capacity {
		for from, k := m%4, 0; from < rec.Bars; k++ {
			to := min(from+8+(m+k)%9, rec.Bars)
			rec.Parts = append(rec.Parts, shared.Part{Loop: ids[(m+k*shared.Capacity)%len(ids)], From: from, To: to})
			from = to + 1 + (m*k)%3
		}
	}
	return rec
}

// BenchmarkStore times a put and a get of a busy 10-minute recording, each
// beside a same-run baseline: the same JSON written to (read from) a bare
// bbolt bucket, without the store's index, size count and sweep.
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	data, _ := json.Marshal(busyRecording(0))
	b.Logf("a busy 10-minute recording: %d parts, %d bytes of JSON", len(busyRecording(0).Parts), len(data))

	b.Run("put", func(b *testing.B) {
		s := open(b, b.TempDir(), Options{})
		i := 0
		for b.Loop() {
			i++
			if err := s.Put(ctx, busyRecording(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data)), "B/recording")
	})
	b.Run("put baseline: bare bbolt", func(b *testing.B) {
		db := bareDB(b)
		i := 0
		for b.Loop() {
			i++
			rec := busyRecording(i)
			err := db.Update(func(tx *bbolt.Tx) error {
				v, err := json.Marshal(rec)
				if err != nil {
					return err
				}
				return tx.Bucket(bucketRecordings).Put([]byte(rec.ID), v)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		s := open(b, b.TempDir(), Options{})
		for i := range 1000 {
			s.Put(ctx, busyRecording(i))
		}
		i := 0
		for b.Loop() {
			i++
			if _, err := s.Get(ctx, busyRecording(i%1000).ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get baseline: bare bbolt", func(b *testing.B) {
		db := bareDB(b)
		for i := range 1000 {
			db.Update(func(tx *bbolt.Tx) error {
				return tx.Bucket(bucketRecordings).Put([]byte(busyRecording(i).ID), data)
			})
		}
		i := 0
		for b.Loop() {
			i++
			var rec shared.Recording
			err := db.View(func(tx *bbolt.Tx) error {
				return json.Unmarshal(tx.Bucket(bucketRecordings).Get([]byte(busyRecording(i%1000).ID)), &rec)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func bareDB(b *testing.B) *bbolt.DB {
	db, err := bbolt.Open(fmt.Sprintf("%s/bare.db", b.TempDir()), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucketRecordings); return err })
	return db
}
