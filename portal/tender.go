package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
)

// A tender's public page: its schedule, documents and addenda, questions
// and answers, the opening report and witness reports, the result and
// the award, and the OCDS and audit-bundle downloads; for a signed-in
// provider, what it may do next.

// tenderData is what the tender page shows.
type tenderData struct {
	T       *api.Tender
	Addenda []addendum
	// Questions and Objections, with their texts, oldest first.
	Questions, Objections []message
	Opening               *opening // nil until opened
	ResultText, AwardText string
	// Provider is what a signed-in provider may do; nil for others.
	Provider *providerActions
	// Question and Objection are a refused form's texts, shown again.
	Question, Objection string
	// OpeningMember says the visitor is on a v2 tender's committee: the
	// page links to the opening page (opening.go).
	OpeningMember bool
}

// addendum is one tender-amended stage of the OCDS export.
type addendum struct {
	N        int
	Time     time.Time
	Deadline time.Time
	Document string // SHA-256, hex
}

// message is a question or an objection with its answer.
type message struct {
	Text, Answer     string
	Time, AnswerTime time.Time
}

// opening is the signed opening report, checked against the pinned
// report key, and the witness report of every offer that failed.
type opening struct {
	Signed   string
	Report   *audit.OpeningReport
	Opened   int
	Failed   int
	Witness  map[string]*audit.WitnessReport // by bidder
	Problems []string                        // what did not verify, if anything
}

// providerActions are the steps a signed-in provider may take now, by
// the tender's schedule (the API decides; the page only offers).
type providerActions struct {
	Register, Ask, Submit, Object bool
	// Receipt is the provider's current offer, if it made one.
	Receipt *auditlog.Receipt
}

// maxText caps a question, answer, result or award text the page reads
// (the API caps them at 64 KiB).
const maxText = 64 << 10

func (v *visit) tenderPage() error {
	return v.showTender(http.StatusOK, "", "", nil)
}

// showTender renders the tender page; question and objection are the
// texts of a refused form, se its refusal.
func (v *visit) showTender(status int, question, objection string, se *shownError) error {
	id := v.r.PathValue("tender")
	t, err := v.api.Tender(v.ctx(), id)
	if err != nil {
		return err
	}
	d := &tenderData{T: t, Question: question, Objection: objection}
	if d.Addenda, err = v.addenda(id); err != nil {
		return err
	}
	if d.Questions, err = v.messages(id, api.Question); err != nil {
		return err
	}
	if d.Objections, err = v.messages(id, api.Objection); err != nil {
		return err
	}
	if !t.OpeningReport.IsZero() {
		if d.Opening, err = v.opening(id); err != nil {
			return err
		}
	}
	if !t.ResultText.IsZero() {
		if d.ResultText, err = v.text(id, t.ResultText); err != nil {
			return err
		}
	}
	if !t.AwardText.IsZero() {
		if d.AwardText, err = v.text(id, t.AwardText); err != nil {
			return err
		}
	}
	if v.user != nil && v.user.Role == api.RoleProvider {
		if d.Provider, err = v.providerActions(t); err != nil {
			return err
		}
	}
	d.OpeningMember = v.user != nil && t.Method != "" && slices.ContainsFunc(t.Members, func(m api.CommitteeMember) bool { return m.User == v.user.ID })
	v.render(status, "tender", view{Title: t.ID + " · " + t.Title, Data: d, Error: se})
	return nil
}

// text reads a public text of tender id by its digest.
func (v *visit) text(id string, d api.Digest) (string, error) {
	var b strings.Builder
	if _, err := v.api.TenderDocument(v.ctx(), id, d, &b, maxText); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (v *visit) messages(id string, kind api.MessageKind) ([]message, error) {
	ms, err := v.api.Messages(v.ctx(), id, kind)
	if err != nil {
		return nil, err
	}
	out := make([]message, 0, len(ms))
	for _, m := range ms {
		// Who asked is not shown: before the opening, who takes part in
		// a tender is withheld (doc/spec/ocds.md §4).
		x := message{Time: m.Time}
		if x.Text, err = v.text(id, m.Document); err != nil {
			return nil, err
		}
		if a := m.Answer; a != nil {
			x.AnswerTime = a.Time
			if x.Answer, err = v.text(id, a.Document); err != nil {
				return nil, err
			}
		}
		out = append(out, x)
	}
	return out, nil
}

// ocdsPackage is the part of the OCDS export (doc/spec/ocds.md) the page
// reads: the addenda's stages.
type ocdsPackage struct {
	Releases []struct {
		Tag    []string  `json:"tag"`
		Date   time.Time `json:"date"`
		Tender struct {
			TenderPeriod struct {
				EndDate time.Time `json:"endDate"`
			} `json:"tenderPeriod"`
			Documents []struct {
				ID string `json:"id"`
			} `json:"documents"`
		} `json:"tender"`
	} `json:"releases"`
}

// addenda lists a tender's addenda from its OCDS export, where each is a
// release with its new deadline and document.
func (v *visit) addenda(id string) ([]addendum, error) {
	b, err := v.api.OCDS(v.ctx(), id)
	if err != nil {
		return nil, err
	}
	var p ocdsPackage
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("portal: the OCDS export of %s: %w", id, err)
	}
	var out []addendum
	for _, r := range p.Releases {
		if !slices.Contains(r.Tag, "tenderAmendment") {
			continue
		}
		a := addendum{N: len(out) + 1, Time: r.Date, Deadline: r.Tender.TenderPeriod.EndDate}
		if len(r.Tender.Documents) > 0 {
			a.Document = r.Tender.Documents[0].ID
		}
		out = append(out, a)
	}
	return out, nil
}

// opening reads the signed opening report and its witness reports and
// checks their signatures against the pinned report key: the page shows
// what the LPSE signed, and says so if anything does not verify.
func (v *visit) opening(id string) (*opening, error) {
	signed, err := v.api.OpeningReport(v.ctx(), id)
	if err != nil {
		return nil, err
	}
	o := &opening{Signed: string(signed), Witness: map[string]*audit.WitnessReport{}}
	rep, err := audit.VerifyOpeningReport(signed, v.site.keys.Report)
	if err != nil {
		o.Problems = append(o.Problems, err.Error())
		if rep, err = parseSignedReport(signed); err != nil {
			return o, nil
		}
	}
	o.Report = rep
	for _, off := range rep.Offers {
		if off.Outcome != audit.OutcomeFailed {
			o.Opened++
			continue
		}
		o.Failed++
		w, err := v.api.Witness(v.ctx(), id, off.Bidder)
		if err != nil {
			o.Problems = append(o.Problems, err.Error())
			continue
		}
		wr, err := audit.VerifyWitnessReport(w, v.site.keys.Report)
		if err != nil {
			o.Problems = append(o.Problems, err.Error())
			continue
		}
		o.Witness[off.Bidder] = wr
	}
	return o, nil
}

// parseSignedReport reads an opening report whose signature does not
// verify, to show what it claims beside the failure.
func parseSignedReport(signed []byte) (*audit.OpeningReport, error) {
	text, _, ok := strings.Cut(string(signed), "\n\n")
	if !ok {
		return nil, errors.New("portal: not a signed note")
	}
	return audit.ParseOpeningReport([]byte(text + "\n"))
}

// providerActions decides what the page offers a provider, by the
// tender's state and schedule, and finds its current offer.
func (v *visit) providerActions(t *api.Tender) (*providerActions, error) {
	now := v.site.now()
	s := t.Schedule
	open := t.State == api.StateAnnounced
	p := &providerActions{
		Register: open && now.Before(s.RegistrationEnd),
		Ask:      open && now.Before(s.ClarificationEnd),
		Submit:   open && !now.Before(s.SubmissionStart) && !now.After(s.Deadline),
		Object:   t.State == api.StateResult,
	}
	r, err := v.receipt(v.ctx(), t.ID)
	if err != nil {
		return nil, err
	}
	p.Receipt = r
	return p, nil
}

// receipt returns the visitor's current offer's receipt, verified
// against the pinned receipt key, or nil if it made none.
func (v *visit) receipt(ctx context.Context, id string) (*auditlog.Receipt, error) {
	b, err := v.api.OfferReceipt(ctx, id, client.Me)
	if client.ErrorCode(err) == api.CodeNotFound {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	r, err := auditlog.VerifyReceipt(b, v.site.keys.Receipt)
	if err != nil {
		return nil, fmt.Errorf("portal: the receipt the API gave for %s does not verify against the pinned key: %w", id, err)
	}
	return &r, nil
}

// participate registers the provider for the tender.
func (v *visit) participate() error {
	id := v.r.PathValue("tender")
	if err := v.api.RegisterForTender(v.ctx(), id); err != nil {
		if se := v.shown(err); se != nil {
			return v.showTender(v.status(err), "", "", se)
		}
		return err
	}
	v.redirect("/tenders/" + pathEscape(id) + "?ok=registered")
	return nil
}

// ask returns the handler that asks a question (aanwijzing) or files an
// objection (sanggah).
func ask(kind api.MessageKind) func(*visit) error {
	return func(v *visit) error {
		id := v.r.PathValue("tender")
		text := strings.TrimSpace(strings.ReplaceAll(v.r.PostFormValue("text"), "\r\n", "\n"))
		_, err := v.api.Ask(v.ctx(), id, kind, text)
		if se := v.shown(err); se != nil {
			if kind == api.Question {
				return v.showTender(v.status(err), text, "", se)
			}
			return v.showTender(v.status(err), "", text, se)
		} else if err != nil {
			return err
		}
		v.redirect("/tenders/" + pathEscape(id) + "?ok=" + string(kind) + "#" + string(kind) + "s")
		return nil
	}
}
