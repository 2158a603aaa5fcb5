// Command precompress writes FILE.br and FILE.gz beside each FILE named, at
// a high compression (brotli level 9: close to the best in a fraction of the
// time), so that the server sends them without compressing on every request.
package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/andybalholm/brotli"
)

func main() {
	for _, name := range os.Args[1:] {
		if err := precompress(name); err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			os.Exit(1)
		}
	}
}

func precompress(name string) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := write(name+".br", data, func(w io.Writer) io.WriteCloser {
		return brotli.NewWriterLevel(w, 9)
	}); err != nil {
		return err
	}
	return write(name+".gz", data, func(w io.Writer) io.WriteCloser {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
		return zw
	})
}

func write(name string, data []byte, compressor func(io.Writer) io.WriteCloser) error {
	f, err := os.Create(name + ".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(name + ".tmp")
	zw := compressor(f)
	if _, err := zw.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("compress %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("compress %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(name+".tmp", name)
}
