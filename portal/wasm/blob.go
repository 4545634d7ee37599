//go:build js && wasm

package main

import (
	"fmt"
	"io"
	"sync"
	"syscall/js"

	"github.com/segel-lpse/segel/portal/wasmapi"
)

// window is how much of a Blob one read asks the browser for: reads from
// Go (32 KiB for io.Copy, 512 bytes for a tar header) are served from it.
const window = 1 << 20

// blobReader reads a Blob (a File the user chose, or a sealed file) as an
// io.ReaderAt, a window at a time: the Blob is never copied whole into
// memory.
type blobReader struct {
	blob   js.Value
	size   int64
	signal js.Value // an AbortSignal, or undefined

	mu     sync.Mutex
	buf    []byte
	bufOff int64
	read   func(n int64) // reports progress: the bytes fetched so far
	total  int64
}

func newBlobReader(b js.Value) *blobReader {
	return &blobReader{blob: b, size: int64(b.Get("size").Float()), signal: js.Undefined()}
}

func (b *blobReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("reading the file: negative offset %d", off)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for len(p) > 0 {
		if off >= b.size {
			return n, io.EOF
		}
		if off < b.bufOff || off >= b.bufOff+int64(len(b.buf)) {
			if err := b.fill(off, max(int64(len(p)), window)); err != nil {
				return n, err
			}
		}
		k := copy(p, b.buf[off-b.bufOff:])
		p, off, n = p[k:], off+int64(k), n+k
	}
	return n, nil
}

// fill reads up to n bytes of the Blob at off into the window.
func (b *blobReader) fill(off, n int64) error {
	if !b.signal.IsUndefined() && b.signal.Get("aborted").Bool() {
		return wasmapi.ErrAborted
	}
	end := min(off+n, b.size)
	ab, err := await(b.blob.Call("slice", off, end).Call("arrayBuffer"))
	if err != nil {
		return fmt.Errorf("reading the file: %v", err)
	}
	u8 := js.Global().Get("Uint8Array").New(ab)
	if got := int64(u8.Length()); got != end-off {
		return fmt.Errorf("reading the file: got %d bytes at %d, want %d (was it changed while being read?)", got, off, end-off)
	}
	if int64(cap(b.buf)) < end-off {
		b.buf = make([]byte, end-off)
	}
	b.buf = b.buf[:end-off]
	js.CopyBytesToGo(b.buf, u8)
	b.bufOff = off
	if b.read != nil {
		b.total += end - off
		b.read(b.total)
	}
	return nil
}

// blobWriter collects what is written into a Blob, handing the browser a
// part at a time: the output is held once, by the browser (which may keep
// large Blobs on disk), not in the WebAssembly memory.
type blobWriter struct {
	parts js.Value // Array of Blob
	buf   []byte
}

func newBlobWriter() *blobWriter {
	return &blobWriter{parts: js.Global().Get("Array").New(), buf: make([]byte, 0, window)}
}

func (w *blobWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == cap(w.buf) {
			w.flush()
		}
	}
	return n, nil
}

func (w *blobWriter) flush() {
	if len(w.buf) == 0 {
		return
	}
	u8 := js.Global().Get("Uint8Array").New(len(w.buf))
	js.CopyBytesToJS(u8, w.buf)
	w.parts.Call("push", js.Global().Get("Blob").New([]any{u8}))
	w.buf = w.buf[:0]
}

// Blob returns everything written, as one Blob of the given media type.
func (w *blobWriter) Blob(mediaType string) js.Value {
	w.flush()
	opts := js.Global().Get("Object").New()
	opts.Set("type", mediaType)
	return js.Global().Get("Blob").New(w.parts, opts)
}
