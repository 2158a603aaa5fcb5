//go:build !wasm

package server

import (
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// compressText serves the text responses of h (pages, scripts, style
// sheets, the manifest, JSON, SVG) compressed, brotli or gzip as the
// browser accepts, like the precompressed WASM. They are small, so they are
// compressed as they go out, at a level that costs well under a
// millisecond. Each encoding has its own ETag (the inner tag plus "-br" or
// "-gzip", as the WASM's), and a revalidation with one reaches h as the inner tag, so 304s
// still work. Responses h already encoded, partial ones and those of other
// types pass through untouched.
func compressText(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc := acceptedEncoding(r.Header.Get("Accept-Encoding"))
		if enc == "" || r.Header.Get("Range") != "" {
			h.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w, enc: enc, head: r.Method == http.MethodHead}
		if inm := r.Header.Get("If-None-Match"); strings.Contains(inm, "-"+enc+`"`) {
			r = r.Clone(r.Context())
			r.Header.Set("If-None-Match", strings.ReplaceAll(inm, "-"+enc+`"`, `"`))
			cw.revalidating = true
		}
		defer cw.close()
		h.ServeHTTP(cw, r)
	})
}

// acceptedEncoding returns "br" or "gzip" for an Accept-Encoding header, or
// "" when the browser takes neither.
func acceptedEncoding(header string) string {
	br, gz := false, false
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.ReplaceAll(strings.TrimSpace(params), " ", "") == "q=0" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "br":
			br = true
		case "gzip":
			gz = true
		}
	}
	switch {
	case br:
		return "br"
	case gz:
		return "gzip"
	}
	return ""
}

// compressible reports whether a content type is text worth compressing.
func compressible(contentType string) bool {
	t, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch t {
	case "application/javascript", "text/javascript", "application/json", "application/manifest+json", "image/svg+xml":
		return true
	}
	return strings.HasPrefix(t, "text/")
}

var (
	brPool = sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, 5) }}
	gzPool = sync.Pool{New: func() any { zw, _ := gzip.NewWriterLevel(nil, 6); return zw }}
)

// compressWriter decides at WriteHeader whether the response is compressed.
type compressWriter struct {
	http.ResponseWriter
	enc  string
	head bool
	// revalidating is set when the browser revalidates with a tag of
	// this encoding: a 304 answers with that tag.
	revalidating bool
	decided      bool
	out          io.WriteCloser // nil: the response passes through
}

func (w *compressWriter) WriteHeader(status int) {
	if w.decided {
		return
	}
	w.decided = true
	hd := w.Header()
	compress := status == http.StatusOK && hd.Get("Content-Encoding") == "" && compressible(hd.Get("Content-Type"))
	if etag := hd.Get("ETag"); etag != "" && (compress || status == http.StatusNotModified && w.revalidating) {
		hd.Set("ETag", strings.TrimSuffix(etag, `"`)+"-"+w.enc+`"`)
	}
	if !compress {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	hd.Del("Content-Length")
	hd.Add("Vary", "Accept-Encoding")
	hd.Set("Content-Encoding", w.enc)
	w.ResponseWriter.WriteHeader(status)
	if w.head {
		return
	}
	if w.enc == "br" {
		bw := brPool.Get().(*brotli.Writer)
		bw.Reset(w.ResponseWriter)
		w.out = bw
	} else {
		zw := gzPool.Get().(*gzip.Writer)
		zw.Reset(w.ResponseWriter)
		w.out = zw
	}
}

func (w *compressWriter) Write(b []byte) (int, error) {
	if !w.decided {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", http.DetectContentType(b))
		}
		w.WriteHeader(http.StatusOK)
	}
	if w.out != nil {
		return w.out.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// close finishes the compressed stream and returns its writer to the pool.
func (w *compressWriter) close() {
	switch out := w.out.(type) {
	case *brotli.Writer:
		out.Close()
		brPool.Put(out)
	case *gzip.Writer:
		out.Close()
		gzPool.Put(out)
	}
	w.out = nil
}
