package sealer

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/segel-lpse/segel/timelock"
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
// over the document, in 64 KiB chunks. A target with a committee of
// members (Target.Members) gets format version 2, one with a single
// committee key format version 1.
//
// Format version 2 commits to the document's length in the header, which
// is written first, so Seal needs a src that can tell its length: a file,
// a bytes.Reader, a strings.Reader, anything with Len() int or an
// io.Seeker; spool a stream to a file first. It reads exactly that many
// bytes, and fails if src gives more or fewer (the document changed while
// it was sealed).
//
// Before writing the document, Seal inspects the header it produced the
// way a server will, and fails rather than let a file that would be
// refused (or never open) leave the bidder's machine; for version 2 it
// also opens every member's share with the member key it made, and checks
// at the end that the file has the size its header commits to. On error,
// discard whatever was written to dst.
func Seal(dst io.Writer, src io.Reader, t Target) (*Sealed, error) {
	rcpt, length, err := newSealRecipient(t, src)
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
	// The whole file is not written yet: its size is checked at the end.
	h, err := inspectHeader(bytes.NewReader(head), t.Chain)
	if err == nil {
		err = t.Check(h)
	}
	if err != nil {
		return nil, fmt.Errorf("sealer: self-check of the sealed header failed: %w", err)
	}
	if length < 0 {
		_, err = io.Copy(w, src)
	} else {
		var n int64
		n, err = io.Copy(w, io.LimitReader(src, length+1))
		if err == nil && n != length {
			err = fmt.Errorf("the document changed while it was sealed: it was %d bytes, %d were read", length, n)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sealer: sealing the document: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("sealer: finishing the sealed file: %w", err)
	}
	if err := h.CheckSize(out.n); err != nil {
		return nil, fmt.Errorf("sealer: self-check of the sealed file failed: %w", err)
	}
	return &Sealed{Header: h, Size: out.n}, nil
}

// newSealRecipient returns the recipient of t's format and, for version
// 2, the document's length (−1 for version 1, which does not need it).
func newSealRecipient(t Target, src io.Reader) (age.Recipient, int64, error) {
	if t.Members == nil {
		r, err := newRecipient(t)
		return r, -1, err
	}
	if err := t.check(); err != nil {
		return nil, 0, err
	}
	length, err := lengthOf(src)
	if err != nil {
		return nil, 0, err
	}
	tl, err := timelock.NewRecipient(t.Chain, t.Round)
	if err != nil {
		return nil, 0, err
	}
	return &recipientV2{target: t, tlock: tl, length: length}, length, nil
}

// lengthOf returns how many bytes src has left to read.
func lengthOf(src io.Reader) (int64, error) {
	var n int64
	switch r := src.(type) {
	case interface{ Len() int }:
		n = int64(r.Len())
	case io.Seeker:
		pos, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, fmt.Errorf("sealer: a version 2 offer commits to the document's length, and the source's cannot be told (%v): seal from a file, or spool the stream to one first", err)
		}
		end, err := r.Seek(0, io.SeekEnd)
		if err == nil {
			_, err = r.Seek(pos, io.SeekStart)
		}
		if err != nil {
			return 0, fmt.Errorf("sealer: measuring the document: %w", err)
		}
		n = end - pos
	default:
		return 0, errors.New("sealer: a version 2 offer commits to the document's length, and a stream's cannot be told: seal from a file or a bytes.Reader, or spool the stream to a file first")
	}
	if n < 0 || n > maxLength {
		return 0, fmt.Errorf("sealer: document of %d bytes; the format allows up to 2^62", n)
	}
	return n, nil
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
