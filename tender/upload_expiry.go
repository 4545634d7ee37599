package tender

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// UploadLimits bound resumable uploads (Config.Uploads): how many are in
// progress, and so how much storage chunks can hold (PerTender times
// MaxOfferSize per tender), and how long an abandoned one keeps it. A zero
// field takes its default.
type UploadLimits struct {
	// PerTender caps the uploads in progress in one tender; 100 if zero.
	// BeginUpload refuses more with ErrTooManyUploads.
	PerTender int
	// PerBidder caps one bidder's uploads in progress in one tender; 2 if
	// zero. Beginning one more removes the bidder's least recently
	// touched upload.
	PerBidder int
	// Idle is how long an upload may go without a chunk before it
	// expires; 24 hours if zero.
	Idle time.Duration
}

func (e *Engine) uploadLimits() UploadLimits {
	l := e.cfg.Uploads
	if l.PerTender <= 0 {
		l.PerTender = 100
	}
	if l.PerBidder <= 0 {
		l.PerBidder = 2
	}
	if l.Idle <= 0 {
		l.Idle = 24 * time.Hour
	}
	return l
}

// chunkLabel begins every chunk blob, followed by chunkNonce random bytes,
// then the chunk's bytes. Blobs are content-addressed and shared by
// whoever stores the same bytes; the random header makes a chunk blob's
// bytes, and so its digest, its upload's alone: no offer (which begins
// "age-encryption.org/v1"), document, report or other chunk can be the
// same blob, so deleting a chunk deletes nobody else's file. The engine
// alone writes the header and never shows it.
const (
	chunkLabel = "segel upload chunk v1\n"
	chunkNonce = 16
)

// putChunk stores a chunk of at most limit bytes read from r as a private
// blob; it returns the blob's digest and the chunk's size.
func (e *Engine) putChunk(ctx context.Context, r io.Reader, limit int64) ([32]byte, int64, error) {
	h := make([]byte, len(chunkLabel)+chunkNonce)
	copy(h, chunkLabel)
	rand.Read(h[len(chunkLabel):])
	info, err := e.cfg.Blobs.Put(ctx, io.MultiReader(bytes.NewReader(h), r), int64(len(h))+limit)
	if err != nil {
		return [32]byte{}, 0, err
	}
	return info.Digest, info.Size - int64(len(h)), nil
}

// skipChunkHeader reads the private header off a chunk blob.
func skipChunkHeader(r io.Reader) error {
	h := make([]byte, len(chunkLabel)+chunkNonce)
	if _, err := io.ReadFull(r, h); err != nil || string(h[:len(chunkLabel)]) != chunkLabel {
		return fmt.Errorf("the stored chunk lacks its header (%v): %w", err, vault.ErrCorrupt)
	}
	return nil
}

// tenderUploads returns the uploads in progress in tender id.
func tenderUploads(tx vault.Tx, id string) ([]*Upload, error) {
	var ids []string
	err := tx.Scan(tableUploadIndex, id+"/", func(key string, _ []byte) error {
		ids = append(ids, key[strings.LastIndexByte(key, '/')+1:])
		return nil
	})
	if err != nil {
		return nil, err
	}
	us := make([]*Upload, 0, len(ids))
	for _, uid := range ids {
		u := new(Upload)
		if err := getJSON(tx, tableUploads, uid, u); errors.Is(err, vault.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, nil
}

// uploadEnd says why upload u has expired at now, or nil if it has not:
// its tender no longer takes the bidder's offer (the checks of Submit:
// past the deadline without a committed file to deliver, closed,
// cancelled…), or it went untouched for UploadLimits.Idle. err is a
// storage error.
func (e *Engine) uploadEnd(tx vault.Tx, u *Upload, now time.Time) (end, err error) {
	var t Tender
	if err := getJSON(tx, tableTenders, u.Tender, &t); errors.Is(err, vault.ErrNotFound) {
		return fmt.Errorf("%w: tender %q of upload %s", ErrNotFound, u.Tender, u.ID), nil
	} else if err != nil {
		return nil, err
	}
	var cur *Offer
	var o Offer
	file := max(u.File, 1)
	if err := t.checkFile(file); err != nil {
		return fmt.Errorf("%w; upload %s has expired and its chunks are deleted", err, u.ID), nil
	}
	if err := getJSON(tx, tableOffers, offerKey(&t, file, u.Bidder), &o); err == nil {
		cur = &o
	} else if !errors.Is(err, vault.ErrNotFound) {
		return nil, err
	}
	if err := e.admits(&t, file, cur, nil, now); errors.Is(err, ErrLate) || errors.Is(err, ErrState) {
		return fmt.Errorf("%w; upload %s has expired and its chunks are deleted", err, u.ID), nil
	}
	if idle := e.uploadLimits().Idle; now.Sub(u.touched()) >= idle {
		return fmt.Errorf("%w: upload %s expired, untouched for %v since %s; begin a new upload", ErrNotFound, u.ID, idle, ts(u.touched())), nil
	}
	return nil, nil
}

// dropUpload removes upload u and lists its chunks for deletion, in tx.
func dropUpload(tx vault.Tx, u *Upload) error {
	if err := tx.Delete(tableUploads, u.ID); err != nil {
		return err
	}
	if err := tx.Delete(tableUploadIndex, uploadIndexKey(u)); err != nil {
		return err
	}
	if !u.Private || len(u.Chunks) == 0 {
		return nil // bare chunks of an earlier version may be another blob's bytes: kept
	}
	return putJSON(tx, tableUploadGarbage, u.ID, u.Chunks)
}

// expire removes upload id if it has expired, and deletes its chunks. It
// decides in the transaction that removes it, so a chunk that arrives
// meanwhile either comes first (and may keep the upload alive) or finds
// the upload gone.
func (e *Engine) expire(ctx context.Context, id string) (bool, error) {
	var gone bool
	err := e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		gone = false
		var u Upload
		if err := getJSON(tx, tableUploads, id, &u); errors.Is(err, vault.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		end, err := e.uploadEnd(tx, &u, e.now())
		if err != nil || end == nil {
			return err
		}
		gone = true
		return dropUpload(tx, &u)
	})
	if gone {
		e.collect(ctx, id)
	}
	return gone, err
}

// remove removes upload id, finished or refused for good, and deletes
// its chunks.
func (e *Engine) remove(ctx context.Context, id string) error {
	err := e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		var u Upload
		if err := getJSON(tx, tableUploads, id, &u); errors.Is(err, vault.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return dropUpload(tx, &u)
	})
	if err != nil {
		return err
	}
	e.collect(ctx, id)
	return nil
}

// collect deletes the chunks listed for the removed uploads ids, then
// their lists. A failure is logged and left to ExpireUploads.
func (e *Engine) collect(ctx context.Context, ids ...string) {
	for _, id := range ids {
		var chunks [][32]byte
		err := e.cfg.Records.View(ctx, func(tx vault.Tx) error { return getJSON(tx, tableUploadGarbage, id, &chunks) })
		if errors.Is(err, vault.ErrNotFound) {
			continue
		}
		if err == nil {
			err = e.deleteChunks(ctx, chunks)
		}
		if err == nil {
			err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Delete(tableUploadGarbage, id) })
		}
		if err != nil {
			e.log.Error("chunks of a removed upload not deleted; the next sweep retries", "upload", id, "err", err)
		}
	}
}

// deleteChunks deletes private chunk blobs (never call it with any other
// digest: see chunkLabel).
func (e *Engine) deleteChunks(ctx context.Context, chunks [][32]byte) error {
	var errs []error
	for _, d := range chunks {
		errs = append(errs, e.cfg.Blobs.Delete(ctx, d))
	}
	return errors.Join(errs...)
}

// ExpireUploads removes every upload that has expired (see GetUpload) and
// deletes its chunks, and retries deletions that failed before. It returns
// how many uploads it removed. Uploads expire lazily too, when used and
// when BeginUpload counts its tender's; a server calls ExpireUploads
// periodically for those nobody touches again.
func (e *Engine) ExpireUploads(ctx context.Context) (int, error) {
	var dead, garbage []string
	now := e.now()
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		if err := tx.Scan(tableUploads, "", func(id string, b []byte) error {
			var u Upload
			if err := json.Unmarshal(b, &u); err != nil {
				return fmt.Errorf("tender: stored upload %q is corrupt: %w", id, err)
			}
			end, err := e.uploadEnd(tx, &u, now)
			if end != nil {
				dead = append(dead, id)
			}
			return err
		}); err != nil {
			return err
		}
		return tx.Scan(tableUploadGarbage, "", func(id string, _ []byte) error {
			garbage = append(garbage, id)
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range dead {
		gone, err := e.expire(ctx, id)
		if err != nil {
			return n, err
		}
		if gone {
			n++
		}
	}
	e.collect(ctx, garbage...)
	return n, nil
}
