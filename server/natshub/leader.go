//go:build !wasm

package natshub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A KeyValue's Get is a direct get, which any replica of the bucket's
// stream answers, and a replica may not have yet what another node has
// just written: a key it calls missing, or a record without the member
// just added, may be news to it only. A read that decides something for
// good (a resume coming back as someone new, a recording called missing)
// first reads the key again from the stream's leader, which has every
// write that was acknowledged.

// leaderGet returns the value of key in bucket and its revision, read from
// the bucket stream's leader through JetStream's API for a stream's
// message; jetstream.ErrKeyNotFound when the key has none (never written,
// deleted or purged).
func leaderGet(ctx context.Context, nc *nats.Conn, bucket, key string) ([]byte, uint64, error) {
	req, err := json.Marshal(struct {
		LastBySubject string `json:"last_by_subj"`
	}{"$KV." + bucket + "." + key})
	if err != nil {
		return nil, 0, err
	}
	m, err := nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.KV_"+bucket, req)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s from the leader: %w", key, err)
	}
	var res struct {
		Message *struct {
			Header []byte `json:"hdrs"`
			Data   []byte `json:"data"`
			Seq    uint64 `json:"seq"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &res); err != nil {
		return nil, 0, fmt.Errorf("read %s from the leader: %w", key, err)
	}
	switch {
	case res.Error != nil && res.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return nil, 0, jetstream.ErrKeyNotFound
	case res.Error != nil:
		return nil, 0, fmt.Errorf("read %s from the leader: %w", key, res.Error)
	case res.Message == nil || bytes.Contains(res.Message.Header, []byte("KV-Operation")):
		// A delete or purge marker.
		return nil, 0, jetstream.ErrKeyNotFound
	}
	return res.Message.Data, res.Message.Seq, nil
}
