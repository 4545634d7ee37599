package tender

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// uploadEnv is an env with a tender in its submission window and bidders
// 1 to n registered.
func uploadEnv(t *testing.T, b vault.Backend, n int) (*env, *Tender) {
	t.Helper()
	e := newEnv(t, b)
	tn := e.announce(t)
	e.set(testStart.Add(time.Minute))
	for i := 1; i <= n; i++ {
		if err := e.engine.Register(e.ctx, bidderName(i), tn.ID); err != nil {
			t.Fatal(err)
		}
	}
	return e, tn
}

// chunk sends data as the next chunk of bidder's upload u.
func (e *env) chunk(t *testing.T, bidder string, u *Upload, data []byte) (*Upload, error) {
	t.Helper()
	cur, err := e.engine.GetUpload(e.ctx, bidder, u.ID)
	if err != nil {
		return nil, err
	}
	return e.engine.UploadChunk(e.ctx, bidder, u.ID, cur.Received, bytes.NewReader(data))
}

func (e *env) mustChunk(t *testing.T, bidder string, u *Upload, data []byte) *Upload {
	t.Helper()
	u, err := e.chunk(t, bidder, u, data)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// wantGone checks that none of the chunk blobs is stored any more.
func (e *env) wantGone(t *testing.T, chunks [][32]byte) {
	t.Helper()
	if len(chunks) == 0 {
		t.Fatal("no chunks to check")
	}
	for _, d := range chunks {
		if _, err := e.backend.Stat(e.ctx, d); !errors.Is(err, vault.ErrNotFound) {
			t.Errorf("chunk blob %x… still stored: Stat: %v", d[:8], err)
		}
	}
}

// wantBlob checks that the blob of data reads back whole.
func (e *env) wantBlob(t *testing.T, data []byte) {
	t.Helper()
	rc, err := e.backend.Open(e.ctx, sha256.Sum256(data))
	if err != nil {
		t.Fatalf("blob of %d bytes: %v", len(data), err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("blob of %d bytes reads back as %d bytes, %v", len(data), len(got), err)
	}
}

// TestUploadWindow: every chunk, and the finish, is checked against the
// tender's state and window, like Submit; a refused upload is removed with
// its chunks. A committed bidder still delivers by resumable upload after
// the deadline, until the opening time.
func TestUploadWindow(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e, tn := uploadEnv(t, open(t), 4)
		files := map[int][]byte{}
		ups := map[int]*Upload{}
		for i := 1; i <= 4; i++ {
			files[i] = e.sealFor(t, tn, string(bytes.Repeat([]byte("rincian harga "+bidderName(i)), 3000)))
			u, err := e.engine.BeginUpload(e.ctx, bidderName(i), tn.ID, int64(len(files[i])))
			if err != nil {
				t.Fatal(err)
			}
			ups[i] = e.mustChunk(t, bidderName(i), u, files[i][:1000])
		}
		// 3 commits to its file: it may deliver until the opening time.
		if _, err := e.engine.Commit(e.ctx, bidderName(3), tn.ID, sha256.Sum256(files[3]), int64(len(files[3]))); err != nil {
			t.Fatal(err)
		}
		// 4 completes its upload before the deadline.
		e.mustChunk(t, bidderName(4), ups[4], files[4][1000:])

		e.set(tn.Schedule.Deadline.Add(time.Second))
		if _, err := e.chunk(t, bidderName(1), ups[1], files[1][1000:2000]); !errors.Is(err, ErrLate) {
			t.Errorf("chunk after the deadline: err = %v, want ErrLate", err)
		}
		e.wantGone(t, ups[1].Chunks)
		if _, err := e.engine.GetUpload(e.ctx, bidderName(1), ups[1].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("upload after a refused late chunk: err = %v, want ErrNotFound (removed)", err)
		}
		if _, err := e.engine.FinishUpload(e.ctx, bidderName(4), ups[4].ID); !errors.Is(err, ErrLate) {
			t.Errorf("finish after the deadline: err = %v, want ErrLate", err)
		}
		ups[3] = e.mustChunk(t, bidderName(3), ups[3], files[3][1000:2000])

		if _, err := e.engine.Close(e.ctx, tn.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.chunk(t, bidderName(2), ups[2], files[2][1000:]); !errors.Is(err, ErrLate) {
			t.Errorf("chunk after closing: err = %v, want ErrLate", err)
		}
		e.wantGone(t, ups[2].Chunks)
		// The committed file is delivered after closing, before opening.
		e.mustChunk(t, bidderName(3), ups[3], files[3][2000:])
		rc, err := e.engine.FinishUpload(e.ctx, bidderName(3), ups[3].ID)
		if err != nil {
			t.Fatalf("delivering the committed file by upload after closing: %v", err)
		}
		if rc.SHA256 != sha256.Sum256(files[3]) {
			t.Errorf("receipt for %x…, want the committed file", rc.SHA256[:8])
		}
		e.wantGone(t, ups[3].Chunks)
		e.wantBlob(t, files[3])
	})
}

// TestUploadCancelled: a chunk for a cancelled tender is refused with
// ErrState, and at the opening time a committed bidder's upload ends.
func TestUploadCancelled(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e, tn := uploadEnv(t, open(t), 2)
		file := e.sealFor(t, tn, "penawaran")
		u, err := e.engine.BeginUpload(e.ctx, bidderName(1), tn.ID, int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		u = e.mustChunk(t, bidderName(1), u, file[:100])
		if _, err := e.engine.Cancel(e.ctx, "pokja-1", tn.ID, "anggaran dibatalkan"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.chunk(t, bidderName(1), u, file[100:]); !errors.Is(err, ErrState) {
			t.Errorf("chunk for a cancelled tender: err = %v, want ErrState", err)
		}
		e.wantGone(t, u.Chunks)
	})
}

// TestUploadCaps: a bidder's uploads beyond PerBidder replace its least
// recently touched one; beyond PerTender, BeginUpload is refused with
// ErrTooManyUploads; expired uploads free their places.
func TestUploadCaps(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e, tn := uploadEnv(t, open(t), 4)
		e.engine.cfg.Uploads = UploadLimits{PerTender: 3, PerBidder: 2, Idle: 30 * time.Minute}
		begin := func(i int) (*Upload, error) {
			return e.engine.BeginUpload(e.ctx, bidderName(i), tn.ID, 5000)
		}
		mustBegin := func(i int) *Upload {
			t.Helper()
			u, err := begin(i)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		u1, u2 := mustBegin(1), mustBegin(1)
		e.set(e.clock().Add(time.Minute))
		u2 = e.mustChunk(t, bidderName(1), u2, []byte("bagian pertama"))
		e.set(e.clock().Add(time.Minute))
		u1 = e.mustChunk(t, bidderName(1), u1, []byte("bagian pertama lain"))
		// A third upload of bidder 1 replaces u2, touched least recently.
		u3 := mustBegin(1)
		if _, err := e.engine.GetUpload(e.ctx, bidderName(1), u2.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("replaced upload: err = %v, want ErrNotFound", err)
		}
		e.wantGone(t, u2.Chunks)
		for _, u := range []*Upload{u1, u3} {
			if _, err := e.engine.GetUpload(e.ctx, bidderName(1), u.ID); err != nil {
				t.Errorf("upload %s: %v", u.ID, err)
			}
		}
		mustBegin(2)
		if _, err := begin(3); !errors.Is(err, ErrTooManyUploads) {
			t.Fatalf("upload beyond the tender's limit: err = %v, want ErrTooManyUploads", err)
		}
		// Untouched for Idle, the uploads expire and free their places.
		e.set(e.clock().Add(31 * time.Minute))
		mustBegin(3)
		if _, err := e.engine.GetUpload(e.ctx, bidderName(1), u1.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("upload untouched for longer than Idle: err = %v, want ErrNotFound", err)
		}
		e.wantGone(t, u1.Chunks)
		mustBegin(4)
	})
}

// TestUploadExpiryKeepsSharedBytes: chunks are deleted when their upload
// expires, even when their bytes are exactly those of an accepted offer or
// of the tender document, and those stay readable: a chunk blob is its
// upload's alone.
func TestUploadExpiryKeepsSharedBytes(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e, tn := uploadEnv(t, open(t), 3)
		e.engine.cfg.Uploads.Idle = 30 * time.Minute
		offer := e.sealFor(t, tn, "penawaran penyedia-1")
		if _, err := e.engine.Submit(e.ctx, bidderName(1), tn.ID, bytes.NewReader(offer)); err != nil {
			t.Fatal(err)
		}
		doc := []byte("Dokumen pemilihan: pembangunan jembatan") // the tender document's bytes
		if sha256.Sum256(doc) != tn.Document {
			t.Fatal("the test's document is not the tender's")
		}
		var chunks [][32]byte
		for i, data := range map[int][]byte{2: offer, 3: doc} {
			u, err := e.engine.BeginUpload(e.ctx, bidderName(i), tn.ID, int64(len(data))+10)
			if err != nil {
				t.Fatal(err)
			}
			u = e.mustChunk(t, bidderName(i), u, data)
			chunks = append(chunks, u.Chunks...)
		}
		// Not yet expired: the sweep keeps them.
		if n, err := e.engine.ExpireUploads(e.ctx); err != nil || n != 0 {
			t.Fatalf("ExpireUploads before Idle: %d, %v; want 0", n, err)
		}
		e.set(e.clock().Add(31 * time.Minute))
		if n, err := e.engine.ExpireUploads(e.ctx); err != nil || n != 2 {
			t.Fatalf("ExpireUploads: %d, %v; want 2", n, err)
		}
		e.wantGone(t, chunks)
		e.wantBlob(t, offer)
		e.wantBlob(t, doc)
	})
}

// TestUploadFinishDeletesChunks: a finished upload's chunks go, and so do
// those of an upload left behind when its tender's deadline passes.
func TestUploadFinishDeletesChunks(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e, tn := uploadEnv(t, open(t), 2)
		file := e.sealFor(t, tn, string(bytes.Repeat([]byte("harga satuan "), 5000)))
		u, err := e.engine.BeginUpload(e.ctx, bidderName(1), tn.ID, int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		e.mustChunk(t, bidderName(1), u, file[:len(file)/2])
		u = e.mustChunk(t, bidderName(1), u, file[len(file)/2:])
		if _, err := e.engine.FinishUpload(e.ctx, bidderName(1), u.ID); err != nil {
			t.Fatal(err)
		}
		e.wantGone(t, u.Chunks)
		e.wantBlob(t, file)

		left, err := e.engine.BeginUpload(e.ctx, bidderName(2), tn.ID, int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		left = e.mustChunk(t, bidderName(2), left, file[:100])
		e.set(tn.Schedule.Deadline.Add(time.Minute))
		if n, err := e.engine.ExpireUploads(e.ctx); err != nil || n != 1 {
			t.Fatalf("ExpireUploads after the deadline: %d, %v; want 1", n, err)
		}
		e.wantGone(t, left.Chunks)
	})
}
