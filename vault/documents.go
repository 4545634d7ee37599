package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Documents stores files encrypted at rest: each is encrypted with a tink
// streaming AEAD (AES-256-GCM-HKDF, 1 MiB segments) from a [Keyring] and the
// ciphertext is stored as a blob. The registry uses it for identity documents
// (KTP, NPWP, akta scans) that the operator must keep but must not expose in
// a database dump or a stolen backup.
//
// Sealed offers do not go through Documents: they are already encrypted by
// the bidder and are stored as plain blobs.
type Documents struct {
	blobs   Blobs
	keys    *Keyring
	keyName string
}

// NewDocuments returns Documents that store ciphertext in blobs under the
// streaming-AEAD secret keyName of keys (created on first use; rotate it with
// keys.Rotate — documents stored before stay readable).
func NewDocuments(blobs Blobs, keys *Keyring, keyName string) *Documents {
	return &Documents{blobs: blobs, keys: keys, keyName: keyName}
}

// Put encrypts at most maxSize bytes from r and stores the ciphertext. ad
// (associated data) binds the document to its context — say, the user ID and
// document type — and must be given again to Open; a ciphertext moved to
// another context does not open. The returned BlobInfo names the ciphertext.
// A plaintext longer than maxSize is refused with ErrTooLarge.
func (d *Documents) Put(ctx context.Context, r io.Reader, maxSize int64, ad []byte) (BlobInfo, error) {
	if err := checkMaxSize(maxSize); err != nil {
		return BlobInfo{}, err
	}
	sa, err := d.keys.StreamingAEAD(ctx, d.keyName)
	if err != nil {
		return BlobInfo{}, err
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- encryptTo(pw, sa, &limitReader{r: r, left: maxSize}, ad)
	}()
	info, err := d.blobs.Put(ctx, pr, ciphertextBound(maxSize))
	pr.CloseWithError(errors.New("vault: document store stopped reading")) // unblocks the encrypter if Put failed early
	if encErr := <-done; err == nil && encErr != nil {
		err = encErr
	}
	if err != nil {
		return BlobInfo{}, fmt.Errorf("vault: storing document: %w", err)
	}
	return info, nil
}

func encryptTo(pw *io.PipeWriter, sa interface {
	NewEncryptingWriter(io.Writer, []byte) (io.WriteCloser, error)
}, r io.Reader, ad []byte) error {
	w, err := sa.NewEncryptingWriter(pw, ad)
	if err == nil {
		_, err = io.Copy(w, r)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	pw.CloseWithError(err) // nil closes with io.EOF
	return err
}

// Open returns a reader of the plaintext of the document stored as digest.
// A wrong ad, a damaged ciphertext or a ciphertext made with a key no longer
// in the keyset makes Read fail; never use bytes read before such an error.
func (d *Documents) Open(ctx context.Context, digest [32]byte, ad []byte) (io.ReadCloser, error) {
	sa, err := d.keys.StreamingAEAD(ctx, d.keyName)
	if err != nil {
		return nil, err
	}
	rc, err := d.blobs.Open(ctx, digest)
	if err != nil {
		return nil, err
	}
	pr, err := sa.NewDecryptingReader(rc, ad)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("vault: opening document %x: %w", digest[:], err)
	}
	return struct {
		io.Reader
		io.Closer
	}{pr, rc}, nil
}

// ciphertextBound is the largest ciphertext of a maxSize-byte plaintext:
// tink's AES-GCM-HKDF header (1 + 32 + 7 bytes) plus a 16-byte tag per
// 1 MiB segment, with room to spare.
func ciphertextBound(maxSize int64) int64 {
	const segment = 1 << 20
	return maxSize + 64 + 16*(maxSize/(segment-64)+2)
}

// limitReader fails with ErrTooLarge once more than left bytes are read.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, fmt.Errorf("vault: document larger than its limit: %w", ErrTooLarge)
	}
	return n, err
}
