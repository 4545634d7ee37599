package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/auditlog"
)

// Receipt is the server's answer to an accepted offer. Signed is the
// receipt itself (doc/spec/receipt.md), the bidder's proof of submission:
// keep it, verify it with auditlog.VerifyReceipt against the receipt key
// of Keys, and exchange it for a proof file with ProofFile. The other
// fields repeat what Signed states, unverified, for convenience.
type Receipt struct {
	Signed   []byte
	Index    int64    // log index of the offer-received entry
	SHA256   [32]byte // of the sealed file
	Size     int64
	Received time.Time
}

func (c *Client) receipt(ctx context.Context, method, path, contentType string, body io.Reader) (*Receipt, error) {
	var j struct {
		Receipt  string    `json:"receipt"`
		Index    int64     `json:"index"`
		SHA256   string    `json:"sha256"`
		Size     int64     `json:"size"`
		Received time.Time `json:"received"`
	}
	if err := c.send(ctx, method, path, contentType, body, &j); err != nil {
		return nil, err
	}
	r := &Receipt{Signed: []byte(j.Receipt), Index: j.Index, Size: j.Size, Received: j.Received}
	if b, err := hex.DecodeString(j.SHA256); err != nil || len(b) != 32 {
		return nil, fmt.Errorf("client: %s %s: the answer's sha256 %.70q is not a SHA-256", method, path, j.SHA256)
	} else {
		copy(r.SHA256[:], b)
	}
	return r, nil
}

// SubmitOffer submits a sealed offer (the output of sealer.Seal) to a
// tender, as a registered provider, streaming it from sealed, and returns
// the signed receipt. A later offer by the same bidder replaces the
// earlier one until the deadline. If sealed is an *os.File it is sent
// with its length; other readers are sent chunked.
func (c *Client) SubmitOffer(ctx context.Context, tenderID string, sealed io.Reader) (*Receipt, error) {
	return c.receipt(ctx, "POST", tenderPath(tenderID)+"/offers", "application/octet-stream", sealed)
}

// Commitment is a commitment to a sealed file made before the deadline;
// the file itself is delivered (SubmitOffer or an upload) before
// DeliverBefore.
type Commitment struct {
	Index         int64     `json:"index"`
	SHA256        string    `json:"sha256"`
	Size          int64     `json:"size"`
	Time          time.Time `json:"time"`
	DeliverBefore time.Time `json:"deliver_before"`
}

// Commit commits, as a registered provider, to a sealed file's SHA-256
// and size before the deadline, for bidders whose upload would not finish
// in time.
func (c *Client) Commit(ctx context.Context, tenderID string, sha256 [32]byte, size int64) (*Commitment, error) {
	in := map[string]any{"sha256": hexDigest(sha256), "size": size}
	return get[Commitment](ctx, c, "POST", tenderPath(tenderID)+"/commitments", in)
}

// Upload is a resumable upload's progress.
type Upload struct {
	ID       string    `json:"id"`
	Tender   string    `json:"tender"`
	Size     int64     `json:"size"`     // declared
	Received int64     `json:"received"` // the offset to resume from
	Started  time.Time `json:"started"`
}

// BeginUpload begins a resumable upload of a sealed offer of size bytes.
func (c *Client) BeginUpload(ctx context.Context, tenderID string, size int64) (*Upload, error) {
	return get[Upload](ctx, c, "POST", tenderPath(tenderID)+"/uploads", map[string]int64{"size": size})
}

// UploadStatus returns an upload's progress: where to resume.
func (c *Client) UploadStatus(ctx context.Context, uploadID string) (*Upload, error) {
	return get[Upload](ctx, c, "GET", "/v1/uploads/"+url.PathEscape(uploadID), nil)
}

// PutChunk appends chunk at offset, which must be where the upload
// stands (Upload.Received).
func (c *Client) PutChunk(ctx context.Context, uploadID string, offset int64, chunk io.Reader) (*Upload, error) {
	var u Upload
	path := "/v1/uploads/" + url.PathEscape(uploadID) + "?offset=" + strconv.FormatInt(offset, 10)
	if err := c.send(ctx, "PUT", path, "application/octet-stream", chunk, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// FinishUpload submits the assembled offer and returns its receipt.
func (c *Client) FinishUpload(ctx context.Context, uploadID string) (*Receipt, error) {
	return c.receipt(ctx, "POST", "/v1/uploads/"+url.PathEscape(uploadID)+"/finish", "", nil)
}

// ProofFile exchanges a signed receipt for its offer proof file: the
// receipt, a signed checkpoint and the inclusion proof, which
// auditlog.VerifyProofFile checks offline.
func (c *Client) ProofFile(ctx context.Context, signedReceipt []byte) ([]byte, error) {
	return c.text(ctx, "POST", "/v1/proofs", "text/plain", strings.NewReader(string(signedReceipt)), auditlog.MaxProofFileSize)
}
