package app

import (
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// pageHooks are the page's listeners on the window: a tap or key resumes
// suspended audio (during the gesture, as browsers require), Space toggles
// the player's loop, and window.loopsDiagnostics() reports the engine's state. They are JS
// callbacks, so they are released when the page goes.
type pageHooks struct {
	gesture, key, diag, sums, stringify goapp.Func
}

func installPageHooks(eng *engine, toggle func()) *pageHooks {
	h := &pageHooks{}
	win := goapp.Window()
	h.gesture = goapp.FuncOf(func(goapp.Value, []goapp.Value) any {
		eng.Resume()
		return nil
	})
	h.key = goapp.FuncOf(func(this goapp.Value, args []goapp.Value) any {
		ev := args[0]
		if ev.Get("code").String() != "Space" || ev.Get("repeat").Bool() {
			return nil
		}
		if welcome := win.GetElementByID(welcomeID); welcome.Truthy() {
			return nil
		}
		switch ev.Get("target").Get("tagName").String() {
		case "BUTTON", "INPUT", "TEXTAREA", "SELECT", "SUMMARY", "A":
			return nil // Space already means something there
		}
		ev.Call("preventDefault")
		toggle()
		return nil
	})
	// A Go function, not one built from a string: the page's policy
	// allows no eval.
	h.stringify = goapp.FuncOf(func(this goapp.Value, _ []goapp.Value) any {
		return win.Get("JSON").Call("stringify", this)
	})
	h.diag = goapp.FuncOf(func(goapp.Value, []goapp.Value) any {
		obj := win.Get("JSON").Call("parse", eng.Diagnostics())
		win.Get("Object").Call("defineProperty", obj, "toString", map[string]any{"value": h.stringify, "enumerable": false})
		return obj
	})
	for _, ev := range []string{"pointerdown", "keydown", "touchend"} {
		win.Call("addEventListener", ev, h.gesture, map[string]any{"capture": true, "passive": true})
	}
	win.Call("addEventListener", "keydown", h.key)
	win.Set("loopsDiagnostics", h.diag)
	h.sums = goapp.FuncOf(func(goapp.Value, []goapp.Value) any { return eng.BufferSums() })
	win.Set("loopsBufferSums", h.sums)
	return h
}

func (h *pageHooks) release() {
	win := goapp.Window()
	for _, ev := range []string{"pointerdown", "keydown", "touchend"} {
		win.Call("removeEventListener", ev, h.gesture, map[string]any{"capture": true})
	}
	win.Call("removeEventListener", "keydown", h.key)
	win.Delete("loopsDiagnostics")
	win.Delete("loopsBufferSums")
	h.gesture.Release()
	h.key.Release()
	h.diag.Release()
	h.sums.Release()
	h.stringify.Release()
}
