package tender

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

func TestResumableUpload(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		e.set(testStart.Add(time.Minute))
		for _, b := range []string{"penyedia-1", "penyedia-2"} {
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
		}
		file := e.sealFor(t, tn, string(bytes.Repeat([]byte("rincian harga "), 20000)))
		u, err := e.engine.BeginUpload(e.ctx, "penyedia-1", tn.ID, int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.engine.GetUpload(e.ctx, "penyedia-2", u.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("another bidder sees the upload: err = %v", err)
		}
		third := len(file) / 3
		if _, err := e.engine.UploadChunk(e.ctx, "penyedia-1", u.ID, 0, bytes.NewReader(file[:third])); err != nil {
			t.Fatal(err)
		}
		// A retry of the same chunk (the answer was lost) is refused and
		// says where to resume.
		if _, err := e.engine.UploadChunk(e.ctx, "penyedia-1", u.ID, 0, bytes.NewReader(file[:third])); !errors.Is(err, ErrInvalid) {
			t.Errorf("chunk at a stale offset: err = %v, want ErrInvalid", err)
		}
		if _, err := e.engine.FinishUpload(e.ctx, "penyedia-1", u.ID); !errors.Is(err, ErrInvalid) {
			t.Errorf("finishing an incomplete upload: err = %v, want ErrInvalid", err)
		}
		got, err := e.engine.GetUpload(e.ctx, "penyedia-1", u.ID)
		if err != nil || got.Received != int64(third) {
			t.Fatalf("status: %+v, %v", got, err)
		}
		if _, err := e.engine.UploadChunk(e.ctx, "penyedia-1", u.ID, int64(third), bytes.NewReader(append(bytes.Clone(file[third:]), 0))); !errors.Is(err, ErrTooLarge) {
			t.Errorf("chunk past the declared size: err = %v, want ErrTooLarge", err)
		}
		if _, err := e.engine.UploadChunk(e.ctx, "penyedia-1", u.ID, int64(third), bytes.NewReader(file[third:])); err != nil {
			t.Fatal(err)
		}
		rc, err := e.engine.FinishUpload(e.ctx, "penyedia-1", u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rc.Size != int64(len(file)) {
			t.Errorf("receipt size %d, file %d", rc.Size, len(file))
		}
		if _, err := auditlog.VerifyReceipt(rc.Signed, e.keys.Receipt); err != nil {
			t.Error(err)
		}
		if _, err := e.engine.GetUpload(e.ctx, "penyedia-1", u.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("finished upload still listed: err = %v", err)
		}
		// A whole upload of the same bytes is a duplicate: it is the same offer.
		if _, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(file)); !errors.Is(err, ErrDuplicate) {
			t.Errorf("same bytes again: err = %v, want ErrDuplicate", err)
		}
		// A corrupted assembly (wrong bytes in a chunk) is refused at finish
		// like any wrongly sealed file.
		u2, _ := e.engine.BeginUpload(e.ctx, "penyedia-2", tn.ID, 300)
		e.engine.UploadChunk(e.ctx, "penyedia-2", u2.ID, 0, bytes.NewReader(bytes.Repeat([]byte{'x'}, 300)))
		if _, err := e.engine.FinishUpload(e.ctx, "penyedia-2", u2.ID); !errors.Is(err, ErrWrongSeal) {
			t.Errorf("garbage upload: err = %v, want ErrWrongSeal", err)
		}
	})
}
