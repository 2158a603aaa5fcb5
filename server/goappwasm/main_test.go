package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGoAppWASM(t *testing.T) {
	out := t.TempDir()
	download := exec.Command("go", "mod", "download", "-json", goapp)
	download.Dir = "../.."
	answer, err := download.Output()
	if err != nil {
		t.Fatalf("go mod download: %v", err)
	}
	if err := run(bytes.NewReader(answer), "../..", out); err != nil {
		t.Fatal(err)
	}

	t.Run("the app's WASM imports no net/http, no TLS client and no regexp", func(t *testing.T) {
		list := exec.Command("go", "list", "-modfile", filepath.Join(out, "go.mod"), "-deps", ".")
		list.Dir = "../.."
		list.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		deps, err := list.CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, deps)
		}
		pkgs := strings.Fields(string(deps))
		if !slices.Contains(pkgs, goapp+"/pkg/app") {
			t.Fatalf("go-app is not among the WASM's packages: %v", pkgs)
		}
		for _, p := range []string{"net/http", "crypto/tls", "crypto/x509", "crypto/rsa", "github.com/coder/websocket", "regexp"} {
			if slices.Contains(pkgs, p) {
				t.Errorf("the WASM imports %s", p)
			}
		}
	})

	t.Run("the server's build keeps go-app's Handler", func(t *testing.T) {
		list := exec.Command("go", "list", "-deps", ".")
		list.Dir = "../.."
		deps, err := list.CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, deps)
		}
		if !slices.Contains(strings.Fields(string(deps)), "net/http") {
			t.Error("the server does not import net/http")
		}
	})

	t.Run("an edit that adds a file adds it, and stops the build if go-app has one of that name", func(t *testing.T) {
		dir := t.TempDir()
		if err := apply(dir, edit{file: "yield.go", new: "package app\n"}); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "yield.go")); err != nil || string(b) != "package app\n" {
			t.Errorf("yield.go = %q, %v; want the edit's text", b, err)
		}
		if err := apply(dir, edit{file: "yield.go", new: "package app\n"}); err == nil {
			t.Error("a second yield.go was written over the first")
		}
	})

	t.Run("the browser's go-app yields to the browser", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(out, "go-app/pkg/app/engine.go"))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "yieldIfLong()"); n != 3 {
			t.Errorf("engine.go calls yieldIfLong %d times, want 3 (a page's load, a dispatch, a frame)", n)
		}
		if !strings.Contains(string(b), "func (e *engineX) processFrame() {\n\tupdating = true\n") {
			t.Error("engine.go's processFrame does not say it updates")
		}
		node, err := os.ReadFile(filepath.Join(out, "go-app/pkg/app/node.go"))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(node), "yieldIfBuilding()"); n != 3 {
			t.Errorf("node.go calls yieldIfBuilding %d times, want 3 (between a mounted element's children, before a mounted component renders, before an updated one renders)", n)
		}
	})

	t.Run("an edit whose text go-app no longer has stops the build", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "resource.go"), []byte("package app\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := apply(dir, edit{"resource.go", "\thttp.Handler\n", ""})
		if err == nil || !strings.Contains(err.Error(), "found 0 times") {
			t.Errorf("apply = %v, want an error saying the text was found 0 times", err)
		}
	})
}
