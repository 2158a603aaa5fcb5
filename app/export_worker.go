package app

import (
	"encoding/json"
	"time"

	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The WAV export runs in a dedicated Worker: the app's own WASM, started a
// second time in the worker (web/static/export-worker.js), renders the
// recording's loops and mixes the file there, and posts it to the page in
// chunks whose buffers it hands over (no copy). The page's thread only
// gathers the chunks into Blobs. Mixing on the page's thread, however
// finely cut, held it up: Go's WASM has one thread and no preemption, and
// its garbage collector's idle worker marks the whole heap in one go
// whenever the program waits, so a collection was one long task; a loaded
// machine stretched every step besides.

// exportWorkerScript is the worker's script, one of the app's static files.
const exportWorkerScript = "/web/export-worker.js"

// exportWorkerStep is how much mixing goes into one chunk the worker
// posts: nobody waits on the worker's thread, so the step is long enough
// that the page gets a few hundred chunks for ten minutes.
const exportWorkerStep = 25 * time.Millisecond

// exportRequest is what the page asks the worker for: the recording's WAV
// file at the page's sample rate.
type exportRequest struct {
	Recording string `json:"recording"` // its JSON, as the server sent it
	Rate      int    `json:"rate"`
}

// InExportWorker reports whether this WASM runs as the export worker.
func InExportWorker() bool {
	return goapp.IsClient && goapp.Window().Get("loopsExportWorker").Truthy()
}

// RunExportWorker answers the page's one export request: it renders the
// recording's loops, then posts {type: "chunk", bytes, progress} messages,
// the WAV file in order, and {type: "done", frames}, or {type: "error",
// message}, and returns: main must end then. The page ends the worker
// when it has the file.
func RunExportWorker() {
	self := goapp.Window()
	requests := make(chan goapp.Value, 1)
	inbox := self.Get("loopsExportInbox")
	if inbox.Truthy() && inbox.Length() > 0 {
		requests <- inbox.Index(0)
	} else {
		var onMessage goapp.Func
		onMessage = goapp.FuncOf(func(this goapp.Value, args []goapp.Value) any {
			select {
			case requests <- args[0].Get("data"):
			default: // one export a worker
			}
			return nil
		})
		self.Set("onmessage", onMessage)
	}
	data := <-requests
	post := func(m map[string]any, transfer ...any) { self.Call("postMessage", m, transfer) }
	if err := exportInWorker(data, post); err != nil {
		post(map[string]any{"type": "error", "message": err.Error()})
	}
	// The program ends here: blocked with nothing to wait for, Go's WASM
	// would end it as a deadlock, an error the page would see.
}

// exportInWorker mixes the request's WAV file and posts it.
func exportInWorker(data goapp.Value, post func(m map[string]any, transfer ...any)) error {
	req := exportRequest{Recording: data.Get("recording").String(), Rate: data.Get("rate").Int()}
	var rec shared.Recording
	if err := json.Unmarshal([]byte(req.Recording), &rec); err != nil {
		return err
	}
	loops := make(map[string]sound.Loop)
	for _, id := range sound.LoopIDs(&rec) {
		l, r, err := sound.Render(rec.Kit, id, req.Rate)
		if err != nil {
			return err
		}
		loops[id] = sound.Loop{Left: l, Right: r}
	}
	m, err := sound.NewMixdown(&rec, req.Rate, loops)
	if err != nil {
		return err
	}
	win := goapp.Window()
	job := newExportJob(m, exportWorkerStep)
	var buf []byte
	for done := false; !done; {
		buf, done = job.Step(buf[:0])
		arr := win.Get("Uint8Array").New(len(buf))
		goapp.CopyBytesToJS(arr, buf)
		post(map[string]any{"type": "chunk", "bytes": arr, "progress": job.Progress()}, arr.Get("buffer"))
	}
	post(map[string]any{"type": "done", "frames": m.Frames()})
	return nil
}
