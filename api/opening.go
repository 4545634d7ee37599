package api

import "time"

// The wire of the opening protocol (doc/spec/opening.md): members' own
// opening keys, tenders announced with a committee of them and a threshold
// k (v2 tenders), offers in file parts, the members' contributions, the
// completion of a part's opening, the File I evaluation and stage 2.

// Method is how a v2 tender's offers are made and opened
// (doc/spec/opening.md §3).
type Method string

// The methods.
const (
	MethodSingleFile Method = "single-file"
	MethodTwoFile    Method = "two-file"
	MethodTwoStage   Method = "two-stage"
)

func (Method) about() string {
	return "How a tender announced with a committee of members' keys takes offers (doc/spec/opening.md §3): " +
		"single-file (one file, one opening), two-file (metode dua file: File I, administration and technical, " +
		"and File II, the price, both before the deadline; File II opens at its own later round, only for bidders " +
		"who passed the File I evaluation), two-stage (metode dua tahap: stage 1, technical, evaluated; then " +
		"stage 2, revised technical and price, in a second window open to those who passed)."
}

func (Method) values() []string { return enum(MethodSingleFile, MethodTwoFile, MethodTwoStage) }

// KeyChallengeRequest is the body of POST /v1/committee-keys/challenge.
type KeyChallengeRequest struct {
	Recipient string `json:"recipient" pattern:"^age1pq1[02-9ac-hj-np-z]+$" doc:"The member's age post-quantum recipient (age1pq1…), whose secret key the member generated on its own device (segel member key) and never sends."`
}

func (KeyChallengeRequest) about() string {
	return "A pokja member's request to register its own opening key: the server answers a challenge only the key's holder can answer."
}

// KeyChallenge answers POST /v1/committee-keys/challenge: an age file of
// a fresh secret, encrypted to the recipient; the member's tool decrypts
// it with the secret key (segel member register, or age -d) and sends the
// secret to POST /v1/committee-keys before Expires.
type KeyChallenge struct {
	Recipient string    `json:"recipient" doc:"The recipient being registered."`
	Challenge string    `json:"challenge" doc:"An armored age file (-----BEGIN AGE ENCRYPTED FILE-----) of 16 random bytes, encrypted to the recipient." example:"-----BEGIN AGE ENCRYPTED FILE-----\n…\n-----END AGE ENCRYPTED FILE-----\n"`
	Expires   time.Time `json:"expires" doc:"The answer must arrive before then; ask again after."`
}

func (KeyChallenge) about() string {
	return "The proof of possession asked of a member who registers an opening key (doc/spec/opening.md §2.1)."
}

// KeyAnswer is the body of POST /v1/committee-keys.
type KeyAnswer struct {
	Answer string `json:"answer" pattern:"^[0-9a-f]{32}$" doc:"The challenge's 16 bytes, decrypted with the member's secret key, as 32 lowercase hex digits." example:"6f1c9a2b7d3e8f4a5b6c7d8e9f0a1b2c"`
}

func (KeyAnswer) about() string { return "The answer to a key challenge." }

// CommitteeKey is an opening key a pokja member registered.
type CommitteeKey struct {
	User       string    `json:"user" example:"u-4k2m9q7x3h5p8r6t"`
	Recipient  string    `json:"recipient" doc:"The member's age post-quantum recipient (age1pq1…)."`
	KeyID      string    `json:"key_id" pattern:"^[0-9a-f]{16}$" doc:"The recipient's key id (doc/spec/offer.md)." example:"3f2a9c1d7e5b8a40"`
	Registered time.Time `json:"registered" doc:"Tenders announced from then on seal to it; keep its secret key until every one of them has opened."`
}

func (CommitteeKey) about() string {
	return "A pokja member's registered opening key; the last one registered is in force for new tenders."
}

// CommitteeMember is member i of a v2 tender's committee.
type CommitteeMember struct {
	Index     int    `json:"index" doc:"The member's index, 1 to n: the order of the recipients' bytes, not of user ids." example:"1"`
	User      string `json:"user" example:"u-4k2m9q7x3h5p8r6t"`
	Recipient string `json:"recipient" doc:"The member's age post-quantum recipient in force at the announcement."`
}

func (CommitteeMember) about() string {
	return "A member of a tender's committee, with its opening key."
}

// PartState is where a file part of a v2 tender stands.
type PartState string

// The part states.
const (
	PartStateScheduled PartState = "scheduled"
	PartStateOpen      PartState = "open"
	PartStateClosed    PartState = "closed"
	PartStateOpening   PartState = "opening"
	PartStateOpened    PartState = "opened"
)

func (PartState) about() string {
	return "Where a file part stands: scheduled (its window has not started, or for stage 2 is not announced), " +
		"open (files are accepted: before its deadline), closed (the deadline has passed; its opening has not started), " +
		"opening (the opening started: members send their contributions), opened (its opening report is logged)."
}

func (PartState) values() []string {
	return enum(PartStateScheduled, PartStateOpen, PartStateClosed, PartStateOpening, PartStateOpened)
}

// FilePart is one file part of a v2 tender, as the public sees it.
type FilePart struct {
	File          int       `json:"file" doc:"1 (File I, stage 1, or the only file) or 2 (File II, stage 2)." example:"1"`
	State         PartState `json:"state"`
	Start         time.Time `json:"start,omitzero" doc:"The window opens; absent for a stage 2 not yet announced."`
	Deadline      time.Time `json:"deadline,omitzero" doc:"The last moment a file of this part is accepted; absent for a stage 2 not yet announced."`
	Opening       time.Time `json:"opening,omitzero" doc:"The earliest the part opens; absent for a stage 2 not yet announced."`
	Round         uint64    `json:"round,omitempty" doc:"The beacon round the part's files are sealed to: the first at or after its opening time; absent for a stage 2 not yet announced." example:"1234567"`
	RoundTime     time.Time `json:"round_time,omitzero" doc:"When that round is published."`
	Offers        *int      `json:"offers,omitempty" doc:"The number of files in the part's fixed set; absent until it is closed."`
	Started       time.Time `json:"started,omitzero" doc:"When its opening started (the round's signature logged); absent before."`
	OpeningReport Digest    `json:"opening_report,omitzero" doc:"The part's signed opening report (GET /v1/tenders/{tender}/files/{file}/opening-report); absent until opened."`
}

func (FilePart) about() string {
	return "A file part of a tender's offers: its window, its round, its opening."
}

// Evaluation is the fixed File I evaluation of a two-file or two-stage
// tender (doc/spec/opening.md §6).
type Evaluation struct {
	Digest Digest    `json:"digest" doc:"Of the evaluation document (segel-evaluation/v1) k members approved."`
	Passed []string  `json:"passed" doc:"The bidders who passed, ascending."`
	Failed []string  `json:"failed" doc:"The bidders who failed, ascending: their File II stays sealed."`
	Fixed  time.Time `json:"fixed" doc:"When the k-th approval fixed it."`
}

func (Evaluation) about() string { return "The File I evaluation, fixed by k members' approvals." }

// EvaluationProposal is a proposed File I evaluation and its approvals.
type EvaluationProposal struct {
	Digest    Digest   `json:"digest" doc:"Of the evaluation document; members approve it by this digest."`
	Proposer  string   `json:"proposer" doc:"The member who proposed it."`
	Approvals []string `json:"approvals" doc:"The members who approved it, in order, the proposer first."`
	Fixed     bool     `json:"fixed" doc:"Whether k members approved it: the evaluation of the tender."`
}

func (EvaluationProposal) about() string {
	return "A File I evaluation proposed by a member, with the members who approved its digest."
}

// BidderResult is the committee's finding on one bidder's File I.
type BidderResult struct {
	Bidder  string `json:"bidder" example:"u-7d3f5g2h9j4k6m8n"`
	Passed  bool   `json:"passed"`
	Reasons string `json:"reasons" doc:"The committee's reasons, in words; kept in the vault and logged only by SHA-256: they may name people." example:"Memenuhi persyaratan administrasi dan teknis."`
}

func (BidderResult) about() string {
	return "A bidder passed or failed in the File I evaluation, with the reasons."
}

// EvaluationRequest is the body of POST /v1/tenders/{tender}/evaluations.
type EvaluationRequest struct {
	Results []BidderResult `json:"results" doc:"One for every bidder of File I's closing set; a bidder whose File I did not open fails."`
}

func (EvaluationRequest) about() string {
	return "A File I evaluation proposed by a member of the committee; the proposal is its own approval."
}

// StageTwoRequest is the body of POST /v1/tenders/{tender}/stage-two.
type StageTwoRequest struct {
	Deadline time.Time `json:"deadline" doc:"The end of stage 2's window."`
	Opening  time.Time `json:"opening" doc:"Stage 2's opening time, not before the deadline; it fixes stage 2's round."`
}

func (StageTwoRequest) about() string {
	return "The announcement of a two-stage tender's stage 2, after the stage 1 evaluation is fixed."
}

// LogEntry is one entry of the audit log with its inclusion proof.
type LogEntry struct {
	Index     int64    `json:"index" doc:"Its log index."`
	Data      string   `json:"data" doc:"The entry, byte for byte (doc/spec/entries.md): text lines, each ending in a newline."`
	Inclusion []Digest `json:"inclusion" doc:"Its RFC 6962 inclusion proof in the evidence's checkpoint, leaf to root."`
}

func (LogEntry) about() string { return "An audit log entry with its inclusion proof." }

// SealedHeader is the age header of a current file of a part, as a
// member's tool checks it and contributes to it.
type SealedHeader struct {
	Bidder string `json:"bidder" example:"u-7d3f5g2h9j4k6m8n"`
	File   int    `json:"file" example:"1"`
	Index  int64  `json:"index" doc:"The log index of the file's file-received entry."`
	SHA256 Digest `json:"sha256" doc:"Of the whole sealed file."`
	Size   int64  `json:"size" doc:"Of the sealed file, in bytes."`
	Header string `json:"header" doc:"The file's age header, from its first byte through the newline of its --- line; its SHA-256 is the file-received entry's header."`
}

func (SealedHeader) about() string {
	return "The header of a sealed file whose part's opening has started, for a member's tool."
}

// Evidence answers GET /v1/tenders/{tender}/files/{file}/evidence: what a
// member's tool checks before it computes anything (member.Verify and
// member.Tender.Answers, doc/spec/opening.md §5.2).
type Evidence struct {
	Tender      string         `json:"tender" example:"T-2026-001"`
	File        int            `json:"file" example:"1"`
	Checkpoint  string         `json:"checkpoint" doc:"A signed checkpoint of the audit log (a signed note), taken now: verify it with the pinned log key."`
	Entries     []LogEntry     `json:"entries" doc:"Every log entry of the tender below the checkpoint's size, ascending, each with its inclusion proof in it."`
	Seen        int64          `json:"seen,omitempty" doc:"The tree size asked for with ?seen=N: the checkpoint the tool saw before."`
	Consistency []Digest       `json:"consistency,omitempty" doc:"With ?seen=N: the RFC 6962 proof that the checkpoint extends the tree of size N."`
	Headers     []SealedHeader `json:"headers" doc:"The headers of the part's current files (of File II: of bidders who passed only), ascending by log index."`
}

func (Evidence) about() string {
	return "The log and the headers a member's tool checks, against its pinned log key and chain, before contributing."
}

// TenderLog answers GET /v1/tenders/{tender}/log: a v2 tender's log
// entries, proved in a fresh checkpoint, for anyone. A bidder's tool
// replays them (member.Verify) and seals to the committee and the round
// they name, not to the ones the tender's JSON says (doc/spec/opening.md
// §2.2).
type TenderLog struct {
	Tender     string     `json:"tender" example:"T-2026-001"`
	Checkpoint string     `json:"checkpoint" doc:"A signed checkpoint of the audit log (a signed note), taken now: verify it with the pinned log key."`
	Entries    []LogEntry `json:"entries" doc:"The tender's log entries below the checkpoint's size, ascending, each with its inclusion proof in it: until File I's opening report is logged, only those of the announcement and the schedule (tender-announced, tender-committee, committee-member, file-ii-scheduled, tender-amended), since who bid and their files' digests are withheld until the opening (doc/spec/ocds.md §4); every entry after."`
}

func (TenderLog) about() string {
	return "A v2 tender's log entries with inclusion proofs in a fresh checkpoint, which a bidder's tool checks against its pinned log key and chain before sealing."
}

// ContributionBatch answers POST /v1/tenders/{tender}/files/{file}/contributions,
// whose body is a batch in the text form segel-contributions/v1
// (doc/spec/opening.md §4.3).
type ContributionBatch struct {
	Member      int            `json:"member" doc:"The caller's member index."`
	Contributed int            `json:"contributed" doc:"Contributions that authenticated."`
	Claimed     int            `json:"claimed" doc:"Claims (claimed-key, claimed-share)."`
	Refused     int            `json:"refused" doc:"Contributions that failed authentication: the member's fault, recorded against it."`
	Refusals    []BatchRefusal `json:"refusals,omitempty" doc:"Why each refused contribution was refused."`
	List        Digest         `json:"list" doc:"The SHA-256 of the batch's list, which the member's tool computes too and finds in the log."`
	Index       int64          `json:"index" doc:"The log index of its contributions-received entry."`
}

func (ContributionBatch) about() string {
	return "A member's batch of contributions, taken and logged."
}

// BatchRefusal is one contribution of a batch refused.
type BatchRefusal struct {
	Index  int64  `json:"index" doc:"The file's log index."`
	Reason string `json:"reason"`
}

func (BatchRefusal) about() string { return "A contribution that failed authentication." }

// CompleteRequest is the body of POST /v1/tenders/{tender}/files/{file}/complete.
type CompleteRequest struct {
	AcceptFailures bool `json:"accept_failures,omitempty" doc:"Complete although some files have fewer than k authenticated contributions: they fail, and their witness reports say whose fault it is. Without it such a completion is refused (too-few-contributions), naming the files and who has not answered. Failing files is the committee's decision: k of the members who sent a batch must ask for it; until then each request is refused (wrong-state) saying who has asked, and kept."`
}

func (CompleteRequest) about() string {
	return "The completion of a part's opening, by a member who sent a batch for it (doc/spec/opening.md §4.4)."
}

// PartOpening is the outcome of a part's opening.
type PartOpening struct {
	File     int           `json:"file" example:"1"`
	Opened   int           `json:"opened" doc:"The files that opened."`
	Failed   int           `json:"failed" doc:"The files that failed to open; each has a witness report."`
	Withheld int           `json:"withheld" doc:"File II of bidders who did not pass File I: never opened."`
	Offers   []OpenedOffer `json:"offers" doc:"Every file of the part's fixed set, as the opening report lists it."`
	Report   string        `json:"report" doc:"The signed opening report, version 2 (doc/spec/reports.md §6)."`
	Duration float64       `json:"duration_seconds" doc:"How long the completion took."`
}

func (PartOpening) about() string { return "The outcome of a file part's opening." }

// Outcome is what became of a file at its opening.
type Outcome string

// The outcomes.
const (
	OutcomeOpened   Outcome = "opened"
	OutcomeFailed   Outcome = "failed"
	OutcomeWithheld Outcome = "withheld"
)

func (Outcome) about() string {
	return "What became of a file at its opening: opened, failed (a witness report says why and whose fault), " +
		"withheld (File II of a bidder who did not pass File I: never opened)."
}

func (Outcome) values() []string { return enum(OutcomeOpened, OutcomeFailed, OutcomeWithheld) }

// OpenedOffer is one line of an opening report.
type OpenedOffer struct {
	Bidder       string  `json:"bidder"`
	Index        int64   `json:"index" doc:"The log index of the file's file-received entry."`
	SHA256       Digest  `json:"sha256" doc:"Of the sealed file."`
	Size         int64   `json:"size"`
	Outcome      Outcome `json:"outcome"`
	Digest       Digest  `json:"digest,omitzero" doc:"Opened: the SHA-256 of the document; failed: of the signed witness report (GET /v1/tenders/{tender}/files/{file}/witness/{bidder}); absent when withheld."`
	Contributors []int   `json:"contributors,omitempty" doc:"The members whose contributions authenticated, ascending; on an opened line the first k were combined."`
}

func (OpenedOffer) about() string { return "A file's line in an opening report." }
