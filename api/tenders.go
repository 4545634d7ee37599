package api

import "time"

// TenderIDPattern is the form of a tender id (the pattern of canon.IsTenderID).
const TenderIDPattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`

// TenderState is where a tender stands.
type TenderState string

// The tender states.
const (
	StateAnnounced  TenderState = "announced"
	StateClosing    TenderState = "closing"
	StateClosed     TenderState = "closed"
	StateOpening    TenderState = "opening"
	StateEvaluation TenderState = "evaluation"
	StateEvaluated  TenderState = "evaluated"
	StateOpened     TenderState = "opened"
	StateResult     TenderState = "result"
	StateAwarded    TenderState = "awarded"
	StateCancelled  TenderState = "cancelled"
)

func (TenderState) about() string {
	return "Where a tender stands: announced (registration, questions and submission per its schedule), " +
		"closing (no new offers; closing in progress), closed (the offer set is fixed), opening (a tender with a " +
		"committee of members' keys: the opening of its file part named by part started, members send their contributions), " +
		"evaluation (two-file, two-stage: File I opened, its evaluation not yet fixed), evaluated (two-stage: the " +
		"evaluation fixed, stage 2 not yet announced), opened (the opening ceremony is done; with file parts, every part's), result (the winner is announced; the objection period runs), awarded, cancelled."
}

func (TenderState) values() []string {
	return enum(StateAnnounced, StateClosing, StateClosed, StateOpening, StateEvaluation, StateEvaluated, StateOpened, StateResult, StateAwarded, StateCancelled)
}

// Schedule is a tender's timetable. Times must not decrease in the order
// submission start, registration end and clarification end (either), deadline, opening.
type Schedule struct {
	RegistrationEnd  time.Time `json:"registration_end" doc:"Providers register to take part until then; not after the deadline."`
	ClarificationEnd time.Time `json:"clarification_end" doc:"Questions (aanwijzing) until then; not after the deadline."`
	SubmissionStart  time.Time `json:"submission_start" doc:"Offers are accepted from then; before the deadline."`
	Deadline         time.Time `json:"deadline" doc:"The last moment an offer is accepted."`
	Opening          time.Time `json:"opening" doc:"The opening time, not before the deadline; it fixes the beacon round offers are sealed to, and never moves."`
	ObjectionDays    int       `json:"objection_days" doc:"The length of the objection period (sanggah) after the result, 0 to 60 days." example:"5"`
	FileIIOpening    time.Time `json:"file_ii_opening,omitzero" doc:"A two-file tender's File II opening time, after the opening: it fixes File II's round, the earliest any price opens. Absent for every other tender."`
}

func (Schedule) about() string { return "A tender's timetable." }

// Announcement is the body of POST /v1/tenders.
type Announcement struct {
	ID           string   `json:"id" pattern:"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" doc:"The tender id the PA/KPA assigned the committee to." example:"T-2026-001"`
	Title        string   `json:"title" example:"Pembangunan Gedung Puskesmas Kecamatan Umbulharjo"`
	Plan         string   `json:"plan,omitempty" doc:"The procurement plan (RUP) it carries out, if any."`
	Document     Digest   `json:"document" doc:"The tender document (dokumen pemilihan), stored first with POST /v1/documents."`
	CommitteeKey string   `json:"committee_key,omitempty" doc:"Version 1: the committee's age post-quantum recipient (age1pq1…), whose secret key opens the offers with the beacon. Absent for a tender announced with method: its committee is its members' own keys."`
	Method       Method   `json:"method,omitempty" doc:"A tender with a committee of members' own keys (doc/spec/opening.md): how it takes offers. Absent with committee_key (version 1)."`
	Members      []string `json:"members,omitempty" doc:"With method: the user ids of the committee, which must be the committee the PA/KPA assigned to the id (it is taken from there if absent); each has registered its opening key." example:"[\"u-4k2m9q7x3h5p8r6t\",\"u-7d3f5g2h9j4k6m8n\",\"u-2b5c8d4f7g3h9j6k\"]"`
	Threshold    int      `json:"threshold,omitempty" doc:"With method: k, how many members together open a file: a majority, ⌊n/2⌋+1 to n; ⌊n/2⌋+1 if absent." example:"3"`
	Schedule     Schedule `json:"schedule"`
}

func (Announcement) about() string {
	return "A tender as its committee announces it: with committee_key (version 1), or with method and a committee of members' own keys, k of whom open each file (doc/spec/opening.md)."
}

// Tender is the public view of a tender.
type Tender struct {
	ID             string      `json:"id" example:"T-2026-001"`
	Title          string      `json:"title"`
	Plan           string      `json:"plan,omitempty" doc:"The procurement plan (RUP) id, if any."`
	Document       Digest      `json:"document" doc:"The tender document; GET /v1/tenders/{tender}/documents/{digest}."`
	State          TenderState `json:"state"`
	Committee      []string    `json:"committee" doc:"The user ids of the committee members."`
	CommitteeKey   string      `json:"committee_key,omitempty" doc:"Version 1: the committee's age post-quantum recipient, which offers are sealed to. Absent for a tender with a method."`
	CommitteeKeyID string      `json:"committee_key_id" pattern:"^[0-9a-f]{16}$" doc:"The key id that sealed offers name (doc/spec/offer.md); with a method, the committee id (doc/spec/offer-v2.md §3)."`
	Chain          string      `json:"chain" pattern:"^[0-9a-f]{64}$" doc:"The hash of the beacon chain offers are locked to; a bidder checks it against the chain it pinned, never trusts it."`
	Round          uint64      `json:"round" doc:"The opening round: the first round of the chain at or after the opening time (with a method: File I's)." example:"1234567"`
	RoundTime      time.Time   `json:"round_time" doc:"When the opening round is published."`
	Schedule       Schedule    `json:"schedule"`
	Amendments     int         `json:"amendments" doc:"How many addenda were published."`
	Offers         *int        `json:"offers,omitempty" doc:"The number of offers in the fixed set; absent until closed."`
	Winner         string      `json:"winner,omitempty" doc:"The winning provider's user id; absent until the result."`
	ResultText     Digest      `json:"result_text,omitzero" doc:"The result announcement's text; absent until the result."`
	AwardText      Digest      `json:"award_text,omitzero" doc:"The award's text; absent until awarded."`
	OpeningReport  Digest      `json:"opening_report,omitzero" doc:"The signed opening report (GET /v1/tenders/{tender}/opening-report); absent until opened. With a method, each part has its own (parts)."`

	// Version 2 (doc/spec/opening.md): what a bidder's tool seals to and
	// a member's tool checks. All absent for a version 1 tender.
	Method          Method               `json:"method,omitempty" doc:"How the tender takes offers; absent for a version 1 tender (one committee key)."`
	Part            int                  `json:"part,omitempty" doc:"With a method: the file part state is about, 1 or 2." example:"1"`
	Threshold       int                  `json:"threshold,omitempty" doc:"With a method: k, how many members together open a file." example:"3"`
	Members         []CommitteeMember    `json:"members,omitempty" doc:"With a method: the committee's members in member order, with their recipients."`
	CommitteeText   string               `json:"committee_text,omitempty" doc:"With a method: the committee's canonical text (segel-committee/v1, doc/spec/offer-v2.md §3), which files are sealed to; a bidder's tool checks its SHA-256 against committee_digest as logged, never trusts it."`
	CommitteeDigest Digest               `json:"committee_digest,omitzero" doc:"With a method: the SHA-256 of committee_text, as tender-committee logs it."`
	Parts           []FilePart           `json:"parts,omitempty" doc:"With a method: each file part, File I first."`
	Evaluation      *Evaluation          `json:"evaluation,omitempty" doc:"Two-file and two-stage: the File I evaluation, once fixed."`
	Proposals       []EvaluationProposal `json:"proposals,omitempty" doc:"Two-file and two-stage: the evaluations proposed, with their approvals."`
}

func (Tender) about() string { return "A tender, as anyone may see it." }

// Amendment is the body of POST /v1/tenders/{tender}/amend: a new tender
// document, a new deadline, or both; an absent one stays as it is.
type Amendment struct {
	Document Digest    `json:"document,omitzero" doc:"The new tender document, stored first with POST /v1/documents."`
	Deadline time.Time `json:"deadline,omitzero" doc:"The new deadline, not after the opening, which never moves."`
}

func (Amendment) about() string {
	return "An addendum (adendum): a new tender document, a new deadline, or both; what is absent stays."
}

// StoredDocument answers POST /v1/documents.
type StoredDocument struct {
	SHA256 Digest `json:"sha256" doc:"Name it as an announcement's or amendment's document."`
	Size   int64  `json:"size" doc:"In bytes."`
}

func (StoredDocument) about() string { return "A stored tender document." }

// ResultRequest is the body of POST /v1/tenders/{tender}/result.
type ResultRequest struct {
	Winner string `json:"winner" doc:"The winning provider's user id; one whose offer opened." example:"u-4k2m9q7x3h5p8r6t"`
	Text   string `json:"text" doc:"The announcement's text; the server keeps it, public, by its SHA-256." example:"Pemenang tender T-2026-001 adalah CV Maju Jaya."`
}

func (ResultRequest) about() string {
	return "The result of a tender: its winner, with the announcement's text."
}

// Text is a body of one text: a question, an objection, an answer, an
// award.
type Text struct {
	Text string `json:"text" doc:"At most 64 KiB; the server keeps it, public, by its SHA-256." example:"Apakah jaminan penawaran wajib?"`
}

func (Text) about() string { return "A text." }

// OpenRequest is the body of POST /v1/tenders/{tender}/open.
type OpenRequest struct {
	Identity  string   `json:"identity" format:"password" doc:"The committee's age post-quantum secret key (AGE-SECRET-KEY-PQ-1…), used for this ceremony only and never stored: send it over TLS."`
	Witnesses []string `json:"witnesses" doc:"The user ids of the committee members present, the caller among them; the opening report names them." example:"[\"u-4k2m9q7x3h5p8r6t\",\"u-7d3f5g2h9j4k6m8n\"]"`
}

func (OpenRequest) about() string {
	return "The opening ceremony of a version 1 tender, with the committee's key. A tender with a method opens by its members' contributions instead (doc/spec/opening.md)."
}

// Opening is the outcome of an opening ceremony.
type Opening struct {
	Opened   int     `json:"opened" doc:"The offers that opened."`
	Failed   int     `json:"failed" doc:"The offers that failed to open; each has a witness report."`
	Report   string  `json:"report" doc:"The signed opening report, a signed note (doc/spec/reports.md)."`
	Duration float64 `json:"duration_seconds" doc:"How long the ceremony took."`
}

func (Opening) about() string { return "The outcome of an opening ceremony." }
