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

const (
	StateAnnounced State = "announced" // open for registration and submission per schedule
	StateClosing   State = "closing"   // no new submissions; closing in progress
	StateClosed    State = "closed"    // submission closed, offer set fixed
	StateOpened    State = "opened"    // opening ceremony done
	StateResult    State = "result"    // result announced; objection period runs
	StateAwarded   State = "awarded"
	StateCancelled State = "cancelled"
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
	}
	return nil
}

// Tender is a tender as the engine keeps it.
type Tender struct {
	ID            string
	Title         string
	Plan          string   // procurement plan (RUP) id, if any
	Document      [32]byte // SHA-256 of the tender document in Blobs
	Committee     []string // committee member user ids
	CommitteeKey  string   // the committee's age1pq1 recipient
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
}

func (o Offer) same(p Offer) bool {
	return o.Bidder == p.Bidder && o.SHA256 == p.SHA256 && o.LogIndex == p.LogIndex
}

// Target returns what offers to t must be sealed to.
func (t *Tender) Target(e *Engine) (sealer.Target, error) {
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
