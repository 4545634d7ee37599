package vault

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
)

// Blobs stores sealed files addressed by the SHA-256 of their bytes. Blobs are
// immutable; the vault deletes one only when asked to (Delete).
type Blobs interface {
	// Put streams r into the store and returns its digest and size. It reads
	// at most maxSize+1 bytes: a longer stream is refused with ErrTooLarge
	// and leaves nothing behind. When Put returns nil the blob is durable (a
	// crash cannot lose it). Putting bytes that are already stored succeeds
	// and returns the same BlobInfo.
	Put(ctx context.Context, r io.Reader, maxSize int64) (BlobInfo, error)
	// Open returns a reader of the blob with the given digest, or
	// ErrNotFound. The reader re-hashes what it returns: if the stored bytes
	// no longer match the digest, its final Read returns ErrCorrupt instead
	// of io.EOF, so a caller that reads to the end never mistakes damaged
	// bytes for the blob.
	Open(ctx context.Context, digest [32]byte) (io.ReadCloser, error)
	// Stat returns the digest and size of a stored blob, or ErrNotFound. It
	// does not re-check the bytes.
	Stat(ctx context.Context, digest [32]byte) (BlobInfo, error)
	// Delete removes the blob with the given digest; a blob that is not
	// stored is not an error. When Delete returns nil the removal is
	// durable.
	//
	// Blobs are content-addressed: everyone who Put the same bytes holds
	// the same blob, and Delete removes it for all of them. Delete only a
	// blob whose bytes nobody else can have stored, such as one that
	// begins with a random header of its own (package tender's upload
	// chunks).
	//
	// A Put and a Delete of the same bytes take effect in one order or the
	// other, each whole: once both have returned the blob reads back
	// complete (the Put came last) or is absent (the Delete came last),
	// never partial; a Put that starts after a Delete has returned stores
	// the blob anew. A reader opened before a Delete may fail with
	// ErrNotFound instead of returning the rest of the bytes.
	Delete(ctx context.Context, digest [32]byte) error
}

// BlobInfo describes a stored blob.
type BlobInfo struct {
	Digest [32]byte // SHA-256 of the bytes
	Size   int64    // length in bytes
}

// String returns the digest in lowercase hex and the size, for messages.
func (b BlobInfo) String() string {
	return fmt.Sprintf("sha256:%x (%d bytes)", b.Digest[:], b.Size)
}

func digestHex(d [32]byte) string { return hex.EncodeToString(d[:]) }

func checkMaxSize(maxSize int64) error {
	if maxSize < 0 {
		return fmt.Errorf("vault: negative maximum blob size %d", maxSize)
	}
	return nil
}

// fill reads from r until buf is full or r ends. It returns io.EOF (with
// the bytes read before it) only at the end of r, and r's own errors as
// they are — including io.ErrUnexpectedEOF, which net/http returns for a
// truncated upload. io.ReadFull reports a short end with that same error,
// so a blob stored through it could be a cut-off upload.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// hashingReader hashes and counts what passes through it and refuses to read
// past max bytes.
type hashingReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	max int64
}

func newHashingReader(r io.Reader, max int64) *hashingReader {
	return &hashingReader{r: r, h: sha256.New(), max: max}
}

func (h *hashingReader) Read(p []byte) (int, error) {
	// Allow one byte beyond max so an over-long stream is detected without
	// reading it all.
	if rest := h.max + 1 - h.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	if h.n > h.max {
		return n, fmt.Errorf("vault: blob larger than %d bytes: %w", h.max, ErrTooLarge)
	}
	return n, err
}

func (h *hashingReader) info() BlobInfo {
	var b BlobInfo
	h.h.Sum(b.Digest[:0])
	b.Size = h.n
	return b
}

// verifyingReader passes a stored blob through and, at EOF, returns
// ErrCorrupt instead of io.EOF if the bytes do not match the expected info.
type verifyingReader struct {
	r    io.Reader
	c    io.Closer
	want BlobInfo
	h    hash.Hash
	n    int64
	err  error // sticky final error
}

func newVerifyingReader(r io.Reader, c io.Closer, want BlobInfo) *verifyingReader {
	return &verifyingReader{r: r, c: c, want: want, h: sha256.New()}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.want.Size {
		v.err = fmt.Errorf("vault: blob %x is longer than its recorded %d bytes: %w", v.want.Digest[:], v.want.Size, ErrCorrupt)
		return 0, v.err
	}
	if err == io.EOF {
		var got [32]byte
		v.h.Sum(got[:0])
		switch {
		case v.n != v.want.Size:
			v.err = fmt.Errorf("vault: blob %x is %d bytes, recorded %d: %w", v.want.Digest[:], v.n, v.want.Size, ErrCorrupt)
		case got != v.want.Digest:
			v.err = fmt.Errorf("vault: blob %x hashes to %x: %w", v.want.Digest[:], got[:], ErrCorrupt)
		default:
			v.err = io.EOF
		}
		if v.err != io.EOF {
			// Do not hand out the final, unverified bytes with the error.
			return 0, v.err
		}
		return n, io.EOF
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verifyingReader) Close() error {
	if v.c == nil {
		return nil
	}
	return v.c.Close()
}
