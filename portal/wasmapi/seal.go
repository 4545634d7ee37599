package wasmapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
)

// Sealed describes a sealed offer: what the receipt will bind (SHA256,
// Size) and what its header states.
type Sealed struct {
	Size           int64     `json:"size"`   // of the sealed file, in bytes
	SHA256         string    `json:"sha256"` // of the sealed file, lowercase hex
	DocumentSize   int64     `json:"document_size"`
	Round          uint64    `json:"round"`
	Opens          time.Time `json:"opens"` // when the round is published
	ChainHash      string    `json:"chain"`
	CommitteeKeyID string    `json:"committee_key_id"`
	v2Fields
}

// v2Fields are what a version 2 header states besides version 1's.
type v2Fields struct {
	Version   int    `json:"version"`
	Tender    string `json:"tender,omitempty"`
	Bidder    string `json:"bidder,omitempty"`
	File      int    `json:"file,omitempty"`
	Threshold int    `json:"threshold,omitempty"`
	Members   int    `json:"members,omitempty"`
	Header    string `json:"header,omitempty"` // SHA-256 of the age header, hex: what a v2 receipt binds
}

func headerFields(h *sealer.Header) v2Fields {
	f := v2Fields{Version: h.Version}
	if h.Version == 2 {
		f.Tender, f.Bidder, f.File, f.Threshold, f.Members = h.Tender, h.Bidder, h.File, h.Threshold, h.Members
		f.Header = hex.EncodeToString(h.Digest[:])
	}
	return f
}

// Seal seals the document read from src to t, writing the sealed offer to
// dst in one streaming pass (sealer.Seal, which inspects its own header
// before it writes the document), and hashes the output on the way.
//
// The caller self-checks what dst stored with Inspect, given
// Sealed.DocumentSize: a sealed file that lost or gained bytes after Seal
// wrote them is refused there.
func Seal(dst io.Writer, src io.Reader, t sealer.Target) (*Sealed, error) {
	h := sha256.New()
	in := &counter{r: src}
	var r io.Reader = in
	if sk, ok := src.(io.Seeker); ok {
		// Version 2 commits to the document's length, which the sealer
		// measures by seeking.
		r = &seekCounter{in, sk}
	}
	s, err := sealer.Seal(io.MultiWriter(dst, h), r, t)
	if err != nil {
		return nil, err
	}
	return &Sealed{
		Size: s.Size, SHA256: hex.EncodeToString(h.Sum(nil)), DocumentSize: in.n,
		Round: s.Header.Round, Opens: t.Chain.TimeOf(s.Header.Round),
		ChainHash: s.Header.ChainHash, CommitteeKeyID: s.Header.CommitteeKeyID, v2Fields: headerFields(s.Header),
	}, nil
}

type counter struct {
	r io.Reader
	n int64
}

// seekCounter is a counter whose reader can seek, for the sealer to
// measure; it counts what is read after.
type seekCounter struct {
	*counter
	s io.Seeker
}

func (c *seekCounter) Seek(off int64, whence int) (int64, error) { return c.s.Seek(off, whence) }

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ErrSelfCheck means a sealed file failed Inspect's self-check: it must
// not be submitted. Seal it again.
var ErrSelfCheck = errors.New("wasmapi: the sealed file failed its self-check; do not submit it, seal the document again")

// maxHeaderSize caps the age header Inspect reads: a sealed offer's is
// about 1,800 bytes.
const maxHeaderSize = 16 << 10

// Inspected is what Inspect found in a sealed file.
type Inspected struct {
	Size           int64     `json:"size"`
	HeaderSize     int64     `json:"header_size"`
	DocumentSize   int64     `json:"document_size"` // implied by the payload's length
	Round          uint64    `json:"round"`
	Opens          time.Time `json:"opens"`
	ChainHash      string    `json:"chain"`
	CommitteeKeyID string    `json:"committee_key_id"`
	SHA256         string    `json:"sha256,omitempty"` // when Inspect was asked to hash
	v2Fields
}

// Inspect self-checks a sealed file of size bytes read from r against t,
// without any secret, the way the server checks it at submission and
// more: its header passes sealer.Inspect and Target.Check (the round,
// chain and committee key id are t's), and its payload has a length that
// age's STREAM can have — exactly the length that sealing documentSize
// bytes gives, unless documentSize is negative. With sum, it also hashes
// the whole file (a second pass over it) and reports the SHA-256.
//
// Errors wrap ErrSelfCheck and the sealer's sentinel (ErrMalformed,
// ErrMismatch) when there is one.
func Inspect(r io.ReaderAt, size int64, t sealer.Target, documentSize int64, sum bool) (*Inspected, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %w", ErrSelfCheck, fmt.Errorf(format, args...))
	}
	head, err := age.ExtractHeader(io.LimitReader(io.NewSectionReader(r, 0, size), maxHeaderSize))
	if err != nil {
		return nil, fail("%w: the header does not parse: %v", sealer.ErrMalformed, err)
	}
	// Not a Seeker: Inspect must not measure the header as the whole
	// file; the size is checked below.
	h, err := sealer.Inspect(io.MultiReader(bytes.NewReader(head)), t.Chain)
	if err != nil {
		return nil, fail("%w", err)
	}
	if err := h.CheckSize(size); err != nil {
		return nil, fail("%w", err)
	}
	if err := t.Check(h); err != nil {
		return nil, fail("%w", err)
	}
	in := &Inspected{Size: size, HeaderSize: int64(len(head)), Round: h.Round, Opens: t.Chain.TimeOf(h.Round),
		ChainHash: h.ChainHash, CommitteeKeyID: h.CommitteeKeyID, v2Fields: headerFields(h)}
	doc, ok := DocumentSize(size - in.HeaderSize)
	switch {
	case h.Version == 2 && (!ok || doc != h.Length):
		return nil, fail("%w: the file is %d bytes, its header commits to a %d-byte document: the file is cut or padded", sealer.ErrMalformed, size, h.Length)
	case !ok:
		return nil, fail("%w: the payload is %d bytes, a length age's STREAM never has: the file is cut or padded", sealer.ErrMalformed, size-in.HeaderSize)
	case documentSize >= 0 && doc != documentSize:
		return nil, fail("%w: the payload holds %d bytes of document, the document has %d: the file is cut or padded", sealer.ErrMalformed, doc, documentSize)
	}
	in.DocumentSize = doc
	if sum {
		h := sha256.New()
		if err := hashAll(h, io.NewSectionReader(r, 0, size), size); err != nil {
			return nil, fail("reading the sealed file: %v", err)
		}
		in.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	return in, nil
}

func hashAll(h hash.Hash, r io.Reader, size int64) error {
	n, err := io.Copy(h, r)
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes of %d", n, size)
	}
	return err
}

// The payload of an age file: a 16-byte nonce, then the document in
// chunks of 64 KiB, each followed by a 16-byte Poly1305 tag; the last
// chunk is shorter, or full when the document is a non-zero multiple of
// 64 KiB, or empty only when the whole document is
// (https://age-encryption.org/v1, "Payload").
const (
	nonceSize = 16
	chunkSize = 64 << 10
	tagSize   = 16
)

// PayloadSize returns the length of the payload of an age file whose
// plaintext is n bytes.
func PayloadSize(n int64) int64 {
	chunks := max((n+chunkSize-1)/chunkSize, 1)
	return nonceSize + n + chunks*tagSize
}

// DocumentSize is PayloadSize's inverse: the plaintext length of a payload
// of p bytes, and whether age ever writes a payload of that length.
func DocumentSize(p int64) (int64, bool) {
	c := p - nonceSize
	if c < tagSize {
		return 0, false
	}
	full, rem := c/(chunkSize+tagSize), c%(chunkSize+tagSize)
	switch {
	case rem == 0: // the last chunk is full (full ≥ 1, as c ≥ tagSize)
		return full * chunkSize, true
	case rem == tagSize && full == 0: // the empty document
		return 0, true
	case rem > tagSize:
		return full*chunkSize + rem - tagSize, true
	}
	return 0, false
}
