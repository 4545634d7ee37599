package client

import (
	"context"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
)

func (c *Client) receipt(ctx context.Context, method, path, contentType string, body io.Reader) (*api.Receipt, error) {
	var r api.Receipt
	if err := c.send(ctx, method, path, contentType, body, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// SubmitOffer submits a sealed offer (the output of sealer.Seal) to a
// tender, as a registered provider, streaming it from sealed, and returns
// the signed receipt. A later offer by the same bidder replaces the
// earlier one until the deadline. If sealed is an *os.File it is sent
// with its length; other readers are sent chunked.
//
// The receipt's Receipt field is the signed receipt (doc/spec/receipt.md),
// the bidder's proof of submission: keep its bytes, verify it with
// auditlog.VerifyReceipt against the receipt key of Keys, and exchange it
// for a proof file with ProofFile. Its other fields repeat what it
// states, unverified, for convenience.
func (c *Client) SubmitOffer(ctx context.Context, tenderID string, sealed io.Reader) (*api.Receipt, error) {
	return c.receipt(ctx, "POST", tenderPath(tenderID)+"/offers", "application/octet-stream", sealed)
}

// Commit commits, as a registered provider, to a sealed file's SHA-256
// and size before the deadline, for bidders whose upload would not finish
// in time; the file is then delivered (SubmitOffer or an upload) before
// the answer's DeliverBefore.
func (c *Client) Commit(ctx context.Context, tenderID string, sha256 api.Digest, size int64) (*api.Commitment, error) {
	return get[api.Commitment](ctx, c, "POST", tenderPath(tenderID)+"/commitments", api.CommitRequest{SHA256: sha256, Size: size})
}

// BeginUpload begins a resumable upload of a sealed offer of size bytes.
func (c *Client) BeginUpload(ctx context.Context, tenderID string, size int64) (*api.Upload, error) {
	return get[api.Upload](ctx, c, "POST", tenderPath(tenderID)+"/uploads", api.UploadRequest{Size: size})
}

// UploadStatus returns an upload's progress: where to resume.
func (c *Client) UploadStatus(ctx context.Context, uploadID string) (*api.Upload, error) {
	return get[api.Upload](ctx, c, "GET", "/v1/uploads/"+url.PathEscape(uploadID), nil)
}

// PutChunk appends chunk at offset, which must be where the upload
// stands (its Received).
func (c *Client) PutChunk(ctx context.Context, uploadID string, offset int64, chunk io.Reader) (*api.Upload, error) {
	var u api.Upload
	path := "/v1/uploads/" + url.PathEscape(uploadID) + "?offset=" + strconv.FormatInt(offset, 10)
	if err := c.send(ctx, "PUT", path, "application/octet-stream", chunk, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// FinishUpload submits the assembled offer and returns its receipt.
func (c *Client) FinishUpload(ctx context.Context, uploadID string) (*api.Receipt, error) {
	return c.receipt(ctx, "POST", "/v1/uploads/"+url.PathEscape(uploadID)+"/finish", "", nil)
}

// ProofFile exchanges a signed receipt for its offer proof file: the
// receipt, a signed checkpoint and the inclusion proof, which
// auditlog.VerifyProofFile checks offline.
func (c *Client) ProofFile(ctx context.Context, signedReceipt []byte) ([]byte, error) {
	return c.text(ctx, "POST", "/v1/proofs", "text/plain", strings.NewReader(string(signedReceipt)), auditlog.MaxProofFileSize)
}
