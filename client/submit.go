package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
)

// Me names the caller as the bidder of OfferReceipt: a bidder need not
// know its own user id.
const Me = "me"

// OfferReceipt returns the signed receipt of bidder's current offer in
// tender tenderID (doc/spec/receipt.md), byte for byte as it was signed,
// for a bidder who lost the one SubmitOffer or FinishUpload returned. The
// server answers it to the bidder itself (bidder Me, or its id) and, once
// submission has closed, to the tender's committee (CodeWrongState
// before); CodeNotFound if the bidder has no offer, or only a commitment
// whose file has not arrived. It is not verified: call
// auditlog.VerifyReceipt with the pinned receipt key.
func (c *Client) OfferReceipt(ctx context.Context, tenderID, bidder string) ([]byte, error) {
	path := tenderPath(tenderID) + "/offers/" + url.PathEscape(bidder) + "/receipt"
	return c.text(ctx, "GET", path, "", nil, auditlog.MaxReceiptSize)
}

// MaxChunk is the largest chunk the server takes in one PutChunk.
const MaxChunk = 16 << 20

// Defaults of UploadOptions.
const (
	DefaultChunkSize = 4 << 20
	DefaultRetries   = 8
	DefaultBackoff   = time.Second
	maxBackoff       = 30 * time.Second
)

// UploadOptions tune SendUpload. The zero value uses the defaults.
type UploadOptions struct {
	// ChunkSize is the size of each chunk, 1 to MaxChunk bytes;
	// DefaultChunkSize if zero. A cut connection loses at most the
	// chunk in flight.
	ChunkSize int64
	// Retries is how many failures in a row are retried before SendUpload
	// gives up; DefaultRetries if zero, none if negative. A chunk that
	// gets through starts the count again.
	Retries int
	// Backoff is the wait after the first failure, doubled after each
	// further one up to 30 s; DefaultBackoff if zero.
	Backoff time.Duration
	// Progress, if not nil, is called with the bytes the server holds:
	// when SendUpload starts, after each chunk, and after a resync (when
	// it may go down: a chunk cut short is not kept).
	Progress func(received int64)
	// Retrying, if not nil, is told of each failure about to be retried
	// and of the wait before it.
	Retrying func(err error, wait time.Duration)
}

// SendUpload sends the rest of upload u, from where it stands
// (u.Received) to its end, reading the sealed file from sealed, which must
// be the file the upload was begun for (u.Size bytes; the server checks
// the assembled file at FinishUpload). It returns the complete upload,
// ready for FinishUpload.
//
// A failed chunk is not fatal: after a wait (Backoff, doubling) SendUpload
// asks the server where the upload stands (UploadStatus) and goes on from
// there — also when a chunk arrived but its answer was lost. It gives up
// after Retries failures in a row, and at once on a refusal that waiting
// does not cure (see Retryable), such as CodeLate or an upload that
// expired (CodeNotFound); the upload then stays on the server, where a
// later SendUpload resumes it until it expires.
func (c *Client) SendUpload(ctx context.Context, u *api.Upload, sealed io.ReaderAt, opts UploadOptions) (*api.Upload, error) {
	chunk := opts.ChunkSize
	if chunk == 0 {
		chunk = DefaultChunkSize
	}
	if chunk < 1 || chunk > MaxChunk {
		return nil, fmt.Errorf("client: chunk size %d is not between 1 and %d bytes", chunk, MaxChunk)
	}
	retries := opts.Retries
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	backoff := opts.Backoff
	if backoff <= 0 {
		backoff = DefaultBackoff
	}
	progress := func(int64) {}
	if opts.Progress != nil {
		progress = opts.Progress
	}

	cur := *u
	buf := make([]byte, min(chunk, max(cur.Size, 0)))
	failures, wait := 0, backoff
	// fail decides what a failed request leads to: an error to return, or
	// nil after the wait before asking where the upload stands.
	fail := func(err error) error {
		if !Retryable(err) {
			return err
		}
		if failures++; failures > retries {
			return fmt.Errorf("client: upload %s stopped at byte %d of %d after %d failed attempts in a row: %w",
				cur.ID, cur.Received, cur.Size, failures, err)
		}
		if opts.Retrying != nil {
			opts.Retrying(err, wait)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("client: upload %s stopped at byte %d of %d: %w (after: %v)", cur.ID, cur.Received, cur.Size, ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(2*wait, maxBackoff)
		return nil
	}

	progress(cur.Received)
	resync := false
	for {
		if resync {
			st, err := c.UploadStatus(ctx, cur.ID)
			if err != nil {
				if err := fail(err); err != nil {
					return nil, err
				}
				continue
			}
			if st.Size != cur.Size {
				return nil, fmt.Errorf("client: upload %s now declares %d bytes, not %d", cur.ID, st.Size, cur.Size)
			}
			cur, resync = *st, false
			progress(cur.Received)
		}
		if cur.Received >= cur.Size {
			return &cur, nil
		}
		n := min(chunk, cur.Size-cur.Received)
		if got, err := sealed.ReadAt(buf[:n], cur.Received); int64(got) != n {
			return nil, fmt.Errorf("client: reading the sealed file at byte %d of %d: %w", cur.Received, cur.Size, err)
		}
		next, err := c.PutChunk(ctx, cur.ID, cur.Received, bytes.NewReader(buf[:n]))
		switch {
		case err == nil && next.Received > cur.Received && next.Received <= cur.Size:
			cur, failures, wait = *next, 0, backoff
			progress(cur.Received)
			continue
		case err == nil:
			return nil, fmt.Errorf("client: upload %s answered offset %d after a chunk at %d", cur.ID, next.Received, cur.Received)
		case ErrorCode(err) == api.CodeInvalid:
			// Refused at this offset: a chunk whose answer was lost moved
			// the upload on. Where it stands decides; the same offset
			// means the refusal was for something else.
			st, serr := c.UploadStatus(ctx, cur.ID)
			if serr == nil && st.Received != cur.Received && st.Size == cur.Size {
				cur = *st
				progress(cur.Received)
				continue
			}
			return nil, err
		}
		if err := fail(err); err != nil {
			return nil, err
		}
		resync = true
	}
}

// Retryable reports whether a failed call may succeed if made again
// later: a broken connection or a timeout (a *url.Error or net.Error from
// the transport), an answer cut short (io.ErrUnexpectedEOF), a server or
// proxy failure (5xx), a rate limit (429), or CodeBusy. Refusals of the
// request itself (4xx: late, forbidden, not found, …), a canceled
// context, an oversized answer, certificate errors and errors that are
// not the network's (ErrUnsafeTarget, a malformed answer) are not.
func Retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests ||
			ae.Status == http.StatusRequestTimeout || ae.Code == api.CodeBusy
	}
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, ErrResponseTooLarge),
		errors.As(err, &unknownCA), errors.As(err, &invalid), errors.As(err, &host), errors.As(err, &verify):
		return false
	}
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF)
}

// CodeBusy answers a bidder's request while another of its requests is
// being recorded; retry in a minute.
const CodeBusy = "busy"
