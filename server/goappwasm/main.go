// Command goappwasm writes what the WASM build compiles go-app from: a copy
// of go-app's pkg/app (the module in the module cache, the version go.mod
// names) without its server half, and a go.mod for `go build -modfile` that
// points at it.
//
// Why: go-app's Handler (http.go, and a file server in resource.go) imports
// net/http, whose TLS client brings crypto/tls, x509, RSA, ECDSA and
// math/big into every program that imports go-app, the browser's too: about
// 1.6 MB of the 8.9 MB WASM, of which the browser runs none. The server
// build keeps the module as it is.
//
// Usage, from the module's root (the Makefile's wasm target):
//
//	go mod download -json github.com/maxence-charriere/go-app/v10 | go run ./server/goappwasm bin/wasm
//	GOOS=js GOARCH=wasm go build -modfile bin/wasm/go.mod .
//
// Each edit must find its text exactly once: a go-app upgrade that moves
// it stops the build with a message rather than building a different app.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// goapp is the module path the copy replaces.
const goapp = "github.com/maxence-charriere/go-app/v10"

// edit replaces old by new in one file of pkg/app; with old "", new is
// a file of its own (none yet) or, "" too, the file goes.
type edit struct {
	file, old, new string
}

// edits take the server's Handler out of the browser's go-app.
var edits = []edit{
	// The Handler, its PWA resources and its page rendering: the server's.
	{file: "http.go"},
	// LocalDir's resolver embeds a file server; in the browser it resolves
	// paths only.
	{"resource.go", "\t\"net/http\"\n", ""},
	{"resource.go", "\t\tHandler:   http.FileServer(http.Dir(directory)),\n", ""},
	{"resource.go", "\thttp.Handler\n", ""},
	// GenerateStaticWebsite's WASM stub names the Handler it never uses.
	{"wasm.go", "func GenerateStaticWebsite(dir string, h *Handler, pages ...string) error {", "func GenerateStaticWebsite(dir string, h any, pages ...string) error {"},
	// The router's regular expressions: the browser registers exact paths
	// only (app.Routes), and a *regexp.Regexp in go-app's router kept the
	// regexp package, its parser and, through it, the unicode package's
	// tables of categories and scripts, maps built at every start (8 ms
	// of Go's first run on this machine, four times that on a phone).
	{"route.go", "\t\"regexp\"\n", ""},
	{"route.go", "regexp.MustCompile(pattern)", "noRegexp(pattern)"},
	{"route.go", "\tregexp       *regexp.Regexp\n\tnewComponent func() Composer\n}\n", "\tregexp       noRegexps\n\tnewComponent func() Composer\n}\n\n" + noRegexpGo},
	// The page's thread in slices: go-app built the first page in one
	// task (with Go's start, 190 ms in headless chromium on this machine
	// before the warm worker, four times that on a phone's CPU), and ran
	// every dispatch and frame of a burst in the task that woke it. It now hands the thread back to the browser
	// whenever a slice ran past sliceBudget: between dispatches and frames,
	// and while it loads a page, before a component renders and between
	// the children of an element it mounts (the new page is out of the
	// document until it is built whole, so nothing half built shows).
	{file: "yield.go", new: yieldGo},
	{"node.go", "\t\tv.JSValue().appendChild(child)\n\t}\n", "\t\tv.JSValue().appendChild(child)\n\t\tyieldIfBuilding()\n\t}\n"},
	{"node.go", "\troot, err := m.renderComponent(v)\n", "\tyieldIfBuilding()\n\troot, err := m.renderComponent(v)\n"},
	{"engine.go", "func (e *engineX) Load(v Composer) error {\n", "func (e *engineX) Load(v Composer) error {\n\tloading = true\n\tdefer func() { loading = false }()\n\tyieldIfLong()\n"},
	// And within a frame's update of the page in the document, between
	// the components it updates (their fields changed): the welcome's
	// frame, which updates the page's every part, was one task of 45 ms
	// in headless chromium (blocking time's largest share). A frame may
	// paint some parts updated and others not yet, each whole; the
	// components go-app mounts meanwhile are out of the document until
	// built whole.
	{"engine.go", "func (e *engineX) processFrame() {\n", "func (e *engineX) processFrame() {\n\tupdating = true\n\tdefer func() { updating = false }()\n"},
	{"node.go", "\tctx.removeComponentUpdate(v)\n\treturn m.UpdateComponentRoot(ctx, v)\n", "\tctx.removeComponentUpdate(v)\n\tyieldIfBuilding()\n\treturn m.UpdateComponentRoot(ctx, v)\n"},
	{"engine.go", "\tfor {\n\t\tselect {\n\t\tcase dispatch := <-e.dispatches:\n\t\t\tif currentFrameDuration", "\tfor {\n\t\tidle := len(e.dispatches) == 0\n\t\tselect {\n\t\tcase dispatch := <-e.dispatches:\n\t\t\tif idle {\n\t\t\t\tstartSlice()\n\t\t\t}\n\t\t\tif currentFrameDuration"},
	{"engine.go", "\t\t\tdispatch()\n\n\t\tcase <-frames.C:\n\t\t\te.processFrame()\n\t\t\tframes.Reset(iddleFrameDuration)\n\t\t\tcurrentFrameDuration = iddleFrameDuration\n",
		"\t\t\tdispatch()\n\t\t\tyieldIfLong()\n\n\t\tcase <-frames.C:\n\t\t\tif idle {\n\t\t\t\tstartSlice()\n\t\t\t}\n\t\t\te.processFrame()\n\t\t\tframes.Reset(iddleFrameDuration)\n\t\t\tcurrentFrameDuration = iddleFrameDuration\n\t\t\tyieldIfLong()\n"},
}

// yieldGo is the browser's go-app's yield to the browser (yield.go).
const yieldGo = `package app

import "time"

// sliceBudget is how long go-app's goroutine keeps the page's thread
// before it hands it back: a phone's CPU, about four times slower, keeps
// a slice's task under the 50 ms of a long task. It is wall time, and a
// task runs past it by what go-app does between two checks and what the
// page's other goroutines do in the same task: at 5 ms, a load in
// Lighthouse still had some 25 tasks of 12 to 50 ms on this two-core
// machine, each a long task at Lighthouse's four times slower CPU.
const sliceBudget = 2 * time.Millisecond

var (
	// sliceStart is when go-app's goroutine last got the thread.
	sliceStart time.Time
	// yieldPort and yieldWoken carry yieldTask's message to itself.
	yieldPort  Value
	yieldWoken chan struct{}
)

// loading is set while go-app builds a page, out of the document, and
// updating while it updates the page in a frame.
var loading, updating bool

// startSlice notes that the goroutine has the thread since now.
func startSlice() { sliceStart = time.Now() }

// yieldIfBuilding is yieldIfLong while a page loads or updates.
func yieldIfBuilding() {
	if loading || updating {
		yieldIfLong()
	}
}

// yieldIfLong hands the thread back to the browser if the slice ran past
// sliceBudget, and returns in a task of its own. Call it from go-app's
// goroutine only.
func yieldIfLong() {
	if !IsClient || time.Since(sliceStart) < sliceBudget {
		return
	}
	yieldTask()
	startSlice()
}

// yieldTask returns in a new task of the browser's: a message posted to
// itself on a MessageChannel, queued like any task, without a timer's
// clamp. Blocked on it, the goroutine lets Go's runtime return to the
// browser once no other goroutine can run.
func yieldTask() {
	if yieldWoken == nil {
		ch := Window().Get("MessageChannel").New()
		yieldWoken = make(chan struct{}, 1)
		ch.Get("port1").Set("onmessage", FuncOf(func(Value, []Value) any {
			yieldWoken <- struct{}{}
			return nil
		}))
		yieldPort = ch.Get("port2")
	}
	yieldPort.Call("postMessage", nil)
	<-yieldWoken
}
`

// noRegexpGo stands in the browser's go-app for a route's regular
// expression (the edits of route.go).
const noRegexpGo = `// noRegexps is what a route's regular expression is in the browser's
// go-app, which is built without the regexp package: a route registered
// with one never matches.
type noRegexps struct{}

func (noRegexps) MatchString(string) bool { return false }

// noRegexp refuses a pattern: RouteWithRegexp is the server's only.
func noRegexp(pattern string) noRegexps {
	panic("RouteWithRegexp(" + pattern + "): the browser's go-app has no regexp package (server/goappwasm)")
}
`

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go mod download -json "+goapp+" | goappwasm OUTDIR")
		os.Exit(2)
	}
	if err := run(os.Stdin, ".", os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "goappwasm:", err)
		os.Exit(1)
	}
}

// run reads `go mod download -json`'s answer for go-app from r and writes
// out/go-app (the copy) and out/go.mod and out/go.sum (those of the module
// in root, with a replace of go-app by the copy).
func run(r io.Reader, root, out string) error {
	var mod struct{ Path, Version, Dir, Error string }
	if err := json.NewDecoder(r).Decode(&mod); err != nil {
		return fmt.Errorf("read go mod download's answer: %w", err)
	}
	if mod.Error != "" || mod.Dir == "" || mod.Path != goapp {
		return fmt.Errorf("go mod download %s: %q %s", goapp, mod.Path, mod.Error)
	}
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	dst := filepath.Join(out, "go-app")
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	for _, f := range []string{"go.mod", "LICENSE"} {
		if err := copyFile(filepath.Join(mod.Dir, f), filepath.Join(dst, f)); err != nil {
			return err
		}
	}
	for _, pkg := range []string{"pkg/app", "pkg/errors"} {
		if err := copyPackage(filepath.Join(mod.Dir, pkg), filepath.Join(dst, pkg)); err != nil {
			return err
		}
	}
	for _, e := range edits {
		if err := apply(filepath.Join(dst, "pkg/app"), e); err != nil {
			return fmt.Errorf("go-app %s: %w", mod.Version, err)
		}
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	gomod = fmt.Appendf(gomod, "\n// The WASM build's go-app: written by server/goappwasm.\nreplace %s => %s\n", goapp, dst)
	if err := os.WriteFile(filepath.Join(out, "go.mod"), gomod, 0o644); err != nil {
		return err
	}
	return copyFile(filepath.Join(root, "go.sum"), filepath.Join(out, "go.sum"))
}

// copyPackage copies a package's Go files, without its tests.
func copyPackage(src, dst string) error {
	files, err := filepath.Glob(filepath.Join(src, "*.go"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if err := copyFile(f, filepath.Join(dst, filepath.Base(f))); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

func apply(dir string, e edit) error {
	name := filepath.Join(dir, e.file)
	if e.old == "" && e.new == "" {
		return os.Remove(name)
	}
	if e.old == "" {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err // go-app has a file of that name now
		}
		defer f.Close()
		_, err = f.WriteString(e.new)
		return err
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if n := strings.Count(string(data), e.old); n != 1 {
		return fmt.Errorf("%s: %q found %d times, not once", e.file, e.old, n)
	}
	return os.WriteFile(name, []byte(strings.Replace(string(data), e.old, e.new, 1)), 0o644)
}
