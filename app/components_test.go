package app

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// load mounts a component in go-app's test engine and returns its markup.
func load(t *testing.T, c goapp.Composer) string {
	t.Helper()
	e := goapp.NewTestEngine()
	if err := e.Load(c); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	return goapp.HTMLString(c)
}

func wantIn(t *testing.T, html string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(html, p) {
			t.Errorf("markup lacks %s:\n%s", p, html)
		}
	}
}

func TestMemberCard(t *testing.T) {
	t.Run("the player's card carries the test contract and the toggle", func(t *testing.T) {
		c := newMemberCard().
			Member(shared.Member{ID: "u1", Loop: "drums", Playing: true, Bar: 12}).
			State(loopQueued, 3).
			You(true).
			Online(true)
		html := load(t, c)
		wantIn(t, html,
			`data-member-id="u1"`, `data-loop="drums"`, `data-state="queued"`, `data-bar="12"`,
			`id="loop-toggle"`, "Starts in 3", `aria-label="Starts in 3: cancel"`, `aria-keyshortcuts="Space"`,
			"Drum Kit")
		// go-app writes a true attribute out bare.
		toggle := regexp.MustCompile(`<button[^>]*id="loop-toggle"[^>]*>`).FindString(html)
		if !strings.Contains(toggle, "aria-pressed") || strings.Contains(toggle, `aria-pressed="false"`) {
			t.Errorf("a queued toggle is not pressed: %s", toggle)
		}
		// The badge: article > header > third span > its text.
		if err := goapp.Match(goapp.Text("starts in 3"), c, 0, 0, 2, 0); err != nil {
			t.Error(err)
		}
	})
	t.Run("another member's card has no toggle but a local volume and mute", func(t *testing.T) {
		c := newMemberCard().
			Member(shared.Member{ID: "u2", Loop: "bass", Playing: true, Bar: 4}).
			State(loopPlaying, 0).
			Volume(0.5, true)
		html := load(t, c)
		if strings.Contains(html, "loop-toggle") {
			t.Error("another member's card has the toggle")
		}
		wantIn(t, html, `data-state="playing"`, `aria-label="Unmute Round Bass"`, `value="50"`, `aria-label="Volume of Round Bass (only for you)"`)
		if err := goapp.Match(goapp.Text("playing"), c, 0, 0, 2, 0); err != nil {
			t.Error(err)
		}
	})
	t.Run("the toggle waits for the connection", func(t *testing.T) {
		html := load(t, newMemberCard().Member(shared.Member{ID: "u1", Loop: "drums"}).State(loopStopped, 0).You(true))
		wantIn(t, html, `id="loop-toggle"`, "disabled", "Play")
		if strings.Contains(html, `disabled="false"`) {
			t.Error("the toggle is enabled while offline")
		}
	})
}

func TestStatusBar(t *testing.T) {
	html := load(t, newStatusBar().Connection(stateOnline).Sync(-1.234, 3.5, true))
	wantIn(t, html, `id="connection"`, `data-state="online"`, `id="sync"`, `data-offset-ms="-1.23"`, `data-rtt-ms="3.50"`, "clock -1.2 ms · rtt 3.5 ms")
}

func TestInvitePanel(t *testing.T) {
	t.Run("alone, it says so and offers the link", func(t *testing.T) {
		p := newInvitePanel().URL("http://x/jam/abc").Alone(true)
		html := load(t, p)
		wantIn(t, html, `id="invite-link"`, `href="http://x/jam/abc"`, "Nobody else is here yet", "Copy link",
			`id="new-private-jam"`, "New private jam")
		if err := goapp.Match(goapp.Text("http://x/jam/abc"), p, 0, 1, 0, 0); err != nil {
			t.Error(err)
		}
	})
}

func TestLoopPicker(t *testing.T) {
	if html := load(t, newLoopPicker().Current("drums").Online(true)); strings.Contains(html, `class="chip"`) {
		t.Errorf("the chips are built before the list is opened:\n%s", html)
	}
	var html string
	p := newLoopPicker().Current("drums").Taken([]string{"bass"}).Online(true)
	p.opened = true
	html = load(t, p)
	wantIn(t, html, `aria-label="Drum Kit: your loop"`, `aria-label="Round Bass: taken"`, `aria-label="Electric Piano: swap to it"`)
	// go-app writes a true attribute out bare, a false one as ="false".
	if n := strings.Count(html, `aria-disabled`) - strings.Count(html, `aria-disabled="false"`); n != 2 {
		t.Errorf("%d disabled loops, want 2 (yours and the taken one):\n%s", n, html)
	}
	if p.free("drums") || p.free("bass") || !p.free("keys") || p.Online(false).free("keys") {
		t.Error("a chip the player cannot swap to would act")
	}
}

func TestPreviewPanel(t *testing.T) {
	if html := load(t, newPreviewPanel()); strings.Contains(html, `class="chip"`) {
		t.Errorf("the chips are built before the panel is opened:\n%s", html)
	}
	// Offline, or with a loop playing, the panel opens itself, chips and all.
	for _, p := range []*previewPanel{newPreviewPanel().Offline(true), newPreviewPanel().Playing("bass")} {
		html := load(t, p)
		wantIn(t, html, ` open`, `data-preview="drums"`, `data-preview="bass"`)
	}
	p := newPreviewPanel()
	p.opened = true
	wantIn(t, load(t, p), `data-preview="drums"`, `title="Preview Drum Kit alone"`)
}

func TestWelcomeDialog(t *testing.T) {
	t.Run("until the page is wired, the button says it is getting ready", func(t *testing.T) {
		d := newWelcomeDialog()
		wantIn(t, load(t, d), `<dialog`, `id="welcome"`, " open", `id="welcome-start"`, `aria-labelledby="welcome-title"`, `data-ready="false"`)
		if err := goapp.Match(goapp.Text("Getting ready…"), d, 0, 3, 0); err != nil {
			t.Error(err)
		}
	})
	t.Run("once it is, it says let's jam", func(t *testing.T) {
		d := newWelcomeDialog().Ready(true)
		load(t, d)
		if err := goapp.Match(goapp.Text("Let's jam"), d, 0, 3, 0); err != nil {
			t.Error(err)
		}
	})
}

func TestJamPage(t *testing.T) {
	page := func(members ...shared.Member) *jamPage {
		p := newJamPage()
		p.origin = "http://loops.test"
		p.conn = stateOnline
		p.started = true
		p.s.Message(&shared.Welcome{
			You: "me", Loop: "drums",
			Jam:     shared.JamInfo{ID: "abc", Timeline: shared.NewTimeline(0), Capacity: 7},
			Members: members,
		})
		p.nowMs = p.s.time.Timeline().BarStart(10) + 100
		return p
	}
	t.Run("alone, the page says so and offers the invite link", func(t *testing.T) {
		html := load(t, page(shared.Member{ID: "me", Loop: "drums"}))
		wantIn(t, html, `data-member-id="me"`, `id="loop-toggle"`, "Nobody else is here yet",
			`id="invite-link"`, "http://loops.test/jam/abc", `data-state="online"`)
		if strings.Contains(html, "welcome-start") {
			t.Error("the welcome dialog is still open")
		}
	})
	t.Run("every member has a card with its state at the page's time", func(t *testing.T) {
		p := page(
			shared.Member{ID: "me", Loop: "drums", Playing: true, Bar: 11},
			shared.Member{ID: "ann", Loop: "bass", Playing: true, Bar: 3},
			shared.Member{ID: "bob", Loop: "keys", Playing: false, Bar: 11},
		)
		html := load(t, p)
		wantIn(t, html,
			`data-member-id="me"`, `data-member-id="ann"`, `data-member-id="bob"`,
			`data-state="queued"`, `data-state="playing"`, `data-state="stopping"`, " 2/6")
		if strings.Contains(html, "Nobody else is here yet") {
			t.Error("the page says the player is alone")
		}
	})
	t.Run("cards come and go with joined and left", func(t *testing.T) {
		p := page(shared.Member{ID: "me", Loop: "drums"})
		p.s.Message(&shared.Joined{Member: shared.Member{ID: "cat", Loop: "guitar"}})
		wantIn(t, load(t, p), `data-member-id="cat"`, `data-loop="guitar"`)
		p = page(shared.Member{ID: "me", Loop: "drums"}, shared.Member{ID: "cat", Loop: "guitar"})
		p.s.Message(&shared.Left{ID: "cat"})
		if strings.Contains(load(t, p), `data-member-id="cat"`) {
			t.Error("a member who left still has a card")
		}
	})
	t.Run("a player placed elsewhere because the jam was full gets a friendly note", func(t *testing.T) {
		p := page(shared.Member{ID: "me", Loop: "drums"})
		if strings.Contains(load(t, p), `id="redirected"`) {
			t.Error("a note without a redirect")
		}
		p = page(shared.Member{ID: "me", Loop: "drums"})
		p.s.view.Redirected = true
		wantIn(t, load(t, p), `id="redirected"`, "was full")
	})
	t.Run("a new page greets the player, its button getting ready until the page is wired", func(t *testing.T) {
		p := newJamPage()
		wantIn(t, load(t, p), `id="welcome-start"`, `data-ready="false"`, "Getting ready…", `data-state="connecting"`)
		p = newJamPage()
		p.live = true
		wantIn(t, load(t, p), `id="welcome-start"`, `data-ready`, "Let's jam")
	})
	t.Run("behind the welcome the stage is drawn once there is a jam, or once the welcome closed", func(t *testing.T) {
		if html := load(t, newJamPage()); strings.Contains(html, `class="card`) || strings.Contains(html, `class="picker"`) {
			t.Errorf("the stage is drawn behind the welcome before the jam came:\n%s", html)
		}
		joined := page(shared.Member{ID: "me", Loop: "drums"})
		joined.started = false
		wantIn(t, load(t, joined), `id="welcome-start"`, `class="card card-you`, `class="picker"`, `id="invite-link"`)
		started := newJamPage()
		started.started = true
		wantIn(t, load(t, started), "Joining a jam…", `class="picker"`, `class="invite invite-alone"`)
	})
}

func TestKitChooser(t *testing.T) {
	t.Run("closed, it is one button that says it opens the kits", func(t *testing.T) {
		html := load(t, newKitChooser())
		wantIn(t, html, `id="new-private-jam"`, `aria-expanded="false"`, `aria-controls="kit-list"`, "New private jam")
		if strings.Contains(html, "kit-choice") {
			t.Errorf("the kits show while closed:\n%s", html)
		}
	})
	t.Run("open, every kit shows its name, genre, key and tempo, labelled as a group, with a sample to hear", func(t *testing.T) {
		c := newKitChooser()
		c.open = true
		html := load(t, c)
		// go-app writes a true attribute out bare.
		if strings.Contains(html, `aria-expanded="false"`) {
			t.Error("open, but aria-expanded is false")
		}
		wantIn(t, html, `aria-expanded`, `id="kit-list"`, `role="group"`, `aria-labelledby="kit-list-title"`)
		for _, k := range shared.Kits {
			wantIn(t, html, `data-kit="`+k.ID+`"`, k.Name, k.Genre, k.Key, fmt.Sprintf("%d BPM", k.BPM),
				`data-hear="`+k.ID+`"`, `aria-label="Hear a few seconds of `+k.Name+`"`)
		}
	})
	t.Run("a kit's sample is its first loops mixed by the server", func(t *testing.T) {
		k := shared.KitByID("after-hours")
		if got, want := kitSampleURL(k), "/loops/mix.wav?kit=after-hours&ids="+k.Loops[0].ID+","+k.Loops[1].ID+","+k.Loops[2].ID+","+k.Loops[3].ID; got != want {
			t.Errorf("sample %s, want %s", got, want)
		}
	})
	t.Run("only a known kit of ?kit= goes into the join", func(t *testing.T) {
		for q, want := range map[string]string{"kit=dusty-tapes": "dusty-tapes", "kit=nope": "", "": "", "kit=after-hours&x=1": "after-hours"} {
			if got := kitFromQuery(&url.URL{Path: "/jam/x", RawQuery: q}); got != want {
				t.Errorf("?%s: kit %q, want %q", q, got, want)
			}
		}
	})
}
