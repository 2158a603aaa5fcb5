package shared

import (
	"maps"
	"testing"
)

func TestView(t *testing.T) {
	tl := NewTimeline(1000)
	welcome := func() *View {
		var v View
		v.Apply(&Welcome{You: "me", Resume: "tok", Jam: JamInfo{ID: "j", Timeline: tl, Capacity: Capacity},
			Members: []Member{{ID: "me", Loop: "drums"}}})
		return &v
	}
	t.Run("a welcome sets the player, the jam and its members", func(t *testing.T) {
		v := welcome()
		if v.You != "me" || v.Resume != "tok" || v.Jam.ID != "j" || len(v.Members) != 1 {
			t.Fatalf("view %+v", v)
		}
		if me, ok := v.Me(); !ok || me.Loop != "drums" {
			t.Errorf("me %+v %v", me, ok)
		}
	})
	t.Run("messages move the members, in the order they came", func(t *testing.T) {
		v := welcome()
		v.Apply(&Joined{Member: Member{ID: "ann", Loop: "bass"}})
		v.Apply(&Joined{Member: Member{ID: "bob", Loop: "pad"}})
		v.Apply(&Played{ID: "ann", Bar: 9})
		v.Apply(&Swapped{ID: "me", Loop: "keys", Bar: 9})
		if m, _ := v.Member("ann"); !m.Playing || m.Bar != 9 {
			t.Errorf("ann %+v, want playing from bar 9", m)
		}
		if m, _ := v.Me(); m.Loop != "keys" {
			t.Errorf("me %+v, want keys", m)
		}
		if !v.Taken("bass") || v.Taken("drums") {
			t.Error("taken loops wrong")
		}
		if others := v.Others(); len(others) != 2 || others[0].ID != "ann" || others[1].ID != "bob" {
			t.Errorf("others %+v", others)
		}
		v.Apply(&Stopped{ID: "ann", Bar: 11})
		if m, _ := v.Member("ann"); m.Playing || m.Bar != 11 {
			t.Errorf("ann %+v, want stopped at bar 11", m)
		}
		v.Apply(&Left{ID: "ann"})
		if _, ok := v.Member("ann"); ok {
			t.Error("ann is still there after leaving")
		}
		want := map[string]Member{"me": {ID: "me", Loop: "keys"}, "bob": {ID: "bob", Loop: "pad"}}
		if got := v.ByID(); !maps.Equal(got, want) {
			t.Errorf("by id %+v, want %+v", got, want)
		}
	})
	t.Run("a joined of a member already there replaces it", func(t *testing.T) {
		v := welcome()
		v.Apply(&Joined{Member: Member{ID: "me", Loop: "pad", Playing: true, Bar: 3}})
		if len(v.Members) != 1 || v.Members[0].Loop != "pad" {
			t.Errorf("members %+v", v.Members)
		}
	})
	t.Run("a message about nobody changes nothing", func(t *testing.T) {
		v := welcome()
		for _, m := range []Message{&Played{ID: "ghost", Bar: 1}, &Stopped{ID: "ghost"}, &Swapped{ID: "ghost", Loop: "x"}, &Left{ID: "ghost"}, &Pong{}} {
			if v.Apply(m) {
				t.Errorf("%s about nobody changed the view", m.MessageType())
			}
		}
		if len(v.Members) != 1 {
			t.Errorf("members %+v", v.Members)
		}
	})
	t.Run("a welcome's members are the view's own copy", func(t *testing.T) {
		members := []Member{{ID: "me", Loop: "drums"}}
		var v View
		v.Apply(&Welcome{You: "me", Members: members})
		v.Apply(&Played{ID: "me", Bar: 2})
		if members[0].Playing {
			t.Error("applying a played changed the welcome's slice")
		}
	})
}
