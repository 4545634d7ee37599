package tender

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/auditlog"
)

// OCDS e-reporting (regulation art. 12.1.c): a tender as an Open
// Contracting Data Standard 1.1 release package with the bids extension.
// doc/spec/ocds.md is the mapping; TestOCDSStages validates the output
// against the OCDS schemas in testdata/ocds.
const (
	ocdsVersion = "1.1"
	// ocdsBidExtension is the extension.json of the bids extension whose
	// release-schema patch testdata/ocds holds.
	ocdsBidExtension = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"
	// ocdsPartyLPSE is the party id of the LPSE (its tender committee) in
	// every release.
	ocdsPartyLPSE = "lpse"
)

// Publisher is the LPSE that publishes OCDS data.
type Publisher struct {
	// Name is the LPSE's name, e.g. "LPSE Kota Yogyakarta". It names the
	// publisher, the buyer and the procuring entity.
	Name string
	// URI is the LPSE's public site, e.g. "https://lpse.jogjakota.go.id".
	// A tender's package is identified as URI + "/ocds/" + its ocid.
	URI string
	// OCIDPrefix is the prefix the Open Contracting Partnership registered
	// for the LPSE: "ocds-" and six lowercase letters or digits. A tender's
	// ocid is OCIDPrefix + "-" + its id.
	OCIDPrefix string
}

var ocidPrefix = regexp.MustCompile(`^ocds-[a-z0-9]{6}$`)

// Check reports what is wrong with p, if anything (ErrInvalid): a
// deployment checks its publisher once at start, rather than on every
// export.
func (p Publisher) Check() error {
	switch {
	case strings.TrimSpace(p.Name) == "":
		return fmt.Errorf("%w: OCDS publisher has no name", ErrInvalid)
	case !strings.HasPrefix(p.URI, "https://") && !strings.HasPrefix(p.URI, "http://"):
		return fmt.Errorf("%w: OCDS publisher URI %q is not an http(s) URL", ErrInvalid, p.URI)
	case !ocidPrefix.MatchString(p.OCIDPrefix):
		return fmt.Errorf("%w: OCID prefix %q is not ocds- and six lowercase letters or digits", ErrInvalid, p.OCIDPrefix)
	}
	return nil
}

// OCDS returns tender id as an OCDS 1.1 release package (JSON), as far as
// it may be published now: one release per stage the tender has reached
// (announced, each addendum, closed, opened, result, award, cancelled),
// each a full snapshot of what was public at that stage, so the last one
// is the compiled state. Bids are withheld until the opening: after
// closing only their count appears, and who made an offer, with what
// sealed file, only once the offers are opened.
//
// The output depends only on the tender's records and log, never on the
// clock: exporting the same tender state twice gives the same bytes.
func (e *Engine) OCDS(ctx context.Context, id string, p Publisher) ([]byte, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	h, err := e.history(ctx, t)
	if err != nil {
		return nil, err
	}
	pkg := ocdsBuild(t, h, p)
	b, err := json.MarshalIndent(pkg, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// tenderHistory is what the log says about a tender beyond its record.
type tenderHistory struct {
	notices   []auditlog.Entry          // tender-announced, then tender-amended in order
	outcomes  map[string]auditlog.Entry // bidder/sha256 → offer-opened or offer-failed (v2: file-opened, -failed, -withheld)
	opening   *auditlog.Entry           // opening-report (v2: File I's file-opening-report)
	cancelled *auditlog.Entry           // tender-cancelled
	fixed     *auditlog.Entry           // v2: evaluation-fixed
	opening2  *auditlog.Entry           // v2: File II's file-opening-report
}

// history reads the log from the tender's announcement for the entries the
// export needs. The log, not the record, is the account of what happened.
func (e *Engine) history(ctx context.Context, t *Tender) (*tenderHistory, error) {
	const batch = 1024
	h := &tenderHistory{outcomes: map[string]auditlog.Entry{}}
	end, err := e.logSize(ctx)
	if err != nil {
		return nil, err
	}
	for start := t.LogStart; start < end; start += batch {
		entries, err := e.cfg.Log.Entries(ctx, start, min(start+batch, end))
		if err != nil {
			return nil, fmt.Errorf("tender: reading the log: %w", err)
		}
		for i, b := range entries {
			ent, err := auditlog.ParseEntry(b)
			if err != nil {
				return nil, fmt.Errorf("tender: log entry %d: %w", start+int64(i), err)
			}
			if ent.Value("tender") != t.ID {
				continue
			}
			switch ent.Type {
			case "tender-announced", "tender-amended":
				h.notices = append(h.notices, ent)
			case "offer-opened", "offer-failed", "file-opened", "file-failed", "file-withheld":
				h.outcomes[ent.Value("bidder")+"/"+ent.Value("sha256")] = ent
			case "opening-report":
				h.opening = &ent
			case "file-opening-report":
				if ent.Value("file") == "1" {
					h.opening = &ent
				} else {
					h.opening2 = &ent
				}
			case "evaluation-fixed":
				h.fixed = &ent
			case "tender-cancelled":
				h.cancelled = &ent
			}
		}
	}
	// An export taken while an addendum is being recorded shows the
	// addenda the record has, no more.
	if len(h.notices) > t.Amendments+1 {
		h.notices = h.notices[:t.Amendments+1]
	}
	if len(h.notices) == 0 {
		return nil, fmt.Errorf("tender: log has no announcement of tender %s at index %d", t.ID, t.LogStart)
	}
	return h, nil
}

// The OCDS documents, in schema field order. Optional fields are omitted
// when empty, never null.
type (
	ocdsPackage struct {
		URI           string        `json:"uri"`
		Version       string        `json:"version"`
		Extensions    []string      `json:"extensions"`
		PublishedDate string        `json:"publishedDate"`
		Publisher     ocdsPublisher `json:"publisher"`
		Releases      []ocdsRelease `json:"releases"`
	}
	ocdsPublisher struct {
		Name string `json:"name"`
		URI  string `json:"uri,omitempty"`
	}
	ocdsRelease struct {
		OCID           string      `json:"ocid"`
		ID             string      `json:"id"`
		Date           string      `json:"date"`
		Tag            []string    `json:"tag"`
		InitiationType string      `json:"initiationType"`
		Language       string      `json:"language"`
		Parties        []ocdsParty `json:"parties"`
		Buyer          ocdsOrgRef  `json:"buyer"`
		Tender         ocdsTender  `json:"tender"`
		Bids           *ocdsBids   `json:"bids,omitempty"`
		Awards         []ocdsAward `json:"awards,omitempty"`
	}
	ocdsParty struct {
		ID    string   `json:"id"`
		Name  string   `json:"name,omitempty"`
		Roles []string `json:"roles"`
	}
	ocdsOrgRef struct {
		ID   string `json:"id"`
		Name string `json:"name,omitempty"`
	}
	ocdsTender struct {
		ID                       string          `json:"id"`
		Title                    string          `json:"title"`
		Status                   string          `json:"status"`
		ProcuringEntity          ocdsOrgRef      `json:"procuringEntity"`
		ProcurementMethod        string          `json:"procurementMethod"`
		ProcurementMethodDetails string          `json:"procurementMethodDetails"`
		SubmissionMethod         []string        `json:"submissionMethod"`
		TenderPeriod             ocdsPeriod      `json:"tenderPeriod"`
		EnquiryPeriod            ocdsPeriod      `json:"enquiryPeriod"`
		NumberOfTenderers        *int            `json:"numberOfTenderers,omitempty"`
		Tenderers                []ocdsOrgRef    `json:"tenderers,omitempty"`
		Documents                []ocdsDocument  `json:"documents"`
		Amendments               []ocdsAmendment `json:"amendments,omitempty"`
	}
	ocdsPeriod struct {
		StartDate string `json:"startDate,omitempty"`
		EndDate   string `json:"endDate,omitempty"`
	}
	ocdsDocument struct {
		ID            string `json:"id"`
		DocumentType  string `json:"documentType"`
		Title         string `json:"title"`
		Description   string `json:"description"`
		DatePublished string `json:"datePublished"`
	}
	ocdsAmendment struct {
		ID              string `json:"id"`
		Date            string `json:"date"`
		Description     string `json:"description"`
		AmendsReleaseID string `json:"amendsReleaseID"`
		ReleaseID       string `json:"releaseID"`
	}
	ocdsBids struct {
		Statistics []ocdsStatistic `json:"statistics"`
		Details    []ocdsBid       `json:"details,omitempty"`
	}
	ocdsStatistic struct {
		ID      string `json:"id"`
		Measure string `json:"measure"`
		Date    string `json:"date"`
		Value   int    `json:"value"`
	}
	ocdsBid struct {
		ID          string           `json:"id"`
		Identifiers []ocdsIdentifier `json:"identifiers"`
		Date        string           `json:"date"`
		Status      string           `json:"status"`
		Tenderers   []ocdsOrgRef     `json:"tenderers"`
	}
	ocdsIdentifier struct {
		Scheme string `json:"scheme"`
		ID     string `json:"id"`
	}
	ocdsAward struct {
		ID          string         `json:"id"`
		Title       string         `json:"title"`
		Status      string         `json:"status"`
		Date        string         `json:"date"`
		Suppliers   []ocdsOrgRef   `json:"suppliers"`
		Documents   []ocdsDocument `json:"documents"`
		RelatedBids []string       `json:"relatedBids,omitempty"`
	}
)

func ocdsTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ocdsBuild maps a tender and its history to a release package.
func ocdsBuild(t *Tender, h *tenderHistory, p Publisher) *ocdsPackage {
	ocid := p.OCIDPrefix + "-" + t.ID
	lpse := ocdsOrgRef{ID: ocdsPartyLPSE, Name: p.Name}
	b := &ocdsBuilder{t: t, h: h, ocid: ocid, lpse: lpse}

	// Announcement and each addendum: the tender notice as it then stood.
	var prev string
	for i, n := range h.notices {
		id, tag := ocid+"-tender", "tender"
		if i > 0 {
			id, tag = ocid+"-amendment-"+n.Value("amendment"), "tenderAmendment"
		}
		b.start(id, tag, n.Value("time"))
		b.cur.Tender.TenderPeriod.EndDate = logTime(n.Value("deadline"))
		b.cur.Tender.Documents = []ocdsDocument{tenderDocument(n)}
		if i > 0 {
			b.cur.Tender.Amendments = append(slices.Clone(b.cur.Tender.Amendments), ocdsAmendment{
				ID:              n.Value("amendment"),
				Date:            logTime(n.Value("time")),
				Description:     "Addendum " + n.Value("amendment") + " to the tender document or deadline; the opening time never changes.",
				AmendsReleaseID: prev,
				ReleaseID:       id,
			})
		}
		b.emit()
		prev = id
	}
	if c := t.closing(1); c != nil {
		b.start(ocid+"-closed", "tenderUpdate", ocdsTime(c.Time))
		n := len(c.Offers)
		b.cur.Bids = &ocdsBids{Statistics: []ocdsStatistic{{ID: "bids", Measure: "bids", Date: ocdsTime(c.Time), Value: n}}}
		b.emit()
	}
	if t.V2() {
		b.stagesV2()
	} else if t.Closing != nil && (t.State == StateOpened || t.State == StateResult || t.State == StateAwarded ||
		t.State == StateCancelled && h.opening != nil) {
		date := ocdsTime(t.Schedule.Opening)
		if h.opening != nil {
			date = logTime(h.opening.Value("time"))
		}
		b.start(ocid+"-opened", "tenderUpdate", date)
		b.open()
		b.emit()
	}
	if r := t.Result; r != nil {
		b.start(ocid+"-award", "award", ocdsTime(r.Announced))
		b.award(r, "pending", "Result announcement (pengumuman pemenang)", r.Document, r.Announced)
		b.emit()
		if a := r.Award; a != nil {
			b.start(ocid+"-award-active", "awardUpdate", ocdsTime(a.Time))
			b.cur.Tender.Status = "complete"
			b.award(r, "active", "Award decision (penetapan pemenang)", a.Document, a.Time)
			b.emit()
		}
	}
	if t.State == StateCancelled {
		date := ocdsTime(t.Announced)
		if h.cancelled != nil {
			date = logTime(h.cancelled.Value("time"))
		}
		b.start(ocid+"-cancelled", "tenderCancellation", date)
		b.cur.Tender.Status = "cancelled"
		if len(b.cur.Awards) > 0 {
			b.cur.Awards = []ocdsAward{b.cur.Awards[0]}
			b.cur.Awards[0].Status = "cancelled"
		}
		b.emit()
	}

	last := b.out[len(b.out)-1]
	return &ocdsPackage{
		URI:           strings.TrimSuffix(p.URI, "/") + "/ocds/" + ocid,
		Version:       ocdsVersion,
		Extensions:    []string{ocdsBidExtension},
		PublishedDate: last.Date,
		Publisher:     ocdsPublisher{Name: p.Name, URI: p.URI},
		Releases:      b.out,
	}
}

// ocdsBuilder carries the snapshot forward from stage to stage.
type ocdsBuilder struct {
	t    *Tender
	h    *tenderHistory
	ocid string
	lpse ocdsOrgRef
	cur  ocdsRelease // the snapshot being built
	out  []ocdsRelease
}

// start starts the next stage's snapshot from the previous one.
func (b *ocdsBuilder) start(id, tag, date string) {
	if b.cur.OCID == "" {
		s := b.t.Schedule
		b.cur = ocdsRelease{
			OCID:           b.ocid,
			InitiationType: "tender",
			Language:       "id",
			Parties:        []ocdsParty{{ID: b.lpse.ID, Name: b.lpse.Name, Roles: []string{"buyer", "procuringEntity"}}},
			Buyer:          b.lpse,
			Tender: ocdsTender{
				ID:                       b.t.ID,
				Title:                    b.t.Title,
				Status:                   "active",
				ProcuringEntity:          b.lpse,
				ProcurementMethod:        "open",
				ProcurementMethodDetails: "Tender (e-tendering with sealed offers)",
				SubmissionMethod:         []string{"electronicSubmission"},
				TenderPeriod:             ocdsPeriod{StartDate: ocdsTime(s.SubmissionStart)},
				EnquiryPeriod:            ocdsPeriod{StartDate: ocdsTime(b.t.Announced), EndDate: ocdsTime(s.ClarificationEnd)},
			},
		}
	}
	b.cur.ID, b.cur.Tag, b.cur.Date = id, []string{tag}, logTime(date)
}

// emit records the snapshot, deep enough copied that later stages do not
// change it.
func (b *ocdsBuilder) emit() {
	rel := b.cur
	rel.Parties = slices.Clone(rel.Parties)
	rel.Awards = slices.Clone(rel.Awards)
	if rel.Bids != nil {
		bids := *rel.Bids
		rel.Bids = &bids
	}
	b.out = append(b.out, rel)
}

// open reveals the bids: who made an offer, when, with which sealed file,
// and whether it opened (valid) or not (disqualified, with a witness
// report in the log).
func (b *ocdsBuilder) open() {
	offers := b.t.Closing.Offers // sorted by bidder at closing
	n := len(offers)
	b.cur.Tender.NumberOfTenderers = &n
	bids := &ocdsBids{Statistics: b.cur.Bids.Statistics}
	var tenderers []ocdsOrgRef
	for _, o := range offers {
		ref := ocdsOrgRef{ID: o.Bidder}
		tenderers = append(tenderers, ref)
		b.cur.Parties = append(b.cur.Parties, ocdsParty{ID: o.Bidder, Roles: []string{"tenderer"}})
		status := "pending"
		switch b.h.outcomes[o.Bidder+"/"+hex.EncodeToString(o.SHA256[:])].Type {
		case "offer-opened":
			status = "valid"
		case "offer-failed":
			status = "disqualified"
		}
		bids.Details = append(bids.Details, ocdsBid{
			ID:          bidID(o),
			Identifiers: []ocdsIdentifier{{Scheme: "SHA-256", ID: hex.EncodeToString(o.SHA256[:])}},
			Date:        ocdsTime(o.Received),
			Status:      status,
			Tenderers:   []ocdsOrgRef{ref},
		})
	}
	b.cur.Tender.Tenderers = tenderers
	b.cur.Bids = bids
}

// bidID names an offer by the log index of its offer-received entry,
// unique within the LPSE's log.
func bidID(o Offer) string { return "offer-" + strconv.FormatInt(o.LogIndex, 10) }

func (b *ocdsBuilder) award(r *Result, status, title string, doc [32]byte, when time.Time) {
	winner := ocdsOrgRef{ID: r.Winner}
	a := ocdsAward{
		ID:        b.t.ID + "-award",
		Title:     title,
		Status:    status,
		Date:      ocdsTime(when),
		Suppliers: []ocdsOrgRef{winner},
		Documents: []ocdsDocument{{
			ID:            hex.EncodeToString(doc[:]),
			DocumentType:  "awardNotice",
			Title:         title,
			Description:   "Identified by the SHA-256 of the text as logged; published by the LPSE.",
			DatePublished: ocdsTime(when),
		}},
	}
	if c := b.t.closing(1); c != nil {
		for _, o := range c.Offers {
			if o.Bidder == r.Winner {
				a.RelatedBids = []string{bidID(o)}
			}
		}
	}
	b.cur.Awards = []ocdsAward{a}
	parties := slices.Clone(b.cur.Parties)
	for i := range parties {
		if parties[i].ID == r.Winner && !slices.Contains(parties[i].Roles, "supplier") {
			parties[i].Roles = append(slices.Clone(parties[i].Roles), "supplier")
		}
	}
	b.cur.Parties = parties
}

func tenderDocument(n auditlog.Entry) ocdsDocument {
	return ocdsDocument{
		ID:            n.Value("document"),
		DocumentType:  "biddingDocuments",
		Title:         "Tender document (dokumen pemilihan)",
		Description:   "Identified by its SHA-256, as logged at announcement or addendum.",
		DatePublished: logTime(n.Value("time")),
	}
}

// logTime re-prints a time taken from a log entry in the export's form.
// Log times are canonical RFC 3339 in UTC already.
func logTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return ocdsTime(t)
}
