package tender

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// MaxChunk caps one chunk of a resumable upload.
const MaxChunk = 16 << 20

// tableUploads holds resumable uploads in progress: id → Upload.
const tableUploads = "tender_uploads"

// Upload is a resumable upload of a sealed offer, for slow or unstable
// links: the bidder declares the size, sends chunks at increasing offsets
// (resuming from Received after a broken connection), and finishes; the
// assembled file then goes through Submit exactly as a whole upload would.
type Upload struct {
	ID       string
	Tender   string
	Bidder   string
	Size     int64      // declared size of the whole sealed file
	Received int64      // bytes stored so far: where to resume
	Chunks   [][32]byte // stored chunks, in order
	Started  time.Time
}

// BeginUpload starts a resumable upload of a size-byte sealed offer.
// It is refused as Submit would refuse the offer now.
func (e *Engine) BeginUpload(ctx context.Context, bidder, id string, size int64) (*Upload, error) {
	st, err := e.readBidder(ctx, id, bidder)
	if err != nil {
		return nil, err
	}
	if err := e.admits(st.tender, st.current, nil, e.now()); err != nil {
		return nil, err
	}
	if err := e.checkBidder(ctx, st, bidder); err != nil {
		return nil, err
	}
	if size <= 0 || size > e.cfg.MaxOfferSize {
		return nil, fmt.Errorf("%w: an offer has 1 to %d bytes, not %d", ErrTooLarge, e.cfg.MaxOfferSize, size)
	}
	b := make([]byte, 12)
	rand.Read(b)
	u := &Upload{ID: "up-" + hex.EncodeToString(b), Tender: id, Bidder: bidder, Size: size, Started: e.now()}
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return putJSON(tx, tableUploads, u.ID, u) })
	return u, err
}

// GetUpload returns bidder's upload id.
func (e *Engine) GetUpload(ctx context.Context, bidder, id string) (*Upload, error) {
	var u Upload
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error { return getJSON(tx, tableUploads, id, &u) })
	if errors.Is(err, vault.ErrNotFound) || err == nil && u.Bidder != bidder {
		// Another bidder's upload is not even shown to exist.
		return nil, fmt.Errorf("%w: upload %q", ErrNotFound, id)
	} else if err != nil {
		return nil, err
	}
	return &u, nil
}

// UploadChunk stores the chunk read from r at offset, which must be where
// the upload stands (Received): a retried or out-of-order chunk is refused
// with ErrInvalid naming the offset to resume from, and changes nothing.
func (e *Engine) UploadChunk(ctx context.Context, bidder, id string, offset int64, r io.Reader) (*Upload, error) {
	u, err := e.GetUpload(ctx, bidder, id)
	if err != nil {
		return nil, err
	}
	if offset != u.Received {
		return nil, fmt.Errorf("%w: upload %s stands at offset %d, not %d; resume from %d", ErrInvalid, id, u.Received, offset, u.Received)
	}
	limit := min(int64(MaxChunk), u.Size-u.Received)
	info, err := e.cfg.Blobs.Put(ctx, r, limit)
	if errors.Is(err, vault.ErrTooLarge) {
		return nil, fmt.Errorf("%w: this chunk may hold at most %d bytes (chunks up to %d; %d of %d declared bytes remain)",
			ErrTooLarge, limit, MaxChunk, u.Size-u.Received, u.Size)
	} else if err != nil {
		return nil, fmt.Errorf("tender: storing chunk: %w", err)
	}
	if info.Size == 0 {
		return nil, fmt.Errorf("%w: empty chunk", ErrInvalid)
	}
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		var cur Upload
		if err := getJSON(tx, tableUploads, id, &cur); err != nil {
			return err
		}
		if cur.Received != offset {
			return fmt.Errorf("%w: upload %s moved to offset %d meanwhile; resume from there", ErrInvalid, id, cur.Received)
		}
		cur.Chunks = append(cur.Chunks, info.Digest)
		cur.Received += info.Size
		u = &cur
		return putJSON(tx, tableUploads, id, cur)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// FinishUpload submits the assembled file of a complete upload, with
// Submit's checks and receipt, and forgets the upload.
func (e *Engine) FinishUpload(ctx context.Context, bidder, id string) (*Receipt, error) {
	u, err := e.GetUpload(ctx, bidder, id)
	if err != nil {
		return nil, err
	}
	if u.Received != u.Size {
		return nil, fmt.Errorf("%w: upload %s has %d of its %d bytes; resume from offset %d", ErrInvalid, id, u.Received, u.Size, u.Received)
	}
	rc, err := e.Submit(ctx, bidder, u.Tender, &chunkReader{ctx: ctx, blobs: e.cfg.Blobs, chunks: u.Chunks})
	if err != nil {
		return nil, err
	}
	if err := e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Delete(tableUploads, id) }); err != nil {
		e.log.Error("finished upload not forgotten", "upload", id, "err", err)
	}
	return rc, nil
}

// chunkReader reads stored chunks one after another.
type chunkReader struct {
	ctx    context.Context
	blobs  vault.Blobs
	chunks [][32]byte
	cur    io.ReadCloser
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
