//go:build !wasm

package naivehub

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/shared"
)

func dial(t *testing.T, ctx context.Context, url string) (*websocket.Conn, *shared.Welcome) {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/socket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	if err := ws.Write(ctx, websocket.MessageText, shared.MustEncode(&shared.Join{})); err != nil {
		t.Fatal(err)
	}
	w, ok := read(t, ctx, ws).(*shared.Welcome)
	if !ok {
		t.Fatal("the first frame is not a welcome")
	}
	return ws, w
}

func read(t *testing.T, ctx context.Context, ws *websocket.Conn) shared.Message {
	t.Helper()
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := shared.DecodeServer(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNaiveHub(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := httptest.NewServer(New())
	defer srv.Close()

	t.Run("a play reaches every member of the jam, the player too", func(t *testing.T) {
		a, wa := dial(t, ctx, srv.URL)
		b, wb := dial(t, ctx, srv.URL)
		if wa.Jam.ID != wb.Jam.ID || len(wb.Members) != 2 {
			t.Fatalf("b joined jam %s with %d members, want a's jam %s with 2", wb.Jam.ID, len(wb.Members), wa.Jam.ID)
		}
		if j, ok := read(t, ctx, a).(*shared.Joined); !ok || j.Member.ID != wb.You {
			t.Fatalf("a was not told b joined")
		}
		if err := b.Write(ctx, websocket.MessageText, shared.MustEncode(&shared.Play{})); err != nil {
			t.Fatal(err)
		}
		for _, ws := range []*websocket.Conn{a, b} {
			if p, ok := read(t, ctx, ws).(*shared.Played); !ok || p.ID != wb.You {
				t.Fatalf("got no played of b")
			}
		}
		b.Close(websocket.StatusNormalClosure, "")
		if l, ok := read(t, ctx, a).(*shared.Left); !ok || l.ID != wb.You {
			t.Fatalf("a was not told b left")
		}
		a.Close(websocket.StatusNormalClosure, "")
	})

	t.Run("a full jam sends the eighth user to a new jam", func(t *testing.T) {
		var first string
		for i := range shared.Capacity + 1 {
			_, w := dial(t, ctx, srv.URL)
			switch {
			case i == 0:
				first = w.Jam.ID
			case i < shared.Capacity && w.Jam.ID != first:
				t.Fatalf("user %d went to jam %s, want %s", i+1, w.Jam.ID, first)
			case i == shared.Capacity && w.Jam.ID == first:
				t.Fatalf("the eighth user went to the full jam")
			}
		}
	})
}
