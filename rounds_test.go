//go:build !wasm

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/loopswithfriends/loops/server/loadgen"
)

func TestComparePaired(t *testing.T) {
	// fake is a case whose run in round i reports i*10+clients clients,
	// passing unless it is fail's round.
	fake := func(first string, clients, fail int) pairedCase {
		return pairedCase{first: first, what: "the " + first, run: func(i int) (*loadgen.Report, error) {
			return &loadgen.Report{Clients: 10*i + clients, Pass: i != fail}, nil
		}}
	}
	type pair struct{ First, A, B string }
	run := func(t *testing.T, cases [2]pairedCase) (progress []string, pairs []pair, err error) {
		var stdout, stderr strings.Builder
		err = comparePaired(3, true, &stdout, &stderr, cases,
			func(first string, rep [2]*loadgen.Report) pair {
				return pair{first, fmt.Sprint(rep[0].Clients), fmt.Sprint(rep[1].Clients)}
			},
			func(io.Writer, []pair) { t.Error("the rounds were formatted as text with asJSON") }, "broke")
		for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			_, after, _ := strings.Cut(line, " load: ")
			progress = append(progress, after)
		}
		if jerr := json.Unmarshal([]byte(stdout.String()), &pairs); jerr != nil {
			t.Fatalf("the rounds are not JSON: %v\n%s", jerr, stdout.String())
		}
		return progress, pairs, err
	}

	t.Run("each round starts with the case the last one ended with, and pairs the reports in the order of the cases", func(t *testing.T) {
		progress, pairs, err := run(t, [2]pairedCase{fake("a", 1, -1), fake("b", 2, -1)})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"round 1 of 3: the a", "round 1 of 3: the b", "round 2 of 3: the b", "round 2 of 3: the a", "round 3 of 3: the a", "round 3 of 3: the b"}
		if strings.Join(progress, "|") != strings.Join(want, "|") {
			t.Errorf("progress %q, want %q", progress, want)
		}
		wantPairs := []pair{{"a", "1", "2"}, {"b", "11", "12"}, {"a", "21", "22"}}
		if fmt.Sprint(pairs) != fmt.Sprint(wantPairs) {
			t.Errorf("rounds %v, want %v", pairs, wantPairs)
		}
	})

	t.Run("a run that broke its goals makes the whole fail, after every round ran and was written", func(t *testing.T) {
		_, pairs, err := run(t, [2]pairedCase{fake("a", 1, -1), fake("b", 2, 1)})
		if err == nil || err.Error() != "broke" || len(pairs) != 3 {
			t.Fatalf("error %v after %d rounds, want broke after 3", err, len(pairs))
		}
	})
}

func TestFormatClusterRounds(t *testing.T) {
	rounds := []clusterRound{
		{First: "one node", OneP99: 10, ClusterP99: 25, EchoRatio: 2.2, CPURatio: 2.5},
		{First: "cluster", OneP99: 20, ClusterP99: 30, EchoRatio: 1.4, CPURatio: 2.4},
		{First: "one node", OneP99: 10, ClusterP99: 45, EchoRatio: 4.1, CPURatio: 2.6},
	}
	var one strings.Builder
	formatClusterRounds(&one, rounds[:1])
	if one.Len() != 0 {
		t.Errorf("one round wrote %q, want nothing beyond its own report", one.String())
	}
	var w strings.Builder
	formatClusterRounds(&w, rounds)
	out := w.String()
	for _, want := range []string{
		"The 3 rounds",
		"cluster", "20.00 ms", "30.00 ms",
		"2.50x", "1.50x", "4.50x",
		"p99 ratio (cluster / one node): median 2.50x, best 1.50x, worst 4.50x over 3 pairs (goal: under 2x)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the rounds lack %q:\n%s", want, out)
		}
	}
}

func TestTimeWaitIn(t *testing.T) {
	sockstat := "sockets: used 8\nTCP: inuse 1 orphan 0 tw 9003 alloc 1 mem 284\nUDP: inuse 0 mem 0\n"
	if n := timeWaitIn(sockstat); n != 9003 {
		t.Errorf("TIME_WAIT sockets %d, want 9003", n)
	}
	if n := timeWaitIn("sockets: used 8\nUDP: inuse 0 mem 0\n"); n != 0 {
		t.Errorf("TIME_WAIT sockets %d without a TCP line, want 0", n)
	}
}
