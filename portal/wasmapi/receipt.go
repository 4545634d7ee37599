package wasmapi

import (
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
)

// ErrReceiptMismatch means a receipt verifies but does not bind what the
// page expected: another tender, bidder, or sealed file than the one it
// submitted.
var ErrReceiptMismatch = errors.New("wasmapi: the receipt does not match the submitted offer")

// Expect is what the page knows of the offer a receipt must bind. Empty
// fields are not compared.
type Expect struct {
	Tender string `json:"tender,omitempty"`
	Bidder string `json:"bidder,omitempty"`
	SHA256 string `json:"sha256,omitempty"` // of the sealed file, lowercase hex
	Size   int64  `json:"size,omitempty"`   // of the sealed file
	// Version 2: the file part and the SHA-256 of the age header, hex.
	// A receipt for a v2 file must be version 2 with both.
	File   int    `json:"file,omitempty"`
	Header string `json:"header,omitempty"`
}

// ParseExpect parses an Expect's JSON; empty input expects nothing.
func ParseExpect(b []byte) (Expect, error) {
	var e Expect
	if len(b) == 0 {
		return e, nil
	}
	if err := decodeStrict(b, 4<<10, &e); err != nil {
		return e, fmt.Errorf("%w: expected receipt fields: %v", ErrInput, err)
	}
	return e, nil
}

// Receipt is a verified receipt.
type Receipt struct {
	Origin   string    `json:"origin"` // the audit log's name
	Index    int64     `json:"index"`  // the offer's entry in the log
	Tender   string    `json:"tender"`
	Bidder   string    `json:"bidder"`
	SHA256   string    `json:"sha256"`
	Size     int64     `json:"size"`
	Received time.Time `json:"received"`
	File     int       `json:"file,omitempty"`   // version 2: the file part
	Header   string    `json:"header,omitempty"` // version 2: SHA-256 of the age header, hex
	// Checkpoint is the signed checkpoint a proof file proves the offer's
	// entry is included in; nil for a bare receipt.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// Checkpoint is a verified checkpoint of the audit log.
type Checkpoint struct {
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Hash   string `json:"hash"` // root hash, base64 as in the signed note
}

// parseKeys parses the pinned keys: a segel-keys/v1 file, as lpsed serves
// at /v1/keys, obtained by other means than the server being checked.
func parseKeys(keys []byte) (*audit.Trusted, error) {
	t, err := audit.ParseTrusted(keys)
	if err != nil {
		return nil, fmt.Errorf("%w: pinned keys: %v", ErrInput, err)
	}
	return t, nil
}

// VerifyReceipt verifies a signed receipt (doc/spec/receipt.md) against the
// receipt key of the pinned keys, then compares it with want.
func VerifyReceipt(receipt, keys []byte, want Expect) (*Receipt, error) {
	t, err := parseKeys(keys)
	if err != nil {
		return nil, err
	}
	r, err := auditlog.VerifyReceipt(receipt, t.Receipt)
	if err != nil {
		return nil, err
	}
	return matchReceipt(r, want)
}

// VerifyProofFile verifies an offer proof file (doc/spec/receipt.md §2) —
// the receipt, its log entry, the inclusion proof and the signed
// checkpoint — against the pinned log and receipt keys, then compares the
// receipt with want.
func VerifyProofFile(proof, keys []byte, want Expect) (*Receipt, error) {
	t, err := parseKeys(keys)
	if err != nil {
		return nil, err
	}
	r, c, err := auditlog.VerifyProofFile(proof, auditlog.Keys{Log: t.Log, Receipt: t.Receipt})
	if err != nil {
		return nil, err
	}
	out, err := matchReceipt(r, want)
	if err != nil {
		return nil, err
	}
	out.Checkpoint = &Checkpoint{Origin: c.Origin, Size: c.Size, Hash: c.Hash.String()}
	return out, nil
}

func matchReceipt(r auditlog.Receipt, want Expect) (*Receipt, error) {
	out := &Receipt{Origin: r.Origin, Index: r.Index, Tender: r.Tender, Bidder: r.Bidder,
		SHA256: hex.EncodeToString(r.SHA256[:]), Size: r.Size, Received: r.Received}
	if r.File != 0 {
		out.File, out.Header = r.File, hex.EncodeToString(r.Header[:])
	}
	if want.File != out.File && (want.File != 0 || want.Header != "") {
		return nil, fmt.Errorf("%w: it is for file %d, the offer's is file %d", ErrReceiptMismatch, out.File, want.File)
	}
	for _, f := range []struct{ name, got, want string }{
		{"tender", out.Tender, want.Tender},
		{"bidder", out.Bidder, want.Bidder},
		{"sha256", out.SHA256, want.SHA256},
		{"header", out.Header, want.Header},
	} {
		if f.want != "" && f.got != f.want {
			return nil, fmt.Errorf("%w: it names %s %.70q, the offer's is %.70q", ErrReceiptMismatch, f.name, f.got, f.want)
		}
	}
	if want.Size != 0 && out.Size != want.Size {
		return nil, fmt.Errorf("%w: it names size %d, the sealed file has %d bytes", ErrReceiptMismatch, out.Size, want.Size)
	}
	return out, nil
}
