package portal

import (
	"net/http"
	"slices"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/client"
)

// The opening page of a v2 tender (doc/spec/opening.md), for the members
// of its committee: a member registers its own opening key, starts a
// part's opening once its round is out, contributes, completes it, and
// evaluates File I. Everything a member's key is used for happens in the
// page's WebAssembly (segel.answerChallenge, segel.contribute): the page
// reads the key file the member chooses and sends only the challenge's
// answer and the batch of contributions (doc/spec/portal.md §3.9, §3.10).

func (s *Site) openingPages() []page {
	return []page{
		{"GET", "/tenders/{tender}/opening", []api.Role{api.RolePokja}, (*visit).openingPage},
	}
}

type openingData struct {
	T *api.Tender
	// Member is the visitor's index on the committee, 0 if not on it.
	Member int
	// Me is the visitor's user id.
	Me string
	// Keys are the visitor's registered opening keys, oldest first.
	Keys []api.CommitteeKey
	// Parts are the file parts with their outcomes, once opened.
	Parts []openingPart
	// Bidders are File I's bidders, once File I opened: whom the
	// evaluation judges.
	Bidders []audit.OpenedOffer
}

// Approved says the visitor approved proposal p.
func (d openingData) Approved(p api.EvaluationProposal) bool {
	return slices.Contains(p.Approvals, d.Me)
}

type openingPart struct {
	api.FilePart
	Report *audit.OpeningReport // verified against the pinned report key; nil until opened
}

func (v *visit) openingPage() error {
	t, err := v.api.Tender(v.ctx(), v.r.PathValue("tender"))
	if err != nil {
		return err
	}
	d := openingData{T: t, Me: v.user.ID}
	if d.Keys, err = v.api.CommitteeKeys(v.ctx(), client.Me); err != nil {
		return err
	}
	if i := slices.IndexFunc(t.Members, func(m api.CommitteeMember) bool { return m.User == v.user.ID }); i >= 0 {
		d.Member = t.Members[i].Index
	}
	for _, p := range t.Parts {
		op := openingPart{FilePart: p}
		if !p.OpeningReport.IsZero() {
			signed, err := v.api.PartOpeningReport(v.ctx(), t.ID, p.File)
			if err != nil {
				return err
			}
			if op.Report, err = audit.VerifyOpeningReport(signed, v.site.keys.Report); err != nil {
				return err
			}
			if p.File == 1 {
				d.Bidders = op.Report.Offers
			}
		}
		d.Parts = append(d.Parts, op)
	}
	v.render(http.StatusOK, "opening-page", view{Title: v.cat.T("opening.title", t.ID), Data: d, WASM: true, Scripts: []string{"opening.js"}})
	return nil
}
