package sealer

import (
	"bytes"
	"fmt"
	"io"

	"filippo.io/age"
)

// Sealed describes a sealed offer Seal wrote.
//
// It carries no digest: hashing the output is a second pass over the
// bytes (it doubled the time to seal 64 MiB), so callers that need the
// SHA-256 a receipt binds hash what they store, as the server does anyway.
type Sealed struct {
	Header *Header
	Size   int64 // of the whole sealed file, in bytes
}

// Seal encrypts the document read from src to t and writes the sealed
// offer to dst, streaming: one pass of age's ChaCha20-Poly1305 STREAM
// over the document, in 64 KiB chunks.
//
// Before writing the document, Seal inspects the header it produced the
// way a server will, and fails rather than let a file that would be
// refused (or never open) leave the bidder's machine. On error, discard
// whatever was written to dst.
func Seal(dst io.Writer, src io.Reader, t Target) (*Sealed, error) {
	rcpt, err := newRecipient(t)
	if err != nil {
		return nil, err
	}
	out := &countingWriter{w: dst}
	// age.Encrypt writes the header (and the payload nonce) before it
	// returns; keep a copy to check.
	out.head = new(bytes.Buffer)
	w, err := age.Encrypt(out, rcpt)
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	head := out.head.Bytes()
	out.head = nil
	h, err := Inspect(bytes.NewReader(head), t.Chain)
	if err != nil {
		return nil, fmt.Errorf("sealer: self-check of the sealed header failed: %w", err)
	}
	if err := t.Check(h); err != nil {
		return nil, fmt.Errorf("sealer: self-check of the sealed header failed: %w", err)
	}
	if _, err := io.Copy(w, src); err != nil {
		return nil, fmt.Errorf("sealer: sealing the document: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("sealer: finishing the sealed file: %w", err)
	}
	return &Sealed{Header: h, Size: out.n}, nil
}

// countingWriter counts what passes to w, and copies it to head while
// head is set.
type countingWriter struct {
	w    io.Writer
	n    int64
	head *bytes.Buffer
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.head != nil {
		c.head.Write(p[:n])
	}
	return n, err
}
