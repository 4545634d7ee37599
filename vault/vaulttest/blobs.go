package vaulttest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/segel-lpse/segel/vault"
)

// TestBlobs checks the [vault.Blobs] contract.
func TestBlobs(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("RoundTrip", func(t *testing.T) { testBlobRoundTrip(t, newStore(t)) })
	t.Run("Idempotent", func(t *testing.T) { testBlobIdempotent(t, newStore(t)) })
	t.Run("TooLarge", func(t *testing.T) { testBlobTooLarge(t, newStore(t)) })
	t.Run("ReaderError", func(t *testing.T) { testBlobReaderError(t, newStore(t)) })
	t.Run("NotFound", func(t *testing.T) { testBlobNotFound(t, newStore(t)) })
	t.Run("Corrupt", func(t *testing.T) { testBlobCorrupt(t, newStore(t)) })
	t.Run("Durable", func(t *testing.T) { testBlobDurable(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { testBlobDelete(t, newStore(t)) })
	t.Run("DeleteDuringPut", func(t *testing.T) { testBlobDeleteDuringPut(t, newStore(t)) })
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// oddReader hands out data in reads of awkward sizes, as a network would.
type oddReader struct {
	data []byte
	n    int
}

func (o *oddReader) Read(p []byte) (int, error) {
	if len(o.data) == 0 {
		return 0, io.EOF
	}
	o.n++
	k := min(len(p), len(o.data), 1+(o.n*7919)%65521)
	copy(p, o.data[:k])
	o.data = o.data[k:]
	return k, nil
}

func putBlob(t *testing.T, b vault.Blobs, data []byte, max int64) vault.BlobInfo {
	t.Helper()
	info, err := b.Put(testContext(t), &oddReader{data: data}, max)
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(data), err)
	}
	if want := (vault.BlobInfo{Digest: sha256.Sum256(data), Size: int64(len(data))}); info != want {
		t.Fatalf("Put(%d bytes) = %v, want %v", len(data), info, want)
	}
	return info
}

func readBlob(t *testing.T, b vault.Blobs, d [32]byte) ([]byte, error) {
	t.Helper()
	rc, err := b.Open(testContext(t), d)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); cerr != nil {
		t.Errorf("Close of blob reader: %v", cerr)
	}
	return data, err
}

func wantBlob(t *testing.T, b vault.Blobs, data []byte) {
	t.Helper()
	d := sha256.Sum256(data)
	got, err := readBlob(t, b, d)
	if err != nil {
		t.Fatalf("reading blob of %d bytes: %v", len(data), err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("blob of %d bytes read back as %d different bytes", len(data), len(got))
	}
	info, err := b.Stat(testContext(t), d)
	if err != nil || info.Size != int64(len(data)) || info.Digest != d {
		t.Fatalf("Stat = %v, %v; want size %d", info, err, len(data))
	}
}

func testBlobRoundTrip(t *testing.T, s Store) {
	b, _ := open(t, s)
	for _, n := range []int{0, 1, 64 << 10, 1 << 20, 1<<20 + 1, 5<<20 + 12345} {
		data := randomBytes(1, n)
		putBlob(t, b, data, int64(n))
		wantBlob(t, b, data)
	}
}

func testBlobIdempotent(t *testing.T, s Store) {
	b, _ := open(t, s)
	data := randomBytes(2, 100<<10)
	first := putBlob(t, b, data, 1<<20)
	if again := putBlob(t, b, data, 1<<20); again != first {
		t.Fatalf("second Put = %v, want %v", again, first)
	}
	// Concurrent Puts of the same bytes all succeed.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			info, err := b.Put(testContext(t), bytes.NewReader(data), 1<<20)
			if err == nil && info != first {
				err = errors.New("concurrent Put returned " + info.String())
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Put: %v", err)
	}
	wantBlob(t, b, data)
}

func testBlobTooLarge(t *testing.T, s Store) {
	b, _ := open(t, s)
	ctx := testContext(t)
	for _, max := range []int64{0, 1, 4096, 1 << 20} {
		for _, n := range []int64{max - 1, max, max + 1} {
			if n < 0 {
				continue
			}
			data := randomBytes(uint64(max), int(n))
			info, err := b.Put(ctx, bytes.NewReader(data), max)
			if n <= max {
				if err != nil {
					t.Errorf("Put(%d bytes, max %d): %v", n, max, err)
				}
				continue
			}
			if !errors.Is(err, vault.ErrTooLarge) {
				t.Errorf("Put(%d bytes, max %d) = %v, %v; want ErrTooLarge", n, max, info, err)
			}
			if _, err := b.Stat(ctx, sha256.Sum256(data)); !errors.Is(err, vault.ErrNotFound) {
				t.Errorf("after refused Put(%d bytes, max %d): Stat: %v, want ErrNotFound", n, max, err)
			}
			if _, err := b.Open(ctx, sha256.Sum256(data)); !errors.Is(err, vault.ErrNotFound) {
				t.Errorf("after refused Put(%d bytes, max %d): Open: %v, want ErrNotFound", n, max, err)
			}
		}
	}
	// An endless stream is refused after reading max+1 bytes.
	if _, err := b.Put(ctx, endless{}, 1000); !errors.Is(err, vault.ErrTooLarge) {
		t.Errorf("Put(endless, max 1000): %v, want ErrTooLarge", err)
	}
	if _, err := b.Put(ctx, bytes.NewReader(nil), -1); err == nil {
		t.Errorf("Put with negative maximum succeeded")
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func testBlobReaderError(t *testing.T, s Store) {
	b, _ := open(t, s)
	data := randomBytes(3, 3<<20)
	// A reset connection, and a truncated upload as net/http reports it
	// (io.ErrUnexpectedEOF, which io.ReadFull also uses for a short end),
	// cut within a buffer and on a power-of-two boundary.
	for _, c := range []struct {
		err error
		n   int
	}{
		{errors.New("connection reset"), 2<<20 + 5},
		{io.ErrUnexpectedEOF, 2<<20 + 5},
		{io.ErrUnexpectedEOF, 1 << 20},
		{io.ErrUnexpectedEOF, 17},
	} {
		_, err := b.Put(testContext(t), &failingReader{data: data[:c.n], err: c.err}, 1<<30)
		if !errors.Is(err, c.err) {
			t.Fatalf("Put of %d bytes then %q: %v, want the reader's error", c.n, c.err, err)
		}
		if _, err := b.Stat(testContext(t), sha256.Sum256(data[:c.n])); !errors.Is(err, vault.ErrNotFound) {
			t.Fatalf("Stat of the partial %d bytes: %v, want ErrNotFound", c.n, err)
		}
	}
	// The store still works.
	putBlob(t, b, data, 1<<30)
	wantBlob(t, b, data)
}

func testBlobNotFound(t *testing.T, s Store) {
	b, _ := open(t, s)
	d := sha256.Sum256([]byte("never stored"))
	if _, err := b.Open(testContext(t), d); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Open of unknown digest: %v, want ErrNotFound", err)
	}
	if _, err := b.Stat(testContext(t), d); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Stat of unknown digest: %v, want ErrNotFound", err)
	}
}

func testBlobCorrupt(t *testing.T, s Store) {
	b, _ := open(t, s)
	for _, n := range []int{1, 64 << 10, 2<<20 + 3} {
		data := randomBytes(4, n)
		info := putBlob(t, b, data, int64(n))
		s.Corrupt(info.Digest)
		got, err := readBlob(t, b, info.Digest)
		if !errors.Is(err, vault.ErrCorrupt) {
			t.Errorf("reading corrupted blob of %d bytes: %d bytes, %v; want ErrCorrupt", n, len(got), err)
		}
		// Putting the true bytes again stores a good copy or leaves the
		// bad one; either way reading never returns wrong bytes silently.
		putBlob(t, b, data, int64(n))
		if got, err := readBlob(t, b, info.Digest); err == nil && !bytes.Equal(got, data) {
			t.Errorf("blob of %d bytes read back wrong without an error", n)
		}
	}
}

func testBlobDurable(t *testing.T, s Store) {
	b, closeB := open(t, s)
	data := randomBytes(5, 1<<20+7)
	putBlob(t, b, data, 1<<21)
	closeB()
	b2, _ := open(t, s)
	wantBlob(t, b2, data)
}

// gone checks that the blob of data is absent: not found by Stat and
// Open, and none of its bytes left in raw storage (a sample of each MiB).
func gone(t *testing.T, s Store, b vault.Blobs, data []byte) {
	t.Helper()
	d := sha256.Sum256(data)
	if _, err := b.Stat(testContext(t), d); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Stat of a deleted blob of %d bytes: %v, want ErrNotFound", len(data), err)
	}
	if _, err := b.Open(testContext(t), d); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Open of a deleted blob of %d bytes: %v, want ErrNotFound", len(data), err)
	}
	for off := 0; off+64 <= len(data); off += 1 << 20 {
		if s.Contains(data[off : off+64]) {
			t.Errorf("the bytes at offset %d of a deleted blob of %d bytes are still stored", off, len(data))
		}
	}
}

func testBlobDelete(t *testing.T, s Store) {
	b, closeB := open(t, s)
	ctx := testContext(t)
	big, small := randomBytes(6, 2<<20+4096), randomBytes(7, 64<<10)
	putBlob(t, b, big, 4<<20)
	putBlob(t, b, small, 4<<20)
	putBlob(t, b, nil, 0)
	for _, data := range [][]byte{big, nil} {
		if err := b.Delete(ctx, sha256.Sum256(data)); err != nil {
			t.Fatalf("Delete of a blob of %d bytes: %v", len(data), err)
		}
		gone(t, s, b, data)
	}
	wantBlob(t, b, small) // other blobs stand
	// Deleting what is not stored is not an error.
	for _, d := range [][32]byte{sha256.Sum256(big), sha256.Sum256([]byte("never stored"))} {
		if err := b.Delete(ctx, d); err != nil {
			t.Errorf("Delete of an absent blob: %v", err)
		}
	}
	// The same bytes can be stored again.
	putBlob(t, b, big, 4<<20)
	wantBlob(t, b, big)

	// A reader opened before the Delete returns the whole blob or fails
	// with ErrNotFound, never other bytes.
	rc, err := b.Open(ctx, sha256.Sum256(small))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, sha256.Sum256(small)); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil && !errors.Is(err, vault.ErrNotFound) || err == nil && !bytes.Equal(got, small) {
		t.Errorf("reading a blob deleted after Open: %d bytes, %v; want it whole or ErrNotFound", len(got), err)
	}
	gone(t, s, b, small)

	// Deletions are durable.
	closeB()
	b2, _ := open(t, s)
	gone(t, s, b2, small)
	wantBlob(t, b2, big)
}

// testBlobDeleteDuringPut runs Deletes and Puts of the same bytes at once:
// each round ends with the blob whole or absent, never partial, and a Put
// after the Deletes have returned always stores it.
func testBlobDeleteDuringPut(t *testing.T, s Store) {
	b, _ := open(t, s)
	for _, data := range [][]byte{randomBytes(8, 1<<20+1000), randomBytes(9, 4096)} {
		d := sha256.Sum256(data)
		for round := range 8 {
			putBlob(t, b, data, 2<<20)
			var wg sync.WaitGroup
			errs := make(chan error, 6)
			for i := range 6 {
				wg.Go(func() {
					ctx := testContext(t)
					if (i+round)%2 == 0 {
						errs <- b.Delete(ctx, d)
						return
					}
					info, err := b.Put(ctx, bytes.NewReader(data), 2<<20)
					if err == nil && info.Digest != d {
						err = errors.New("Put returned " + info.String())
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("round %d: Put or Delete of %d bytes: %v", round, len(data), err)
				}
			}
			got, err := readBlob(t, b, d)
			switch {
			case errors.Is(err, vault.ErrNotFound):
				if _, err := b.Stat(testContext(t), d); !errors.Is(err, vault.ErrNotFound) {
					t.Fatalf("round %d: Open says not found, Stat says %v", round, err)
				}
			case err != nil:
				t.Fatalf("round %d: reading the blob of %d bytes after Puts and Deletes: %v", round, len(data), err)
			case !bytes.Equal(got, data):
				t.Fatalf("round %d: the blob of %d bytes reads back as %d other bytes", round, len(data), len(got))
			}
			// A Put that starts after every Delete returned is not lost.
			if err := b.Delete(testContext(t), d); err != nil {
				t.Fatal(err)
			}
			putBlob(t, b, data, 2<<20)
			wantBlob(t, b, data)
		}
		if err := b.Delete(testContext(t), d); err != nil {
			t.Fatal(err)
		}
		gone(t, s, b, data)
	}
}
