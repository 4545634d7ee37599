package portal

import (
	"fmt"
	"net/http"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
)

// The offer page seals the provider's document in the browser and
// uploads only the sealed file; the receipt page shows the receipt of
// the provider's current offer. Both verify in the browser, against the
// keys pinned in the pages' code (pinned.js), what the server answers.

type offerData struct {
	T      *api.Tender
	Bidder string
	// Receipt is the provider's current offer, which a new one replaces.
	Receipt *auditlog.Receipt
	// Open says the tender takes offers now, by the server's clock.
	Open bool
	// File is the file part of a v2 tender this page seals (1 or 2; 0
	// for a version 1 tender), chosen with ?file=; Parts are the
	// tender's parts, for the page to name both and link to the other.
	File  int
	Parts []api.FilePart
}

func (v *visit) offerPage() error {
	t, err := v.api.Tender(v.ctx(), v.r.PathValue("tender"))
	if err != nil {
		return err
	}
	d := offerData{T: t, Bidder: v.user.ID}
	if t.Method != "" {
		return v.fileOfferPage(d)
	}
	if d.Receipt, err = v.receipt(v.ctx(), t.ID); err != nil {
		return err
	}
	now := v.site.now()
	d.Open = t.State == api.StateAnnounced && !now.Before(t.Schedule.SubmissionStart) && !now.After(t.Schedule.Deadline)
	v.render(http.StatusOK, "offer", view{Title: v.cat.T("offer.title", t.ID), Data: d, WASM: true, Scripts: []string{"offer.js"}})
	return nil
}

// Part is the file part the page seals.
func (d offerData) Part() api.FilePart { return d.Parts[d.File-1] }

// fileOfferPage is the offer page of a v2 tender: one file part at a
// time (?file=1 or 2, File I by default), named in the heading, the form
// and the button, so that File I's document is not sealed as File II's
// by mistake: the sealed file binds the part it is sealed for
// (doc/spec/offer-v2.md), and the part is the page's, not the document's.
func (v *visit) fileOfferPage(d offerData) error {
	t := d.T
	d.File, d.Parts = 1, t.Parts
	if f := v.r.URL.Query().Get("file"); f == "2" && len(t.Parts) > 1 {
		d.File = 2
	}
	d.Open = len(t.Parts) >= d.File && t.Parts[d.File-1].State == api.PartStateOpen
	b, err := v.api.FileReceipt(v.ctx(), t.ID, d.File, client.Me)
	switch {
	case client.ErrorCode(err) == api.CodeNotFound:
	case err != nil:
		return err
	default:
		r, err := auditlog.VerifyReceipt(b, v.site.keys.Receipt)
		if err != nil {
			return fmt.Errorf("portal: the receipt the API gave for %s file %d does not verify against the pinned key: %w", t.ID, d.File, err)
		}
		d.Receipt = &r
	}
	v.render(http.StatusOK, "offer", view{Title: v.cat.T("offer.title", t.ID), Data: d, WASM: true, Scripts: []string{"offer.js"}})
	return nil
}

// receiptData is the receipt page: the signed receipt and its proof
// file, as the API gives them, for the page's script to verify.
type receiptData struct {
	T       *api.Tender
	Bidder  string
	Receipt *auditlog.Receipt // as the server verified it; nil if no offer
	// Files holds the receipt and proof file for the script:
	// {"receipt": …, "proof": …}.
	Files map[string]string
}

func (v *visit) receiptPage() error {
	t, err := v.api.Tender(v.ctx(), v.r.PathValue("tender"))
	if err != nil {
		return err
	}
	d := receiptData{T: t, Bidder: v.user.ID}
	signed, err := v.api.OfferReceipt(v.ctx(), t.ID, client.Me)
	switch {
	case client.ErrorCode(err) == api.CodeNotFound:
		v.render(http.StatusOK, "receipt", view{Title: v.cat.T("receipt.title", t.ID), Data: d})
		return nil
	case err != nil:
		return err
	}
	r, err := auditlog.VerifyReceipt(signed, v.site.keys.Receipt)
	if err != nil {
		return err
	}
	proof, err := v.api.ProofFile(v.ctx(), signed)
	if err != nil {
		return err
	}
	d.Receipt, d.Files = &r, map[string]string{"receipt": string(signed), "proof": string(proof)}
	v.render(http.StatusOK, "receipt", view{Title: v.cat.T("receipt.title", t.ID), Data: d, WASM: true, Scripts: []string{"receipt.js"}})
	return nil
}
