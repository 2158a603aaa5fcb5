//go:build !wasm

package app

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// firefox is one headless Firefox ESR with its own profile and its own
// PulseAudio null sink for a sound card, driven over WebDriver BiDi: one
// websocket carrying JSON commands, their answers and events
// (https://w3c.github.io/webdriver-bidi/). It drives one tab.
type firefox struct {
	name      string
	noRT      string // why its audio threads run without rtkit, "" where they have it
	releaseRT func()
	cmd       *exec.Cmd
	pulse     *exec.Cmd
	conn      *websocket.Conn
	bc        string // the browsing context (the tab) the page lives in
	ctx       context.Context
	cancel    context.CancelFunc
	readErr   chan struct{}
	closing   sync.Once

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan bidiFrame
}

var _ tab = (*firefox)(nil)

// bidiFrame is what the browser sends: an answer to a command (type
// "success" or "error", with the command's id) or an event.
type bidiFrame struct {
	Type    string          `json:"type"`
	ID      int             `json:"id"`
	Method  string          `json:"method"`
	Result  json.RawMessage `json:"result"`
	Params  json.RawMessage `json:"params"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

func firefoxPath() string {
	for _, p := range []string{"/usr/bin/firefox-esr", "/usr/bin/firefox"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// needFirefox skips t where Debian's firefox-esr or PulseAudio is missing;
// `make test` installs both first, so there it always runs.
func needFirefox(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("pulseaudio"); firefoxPath() == "" || err != nil {
		t.Skip("no firefox-esr or pulseaudio: run `make browser-deps` (or apt-get install firefox-esr pulseaudio)")
	}
}

// firefoxPrefs make a test profile quiet and let the page's audio start
// without a gesture, as chromium's autoplay flag does.
const firefoxPrefs = `
user_pref("media.autoplay.default", 0);
user_pref("media.autoplay.block-webaudio", false);
user_pref("media.cubeb.backend", "pulse");
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("app.update.disabledForTesting", true);
`

func newFirefox(t *testing.T, name string, width, height int) *firefox {
	t.Helper()
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile")
	if err := os.MkdirAll(profile, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &firefox{name: name, waiting: make(map[int]chan bidiFrame), readErr: make(chan struct{})}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	t.Cleanup(f.close)
	bus, why, release := realtimeKit(t)
	f.noRT, f.releaseRT = why, release
	var busEnv []string
	if bus != "" {
		busEnv = []string{"DBUS_SYSTEM_BUS_ADDRESS=" + bus}
	}
	sink := f.startPulse(t, dir, busEnv)

	f.cmd = exec.Command(firefoxPath(), "--headless", "--no-remote", "--profile", profile,
		"--remote-debugging-port", "0", "--width", fmt.Sprint(width), "--height", fmt.Sprint(height), "about:blank")
	f.cmd.Env = append(os.Environ(), "PULSE_SERVER=unix:"+sink, "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "MOZ_CRASHREPORTER_DISABLE=1")
	f.cmd.Env = append(f.cmd.Env, busEnv...)
	// Its own process group: the content processes go with it.
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := f.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("%s: start firefox: %v", name, err)
	}
	// Firefox says where BiDi listens on stderr, then keeps talking there.
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if _, addr, ok := strings.Cut(line, "WebDriver BiDi listening on "); ok {
				found <- strings.TrimSpace(addr)
			} else if os.Getenv("LOOPS_CONSOLE") != "" {
				t.Logf("%s: stderr: %s", name, line)
			}
		}
	}()
	var addr string
	select {
	case addr = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: firefox did not open WebDriver BiDi within 60s", name)
	}
	dial, cancel := context.WithTimeout(f.ctx, 20*time.Second)
	defer cancel()
	f.conn, _, err = websocket.Dial(dial, addr+"/session", nil)
	if err != nil {
		t.Fatalf("%s: connect to firefox: %v", name, err)
	}
	f.conn.SetReadLimit(64 << 20) // screenshots
	go f.read(t)

	f.mustCall(t, "session.new", map[string]any{"capabilities": map[string]any{}})
	f.mustCall(t, "session.subscribe", map[string]any{"events": []string{"log.entryAdded"}})
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	f.mustCallInto(t, &tree, "browsingContext.getTree", map[string]any{"maxDepth": 0})
	if len(tree.Contexts) == 0 {
		t.Fatalf("%s: firefox has no tab", name)
	}
	f.bc = tree.Contexts[0].Context
	f.mustCall(t, "browsingContext.setViewport", map[string]any{"context": f.bc, "viewport": map[string]int{"width": width, "height": height}})
	for _, js := range []string{outputMeter, outputClockWatch} {
		f.mustCall(t, "script.addPreloadScript", map[string]any{"functionDeclaration": "() => { " + js + " }"})
	}
	return f
}

// startPulse runs a PulseAudio of this browser's own with a null sink, and
// returns the path of its socket. env is where its system bus is, if any.
func (f *firefox) startPulse(t *testing.T, dir string, env []string) string {
	t.Helper()
	sock := filepath.Join(dir, "pulse-native")
	f.pulse = exec.Command("pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
		"-L", "module-null-sink sink_name=null rate=48000",
		"-L", "module-native-protocol-unix socket="+sock+" auth-anonymous=1")
	f.pulse.Env = append(append(os.Environ(), "HOME="+dir, "XDG_RUNTIME_DIR="+dir), env...)
	if err := f.pulse.Start(); err != nil {
		t.Fatalf("%s: start pulseaudio: %v", f.name, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			return sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: pulseaudio made no socket within 15s", f.name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// close ends the browser and its sound server, once.
func (f *firefox) close() { f.closing.Do(f.end) }

func (f *firefox) end() {
	f.cancel()
	if f.conn != nil {
		f.conn.CloseNow()
	}
	for _, cmd := range []*exec.Cmd{f.cmd, f.pulse} {
		if cmd != nil && cmd.Process != nil {
			if cmd == f.cmd {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	if f.releaseRT != nil {
		f.releaseRT()
	}
}

// read hands answers to their callers and logs the page's errors.
func (f *firefox) read(t *testing.T) {
	defer close(f.readErr)
	for {
		_, data, err := f.conn.Read(f.ctx)
		if err != nil {
			return
		}
		var fr bidiFrame
		if json.Unmarshal(data, &fr) != nil {
			continue
		}
		if fr.Type == "event" {
			f.event(t, fr)
			continue
		}
		f.mu.Lock()
		ch := f.waiting[fr.ID]
		delete(f.waiting, fr.ID)
		f.mu.Unlock()
		if ch != nil {
			ch <- fr
		}
	}
}

func (f *firefox) event(t *testing.T, fr bidiFrame) {
	if fr.Method != "log.entryAdded" {
		return
	}
	var e struct {
		Level string `json:"level"`
		Text  string `json:"text"`
		Type  string `json:"type"`
	}
	if json.Unmarshal(fr.Params, &e) == nil && (e.Level == "error" || os.Getenv("LOOPS_CONSOLE") != "") {
		t.Logf("%s: %s %s: %s", f.name, e.Type, e.Level, e.Text)
	}
}

// call sends a command and waits for its answer.
func (f *firefox) call(method string, params any, timeout time.Duration) (json.RawMessage, error) {
	f.mu.Lock()
	f.nextID++
	id := f.nextID
	ch := make(chan bidiFrame, 1)
	f.waiting[id] = ch
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.waiting, id)
		f.mu.Unlock()
	}()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(f.ctx, timeout)
	defer cancel()
	if err := f.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case fr := <-ch:
		if fr.Type == "error" {
			return nil, fmt.Errorf("%s: %s: %s", method, fr.Error, fr.Message)
		}
		return fr.Result, nil
	case <-f.readErr:
		return nil, fmt.Errorf("%s: the connection to firefox closed", method)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: no answer within %v (a frozen tab?)", method, timeout)
	}
}

func (f *firefox) mustCall(t *testing.T, method string, params any) json.RawMessage {
	t.Helper()
	res, err := f.call(method, params, 60*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
	return res
}

func (f *firefox) mustCallInto(t *testing.T, v any, method string, params any) {
	t.Helper()
	if err := json.Unmarshal(f.mustCall(t, method, params), v); err != nil {
		t.Fatalf("%s: %s: %v", f.name, method, err)
	}
}

func (f *firefox) label() string { return f.name }

// evalJSON evaluates a JS expression in the page, awaiting a promise, and
// returns its value as JSON.
func (f *firefox) evalJSON(expr string, timeout time.Duration) (string, error) {
	res, err := f.call("script.evaluate", map[string]any{
		"expression":      "(async () => JSON.stringify(await (" + expr + ")))()",
		"target":          map[string]string{"context": f.bc},
		"awaitPromise":    true,
		"resultOwnership": "none",
	}, timeout)
	if err != nil {
		return "", err
	}
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return "", err
	}
	if r.Type == "exception" {
		return "", fmt.Errorf("%s", r.ExceptionDetails.Text)
	}
	if r.Result.Type != "string" {
		return "null", nil // JSON.stringify(undefined)
	}
	return r.Result.Value, nil
}

func (f *firefox) navigate(t *testing.T, url string) {
	t.Helper()
	if err := f.tryNavigate(url); err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
}

func (f *firefox) tryNavigate(url string) error {
	_, err := f.call("browsingContext.navigate", map[string]any{"context": f.bc, "url": url, "wait": "complete"}, 60*time.Second)
	return err
}

func (f *firefox) reload(t *testing.T) {
	t.Helper()
	if err := f.tryReload(); err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
}

func (f *firefox) tryReload() error {
	_, err := f.call("browsingContext.reload", map[string]any{"context": f.bc, "wait": "complete"}, 60*time.Second)
	return err
}

// click waits for the element to be shown, then clicks it as a person
// would: the mouse moves to its middle, then presses and lets go, so the
// page sees a trusted click. A page busy starting on a loaded machine can
// take many seconds to show it.
func (f *firefox) click(t *testing.T, css string) {
	t.Helper()
	if err := pollTab(f, css+" shown and enabled", clickableJS(css), 30*time.Second); err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
	if err := f.tryClick(css); err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
}

func (f *firefox) tryClick(css string) error {
	res, err := f.call("script.evaluate", map[string]any{
		"expression":      fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (e) e.scrollIntoView({block: "center"}); return e; })()`, css),
		"target":          map[string]string{"context": f.bc},
		"awaitPromise":    false,
		"resultOwnership": "root",
	}, 10*time.Second)
	if err != nil {
		return fmt.Errorf("find %s: %w", css, err)
	}
	var r struct {
		Result struct {
			SharedID string `json:"sharedId"`
		} `json:"result"`
	}
	if err := json.Unmarshal(res, &r); err != nil || r.Result.SharedID == "" {
		return fmt.Errorf("no element %s (%s)", css, res)
	}
	origin := map[string]any{"type": "element", "element": map[string]string{"sharedId": r.Result.SharedID}}
	if _, err := f.call("input.performActions", map[string]any{
		"context": f.bc,
		"actions": []any{map[string]any{
			"type": "pointer", "id": "mouse", "parameters": map[string]string{"pointerType": "mouse"},
			"actions": []any{
				map[string]any{"type": "pointerMove", "x": 0, "y": 0, "origin": origin},
				map[string]any{"type": "pointerDown", "button": 0},
				map[string]any{"type": "pointerUp", "button": 0},
			},
		}},
	}, 10*time.Second); err != nil {
		return fmt.Errorf("click %s: %w", css, err)
	}
	return nil
}

// pollTab evaluates a JS expression in a page of either browser until it
// is true (awaited, if it is a promise), or says why not.
func pollTab(p tab, what, expr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		s, err := p.evalJSON("(async () => !!(await ("+expr+")))()", 5*time.Second)
		if err == nil && s == "true" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s within %v (last error %v)", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (f *firefox) screenshot(t *testing.T, name string) {
	t.Helper()
	res, err := f.call("browsingContext.captureScreenshot", map[string]any{"context": f.bc}, 10*time.Second)
	if err != nil {
		t.Logf("%s: screenshot: %v", f.name, err)
		return
	}
	var r struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		t.Logf("%s: screenshot: %v", f.name, err)
		return
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		t.Logf("%s: screenshot: %v", f.name, err)
		return
	}
	saveScreenshot(t, f.name, name, png)
}
