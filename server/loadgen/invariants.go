//go:build !wasm

package loadgen

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// checkInvariants checks PROTOCOL.md's invariants against every open
// well-behaved client's view and /api/stats: no jam over capacity, no loop
// twice in a jam, every view of a jam equal to every other and to the
// server's count, every user in exactly one jam. Views still settling get
// two more chances a second apart.
func (g *gen) checkInvariants(ctx context.Context) InvariantReport {
	var rep InvariantReport
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Second)
		}
		rep = g.checkOnce(ctx)
		if len(rep.Violations) == 0 {
			break
		}
	}
	return rep
}

type clientView struct {
	c    *client
	you  string
	view map[string]shared.Member
}

func (g *gen) checkOnce(ctx context.Context) InvariantReport {
	var rep InvariantReport
	bad := func(format string, args ...any) {
		if len(rep.Violations) < 30 {
			rep.Violations = append(rep.Violations, fmt.Sprintf(format, args...))
		}
	}
	st, err := g.probe.stats(ctx)
	if err != nil {
		bad("read /api/stats: %v", err)
		return rep
	}
	rep.ServerJams, rep.ServerUsers = st.Jams, st.Users

	byJam := map[string][]clientView{}
	jamOf := map[string]string{} // user id -> jam id, from the clients
	open := 0
	for _, c := range g.clients {
		jam, you, view, ok := c.snapshot()
		if !ok {
			continue
		}
		if !c.role.wellBehaved() {
			bad("client %d (%s) is still open after its bad input", c.idx, c.role)
			continue
		}
		open++
		byJam[jam] = append(byJam[jam], clientView{c, you, view})
		if other, dup := jamOf[you]; dup {
			bad("user %s is in jams %s and %s", you, other, jam)
		}
		jamOf[you] = jam
	}
	rep.Clients, rep.Jams = open, len(byJam)

	for jam, views := range byJam {
		ref := views[0]
		if n := len(ref.view); n > shared.Capacity {
			bad("jam %s has %d members", jam, n)
		}
		loops := map[string]string{}
		for id, m := range ref.view {
			if other, dup := loops[m.Loop]; dup {
				bad("jam %s: %s and %s both have loop %s", jam, other, id, m.Loop)
			}
			loops[m.Loop] = id
			if j, ok := jamOf[id]; ok && j != jam {
				bad("jam %s lists %s, who is in jam %s", jam, id, j)
			}
		}
		// Without the admin listener (JamSizes nil), the counts by size
		// below stand in.
		if size, ok := st.JamSizes[jam]; st.JamSizes != nil && !ok {
			bad("jam %s is not in /api/jams", jam)
		} else if ok && size != len(ref.view) {
			bad("jam %s: /api/jams says %d members, client %d sees %d", jam, size, ref.c.idx, len(ref.view))
		}
		for _, v := range views {
			if _, ok := v.view[v.you]; !ok {
				bad("jam %s: client %d does not see itself", jam, v.c.idx)
			}
			if d := diffViews(ref.view, v.view); d != "" {
				bad("jam %s: client %d and client %d disagree: %s", jam, ref.c.idx, v.c.idx, d)
			}
		}
	}
	// /api/stats names no jam: it counts the jams of each size, which
	// the clients' views must match.
	sizes := map[string]int{}
	for _, views := range byJam {
		sizes[shared.SizeKey(len(views[0].view))]++
	}
	total, users := 0, 0
	for key, n := range st.Sizes {
		size, _ := strconv.Atoi(key)
		if size < 1 || size > shared.Capacity {
			bad("/api/stats counts %d jams of size %q", n, key)
		}
		total += n
		users += n * size
		if n != sizes[key] {
			bad("/api/stats counts %d jams of %s members, the clients are in %d", n, key, sizes[key])
		}
	}
	for key, n := range sizes {
		if _, ok := st.Sizes[key]; !ok && n > 0 {
			bad("/api/stats counts no jam of %s members, the clients are in %d", key, n)
		}
	}
	if total != st.Jams || users != st.Users {
		bad("/api/stats: sizes make %d jams of %d users, it says %d and %d", total, users, st.Jams, st.Users)
	}
	if st.Users != open {
		bad("/api/stats counts %d users, %d clients are open", st.Users, open)
	}
	for jam, size := range st.JamSizes {
		if size > shared.Capacity {
			bad("/api/jams: jam %s has %d members", jam, size)
		}
		if _, ok := byJam[jam]; !ok {
			bad("/api/jams lists jam %s (%d members), which no client is in", jam, size)
		}
	}
	return rep
}

// diffViews describes the first difference between two views, or "".
func diffViews(a, b map[string]shared.Member) string {
	for _, id := range slices.Sorted(maps.Keys(a)) {
		mb, ok := b[id]
		if !ok {
			return fmt.Sprintf("%s missing", id)
		}
		if ma := a[id]; ma != mb {
			return fmt.Sprintf("%s is %+v, not %+v", id, mb, ma)
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			return fmt.Sprintf("%s extra", id)
		}
	}
	return ""
}
