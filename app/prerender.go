//go:build !wasm

package app

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// loaderIcon is the id of go-app's loader image, which the app hides
// (loops.css): without a src the browser does not fetch it.
const loaderIcon = `id="app-wasm-loader-icon"`

// linkDomain is the Domain go-app is given for the links a shared page
// carries for previews (og:url, og:image), which must be absolute: each
// page's response puts the origin it was asked for in its place, so that
// a jam's invite link pasted in a chat shows the app's picture wherever
// the server runs.
const linkDomain = "origin.invalid"

// fixPrerender wraps the app's handler: the pages it prerenders are
// rewritten on the way out by fixPage, with the request's origin in their
// preview links. Other responses pass untouched.
func fixPrerender(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pw := &pageWriter{ResponseWriter: w, origin: requestOrigin(r)}
		next.ServeHTTP(pw, r)
		pw.flush()
	})
}

// requestOrigin returns the scheme and host a page was asked for:
// https behind TLS, or behind a proxy that says so. A Host that is not a
// plain host name or address (it goes into the page) gives "", and the
// preview links are then paths on whatever origin reads them.
func requestOrigin(r *http.Request) string {
	for _, c := range r.Host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return ""
		}
	}
	if r.Host == "" {
		return ""
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// pageWriter holds back a text/html body until the handler is done.
type pageWriter struct {
	http.ResponseWriter
	origin string
	status int
	page   *bytes.Buffer
}

func (w *pageWriter) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	if status == http.StatusOK && strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		w.page = new(bytes.Buffer)
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *pageWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.page != nil {
		return w.page.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *pageWriter) flush() {
	if w.page == nil {
		return
	}
	page := bytes.ReplaceAll(fixPage(w.page.Bytes()), []byte("https://"+linkDomain), []byte(w.origin))
	w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	w.ResponseWriter.WriteHeader(w.status)
	w.ResponseWriter.Write(page)
}

// fixPage mends two things in go-app's rendering of a page, tag by tag:
//   - go-app writes an attribute whose value is "true" bare (aria-hidden),
//     and a bare ARIA attribute is an empty one, which means its default:
//     an aria-* attribute written bare gets its ="true" back;
//   - the loader's image is fetched even though the app never shows it:
//     its src goes.
func fixPage(page []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(page) + len(page)/16)
	for len(page) > 0 {
		i := bytes.IndexByte(page, '<')
		if i < 0 {
			out.Write(page)
			break
		}
		out.Write(page[:i])
		page = page[i:]
		end := tagEnd(page)
		out.Write(fixTag(page[:end]))
		page = page[end:]
	}
	return out.Bytes()
}

// tagEnd returns the length of the tag page starts with, through its '>',
// outside quoted values.
func tagEnd(page []byte) int {
	var quote byte
	for i, c := range page {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1
		}
	}
	return len(page)
}

// fixTag mends one tag (from '<' through '>').
func fixTag(tag []byte) []byte {
	if len(tag) < 2 || tag[1] == '/' || tag[1] == '!' {
		return tag
	}
	loader := bytes.Contains(tag, []byte(loaderIcon))
	var out bytes.Buffer
	var quote byte
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if quote != 0 {
			if c == quote {
				quote = 0
			}
			out.WriteByte(c)
			continue
		}
		if c == '"' || c == '\'' {
			quote = c
			out.WriteByte(c)
			continue
		}
		if c != ' ' {
			out.WriteByte(c)
			continue
		}
		// An attribute starts after the space: its name, then maybe =value.
		j := i + 1
		for j < len(tag) && tag[j] != ' ' && tag[j] != '=' && tag[j] != '>' && tag[j] != '/' {
			j++
		}
		name := string(tag[i+1 : j])
		hasValue := j < len(tag) && tag[j] == '='
		switch {
		case loader && name == "src" && hasValue:
			// Skip the attribute: its name, '=', and its quoted value.
			k := j + 1
			if k < len(tag) && (tag[k] == '"' || tag[k] == '\'') {
				k += 1 + bytes.IndexByte(tag[k+1:], tag[k])
			}
			i = k
		case strings.HasPrefix(name, "aria-") && !hasValue:
			out.WriteString(" " + name + `="true"`)
			i = j - 1
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}
