package portal

import (
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
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
	// Batches are the members' batches logged for the part while its
	// opening runs (contributions-received entries), the last of each
	// member, for a member of the committee.
	Batches []batchSeen
}

// batchSeen is a member's batch as the log shows it.
type batchSeen struct {
	Member                        int
	User                          string
	Contributed, Claimed, Refused int
}

// batches reads the members' last batches for part file from the
// evidence a member may fetch. The page shows them; the member's own
// contribution checks the evidence in WebAssembly.
func (v *visit) batches(id string, file int) ([]batchSeen, error) {
	ev, err := v.api.Evidence(v.ctx(), id, file, 0)
	if err != nil {
		return nil, err
	}
	last := map[int]batchSeen{}
	for _, le := range ev.Entries {
		e, err := auditlog.ParseEntry([]byte(le.Data))
		if err != nil || e.Type != "contributions-received" || e.Value("file") != strconv.Itoa(file) {
			continue
		}
		n := func(k string) int { i, _ := strconv.Atoi(e.Value(k)); return i }
		b := batchSeen{Member: n("member"), User: e.Value("user"), Contributed: n("contributed"), Claimed: n("claimed"), Refused: n("refused")}
		last[b.Member] = b
	}
	out := slices.Collect(maps.Values(last))
	slices.SortFunc(out, func(a, b batchSeen) int { return a.Member - b.Member })
	return out, nil
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
		if d.Member > 0 && p.State == api.PartStateOpening {
			if op.Batches, err = v.batches(t.ID, p.File); err != nil {
				return err
			}
		}
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
