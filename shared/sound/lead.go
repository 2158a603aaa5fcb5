package sound

// The lead: a formant "voice". A band-limited saw, the glottal source, on
// the beat (a quick attack), sliding only into notes sung legato, with a
// delayed vibrato, through three band-passes
// at the formants of an open "ah" that close towards "oh" as each note goes
// on.
var leadPart = &part{
	id: "lead", pitched: true, presence: 2.5, seed: 0x1ead,
	voices: leadVoices,
	room:   &room{size: 1.4, decay: 1.6, damp: 4500, wet: 0.5},
	echo:   &echo{beats: 1.5, feedback: 0.4, taps: 2, wet: 0.2},
}

// leadMelody is the tune: position and length in sixteenths, MIDI note.
var leadMelody = []note{
	{0, 5, 76, 1}, {6, 2, 74, 0.8},
	{8, 5, 72, 0.95}, {14, 2, 69, 0.8},
	{16, 3, 71, 0.9}, {19, 3, 72, 0.85}, {22, 2, 74, 0.8},
	{24, 6, 74, 0.9}, {30, 1, 71, 0.7},
}

// formant is a band of the vocal tract: centre in Hz at "ah" and at "oh",
// and gain.
type formant struct {
	ah, oh float32
	gain   float32
}

var formants = [3]formant{{800, 500, 1}, {1200, 850, 0.7}, {2800, 2600, 0.55}}

func leadVoices(g grid, rng *noise) []voice {
	var vs []voice
	for i, n := range leadMelody {
		gate := g.beats(float64(n.steps)/stepsPerBeat) - g.secs(0.03)
		// A note sung legato (straight on from the one before; the first
		// from the last, the loop being a loop) slides in from it, as a
		// singer's does; any other starts on its own pitch.
		prev := leadMelody[(i+len(leadMelody)-1)%len(leadMelody)]
		from := n.pitch
		if (prev.step+prev.steps)%stepsPerLoop == n.step {
			from = prev.pitch
		}
		seed := uint32(rng.next()*(1<<30)) | 1
		vs = append(vs, newVoice(g, swing(n.step, drumSwing), gate+g.secs(0.25), 0, n.vel, 0.6,
			leadNote(g.sr, midiHz(float64(n.pitch)), midiHz(float64(from)), gate, seed)))
	}
	return vs
}

// wLead is the cost of a frame of a lead note, in ticks.
const wLead = 16

func leadNote(sr int, hz, prev float64, gate int, seed uint32) synth {
	return func(b *[]float32, n int) []job {
		st := &leadState{sr: sr, src: newSaw(prev, sr, 0), breath: newNoise(seed), open: 1}
		st.target = float32(hz / float64(sr))
		// The slide: 90% of the way in about 15 ms, so the new note
		// lands on the beat.
		st.glide = 1 - pow16(decayCoef(0.045, sr))
		st.tiltA = onePoleCoef(2600, sr)
		st.ko = pow16(decayCoef(1.8, sr))
		st.vib = phaseInc(5.2, sr)
		st.base = st.src.dt
		return append([]job{{n: n, w: wLead, run: func(from, to int) {
			st.run((*b)[from:to], from)
		}}}, shapeJobs(b, 0, n, sr, 0.006, 1.5, 0.75, gate, 0.15)...)
	}
}

// leadState is a lead note between steps.
type leadState struct {
	sr                       int
	target, glide, tiltA, ko float32
	vib                      uint32
	src                      saw
	base, tilt, open, depth  float32
	breath                   noise
	// The formants' filters, a field each: an array stays in memory, and
	// every sample stored and loaded the three of them (a fifth of the
	// note's time).
	b0, b1, b2 svf
	vp         uint32
}

// run renders out, which starts from frames into the note.
func (st *leadState) run(out []float32, from int) {
	src, base, tilt, open, depth, breath, vp := st.src, st.base, st.tilt, st.open, st.depth, st.breath, st.vp
	b0, b1, b2 := st.b0, st.b1, st.b2
	sr, target, glide, tiltA, ko, vib := st.sr, st.target, st.glide, st.tiltA, st.ko, st.vib
	dmax := float32(0.006)
	kd := 16 / (0.5 * float32(sr))
	g0, g1, g2 := formants[0].gain, formants[1].gain, formants[2].gain
	for k := range out {
		if i := from + k; uint(i)%16 == 0 {
			b0.c = formants[0].tuned(open, sr)
			b1.c = formants[1].tuned(open, sr)
			b2.c = formants[2].tuned(open, sr)
			open *= ko
			base += (target - base) * glide
			if i > sr/4 {
				depth = min(dmax, depth+dmax*kd)
			}
		}
		vp += vib
		src.dt = base * (1 + depth*sinp(vp))
		// A little breath under the buzz of the folds, and the buzz
		// tilted down as a glottal pulse is, not as bright as a saw.
		var buzz, air float32
		src, buzz = src.tick()
		breath, air = breath.tick()
		tilt += tiltA * (buzz - tilt)
		x := tilt + 0.12*air
		var y, bp float32
		b0, _, bp, _ = b0.tick(x)
		y += bp * g0
		b1, _, bp, _ = b1.tick(x)
		y += bp * g1
		b2, _, bp, _ = b2.tick(x)
		y += bp * g2
		out[k] = y
	}
	st.src, st.base, st.tilt, st.open, st.depth, st.breath, st.vp = src, base, tilt, open, depth, breath, vp
	st.b0, st.b1, st.b2 = b0, b1, b2
}

// tuned returns the coefficients of the formant's filter where the vowel
// is as open as open (1 "ah", 0 "oh"), at sr.
func (f formant) tuned(open float32, sr int) svfCoefs {
	return svfTuned((f.oh+(f.ah-f.oh)*open)/float32(sr), 6)
}
