package auditlog

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/note"
)

// receiptHeader is the first line of every version 1 receipt
// (doc/spec/receipt.md §1). It differs from the first line of an entry, and
// receipts are signed by a key other than the log's, so a receipt can never
// pass for a checkpoint or an entry.
const receiptHeader = "segel-receipt/v1\n"

// MaxReceiptSize is the largest signed receipt accepted, in bytes.
const MaxReceiptSize = 4 << 10

// A Receipt is the LPSE's signed statement that it accepted one sealed offer
// and logged it at Index in the log named Origin.
type Receipt struct {
	Origin   string    // origin of the audit log
	Index    int64     // log index of the offer-received entry
	Tender   string    // tender id
	Bidder   string    // bidder (user) id
	SHA256   [32]byte  // digest of the sealed file
	Size     int64     // size of the sealed file, in bytes
	Received time.Time // receive time; encoded in UTC
}

var receiptFields = []fieldSpec{
	{"origin", canon.KindText, ""}, // checked with checkOrigin as well
	{"index", canon.KindUint, ""},
	{"tender", canon.KindID, ""},
	{"bidder", canon.KindID, ""},
	{"sha256", canon.KindSHA256, ""},
	{"size", canon.KindUint, ""},
	{"received", canon.KindTime, ""},
}

// Entry returns the offer-received entry that r refers to: the entry to
// append to the log before signing the receipt with the index it got.
func (r Receipt) Entry() Entry {
	return Entry{Type: typeOfferReceived, Fields: []Field{
		{"tender", r.Tender},
		{"bidder", r.Bidder},
		{"sha256", hex.EncodeToString(r.SHA256[:])},
		{"size", strconv.FormatInt(r.Size, 10)},
		{"received", canon.FormatTime(r.Received)},
	}}
}

// SignReceipt signs r with the receipt key s.
func SignReceipt(r Receipt, s note.Signer) ([]byte, error) {
	text, err := r.marshal()
	if err != nil {
		return nil, err
	}
	signed, err := signNote(text, s)
	if err != nil {
		return nil, fmt.Errorf("auditlog: signing receipt: %v", err)
	}
	if len(signed) > MaxReceiptSize {
		return nil, fmt.Errorf("%w: signed receipt is %d bytes, more than %d", ErrMalformed, len(signed), MaxReceiptSize)
	}
	return signed, nil
}

// VerifyReceipt verifies a signed receipt against the pinned receipt key and
// returns it. Errors wrap ErrMalformed or ErrSignature.
func VerifyReceipt(msg []byte, receiptKey note.Verifier) (Receipt, error) {
	text, err := canon.OpenNote(msg, MaxReceiptSize, receiptKey, ErrSignature, ErrMalformed)
	if err != nil {
		return Receipt{}, fmt.Errorf("receipt: %w", err)
	}
	return parseReceipt([]byte(text))
}

func (r Receipt) marshal() ([]byte, error) {
	fields := []Field{
		{"origin", r.Origin},
		{"index", strconv.FormatInt(r.Index, 10)},
		{"tender", r.Tender},
		{"bidder", r.Bidder},
		{"sha256", hex.EncodeToString(r.SHA256[:])},
		{"size", strconv.FormatInt(r.Size, 10)},
		{"received", canon.FormatTime(r.Received)},
	}
	b, err := appendFields([]byte(receiptHeader), fields, receiptFields)
	if err == nil {
		err = checkOrigin(r.Origin)
	}
	if err == nil && r.Received.IsZero() {
		err = errors.New("no receive time")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: receipt: %v", ErrMalformed, err)
	}
	return b, nil
}

// parseReceipt parses the note text of a receipt, strictly.
func parseReceipt(text []byte) (Receipt, error) {
	if len(text) > MaxReceiptSize {
		return Receipt{}, fmt.Errorf("%w: receipt is %d bytes, more than %d", ErrMalformed, len(text), MaxReceiptSize)
	}
	rest, ok := strings.CutPrefix(string(text), receiptHeader)
	if !ok {
		return Receipt{}, fmt.Errorf("%w: receipt does not start with %q", ErrMalformed, receiptHeader)
	}
	fields, err := parseFields(rest, receiptFields)
	if err == nil {
		err = checkOrigin(fields[0].Value)
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: receipt: %v", ErrMalformed, err)
	}
	// The values are canonical, checked by parseFields; decoding cannot fail.
	var r Receipt
	r.Origin = fields[0].Value
	r.Index, _ = canon.ParseUint(fields[1].Value)
	r.Tender = fields[2].Value
	r.Bidder = fields[3].Value
	hex.Decode(r.SHA256[:], []byte(fields[4].Value))
	r.Size, _ = canon.ParseUint(fields[5].Value)
	r.Received, _ = canon.ParseTime(fields[6].Value)
	return r, nil
}
