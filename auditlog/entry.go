package auditlog

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/segel-lpse/segel/internal/canon"
)

// entryHeader starts every version 1 entry (doc/spec/entries.md §1).
const entryHeader = "segel-entry/v1 "

// MaxEntrySize is the largest entry, in bytes, that a Log accepts and that
// ParseEntry parses.
const MaxEntrySize = 64 << 10

// An Entry is one typed event of the tender process, as specified in
// doc/spec/entries.md. Fields must list exactly the fields of Type, in the
// order of the spec.
type Entry struct {
	Type   string
	Fields []Field
}

// Value returns the value of the field named key, or "" if there is none.
func (e Entry) Value(key string) string {
	for _, f := range e.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// Marshal returns the canonical encoding of e, or an error wrapping
// ErrMalformed if e is not a valid entry.
func (e Entry) Marshal() ([]byte, error) {
	specs, ok := entryTypes[e.Type]
	if !ok {
		return nil, fmt.Errorf("%w: unknown entry type %q", ErrMalformed, e.Type)
	}
	b := append([]byte(entryHeader), e.Type...)
	b = append(b, '\n')
	b, err := appendFields(b, e.Fields, specs)
	if err != nil {
		return nil, fmt.Errorf("%w: entry %s: %v", ErrMalformed, e.Type, err)
	}
	if len(b) > MaxEntrySize {
		return nil, fmt.Errorf("%w: entry is %d bytes, more than %d", ErrEntryTooLarge, len(b), MaxEntrySize)
	}
	return b, nil
}

// MarshalEntry returns the canonical encoding of the entry of type typ whose
// fields are given as key, value pairs in the order doc/spec/entries.md §3
// lists them. It is Entry{Type: typ, Fields: …}.Marshal for callers that
// log an event; errors wrap ErrMalformed (or ErrEntryTooLarge).
func MarshalEntry(typ string, kv ...string) ([]byte, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("%w: entry %s: %d arguments, want key, value pairs", ErrMalformed, typ, len(kv))
	}
	e := Entry{Type: typ, Fields: make([]Field, 0, len(kv)/2)}
	for i := 0; i < len(kv); i += 2 {
		e.Fields = append(e.Fields, Field{Key: kv[i], Value: kv[i+1]})
	}
	return e.Marshal()
}

// ParseEntry parses a canonical entry. Errors wrap ErrMalformed.
func ParseEntry(b []byte) (Entry, error) {
	if len(b) > MaxEntrySize {
		return Entry{}, fmt.Errorf("%w: entry is %d bytes, more than %d", ErrMalformed, len(b), MaxEntrySize)
	}
	if !utf8.Valid(b) {
		return Entry{}, fmt.Errorf("%w: entry is not UTF-8", ErrMalformed)
	}
	header, rest, ok := strings.Cut(string(b), "\n")
	if !ok {
		return Entry{}, fmt.Errorf("%w: entry has no header line", ErrMalformed)
	}
	typ, ok := strings.CutPrefix(header, entryHeader)
	if !ok {
		return Entry{}, fmt.Errorf("%w: entry header %.40q is not %q", ErrMalformed, header, entryHeader+"<type>")
	}
	specs, ok := entryTypes[typ]
	if !ok {
		return Entry{}, fmt.Errorf("%w: unknown entry type %.40q", ErrMalformed, typ)
	}
	fields, err := parseFields(rest, specs)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: entry %s: %v", ErrMalformed, typ, err)
	}
	return Entry{Type: typ, Fields: fields}, nil
}

// entryTypes lists the fields of every entry type, in order
// (doc/spec/entries.md §3).
var entryTypes = map[string][]fieldSpec{
	"user-registered":  {{"user", canon.KindID, ""}, {"role", canon.KindID, ""}, {"documents", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"user-verified":    {{"user", canon.KindID, ""}, {"by", canon.KindID, ""}, {"documents", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"user-approved":    {{"user", canon.KindID, ""}, {"by", canon.KindID, ""}, {"time", canon.KindTime, ""}},
	"user-rejected":    {{"user", canon.KindID, ""}, {"by", canon.KindID, ""}, {"reason", canon.KindText, ""}, {"time", canon.KindTime, ""}},
	"user-deactivated": {{"user", canon.KindID, ""}, {"by", canon.KindID, ""}, {"reason", canon.KindText, ""}, {"time", canon.KindTime, ""}},
	"user-reactivated": {{"user", canon.KindID, ""}, {"by", canon.KindID, ""}, {"reason", canon.KindText, ""}, {"time", canon.KindTime, ""}},
	"tender-announced": {
		{"tender", canon.KindID, ""}, {"document", canon.KindSHA256, ""}, {"deadline", canon.KindTime, ""}, {"opening", canon.KindTime, ""},
		{"round", canon.KindUint, ""}, {"chain", canon.KindSHA256, ""}, {"committee-key", canon.KindID, ""}, {"time", canon.KindTime, ""},
	},
	"tender-amended": {
		{"tender", canon.KindID, ""}, {"amendment", canon.KindUint, ""}, {"document", canon.KindSHA256, ""}, {"deadline", canon.KindTime, ""},
		{"opening", canon.KindTime, ""}, {"round", canon.KindUint, ""}, {"chain", canon.KindSHA256, ""}, {"committee-key", canon.KindID, ""},
		{"time", canon.KindTime, ""},
	},
	"offer-committed":       {{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"sha256", canon.KindSHA256, ""}, {"size", canon.KindUint, ""}, {"time", canon.KindTime, ""}},
	"offer-received":        offerReceivedFields,
	"offer-superseded":      {{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"sha256", canon.KindSHA256, ""}, {"by", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"submission-closed":     {{"tender", canon.KindID, ""}, {"offers", canon.KindUint, ""}, {"time", canon.KindTime, ""}},
	"beacon-signature-used": {{"tender", canon.KindID, ""}, {"chain", canon.KindSHA256, ""}, {"round", canon.KindUint, ""}, {"signature", canon.KindHex, ""}, {"time", canon.KindTime, ""}},
	"offer-opened":          {{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"sha256", canon.KindSHA256, ""}, {"plaintext", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"offer-failed": {
		{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"sha256", canon.KindSHA256, ""}, {"report", canon.KindSHA256, ""},
		{"fault", canon.KindFault, ""}, {"time", canon.KindTime, ""},
	},
	"opening-report":   {{"tender", canon.KindID, ""}, {"report", canon.KindSHA256, ""}, {"opened", canon.KindUint, ""}, {"failed", canon.KindUint, ""}, {"time", canon.KindTime, ""}},
	"result-announced": {{"tender", canon.KindID, ""}, {"winner", canon.KindID, ""}, {"result", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"tender-cancelled": {{"tender", canon.KindID, ""}, {"by", canon.KindID, ""}, {"reason", canon.KindText, ""}, {"time", canon.KindTime, ""}},

	// Around the core (doc/spec/entries.md §3.2).
	"plan-announced":         {{"plan", canon.KindID, ""}, {"by", canon.KindID, ""}, {"document", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"participant-registered": {{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"time", canon.KindTime, ""}},
	"question-asked":         {{"tender", canon.KindID, ""}, {"by", canon.KindID, ""}, {"question", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"question-answered":      {{"tender", canon.KindID, ""}, {"by", canon.KindID, ""}, {"question", canon.KindSHA256, ""}, {"answer", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"objection-filed":        {{"tender", canon.KindID, ""}, {"by", canon.KindID, ""}, {"objection", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"objection-answered":     {{"tender", canon.KindID, ""}, {"by", canon.KindID, ""}, {"objection", canon.KindSHA256, ""}, {"answer", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"tender-awarded":         {{"tender", canon.KindID, ""}, {"winner", canon.KindID, ""}, {"by", canon.KindID, ""}, {"document", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"notice-published": {
		{"notice", canon.KindID, ""}, {"kind", canon.KindID, "maintenance,outage,general"}, {"by", canon.KindID, ""},
		{"document", canon.KindSHA256, ""}, {"time", canon.KindTime, ""},
	},
	"notice-withdrawn": {{"notice", canon.KindID, ""}, {"by", canon.KindID, ""}, {"reason", canon.KindText, ""}, {"time", canon.KindTime, ""}},
	"complaint-filed":  {{"complaint", canon.KindID, ""}, {"by", canon.KindID, ""}, {"document", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"complaint-updated": {
		{"complaint", canon.KindID, ""}, {"by", canon.KindID, ""}, {"status", canon.KindID, "open,in-progress,resolved,rejected"},
		{"document", canon.KindSHA256, ""}, {"time", canon.KindTime, ""},
	},

	// Blacklist requests (doc/spec/entries.md §3.3).
	"blacklist-requested": {{"request", canon.KindID, ""}, {"user", canon.KindID, ""}, {"by", canon.KindID, ""}, {"reason", canon.KindText, ""}, {"time", canon.KindTime, ""}},
	"blacklist-approved":  {{"request", canon.KindID, ""}, {"user", canon.KindID, ""}, {"by", canon.KindID, ""}, {"time", canon.KindTime, ""}},
	"blacklist-rejected":  {{"request", canon.KindID, ""}, {"user", canon.KindID, ""}, {"by", canon.KindID, ""}, {"reason", canon.KindText, ""}, {"time", canon.KindTime, ""}},

	// The opening protocol's types, for v2 tenders (doc/spec/entries.md §5).
	"committee-key-registered": {{"user", canon.KindID, ""}, {"key", canon.KindID, ""}, {"recipient", canon.KindRecipient, ""}, {"time", canon.KindTime, ""}},
	"tender-committee": {
		{"tender", canon.KindID, ""}, {"method", canon.KindID, "single-file,two-file,two-stage"}, {"committee", canon.KindSHA256, ""},
		{"threshold", canon.KindUint, ""}, {"members", canon.KindUint, ""}, {"time", canon.KindTime, ""},
	},
	"committee-member": {
		{"tender", canon.KindID, ""}, {"member", canon.KindUint, ""}, {"user", canon.KindID, ""},
		{"recipient", canon.KindRecipient, ""}, {"time", canon.KindTime, ""},
	},
	"file-ii-scheduled": {{"tender", canon.KindID, ""}, {"opening", canon.KindTime, ""}, {"round", canon.KindUint, ""}, {"chain", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
	"stage-two-announced": {
		{"tender", canon.KindID, ""}, {"deadline", canon.KindTime, ""}, {"opening", canon.KindTime, ""}, {"round", canon.KindUint, ""},
		{"chain", canon.KindSHA256, ""}, {"time", canon.KindTime, ""},
	},
	"stage-two-amended": {
		{"tender", canon.KindID, ""}, {"amendment", canon.KindUint, ""}, {"deadline", canon.KindTime, ""}, {"opening", canon.KindTime, ""},
		{"round", canon.KindUint, ""}, {"chain", canon.KindSHA256, ""}, {"time", canon.KindTime, ""},
	},
	"file-committed": {
		{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"file", canon.KindUint, ""}, {"sha256", canon.KindSHA256, ""},
		{"size", canon.KindUint, ""}, {"time", canon.KindTime, ""},
	},
	"file-received": fileReceivedFields,
	"file-superseded": {
		{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"file", canon.KindUint, ""}, {"sha256", canon.KindSHA256, ""},
		{"by", canon.KindSHA256, ""}, {"time", canon.KindTime, ""},
	},
	"file-closed": {{"tender", canon.KindID, ""}, {"file", canon.KindUint, ""}, {"offers", canon.KindUint, ""}, {"time", canon.KindTime, ""}},
	"contributions-received": {
		{"tender", canon.KindID, ""}, {"file", canon.KindUint, ""}, {"member", canon.KindUint, ""}, {"user", canon.KindID, ""},
		{"contributed", canon.KindUint, ""}, {"claimed", canon.KindUint, ""}, {"refused", canon.KindUint, ""},
		{"list", canon.KindSHA256, ""}, {"time", canon.KindTime, ""},
	},
	"file-opened": {
		{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"file", canon.KindUint, ""}, {"sha256", canon.KindSHA256, ""},
		{"plaintext", canon.KindSHA256, ""}, {"time", canon.KindTime, ""},
	},
	"file-failed": {
		{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"file", canon.KindUint, ""}, {"sha256", canon.KindSHA256, ""},
		{"report", canon.KindSHA256, ""}, {"fault", canon.KindID, "file,system,member,committee"}, {"time", canon.KindTime, ""},
	},
	"file-withheld": {
		{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"file", canon.KindUint, ""}, {"sha256", canon.KindSHA256, ""},
		{"time", canon.KindTime, ""},
	},
	"file-opening-report": {
		{"tender", canon.KindID, ""}, {"file", canon.KindUint, ""}, {"report", canon.KindSHA256, ""}, {"opened", canon.KindUint, ""},
		{"failed", canon.KindUint, ""}, {"withheld", canon.KindUint, ""}, {"time", canon.KindTime, ""},
	},
	"evaluation-approved": {{"tender", canon.KindID, ""}, {"evaluation", canon.KindSHA256, ""}, {"by", canon.KindID, ""}, {"time", canon.KindTime, ""}},
	"bidder-evaluated": {
		{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"result", canon.KindID, "passed,failed"},
		{"reasons", canon.KindSHA256, ""}, {"time", canon.KindTime, ""},
	},
	"evaluation-fixed": {
		{"tender", canon.KindID, ""}, {"evaluation", canon.KindSHA256, ""}, {"passed", canon.KindUint, ""}, {"failed", canon.KindUint, ""},
		{"time", canon.KindTime, ""},
	},

	// The portal's builds (doc/spec/entries.md §3.4).
	"portal-build": {{"digest", canon.KindSHA256, ""}, {"time", canon.KindTime, ""}},
}

// typeOfferReceived is the type of the entry that a receipt refers to.
const typeOfferReceived = "offer-received"

var offerReceivedFields = []fieldSpec{
	{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"sha256", canon.KindSHA256, ""}, {"size", canon.KindUint, ""}, {"received", canon.KindTime, ""},
}

// typeFileReceived is the type of the entry that a version 2 receipt
// refers to (doc/spec/receipt.md §3).
const typeFileReceived = "file-received"

var fileReceivedFields = []fieldSpec{
	{"tender", canon.KindID, ""}, {"bidder", canon.KindID, ""}, {"file", canon.KindUint, ""}, {"sha256", canon.KindSHA256, ""},
	{"size", canon.KindUint, ""}, {"header", canon.KindSHA256, ""}, {"received", canon.KindTime, ""},
}
