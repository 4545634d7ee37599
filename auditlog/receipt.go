package auditlog

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/note"
)

// receiptHeader is the first line of every version 1 receipt
// (doc/spec/receipt.md §1), receiptHeaderV2 of a version 2 receipt (§3), for
// a file part of a v2 tender. They differ from the first line of an entry,
// and receipts are signed by a key other than the log's, so a receipt can
// never pass for a checkpoint or an entry.
const (
	receiptHeader   = "segel-receipt/v1\n"
	receiptHeaderV2 = "segel-receipt/v2\n"
)

// MaxReceiptSize is the largest signed receipt accepted, in bytes.
const MaxReceiptSize = 4 << 10

// A Receipt is the LPSE's signed statement that it accepted one sealed offer
// and logged it at Index in the log named Origin.
//
// A receipt with a File is version 2 (doc/spec/receipt.md §3): it is for
// one file part of a v2 tender's offer, names the part and the SHA-256 of
// the file's age header, and refers to a file-received entry. Without one
// it is version 1, for an offer-received entry.
type Receipt struct {
	Origin   string    // origin of the audit log
	Index    int64     // log index of the offer-received (file-received) entry
	Tender   string    // tender id
	Bidder   string    // bidder (user) id
	File     int       // version 2: the file part, 1 or 2; 0 in version 1
	SHA256   [32]byte  // digest of the sealed file
	Size     int64     // size of the sealed file, in bytes
	Header   [32]byte  // version 2: digest of the file's age header
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

var receiptFieldsV2 = []fieldSpec{
	{"origin", canon.KindText, ""},
	{"index", canon.KindUint, ""},
	{"tender", canon.KindID, ""},
	{"bidder", canon.KindID, ""},
	{"file", canon.KindUint, "1,2"},
	{"sha256", canon.KindSHA256, ""},
	{"size", canon.KindUint, ""},
	{"header", canon.KindSHA256, ""},
	{"received", canon.KindTime, ""},
}

// Entry returns the offer-received (version 2: file-received) entry that r
// refers to: the entry to append to the log before signing the receipt
// with the index it got.
func (r Receipt) Entry() Entry {
	if r.File != 0 {
		return Entry{Type: typeFileReceived, Fields: []Field{
			{"tender", r.Tender},
			{"bidder", r.Bidder},
			{"file", strconv.Itoa(r.File)},
			{"sha256", hex.EncodeToString(r.SHA256[:])},
			{"size", strconv.FormatInt(r.Size, 10)},
			{"header", hex.EncodeToString(r.Header[:])},
			{"received", canon.FormatTime(r.Received)},
		}}
	}
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
	header, specs := receiptHeader, receiptFields
	fields := []Field{
		{"origin", r.Origin},
		{"index", strconv.FormatInt(r.Index, 10)},
		{"tender", r.Tender},
		{"bidder", r.Bidder},
		{"sha256", hex.EncodeToString(r.SHA256[:])},
		{"size", strconv.FormatInt(r.Size, 10)},
		{"received", canon.FormatTime(r.Received)},
	}
	if r.File != 0 {
		header, specs = receiptHeaderV2, receiptFieldsV2
		fields = slices.Insert(fields, 4, Field{"file", strconv.Itoa(r.File)})
		fields = slices.Insert(fields, 7, Field{"header", hex.EncodeToString(r.Header[:])})
	}
	b, err := appendFields([]byte(header), fields, specs)
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

// parseReceipt parses the note text of a receipt, version 1 or 2, strictly.
func parseReceipt(text []byte) (Receipt, error) {
	if len(text) > MaxReceiptSize {
		return Receipt{}, fmt.Errorf("%w: receipt is %d bytes, more than %d", ErrMalformed, len(text), MaxReceiptSize)
	}
	specs := receiptFields
	rest, ok := strings.CutPrefix(string(text), receiptHeader)
	if !ok {
		specs = receiptFieldsV2
		rest, ok = strings.CutPrefix(string(text), receiptHeaderV2)
	}
	if !ok {
		return Receipt{}, fmt.Errorf("%w: receipt does not start with %q or %q", ErrMalformed, receiptHeader, receiptHeaderV2)
	}
	fields, err := parseFields(rest, specs)
	if err == nil {
		err = checkOrigin(fields[0].Value)
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: receipt: %v", ErrMalformed, err)
	}
	// The values are canonical, checked by parseFields; decoding cannot fail.
	var r Receipt
	for _, f := range fields {
		switch f.Key {
		case "origin":
			r.Origin = f.Value
		case "index":
			r.Index, _ = canon.ParseUint(f.Value)
		case "tender":
			r.Tender = f.Value
		case "bidder":
			r.Bidder = f.Value
		case "file":
			n, _ := canon.ParseUint(f.Value)
			r.File = int(n)
		case "sha256":
			hex.Decode(r.SHA256[:], []byte(f.Value))
		case "size":
			r.Size, _ = canon.ParseUint(f.Value)
		case "header":
			hex.Decode(r.Header[:], []byte(f.Value))
		case "received":
			r.Received, _ = canon.ParseTime(f.Value)
		}
	}
	return r, nil
}
