package tender

import (
	"fmt"
	"strconv"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
)

// A v1 tender's offers and a v2 tender's files follow the same rules
// (supersession, commit then deliver, one current file per bidder) with
// different entries: offer-… for v1 (entries.md §3), file-… with the file
// part for v2 (§5). The helpers here are where the two differ; the rest
// of submission is written once. For a v1 tender, file is 1.

// offerKey is the key of a bidder's current offer or file in tableOffers
// and tablePending: "<tender>/<bidder>" for a v1 tender, as before v2, and
// "<tender>/<file>/<bidder>" for a v2 tender's file part. A tender is one
// version or the other, so the two forms never meet within a tender's
// keys.
func offerKey(t *Tender, file int, bidder string) string {
	if !t.V2() {
		return t.ID + "/" + bidder
	}
	return t.ID + "/" + strconv.Itoa(file) + "/" + bidder
}

// checkFile refuses a file part t does not have.
func (t *Tender) checkFile(file int) error {
	switch {
	case !t.V2() && file != 1:
		return fmt.Errorf("%w: tender %s has one file per offer; there is no file %d", ErrInvalid, t.ID, file)
	case t.V2() && (file < 1 || file > len(t.Parts)):
		return fmt.Errorf("%w: tender %s (%s) has no file %d", ErrInvalid, t.ID, t.Method, file)
	}
	return nil
}

// window returns file part file's submission window and opening time.
func (t *Tender) window(file int) (start, deadline, opening time.Time) {
	if !t.V2() {
		return t.Schedule.SubmissionStart, t.Schedule.Deadline, t.Schedule.Opening
	}
	p := t.Parts[file-1]
	return p.Start, p.Deadline, p.Opening
}

// windowState says what t's state lets file part file take: new files
// (open), and deliveries of files committed to before its deadline
// (delivering: the part's opening has not started).
func (t *Tender) windowState(file int) (open, delivering bool) {
	if !t.V2() {
		open = t.State == StateAnnounced
		return open, open || t.State == StateClosing || t.State == StateClosed
	}
	p := t.Parts[file-1]
	if p.Round == 0 || t.State == StateCancelled || t.State == StateOpened || t.State == StateResult || t.State == StateAwarded {
		return false, false
	}
	// A two-file tender's parts share one window; a two-stage tender's
	// stage 2 opens after stage 1's evaluation.
	together := t.Method == MethodTwoFile
	open = t.State == StateAnnounced && (t.Part == file || together)
	delivering = p.Started == nil && (t.Part <= file || together)
	return open, delivering
}

// closing returns the closing of file part file, if it closed.
func (t *Tender) closing(file int) *Closing {
	if !t.V2() {
		return t.Closing
	}
	return t.Parts[file-1].Closing
}

// closingNow reports whether file part file is closing.
func (t *Tender) closingNow(file int) bool {
	return t.State == StateClosing && (!t.V2() || t.Part == file || t.Method == MethodTwoFile)
}

// Entry types of an offer's events, by version.
func offerTypes(v2 bool) (received, committed, superseded string) {
	if v2 {
		return "file-received", "file-committed", "file-superseded"
	}
	return "offer-received", "offer-committed", "offer-superseded"
}

// committedEntry is the entry of a commitment to o.
func (t *Tender) committedEntry(o Offer) ([]byte, error) {
	_, typ, _ := offerTypes(t.V2())
	kv := []string{"tender", t.ID, "bidder", o.Bidder}
	if t.V2() {
		kv = append(kv, "file", uintEntry(o.File))
	}
	return entry(typ, append(kv, "sha256", hexEntry(o.SHA256[:]), "size", uintEntry(o.Size), "time", canon.FormatTime(o.Received))...)
}

// supersededEntry is the entry of o replacing prev.
func (t *Tender) supersededEntry(prev *Offer, o Offer) ([]byte, error) {
	_, _, typ := offerTypes(t.V2())
	kv := []string{"tender", t.ID, "bidder", o.Bidder}
	if t.V2() {
		kv = append(kv, "file", uintEntry(o.File))
	}
	return entry(typ, append(kv, "sha256", hexEntry(prev.SHA256[:]), "by", hexEntry(o.SHA256[:]), "time", canon.FormatTime(o.Received))...)
}

// isOfferEntry reports whether ent records a file received or committed
// (v1: an offer), and whether it is a v2 file's.
func isOfferEntry(ent auditlog.Entry) (ok, v2 bool) {
	switch ent.Type {
	case "offer-received", "offer-committed":
		return true, false
	case "file-received", "file-committed":
		return true, true
	}
	return false, false
}

// offerFromEntry reads an offer-received, offer-committed, file-received
// or file-committed entry.
func offerFromEntry(ent auditlog.Entry, index int64) (Offer, error) {
	_, v2 := isOfferEntry(ent)
	o := Offer{Bidder: ent.Value("bidder"), LogIndex: index,
		Committed: ent.Type == "offer-committed" || ent.Type == "file-committed",
		Delivered: ent.Type == "offer-received" || ent.Type == "file-received"}
	var err error
	if o.SHA256, err = canon.ParseSHA256(ent.Value("sha256")); err != nil {
		return o, fmt.Errorf("tender: log entry %d: %w", index, err)
	}
	if o.Size, err = canon.ParseUint(ent.Value("size")); err != nil {
		return o, fmt.Errorf("tender: log entry %d: size: %w", index, err)
	}
	if v2 {
		n, err := canon.ParseUint(ent.Value("file"))
		if err != nil || n < 1 || n > 2 {
			return o, fmt.Errorf("tender: log entry %d: file %q is not 1 or 2", index, ent.Value("file"))
		}
		o.File = int(n)
		if o.Delivered {
			if o.Header, err = canon.ParseSHA256(ent.Value("header")); err != nil {
				return o, fmt.Errorf("tender: log entry %d: header: %w", index, err)
			}
		}
	}
	when := ent.Value("received")
	if o.Committed {
		when = ent.Value("time")
	}
	if o.Received, err = canon.ParseTime(when); err != nil {
		return o, fmt.Errorf("tender: log entry %d: %w", index, err)
	}
	return o, nil
}
