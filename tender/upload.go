package tender

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// MaxChunk caps one chunk of a resumable upload.
const MaxChunk = 16 << 20

// Resumable uploads in Records. An upload is in tableUploads and in
// tableUploadIndex (so a tender's uploads are counted without reading all
// of them) until it is finished or expired; then its chunks are listed in
// tableUploadGarbage, in the same transaction, until their blobs are
// deleted (see upload_expiry.go).
const (
	tableUploads       = "tender_uploads"        // upload id → Upload
	tableUploadIndex   = "tender_upload_index"   // tender/bidder/upload id → {}
	tableUploadGarbage = "tender_upload_garbage" // upload id → chunk digests to delete
)

// Upload is a resumable upload of a sealed offer, for slow or unstable
// links: the bidder declares the size, sends chunks at increasing offsets
// (resuming from Received after a broken connection), and finishes; the
// assembled file then goes through Submit exactly as a whole upload would.
//
// An upload lives while its tender would accept the offer (the submission
// window, or until the opening time for a bidder's committed file) and
// while it is touched at least every UploadLimits.Idle; otherwise it
// expires and its chunks are deleted.
type Upload struct {
	ID       string
	Tender   string
	Bidder   string
	File     int        `json:",omitempty"` // the file part (v2); 0 or 1 is file 1
	Size     int64      // declared size of the whole sealed file
	Received int64      // bytes stored so far: where to resume
	Chunks   [][32]byte // stored chunk blobs, in order
	Started  time.Time
	Touched  time.Time // when the last chunk arrived (or Started)
	// Private says the chunk blobs begin with a private header
	// (chunkLabel), which makes them this upload's alone and safe to
	// delete. Uploads begun by earlier versions stored bare chunks, which
	// may equal another blob: those are never deleted.
	Private bool
}

func (u *Upload) touched() time.Time {
	if u.Touched.IsZero() {
		return u.Started
	}
	return u.Touched
}

func uploadIndexKey(u *Upload) string { return u.Tender + "/" + u.Bidder + "/" + u.ID }

// BeginUpload starts a resumable upload of a size-byte sealed offer.
// It is refused as Submit would refuse the offer now, and with
// ErrTooManyUploads when the tender has UploadLimits.PerTender uploads in
// progress. A bidder who already has UploadLimits.PerBidder uploads in the
// tender loses the least recently touched one: a broken upload is resumed
// (GetUpload says from where), and one begun again replaces the old.
// Expired uploads of the tender are removed first.
//
// For a v2 tender, BeginUpload is File(id, 1).BeginUpload.
func (e *Engine) BeginUpload(ctx context.Context, bidder, id string, size int64) (*Upload, error) {
	return e.File(id, 1).BeginUpload(ctx, bidder, size)
}

// BeginUpload is Engine.BeginUpload for file part f of a v2 tender; the
// upload's file goes through f.Submit when finished.
func (f File) BeginUpload(ctx context.Context, bidder string, size int64) (*Upload, error) {
	e, id, file := f.e, f.tender, f.file
	st, err := e.readBidder(ctx, id, bidder, file)
	if err != nil {
		return nil, err
	}
	now := e.now()
	if err := e.admits(st.tender, file, st.current, nil, now); err != nil {
		return nil, err
	}
	if err := e.checkBidder(ctx, st, bidder, file); err != nil {
		return nil, err
	}
	if size <= 0 || size > e.cfg.MaxOfferSize {
		return nil, fmt.Errorf("%w: an offer has 1 to %d bytes, not %d", ErrTooLarge, e.cfg.MaxOfferSize, size)
	}
	lim := e.uploadLimits()
	b := make([]byte, 12)
	rand.Read(b)
	u := &Upload{ID: "up-" + hex.EncodeToString(b), Tender: id, Bidder: bidder, Size: size, Started: now, Touched: now, Private: true}
	if st.tender.V2() {
		u.File = file
	}
	var dropped []string
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		dropped = dropped[:0]
		open, err := tenderUploads(tx, id)
		if err != nil {
			return err
		}
		var live, mine []*Upload
		for _, o := range open {
			if end, err := e.uploadEnd(tx, o, now); err != nil {
				return err
			} else if end != nil {
				if err := dropUpload(tx, o); err != nil {
					return err
				}
				dropped = append(dropped, o.ID)
				continue
			}
			live = append(live, o)
			if o.Bidder == bidder {
				mine = append(mine, o)
			}
		}
		slices.SortFunc(mine, func(a, b *Upload) int { return a.touched().Compare(b.touched()) })
		for ; len(mine) >= lim.PerBidder; mine = mine[1:] {
			if err := dropUpload(tx, mine[0]); err != nil {
				return err
			}
			dropped = append(dropped, mine[0].ID)
			live = slices.DeleteFunc(live, func(o *Upload) bool { return o == mine[0] })
		}
		if len(live) >= lim.PerTender {
			return fmt.Errorf("%w: tender %s has %d resumable uploads in progress, its limit; submit the whole file instead, or try again when one has finished or expired",
				ErrTooManyUploads, id, len(live))
		}
		if err := putJSON(tx, tableUploads, u.ID, u); err != nil {
			return err
		}
		return tx.Put(tableUploadIndex, uploadIndexKey(u), []byte("{}"))
	})
	e.collect(ctx, dropped...)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// GetUpload returns bidder's upload id. An upload that has expired is
// removed (its chunks deleted) and refused: ErrNotFound if untouched too
// long, ErrLate or ErrState if its tender no longer takes the offer.
func (e *Engine) GetUpload(ctx context.Context, bidder, id string) (*Upload, error) {
	var u Upload
	var end error
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		err := getJSON(tx, tableUploads, id, &u)
		if errors.Is(err, vault.ErrNotFound) || err == nil && u.Bidder != bidder {
			// Another bidder's upload is not even shown to exist.
			return fmt.Errorf("%w: upload %q", ErrNotFound, id)
		} else if err != nil {
			return err
		}
		end, err = e.uploadEnd(tx, &u, e.now())
		return err
	})
	if err != nil {
		return nil, err
	}
	if end != nil {
		if _, err := e.expire(ctx, id); err != nil {
			return nil, err
		}
		return nil, end
	}
	return &u, nil
}

// UploadChunk stores the chunk read from r at offset, which must be where
// the upload stands (Received): a retried or out-of-order chunk is refused
// with ErrInvalid naming the offset to resume from, and changes nothing.
// Like every use of an upload, it is refused once the upload has expired
// (see GetUpload); the window is checked again when the chunk has arrived.
func (e *Engine) UploadChunk(ctx context.Context, bidder, id string, offset int64, r io.Reader) (*Upload, error) {
	u, err := e.GetUpload(ctx, bidder, id)
	if err != nil {
		return nil, err
	}
	if offset != u.Received {
		return nil, fmt.Errorf("%w: upload %s stands at offset %d, not %d; resume from %d", ErrInvalid, id, u.Received, offset, u.Received)
	}
	limit := min(int64(MaxChunk), u.Size-u.Received)
	digest, n, err := e.putChunk(ctx, r, limit)
	if errors.Is(err, vault.ErrTooLarge) {
		return nil, fmt.Errorf("%w: this chunk may hold at most %d bytes (chunks up to %d; %d of %d declared bytes remain)",
			ErrTooLarge, limit, MaxChunk, u.Size-u.Received, u.Size)
	} else if err != nil {
		return nil, fmt.Errorf("tender: storing chunk: %w", err)
	}
	if n == 0 {
		e.deleteChunks(ctx, [][32]byte{digest})
		return nil, fmt.Errorf("%w: empty chunk", ErrInvalid)
	}
	var end error
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		var cur Upload
		if err := getJSON(tx, tableUploads, id, &cur); errors.Is(err, vault.ErrNotFound) {
			return fmt.Errorf("%w: upload %s was finished or expired while this chunk arrived", ErrNotFound, id)
		} else if err != nil {
			return err
		}
		if cur.Received != offset {
			return fmt.Errorf("%w: upload %s moved to offset %d meanwhile; resume from there", ErrInvalid, id, cur.Received)
		}
		// Acceptance is decided when the chunk has arrived, as in Submit.
		if end, err = e.uploadEnd(tx, &cur, e.now()); err != nil || end != nil {
			return err
		}
		cur.Chunks = append(cur.Chunks, digest)
		cur.Received += n
		cur.Touched = e.now()
		u = &cur
		return putJSON(tx, tableUploads, id, cur)
	})
	if err == nil && end != nil {
		err = end
		if _, xerr := e.expire(ctx, id); xerr != nil {
			err = xerr
		}
	}
	if err != nil {
		// The chunk is referenced by nothing, and its bytes are its own.
		e.deleteChunks(ctx, [][32]byte{digest})
		return nil, err
	}
	return u, nil
}

// FinishUpload submits the assembled file of a complete upload, with
// Submit's checks and receipt, and removes the upload and its chunks. An
// upload whose file is refused for good (wrongly sealed, a duplicate, too
// late) is removed too; a new upload starts over.
func (e *Engine) FinishUpload(ctx context.Context, bidder, id string) (*Receipt, error) {
	u, err := e.GetUpload(ctx, bidder, id)
	if err != nil {
		return nil, err
	}
	if u.Received != u.Size {
		return nil, fmt.Errorf("%w: upload %s has %d of its %d bytes; resume from offset %d", ErrInvalid, id, u.Received, u.Size, u.Received)
	}
	rc, err := e.File(u.Tender, max(u.File, 1)).Submit(ctx, bidder, &chunkReader{ctx: ctx, blobs: e.cfg.Blobs, chunks: u.Chunks, private: u.Private})
	if errors.Is(err, vault.ErrNotFound) {
		err = fmt.Errorf("%w: upload %s lost a chunk (it expired, or was restored from a backup); begin a new upload: %v", ErrNotFound, id, err)
	}
	if err != nil && !slices.ContainsFunc([]error{ErrWrongSeal, ErrDuplicate, ErrTooLarge, ErrLate, ErrState, ErrNotFound}, func(target error) bool { return errors.Is(err, target) }) {
		return nil, err // perhaps passing: the upload stays for a retry
	}
	if rerr := e.remove(ctx, id); rerr != nil {
		e.log.Error("finished upload not removed", "upload", id, "err", rerr)
	}
	if err != nil {
		return nil, err
	}
	return rc, nil
}

// chunkReader reads stored chunks one after another.
type chunkReader struct {
	ctx     context.Context
	blobs   vault.Blobs
	chunks  [][32]byte
	private bool // chunks begin with a private header (chunkLabel), skipped here
	cur     io.ReadCloser
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for {
		if c.cur == nil {
			if len(c.chunks) == 0 {
				return 0, io.EOF
			}
			r, err := c.blobs.Open(c.ctx, c.chunks[0])
			if err != nil {
				return 0, err
			}
			if c.private {
				if err := skipChunkHeader(r); err != nil {
					r.Close()
					return 0, fmt.Errorf("tender: chunk %x: %w", c.chunks[0][:8], err)
				}
			}
			c.cur, c.chunks = r, c.chunks[1:]
		}
		n, err := c.cur.Read(p)
		if err == io.EOF {
			c.cur.Close()
			c.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}
