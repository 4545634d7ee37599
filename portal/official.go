package portal

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/client"
)

// The officials' pages (doc/spec/portal.md §7.8): the PA/KPA's plans and
// committee assignments, the Pokja's tenders — announcement, addenda,
// answers, closing, the opening ceremony of v1 tenders and the result —
// and the PPK's award. Every action is the API's, called as the
// signed-in official; the pages only offer what the tender's state makes
// possible, and show the API's refusals.

var (
	paKPA       = []api.Role{api.RolePAKPA}
	pokjaRole   = []api.Role{api.RolePokja}
	ppkRole     = []api.Role{api.RolePPK}
	officialAny = []api.Role{api.RolePAKPA, api.RolePokja, api.RolePPK}
)

func (s *Site) officialPages() []page {
	return []page{
		{"GET", "/official", officialAny, (*visit).officialHome},
		{"GET", "/official/plans", paKPA, (*visit).officialPlans},
		{"POST", "/official/plans", paKPA, (*visit).announcePlan},
		{"GET", "/official/committees", paKPA, (*visit).officialCommittees},
		{"POST", "/official/committees", paKPA, (*visit).assignCommittee},
		{"GET", "/official/tenders", pokjaRole, (*visit).officialTenders},
		{"GET", "/official/tenders/{tender}/announce", pokjaRole, (*visit).announcePage},
		{"POST", "/official/tenders/{tender}/announce", pokjaRole, (*visit).announce},
		{"GET", "/official/tenders/{tender}", pokjaRole, (*visit).officialTender},
		{"POST", "/official/tenders/{tender}/amend", pokjaRole, (*visit).amend},
		{"POST", "/official/tenders/{tender}/answers", pokjaRole, (*visit).answer},
		{"POST", "/official/tenders/{tender}/close", pokjaRole, (*visit).closeTender},
		{"GET", "/official/tenders/{tender}/open", pokjaRole, (*visit).ceremonyPage},
		{"POST", "/official/tenders/{tender}/open", pokjaRole, (*visit).openTender},
		{"POST", "/official/tenders/{tender}/result", pokjaRole, (*visit).announceResult},
		{"GET", "/official/awards", ppkRole, (*visit).officialAwards},
		{"POST", "/official/tenders/{tender}/award", ppkRole, (*visit).award},
	}
}

// OfficialHome is the path of the signed-in official's own pages, "" for
// others: the navigation's link.
func (vw *view) OfficialHome() string {
	if u := vw.v.user; u != nil {
		return officialHome(u.Role)
	}
	return ""
}

func officialHome(r api.Role) string {
	switch r {
	case api.RolePAKPA:
		return "/official/committees"
	case api.RolePokja:
		return "/official/tenders"
	case api.RolePPK:
		return "/official/awards"
	}
	return ""
}

func (v *visit) officialHome() error {
	v.redirect(officialHome(v.user.Role))
	return nil
}

// done redirects to path after an action, with the catalogue key of its
// notice (an "official." key, shown by render).
func (v *visit) done(path, key string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	frag := ""
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path, frag = path[:i], path[i:]
	}
	v.redirect(path + sep + "ok=official." + key + frag)
}

// form returns a form field, trimmed, with the browser's CRLF as LF.
func (v *visit) form(name string) string {
	return strings.TrimSpace(strings.ReplaceAll(v.r.PostFormValue(name), "\r\n", "\n"))
}

// --- PA/KPA: plans -----------------------------------------------------

// plansData is the PA/KPA's plans page: every plan, and the form.
type plansData struct {
	Plans                   []api.Plan
	ID, Title, Budget, Text string
}

func (v *visit) officialPlans() error { return v.showPlans(http.StatusOK, plansData{}, nil) }

func (v *visit) showPlans(status int, d plansData, se *shownError) error {
	ps, err := v.api.Plans(v.ctx())
	if err != nil {
		return err
	}
	slices.SortFunc(ps, func(a, b api.Plan) int { return b.Announced.Compare(a.Announced) })
	d.Plans = ps
	v.render(status, "official-plans", view{Title: v.cat.T("official.plans.title"), Data: d, Error: se})
	return nil
}

func (v *visit) announcePlan() error {
	d := plansData{ID: v.form("id"), Title: v.form("title"), Budget: v.form("budget"), Text: v.form("text")}
	budget, err := strconv.ParseInt(strings.NewReplacer(".", "", ",", "", " ", "").Replace(d.Budget), 10, 64)
	if err != nil || budget <= 0 {
		return v.showPlans(http.StatusBadRequest, d, &shownError{Text: v.cat.T("official.plans.budget-invalid")})
	}
	p, err := v.api.AnnouncePlan(v.ctx(), api.PlanAnnouncement{ID: d.ID, Title: d.Title, Budget: budget, Text: d.Text})
	if se := v.shown(err); se != nil {
		return v.showPlans(v.status(err), d, se)
	} else if err != nil {
		return err
	}
	v.done("/official/plans#plan-"+p.ID, "plan")
	return nil
}

// --- PA/KPA: committees ------------------------------------------------

// committeesData is the committee page: the assignments made, the Pokja
// members who may be assigned, and the form.
type committeesData struct {
	Committees []committeeRow
	Pokja      []api.Official
	Names      map[string]string
	// Tender and Members are a refused form's, shown again.
	Tender  string
	Members []string
}

// committeeRow is one assignment, with its tender if announced.
type committeeRow struct {
	api.CommitteeAssignment
	Tender *api.Tender
}

func (v *visit) officialCommittees() error {
	return v.showCommittees(http.StatusOK, committeesData{}, nil)
}

func (v *visit) showCommittees(status int, d committeesData, se *shownError) error {
	var err error
	if d.Committees, err = v.committeeRows(); err != nil {
		return err
	}
	if d.Pokja, err = v.api.Pokja(v.ctx()); err != nil {
		return err
	}
	d.Names = names(d.Pokja)
	v.render(status, "official-committees", view{Title: v.cat.T("official.committees.title"), Data: d, Error: se})
	return nil
}

// committeeRows lists the committees the visitor may see (all for a
// PA/KPA, their own for a Pokja member), each with its tender once
// announced.
func (v *visit) committeeRows() ([]committeeRow, error) {
	cs, err := v.api.Committees(v.ctx())
	if err != nil {
		return nil, err
	}
	ts, err := v.api.Tenders(v.ctx())
	if err != nil {
		return nil, err
	}
	byID := map[string]*api.Tender{}
	for i := range ts {
		byID[ts[i].ID] = &ts[i]
	}
	out := make([]committeeRow, 0, len(cs))
	for _, c := range cs {
		out = append(out, committeeRow{CommitteeAssignment: c, Tender: byID[c.Tender]})
	}
	return out, nil
}

func names(os []api.Official) map[string]string {
	m := map[string]string{}
	for _, o := range os {
		m[o.ID] = o.Name
	}
	return m
}

func (v *visit) assignCommittee() error {
	d := committeesData{Tender: v.form("tender"), Members: v.r.PostForm["member"]}
	err := v.api.AssignCommittee(v.ctx(), d.Tender, d.Members)
	if se := v.shown(err); se != nil {
		return v.showCommittees(v.status(err), d, se)
	} else if err != nil {
		return err
	}
	v.done("/official/committees#committee-"+d.Tender, "assigned")
	return nil
}

// --- Pokja: their tenders ----------------------------------------------

// officialTendersData is a Pokja member's list: the committees they sit
// on, each with its tender once announced.
type officialTendersData struct {
	Committees []committeeRow
	Names      map[string]string
}

func (v *visit) officialTenders() error {
	rows, err := v.committeeRows()
	if err != nil {
		return err
	}
	pokja, err := v.api.Pokja(v.ctx())
	if err != nil {
		return err
	}
	d := officialTendersData{Committees: rows, Names: names(pokja)}
	v.render(http.StatusOK, "official-tenders", view{Title: v.cat.T("official.tenders.title"), Data: d})
	return nil
}

// --- Pokja: the announcement -------------------------------------------

// announceForm is the announcement as the form has it. The v1 form
// names the committee's key; a v2 announcement (method, members'
// keys, threshold) adds its fields here and its fieldset in the
// template, beside the key's, without changing the rest.
type announceForm struct {
	ID, Title, Plan, CommitteeKey string
	// The schedule's times as typed (datetime-local, the deployment's
	// zone), and the objection period in days.
	RegistrationEnd, ClarificationEnd, SubmissionStart, Deadline, Opening string
	ObjectionDays                                                         string
	// Plans are those the tender may name.
	Plans []api.Plan
	// Zone names the times' zone.
	Zone string
}

// datetimeLocal is the form of <input type=datetime-local>.
const datetimeLocal = "2006-01-02T15:04"

func (v *visit) announcePage() error {
	id := v.r.PathValue("tender")
	if ok, err := v.toAnnounce(id); err != nil || !ok {
		return err
	}
	now := v.site.now().In(v.site.loc).Truncate(time.Minute)
	f := announceForm{ID: id, ObjectionDays: "5",
		SubmissionStart: now.Add(time.Hour).Format(datetimeLocal), RegistrationEnd: now.Add(7 * 24 * time.Hour).Format(datetimeLocal),
		ClarificationEnd: now.Add(3 * 24 * time.Hour).Format(datetimeLocal), Deadline: now.Add(7 * 24 * time.Hour).Format(datetimeLocal),
		Opening: now.Add(7*24*time.Hour + time.Hour).Format(datetimeLocal)}
	return v.showAnnounce(http.StatusOK, f, nil)
}

// toAnnounce reports whether the visitor's committee has tender id to
// announce. If not, it answers: the tender's page once it is announced,
// or a refusal when the visitor's committee has no such tender.
func (v *visit) toAnnounce(id string) (bool, error) {
	cs, err := v.api.Committees(v.ctx())
	if err != nil {
		return false, err
	}
	if !slices.ContainsFunc(cs, func(c api.CommitteeAssignment) bool { return c.Tender == id }) {
		v.renderError(http.StatusForbidden, v.cat.T("official.not-member", id), "")
		return false, nil
	}
	_, err = v.api.Tender(v.ctx(), id)
	switch {
	case err == nil:
		v.redirect("/official/tenders/" + pathEscape(id))
		return false, nil
	case client.ErrorCode(err) == api.CodeNotFound:
		return true, nil
	}
	return false, err
}

func (v *visit) showAnnounce(status int, f announceForm, se *shownError) error {
	ps, err := v.api.Plans(v.ctx())
	if err != nil {
		return err
	}
	f.Plans = ps
	f.Zone, _ = v.site.now().In(v.site.loc).Zone()
	v.render(status, "official-announce", view{Title: v.cat.T("official.announce.title", f.ID), Data: f, Error: se})
	return nil
}

// localTime reads a datetime-local field in the deployment's zone.
func (v *visit) localTime(field, value string) (time.Time, error) {
	t, err := time.ParseInLocation(datetimeLocal, value, v.site.loc)
	if err != nil {
		if t, err = time.ParseInLocation(datetimeLocal+":05", value, v.site.loc); err != nil {
			return time.Time{}, &formError{text: v.cat.T("official.time-invalid", v.cat.T("official.schedule."+field), value)}
		}
	}
	return t.UTC(), nil
}

// announce stores the tender document, then announces the tender naming
// it. A refused announcement leaves the document stored, unreferenced:
// the form is shown again with what was typed, and the file must be
// chosen again (a browser cannot be given it back).
func (v *visit) announce() error {
	f := announceForm{ID: v.r.PathValue("tender"), Title: v.form("title"), Plan: v.form("plan"), CommitteeKey: v.form("committee_key"),
		RegistrationEnd: v.form("registration_end"), ClarificationEnd: v.form("clarification_end"),
		SubmissionStart: v.form("submission_start"), Deadline: v.form("deadline"), Opening: v.form("opening"),
		ObjectionDays: v.form("objection_days")}
	fail := func(err error) error {
		if se := v.shown(err); se != nil {
			return v.showAnnounce(v.status(err), f, se)
		}
		return err
	}
	a := api.Announcement{ID: f.ID, Title: f.Title, Plan: f.Plan, CommitteeKey: f.CommitteeKey}
	var err error
	for _, x := range []struct {
		field, value string
		to           *time.Time
	}{
		{"submission-start", f.SubmissionStart, &a.Schedule.SubmissionStart},
		{"registration-end", f.RegistrationEnd, &a.Schedule.RegistrationEnd},
		{"clarification-end", f.ClarificationEnd, &a.Schedule.ClarificationEnd},
		{"deadline", f.Deadline, &a.Schedule.Deadline},
		{"opening", f.Opening, &a.Schedule.Opening},
	} {
		if *x.to, err = v.localTime(x.field, x.value); err != nil {
			return fail(err)
		}
	}
	if a.Schedule.ObjectionDays, err = strconv.Atoi(f.ObjectionDays); err != nil {
		return fail(&formError{text: v.cat.T("official.objection-days-invalid")})
	}
	doc, err := v.formFile("document")
	if err == nil && doc == nil {
		err = &formError{text: v.cat.T("official.document-missing")}
	}
	if err != nil {
		return fail(err)
	}
	if a.Document, err = v.api.UploadDocument(v.ctx(), bytes.NewReader(doc)); err != nil {
		return fail(err)
	}
	if _, err := v.api.Announce(v.ctx(), a); err != nil {
		return fail(err)
	}
	v.done("/official/tenders/"+pathEscape(f.ID), "announced")
	return nil
}

// --- Pokja: a tender's page --------------------------------------------

// officialTenderData is the committee's page of one tender.
type officialTenderData struct {
	T       *api.Tender
	Names   map[string]string
	Addenda []addendum
	// Questions and Objections, with the digests the answers name.
	Questions, Objections []officialMessage
	Opening               *opening
	ResultText, AwardText string
	// What the committee may do now, by the state and schedule (the API
	// decides).
	Amend, Close, Open, Result bool
	// Winners are the bidders whose offers opened, for the result.
	Winners []string
	// A refused form's texts, shown again.
	Deadline, ResultWinner, ResultBody string
	Zone                               string
}

// officialMessage is a question or objection and its digest, for the
// answer form.
type officialMessage struct {
	message
	Kind   api.MessageKind
	Digest string
}

func (v *visit) officialTender() error {
	return v.showOfficialTender(http.StatusOK, officialTenderData{}, nil)
}

func (v *visit) showOfficialTender(status int, d officialTenderData, se *shownError) error {
	id := v.r.PathValue("tender")
	t, err := v.api.Tender(v.ctx(), id)
	if err != nil {
		return err
	}
	if !slices.Contains(t.Committee, v.user.ID) {
		v.renderError(http.StatusForbidden, v.cat.T("official.not-member", t.ID), "")
		return nil
	}
	d.T = t
	pokja, err := v.api.Pokja(v.ctx())
	if err != nil {
		return err
	}
	d.Names = names(pokja)
	if d.Addenda, err = v.addenda(id); err != nil {
		return err
	}
	for _, k := range []api.MessageKind{api.Question, api.Objection} {
		ms, err := v.officialMessages(id, k)
		if err != nil {
			return err
		}
		if k == api.Question {
			d.Questions = ms
		} else {
			d.Objections = ms
		}
	}
	if !t.OpeningReport.IsZero() {
		if d.Opening, err = v.opening(id); err != nil {
			return err
		}
		if d.Opening.Report != nil {
			for _, o := range d.Opening.Report.Offers {
				if o.Outcome != audit.OutcomeFailed {
					d.Winners = append(d.Winners, o.Bidder)
				}
			}
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
	now := v.site.now()
	d.Amend = t.State == api.StateAnnounced && now.Before(t.Schedule.Deadline)
	d.Close = (t.State == api.StateAnnounced || t.State == api.StateClosing) && now.After(t.Schedule.Deadline)
	d.Open = t.State == api.StateClosed
	d.Result = t.State == api.StateOpened
	d.Zone, _ = now.In(v.site.loc).Zone()
	v.render(status, "official-tender", view{Title: t.ID + " · " + t.Title, Data: d, Error: se})
	return nil
}

func (v *visit) officialMessages(id string, kind api.MessageKind) ([]officialMessage, error) {
	ms, err := v.api.Messages(v.ctx(), id, kind)
	if err != nil {
		return nil, err
	}
	out := make([]officialMessage, 0, len(ms))
	for _, m := range ms {
		x := officialMessage{message: message{Time: m.Time}, Kind: kind, Digest: m.Document.String()}
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

// amend publishes an addendum: a new document, a new deadline, or both.
func (v *visit) amend() error {
	id := v.r.PathValue("tender")
	d := officialTenderData{Deadline: v.form("deadline")}
	fail := func(err error) error {
		if se := v.shown(err); se != nil {
			return v.showOfficialTender(v.status(err), d, se)
		}
		return err
	}
	var a api.Amendment
	if d.Deadline != "" {
		t, err := v.localTime("deadline", d.Deadline)
		if err != nil {
			return fail(err)
		}
		a.Deadline = t
	}
	doc, err := v.formFile("document")
	if err != nil {
		return fail(err)
	}
	if doc == nil && a.Deadline.IsZero() {
		return fail(&formError{text: v.cat.T("official.amend.empty")})
	}
	if doc != nil {
		if a.Document, err = v.api.UploadDocument(v.ctx(), bytes.NewReader(doc)); err != nil {
			return fail(err)
		}
	}
	if _, err := v.api.Amend(v.ctx(), id, a); err != nil {
		return fail(err)
	}
	v.done("/official/tenders/"+pathEscape(id)+"#documents", "amended")
	return nil
}

// answer answers a question or an objection, named by its digest.
func (v *visit) answer() error {
	id := v.r.PathValue("tender")
	kind := api.MessageKind(v.form("kind"))
	if kind != api.Question && kind != api.Objection {
		return v.showOfficialTender(http.StatusBadRequest, officialTenderData{}, &shownError{Text: v.cat.T("official.answer.kind")})
	}
	digest, err := api.ParseDigest(v.form("message"))
	if err != nil {
		return v.showOfficialTender(http.StatusBadRequest, officialTenderData{}, &shownError{Text: v.cat.T("official.answer.kind")})
	}
	_, err = v.api.Reply(v.ctx(), id, kind, digest, v.form("text"))
	if se := v.shown(err); se != nil {
		return v.showOfficialTender(v.status(err), officialTenderData{}, se)
	} else if err != nil {
		return err
	}
	v.done("/official/tenders/"+pathEscape(id)+"#"+string(kind)+"s", "answered")
	return nil
}

func (v *visit) closeTender() error {
	id := v.r.PathValue("tender")
	_, err := v.api.Close(v.ctx(), id)
	if se := v.shown(err); se != nil {
		return v.showOfficialTender(v.status(err), officialTenderData{}, se)
	} else if err != nil {
		return err
	}
	v.done("/official/tenders/"+pathEscape(id), "closed")
	return nil
}

func (v *visit) announceResult() error {
	id := v.r.PathValue("tender")
	d := officialTenderData{ResultWinner: v.form("winner"), ResultBody: v.form("text")}
	_, err := v.api.Result(v.ctx(), id, d.ResultWinner, d.ResultBody)
	if se := v.shown(err); se != nil {
		return v.showOfficialTender(v.status(err), d, se)
	} else if err != nil {
		return err
	}
	v.done("/official/tenders/"+pathEscape(id)+"#result", "result")
	return nil
}

// --- Pokja: the opening ceremony of a v1 tender ------------------------

// ceremonyData is the version 1 opening ceremony's page.
type ceremonyData struct {
	T     *api.Tender
	Names map[string]string
	// Witnesses are those checked (all, at first).
	Witnesses []string
	// Early is set before the opening round is published.
	Early bool
	// States are the tender states' names, for the page's script.
	States map[string]string
}

func (v *visit) ceremonyPage() error {
	return v.showOpening(http.StatusOK, nil, nil)
}

func (v *visit) showOpening(status int, witnesses []string, se *shownError) error {
	id := v.r.PathValue("tender")
	t, err := v.api.Tender(v.ctx(), id)
	if err != nil {
		return err
	}
	if !slices.Contains(t.Committee, v.user.ID) {
		v.renderError(http.StatusForbidden, v.cat.T("official.not-member", t.ID), "")
		return nil
	}
	pokja, err := v.api.Pokja(v.ctx())
	if err != nil {
		return err
	}
	if witnesses == nil {
		witnesses = t.Committee
	}
	d := ceremonyData{T: t, Names: names(pokja), Witnesses: witnesses, Early: v.site.now().Before(t.RoundTime),
		States: v.cat.prefixed("state.")}
	v.render(status, "official-open", view{Title: v.cat.T("official.open.title", t.ID), Data: d, Error: se,
		Scripts: []string{"official-open.js"}})
	return nil
}

// maxKeyFile caps the committee's key file: an age post-quantum secret
// key is about 2 KiB of text.
const maxKeyFile = 16 << 10

// openTender runs the opening ceremony with the committee's key, taken
// from the file chosen or the text pasted, used for this one call and
// never stored, logged or shown again.
func (v *visit) openTender() error {
	id := v.r.PathValue("tender")
	witnesses := v.r.PostForm["witness"]
	refuse := func(text string) error {
		return v.showOpening(http.StatusBadRequest, witnesses, &shownError{Text: text})
	}
	key := v.r.PostFormValue("key")
	file, err := v.formFile("key_file")
	var fe *formError
	if errors.As(err, &fe) {
		return refuse(fe.text)
	} else if err != nil {
		return err
	}
	switch {
	case file != nil && strings.TrimSpace(key) != "":
		return refuse(v.cat.T("official.open.key-both"))
	case len(file) > maxKeyFile:
		return refuse(v.cat.T("official.open.key-invalid"))
	case file != nil:
		key = string(file)
	}
	key = keyLine(key)
	if key == "" {
		return refuse(v.cat.T("official.open.key-missing"))
	}
	identity, err := age.ParseHybridIdentity(key)
	if err != nil {
		return refuse(v.cat.T("official.open.key-invalid"))
	}
	_, err = v.api.Open(v.ctx(), id, identity, witnesses)
	if se := v.shown(err); se != nil {
		return v.showOpening(v.status(err), witnesses, se)
	} else if err != nil {
		return err
	}
	v.done("/official/tenders/"+pathEscape(id)+"#opening", "opened")
	return nil
}

// keyLine finds the secret key in a key file as segel keygen writes it
// (comment lines starting with #, then the key) or in pasted text.
func keyLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return ""
}

// --- PPK: the award -----------------------------------------------------

// awardsData is the PPK's page: the tenders whose result is announced,
// to award, and those awarded.
type awardsData struct {
	Pending, Awarded []api.Tender
	// Tender and Text are a refused form's.
	Tender, Text string
}

func (v *visit) officialAwards() error { return v.showAwards(http.StatusOK, awardsData{}, nil) }

func (v *visit) showAwards(status int, d awardsData, se *shownError) error {
	ts, err := v.api.Tenders(v.ctx())
	if err != nil {
		return err
	}
	for _, t := range sortTenders(ts) {
		switch t.State {
		case api.StateResult:
			d.Pending = append(d.Pending, t)
		case api.StateAwarded:
			d.Awarded = append(d.Awarded, t)
		}
	}
	v.render(status, "official-awards", view{Title: v.cat.T("official.awards.title"), Data: d, Error: se})
	return nil
}

func (v *visit) award() error {
	id := v.r.PathValue("tender")
	d := awardsData{Tender: id, Text: v.form("text")}
	_, err := v.api.Award(v.ctx(), id, d.Text)
	if se := v.shown(err); se != nil {
		return v.showAwards(v.status(err), d, se)
	} else if err != nil {
		return err
	}
	v.done("/official/awards#awarded", "awarded")
	return nil
}
