package tender

import (
	"context"
	"fmt"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
)

// State is where a tender stands. Windows inside StateAnnounced
// (registration, clarification, submission) follow from the Schedule and
// the clock; the states are the steps that need an act.
type State string

// A v2 tender's states before StateOpened are about one file part at a
// time, Tender.Part: a two-file tender is announced, closing and closed
// with Part 1 (both parts' windows close together), opening and in
// evaluation with Part 1, then closed and opening with Part 2; a two-stage
// tender goes through every state with Part 1, then, once stage 2 is
// announced, from StateAnnounced again with Part 2.
const (
	StateAnnounced  State = "announced"  // open for registration and submission per schedule
	StateClosing    State = "closing"    // no new submissions; closing in progress
	StateClosed     State = "closed"     // submission closed, offer set fixed
	StateOpening    State = "opening"    // v2: the part's opening started; members contribute
	StateEvaluation State = "evaluation" // v2, two-file and two-stage: File I opened, its evaluation not fixed
	StateEvaluated  State = "evaluated"  // v2, two-stage: the evaluation fixed, stage 2 not announced
	StateOpened     State = "opened"     // opening ceremony done (v2: every part's)
	StateResult     State = "result"     // result announced; objection period runs
	StateAwarded    State = "awarded"
	StateCancelled  State = "cancelled"
)

// Schedule is a tender's timetable. Times must not decrease in the order
// listed, and the submission window must not be empty.
type Schedule struct {
	RegistrationEnd  time.Time // providers register to take part until then
	ClarificationEnd time.Time // questions (aanwijzing) until then
	SubmissionStart  time.Time
	Deadline         time.Time // last moment an offer is accepted
	Opening          time.Time // opening time; fixes the beacon round
	ObjectionDays    int       // length of the objection period (sanggah) after the result

	// FileIIOpening is a two-file tender's File II opening time, after
	// Opening: it fixes File II's round, the earliest any price opens.
	// Zero for every other tender.
	FileIIOpening time.Time `json:",omitzero"`
}

func (s Schedule) check() error {
	steps := []struct {
		name string
		t    time.Time
	}{
		{"submission start", s.SubmissionStart},
		{"registration end", s.RegistrationEnd},
		{"clarification end", s.ClarificationEnd},
		{"deadline", s.Deadline},
		{"opening", s.Opening},
	}
	for _, st := range steps {
		if st.t.IsZero() {
			return fmt.Errorf("%w: schedule has no %s", ErrInvalid, st.name)
		}
	}
	switch {
	case !s.SubmissionStart.Before(s.Deadline):
		return fmt.Errorf("%w: submission start %s is not before the deadline %s", ErrInvalid, ts(s.SubmissionStart), ts(s.Deadline))
	case s.RegistrationEnd.After(s.Deadline):
		return fmt.Errorf("%w: registration ends %s, after the deadline %s", ErrInvalid, ts(s.RegistrationEnd), ts(s.Deadline))
	case s.ClarificationEnd.After(s.Deadline):
		return fmt.Errorf("%w: clarification ends %s, after the deadline %s", ErrInvalid, ts(s.ClarificationEnd), ts(s.Deadline))
	case s.Opening.Before(s.Deadline):
		return fmt.Errorf("%w: opening %s is before the deadline %s", ErrInvalid, ts(s.Opening), ts(s.Deadline))
	case s.ObjectionDays < 0 || s.ObjectionDays > 60:
		return fmt.Errorf("%w: objection period of %d days is outside 0–60", ErrInvalid, s.ObjectionDays)
	case !s.FileIIOpening.IsZero() && !s.FileIIOpening.After(s.Opening):
		return fmt.Errorf("%w: File II opens %s, not after File I's opening %s", ErrInvalid, ts(s.FileIIOpening), ts(s.Opening))
	}
	return nil
}

// Tender is a tender as the engine keeps it.
type Tender struct {
	ID            string
	Title         string
	Plan          string   // procurement plan (RUP) id, if any
	Document      [32]byte // SHA-256 of the tender document in Blobs
	Committee     []string // committee member user ids (v2: in member order)
	CommitteeKey  string   // v1: the committee's age1pq1 recipient
	Schedule      Schedule
	Round         uint64 // opening round, fixed at announcement
	ChainHash     string
	State         State
	Amendments    int
	LogStart      int64 // log index of the tender-announced entry
	Announced     time.Time
	Closing       *Closing `json:",omitempty"`
	OpeningReport [32]byte // SHA-256 of the signed opening report in Blobs
	Result        *Result  `json:",omitempty"`
	// Pending is the state change in progress, if any: recorded before
	// its log entries are appended, it makes other changes wait
	// (transition.go).
	Pending *Transition `json:",omitempty"`

	// Version 2 (doc/spec/opening.md): a committee of members' own keys.
	Method      Method      `json:",omitempty"` // empty for a v1 tender
	CommitteeID string      `json:",omitempty"` // sealer.Committee.ID of the committee
	Members     []string    `json:",omitempty"` // the members' recipients: Committee[i] holds Members[i]
	Threshold   int         `json:",omitempty"` // k
	Parts       []FilePart  `json:",omitempty"` // one per file part, Parts[0] for file 1
	Part        int         `json:",omitempty"` // the file part State is about
	Evaluation  *Evaluation `json:",omitempty"` // two-file, two-stage: the File I evaluation, once fixed
	Proposals   []Proposal  `json:",omitempty"` // two-file, two-stage: evaluations proposed, with their approvals
	// Approved counts each member's approvals (and proposals) logged,
	// at most maxApprovals.
	Approved map[string]int `json:",omitempty"`
}

// A FilePart is one file part of a v2 tender's offers (doc/spec/opening.md
// §3): its window, its round, its closing and its opening.
type FilePart struct {
	File     int       // 1 (File I, or the only file) or 2 (File II)
	Start    time.Time // the window opens (stage 2: when it was announced)
	Deadline time.Time // the last moment a file is accepted
	Opening  time.Time // the opening time: the earliest the part opens
	// Round is RoundAt(Opening): what the part's files are sealed to. Zero
	// for a two-stage tender's stage 2 until it is announced.
	Round      uint64
	Amendments int      `json:",omitempty"` // stage 2's amendments
	Closing    *Closing `json:",omitempty"`
	Started    *Started `json:",omitempty"` // the opening started: the beacon signature logged
	Report     [32]byte `json:",omitzero"`  // SHA-256 of the signed opening report, once opened
	// AcceptFailures are the participants who asked to complete the
	// part's opening with failures accepted, in the order they asked:
	// files short of k contributions fail only once k of them did
	// (opening.md §4.4).
	AcceptFailures []string `json:",omitempty"`
}

// Started records the start of a part's opening (opening.md §5.2).
type Started struct {
	LogIndex  int64  // of its beacon-signature-used entry
	Signature []byte // the round's beacon signature
	By        string
	Time      time.Time
}

// part returns v2 tender t's file part file.
func (t *Tender) part(file int) (*FilePart, error) {
	if !t.V2() || file < 1 || file > len(t.Parts) {
		return nil, fmt.Errorf("%w: tender %s has no file part %d", ErrInvalid, t.ID, file)
	}
	return &t.Parts[file-1], nil
}

// Closing is the fixed set of offers of a closed tender.
type Closing struct {
	Time       time.Time
	LogIndex   int64  // of the submission-closed entry
	Checkpoint []byte // signed checkpoint covering it
	Offers     []Offer
}

// Offer is one provider's current offer.
type Offer struct {
	Bidder   string
	SHA256   [32]byte
	Size     int64
	Received time.Time
	LogIndex int64 // of its offer-received entry (offer-committed while undelivered)
	// Committed offers were committed to by digest before the deadline
	// (Commit); Delivered says whether their file has arrived. Offers
	// submitted whole are Delivered and not Committed.
	Committed bool `json:",omitempty"`
	Delivered bool

	// A v2 tender's file: its part, and the SHA-256 of its age header
	// (once delivered), as its file-received entry states.
	File   int      `json:",omitempty"`
	Header [32]byte `json:",omitzero"`

	// Files counts the files the bidder has sent for the part, this one
	// included (a delivery is not another); at most maxFiles.
	Files int `json:",omitempty"`
}

func (o Offer) same(p Offer) bool {
	return o.Bidder == p.Bidder && o.SHA256 == p.SHA256 && o.LogIndex == p.LogIndex && o.File == p.File
}

// Target returns what offers to v1 tender t must be sealed to. For a v2
// tender, whose files are sealed per bidder and part, use FileTarget.
func (t *Tender) Target(e *Engine) (sealer.Target, error) {
	if t.V2() {
		return sealer.Target{}, fmt.Errorf("%w: tender %s is sealed per bidder and file part: use FileTarget", ErrInvalid, t.ID)
	}
	r, err := e.recipient(t.CommitteeKey)
	if err != nil {
		return sealer.Target{}, fmt.Errorf("tender %s: stored committee key: %w", t.ID, err)
	}
	return sealer.Target{Chain: e.chain, Round: t.Round, Committee: r}, nil
}

// recipient parses a committee key, once: parsing an ML-KEM-768 key
// (bech32 of 1,900 characters, then the key's matrix) was a tenth of a
// submission's CPU time. The key string is the cache key, so an entry
// cannot go stale; the cache is emptied when it holds maxRecipients.
func (e *Engine) recipient(key string) (*age.HybridRecipient, error) {
	const maxRecipients = 1024
	e.recipientsMu.Lock()
	r, ok := e.recipients[key]
	e.recipientsMu.Unlock()
	if ok {
		return r, nil
	}
	r, err := age.ParseHybridRecipient(key)
	if err != nil {
		return nil, err
	}
	e.recipientsMu.Lock()
	if len(e.recipients) >= maxRecipients {
		clear(e.recipients)
	}
	e.recipients[key] = r
	e.recipientsMu.Unlock()
	return r, nil
}

// CheckCommittee returns nil if actor may act for tender t's committee:
// a member of it who is still assignable to a committee (active, holding
// the role, and not excluded by separation of duties since the
// announcement, such as by becoming LPSE staff), and otherwise an error
// wrapping ErrForbidden that says why.
func (e *Engine) CheckCommittee(ctx context.Context, actor string, t *Tender) error {
	if !t.isCommittee(actor) {
		return fmt.Errorf("%w: %q is not on the committee of tender %s", ErrForbidden, actor, t.ID)
	}
	if err := e.cfg.Directory.CheckAssignable(ctx, actor, RoleCommittee); err != nil {
		return fmt.Errorf("%w: committee member %q may no longer act: %w", ErrForbidden, actor, err)
	}
	return nil
}

func (t *Tender) isCommittee(user string) bool {
	for _, m := range t.Committee {
		if m == user {
			return true
		}
	}
	return false
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }
