package auditlog

import (
	"fmt"
	"strings"
	"unicode/utf8"
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
	"user-registered":  {{"user", kindID}, {"role", kindID}, {"documents", kindSHA256}, {"time", kindTime}},
	"user-verified":    {{"user", kindID}, {"by", kindID}, {"documents", kindSHA256}, {"time", kindTime}},
	"user-approved":    {{"user", kindID}, {"by", kindID}, {"time", kindTime}},
	"user-rejected":    {{"user", kindID}, {"by", kindID}, {"reason", kindText}, {"time", kindTime}},
	"user-deactivated": {{"user", kindID}, {"by", kindID}, {"reason", kindText}, {"time", kindTime}},
	"user-reactivated": {{"user", kindID}, {"by", kindID}, {"reason", kindText}, {"time", kindTime}},
	"tender-announced": {
		{"tender", kindID}, {"document", kindSHA256}, {"deadline", kindTime}, {"opening", kindTime},
		{"round", kindUint}, {"chain", kindSHA256}, {"committee-key", kindID}, {"time", kindTime},
	},
	"tender-amended": {
		{"tender", kindID}, {"amendment", kindUint}, {"document", kindSHA256}, {"deadline", kindTime},
		{"opening", kindTime}, {"round", kindUint}, {"chain", kindSHA256}, {"committee-key", kindID},
		{"time", kindTime},
	},
	"offer-committed":       {{"tender", kindID}, {"bidder", kindID}, {"sha256", kindSHA256}, {"size", kindUint}, {"time", kindTime}},
	"offer-received":        offerReceivedFields,
	"offer-superseded":      {{"tender", kindID}, {"bidder", kindID}, {"sha256", kindSHA256}, {"by", kindSHA256}, {"time", kindTime}},
	"submission-closed":     {{"tender", kindID}, {"offers", kindUint}, {"time", kindTime}},
	"beacon-signature-used": {{"tender", kindID}, {"chain", kindSHA256}, {"round", kindUint}, {"signature", kindHex}, {"time", kindTime}},
	"offer-opened":          {{"tender", kindID}, {"bidder", kindID}, {"sha256", kindSHA256}, {"plaintext", kindSHA256}, {"time", kindTime}},
	"offer-failed": {
		{"tender", kindID}, {"bidder", kindID}, {"sha256", kindSHA256}, {"report", kindSHA256},
		{"fault", kindFault}, {"time", kindTime},
	},
	"opening-report":   {{"tender", kindID}, {"report", kindSHA256}, {"opened", kindUint}, {"failed", kindUint}, {"time", kindTime}},
	"result-announced": {{"tender", kindID}, {"winner", kindID}, {"result", kindSHA256}, {"time", kindTime}},
	"tender-cancelled": {{"tender", kindID}, {"by", kindID}, {"reason", kindText}, {"time", kindTime}},

	// Around the core (doc/spec/entries.md §3.2).
	"plan-announced":         {{"plan", kindID}, {"by", kindID}, {"document", kindSHA256}, {"time", kindTime}},
	"participant-registered": {{"tender", kindID}, {"bidder", kindID}, {"time", kindTime}},
	"question-asked":         {{"tender", kindID}, {"by", kindID}, {"question", kindSHA256}, {"time", kindTime}},
	"question-answered":      {{"tender", kindID}, {"by", kindID}, {"question", kindSHA256}, {"answer", kindSHA256}, {"time", kindTime}},
	"objection-filed":        {{"tender", kindID}, {"by", kindID}, {"objection", kindSHA256}, {"time", kindTime}},
	"objection-answered":     {{"tender", kindID}, {"by", kindID}, {"objection", kindSHA256}, {"answer", kindSHA256}, {"time", kindTime}},
	"tender-awarded":         {{"tender", kindID}, {"winner", kindID}, {"by", kindID}, {"document", kindSHA256}, {"time", kindTime}},
	"notice-published":       {{"notice", kindID}, {"kind", kindID}, {"by", kindID}, {"document", kindSHA256}, {"time", kindTime}},
	"complaint-filed":        {{"complaint", kindID}, {"by", kindID}, {"document", kindSHA256}, {"time", kindTime}},
	"complaint-updated":      {{"complaint", kindID}, {"by", kindID}, {"status", kindID}, {"document", kindSHA256}, {"time", kindTime}},

	// Blacklist requests (doc/spec/entries.md §3.3).
	"blacklist-requested": {{"request", kindID}, {"user", kindID}, {"by", kindID}, {"reason", kindText}, {"time", kindTime}},
	"blacklist-approved":  {{"request", kindID}, {"user", kindID}, {"by", kindID}, {"time", kindTime}},
	"blacklist-rejected":  {{"request", kindID}, {"user", kindID}, {"by", kindID}, {"reason", kindText}, {"time", kindTime}},
}

// typeOfferReceived is the type of the entry that a receipt refers to.
const typeOfferReceived = "offer-received"

var offerReceivedFields = []fieldSpec{
	{"tender", kindID}, {"bidder", kindID}, {"sha256", kindSHA256}, {"size", kindUint}, {"received", kindTime},
}
