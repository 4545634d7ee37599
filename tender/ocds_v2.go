package tender

import (
	"encoding/hex"
	"slices"
)

// The OCDS releases of a v2 tender (doc/spec/opening.md §9, ocds.md §3.1):
// opened with File I's report, evaluated when the evaluation is fixed,
// price-opened with File II's report; one bid per bidder of File I's
// closing set, whose status follows its files and its evaluation.

// v2 stages of a bid's status.
const (
	stageOpened = iota
	stageEvaluated
	stagePriceOpened
)

// stagesV2 emits a v2 tender's releases after the closing.
func (b *ocdsBuilder) stagesV2() {
	t, h := b.t, b.h
	if h.opening == nil || t.closing(1) == nil {
		return
	}
	b.start(b.ocid+"-opened", "tenderUpdate", h.opening.Value("time"))
	b.openV2(stageOpened)
	b.emit()
	if t.Method == MethodSingleFile {
		return
	}
	if h.fixed != nil && t.Evaluation != nil {
		b.start(b.ocid+"-evaluated", "tenderUpdate", h.fixed.Value("time"))
		b.openV2(stageEvaluated)
		b.emit()
	}
	if h.opening2 != nil && t.Evaluation != nil {
		b.start(b.ocid+"-price-opened", "tenderUpdate", h.opening2.Value("time"))
		b.openV2(stagePriceOpened)
		b.emit()
	}
}

// openV2 reveals the bids as of stage: who made one, when, with which
// sealed files, and its status (ocds.md §3.1).
func (b *ocdsBuilder) openV2(stage int) {
	t := b.t
	offers := t.closing(1).Offers
	n := len(offers)
	b.cur.Tender.NumberOfTenderers = &n
	bids := &ocdsBids{Statistics: b.cur.Bids.Statistics}
	var tenderers []ocdsOrgRef
	parties := slices.Clone(b.cur.Parties)
	for _, o := range offers {
		ref := ocdsOrgRef{ID: o.Bidder}
		tenderers = append(tenderers, ref)
		if !slices.ContainsFunc(parties, func(p ocdsParty) bool { return p.ID == o.Bidder }) {
			parties = append(parties, ocdsParty{ID: o.Bidder, Roles: []string{"tenderer"}})
		}
		ids := []ocdsIdentifier{{Scheme: "SHA-256", ID: hex.EncodeToString(o.SHA256[:])}}
		second, hasSecond := b.fileII(o.Bidder)
		if hasSecond {
			ids = append(ids, ocdsIdentifier{Scheme: "SHA-256", ID: hex.EncodeToString(second.SHA256[:])})
		}
		bids.Details = append(bids.Details, ocdsBid{
			ID:          bidID(o),
			Identifiers: ids,
			Date:        ocdsTime(o.Received),
			Status:      b.statusV2(stage, o, second, hasSecond),
			Tenderers:   []ocdsOrgRef{ref},
		})
	}
	b.cur.Parties = parties
	b.cur.Tender.Tenderers = tenderers
	b.cur.Bids = bids
}

// fileII returns bidder's current File II (stage 2 file), if any.
func (b *ocdsBuilder) fileII(bidder string) (Offer, bool) {
	if len(b.t.Parts) < 2 || b.t.Parts[1].Closing == nil {
		return Offer{}, false
	}
	for _, o := range b.t.Parts[1].Closing.Offers {
		if o.Bidder == bidder {
			return o, true
		}
	}
	return Offer{}, false
}

// statusV2 is a bid's status at stage (opening.md §9): pending until what
// decides it is logged; valid once its last file opened; disqualified if a
// file failed to open or the evaluation failed it; withdrawn if it passed
// stage 1 of a two-stage tender and sent no stage 2 file.
func (b *ocdsBuilder) statusV2(stage int, first, second Offer, hasSecond bool) string {
	t := b.t
	outcome := func(o Offer) string { return b.h.outcomes[o.Bidder+"/"+hex.EncodeToString(o.SHA256[:])].Type }
	switch outcome(first) {
	case "file-failed":
		return "disqualified"
	case "file-opened":
	default:
		return "pending"
	}
	if t.Method == MethodSingleFile {
		return "valid"
	}
	if stage < stageEvaluated {
		return "pending"
	}
	if !slices.Contains(t.Evaluation.Passed, first.Bidder) {
		return "disqualified"
	}
	if t.Method == MethodTwoStage && !hasSecond && len(t.Parts) > 1 && t.Parts[1].Closing != nil {
		return "withdrawn"
	}
	if stage < stagePriceOpened || !hasSecond {
		return "pending"
	}
	switch outcome(second) {
	case "file-opened":
		return "valid"
	case "file-failed":
		return "disqualified"
	}
	return "pending"
}
