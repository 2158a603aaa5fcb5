//go:build !wasm

package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/loopswithfriends/loops/server/loadgen"
)

// runRounds runs round rounds times (i from 0) and then writes the rounds
// it made: as JSON with asJSON, otherwise with format, after whatever each
// round wrote of its own. A round that reports a run that broke a goal or
// an invariant makes it return broke once every round ran.
func runRounds[R any](rounds int, asJSON bool, stdout io.Writer, round func(i int) (r R, pass bool, err error),
	format func(io.Writer, []R), broke string) error {
	var all []R
	pass := true
	for i := range rounds {
		r, ok, err := round(i)
		if err != nil {
			return err
		}
		pass = pass && ok
		all = append(all, r)
	}
	if asJSON {
		if err := writeJSON(stdout, all); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	} else {
		format(stdout, all)
	}
	if !pass {
		return errors.New(broke)
	}
	return nil
}

// pairedCase is one of the two cases a paired load run compares, one after
// the other: First of a round it starts, the progress line's words for it,
// and its run in round i, against a server spawned for it.
type pairedCase struct {
	first string
	what  string
	run   func(i int) (*loadgen.Report, error)
}

// comparePaired runs both cases, rounds times, each round starting with
// the case the last one ended with, so that neither always finds the box
// as the other left it, and writes each report as it comes (none with
// asJSON); then the rounds, made by pair from their reports in the order
// of cases, as runRounds does.
func comparePaired[R any](rounds int, asJSON bool, stdout, stderr io.Writer, cases [2]pairedCase,
	pair func(first string, rep [2]*loadgen.Report) R, format func(io.Writer, []R), broke string) error {
	return runRounds(rounds, asJSON, stdout, func(i int) (R, bool, error) {
		order := [2]int{0, 1}
		if i%2 == 1 {
			order = [2]int{1, 0}
		}
		var rep [2]*loadgen.Report
		pass := true
		for _, k := range order {
			fmt.Fprintf(stderr, "%s load: round %d of %d: %s\n", time.Now().Format("15:04:05"), i+1, rounds, cases[k].what)
			r, err := cases[k].run(i)
			if err != nil {
				var none R
				return none, false, err
			}
			if !asJSON {
				r.Format(stdout)
				fmt.Fprintln(stdout)
			}
			pass = pass && r.Pass
			rep[k] = r
		}
		return pair(cases[order[0]].first, rep), pass, nil
	}, format, broke)
}
