package app

import (
	"strings"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

// TestWarmWelcome checks that the warm run's page draws what the page
// draws behind the welcome once in a jam (warmWelcome): the player's card,
// the picker, the others and the record panel. A welcome that left the
// player out of its members drew none of them, and the page's thread
// compiled their code at its first run.
func TestWarmWelcome(t *testing.T) {
	for _, kit := range shared.Kits {
		p := newJamPage()
		p.s.Message(warmWelcome(kit))
		if _, joined := p.s.view.Me(); !joined {
			t.Fatalf("%s: the warm welcome leaves the player out of the jam", kit.ID)
		}
		html := load(t, p)
		wantIn(t, html, `class="card card-you`, `class="picker"`, `data-member-id="`+kit.Loops[1].ID+`"`, `class="record"`, `id="welcome-start"`)
		if strings.Contains(html, "card-pending") {
			t.Errorf("%s: the warm page draws the stand-in card", kit.ID)
		}
	}
}
