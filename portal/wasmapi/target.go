package wasmapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// ErrInput means the page passed something that cannot be used: JSON that
// does not parse, a missing field, a key that is not one. The fault lies
// with the page's code or the file the user chose, not with the server.
var ErrInput = errors.New("wasmapi: invalid input")

// Size caps of the JSON inputs.
const (
	// MaxTargetSize caps a target: a chain's info (about 500 bytes) and a
	// committee key (1,960 bytes).
	MaxTargetSize = 8 << 10
	// MaxTenderSize caps a tender as the server describes it.
	MaxTenderSize = 256 << 10
	// MaxChainSize caps a pinned chain's info.
	MaxChainSize = 4 << 10
)

// Target is what a document is sealed to, as a page holds it: the chain
// pinned in the page's code, the opening round, the committee's key.
type Target struct {
	Chain        json.RawMessage `json:"chain"`         // the pinned chain's drand /info JSON
	Round        uint64          `json:"round"`         // the tender's opening round
	CommitteeKey string          `json:"committee_key"` // age1pq1… hybrid recipient
}

// ParseTarget converts a target's JSON into the sealer's Target. It is the
// one place that knows both forms: a new offer format changes it alone.
func ParseTarget(b []byte) (sealer.Target, error) {
	var t Target
	if err := decodeStrict(b, MaxTargetSize, &t); err != nil {
		return sealer.Target{}, fmt.Errorf("%w: target: %v", ErrInput, err)
	}
	switch {
	case len(t.Chain) == 0:
		return sealer.Target{}, fmt.Errorf("%w: target: no chain (the chain info pinned in the page)", ErrInput)
	case t.Round == 0:
		return sealer.Target{}, fmt.Errorf("%w: target: no round", ErrInput)
	case t.CommitteeKey == "":
		return sealer.Target{}, fmt.Errorf("%w: target: no committee_key", ErrInput)
	}
	c, err := parseChain(t.Chain)
	if err != nil {
		return sealer.Target{}, fmt.Errorf("%w: target: chain: %v", ErrInput, err)
	}
	r, err := age.ParseHybridRecipient(t.CommitteeKey)
	if err != nil {
		return sealer.Target{}, fmt.Errorf("%w: target: committee_key: %v", ErrInput, err)
	}
	return sealer.Target{Chain: c, Round: t.Round, Committee: r}, nil
}

// marshalTarget is ParseTarget's inverse.
func marshalTarget(t sealer.Target) Target {
	return Target{Chain: t.Chain.MarshalInfo(), Round: t.Round, CommitteeKey: t.Committee.String()}
}

func parseChain(b []byte) (timelock.Chain, error) {
	if len(b) > MaxChainSize {
		return timelock.Chain{}, fmt.Errorf("%d bytes, more than %d", len(b), MaxChainSize)
	}
	return timelock.ParseChainInfo(b)
}

// Checked is a tender whose time lock CheckTender accepted.
type Checked struct {
	Tender         string    `json:"tender"`
	Target         Target    `json:"target"` // what to pass to Seal
	Opens          time.Time `json:"opens"`  // when the round is published: the earliest the offer can open
	CommitteeKeyID string    `json:"committee_key_id"`
}

// tender is the part of the server's tender JSON (GET /v1/tenders/{id})
// that sealing depends on. encoding/json matches names without regard to
// case, so "Deadline" and "deadline" both decode.
type tender struct {
	ID           string `json:"id"`
	Chain        string `json:"chain"`
	Round        uint64 `json:"round"`
	CommitteeKey string `json:"committee_key"`
	Schedule     struct {
		Deadline time.Time `json:"deadline"`
		Opening  time.Time `json:"opening"`
	} `json:"schedule"`
}

// CheckTender checks a tender, as the server describes it, against the
// chain pinned in the page's code, at now: the rules of
// sealer.CheckPublished (the pinned chain, round = RoundAt(opening), an
// opening not before the deadline, a round not yet published), which
// client.Target applies too. It returns the target to seal to, whose
// chain is the pinned one, never the server's.
func CheckTender(pinnedChain, tenderJSON []byte, now time.Time) (*Checked, error) {
	pinned, err := parseChain(pinnedChain)
	if err != nil {
		return nil, fmt.Errorf("%w: pinned chain: %v", ErrInput, err)
	}
	if len(tenderJSON) > MaxTenderSize {
		return nil, fmt.Errorf("%w: tender: %d bytes, more than %d", ErrInput, len(tenderJSON), MaxTenderSize)
	}
	var t tender
	if err := json.Unmarshal(tenderJSON, &t); err != nil {
		return nil, fmt.Errorf("%w: tender: %v", ErrInput, err)
	}
	switch {
	case t.ID == "":
		return nil, fmt.Errorf("%w: tender: no id", ErrInput)
	case t.Chain == "" || t.Round == 0 || t.CommitteeKey == "":
		return nil, fmt.Errorf("%w: tender %s: chain, round and committee_key are required", ErrInput, t.ID)
	case t.Schedule.Deadline.IsZero() || t.Schedule.Opening.IsZero():
		return nil, fmt.Errorf("%w: tender %s: schedule.deadline and schedule.opening are required", ErrInput, t.ID)
	}
	err = sealer.CheckPublished(pinned, sealer.Published{
		Tender: t.ID, Chain: t.Chain, Round: t.Round, Deadline: t.Schedule.Deadline, Opening: t.Schedule.Opening,
	}, now)
	if err != nil {
		return nil, err
	}
	r, err := age.ParseHybridRecipient(t.CommitteeKey)
	if err != nil {
		return nil, fmt.Errorf("%w: tender %s: committee key: %v", ErrInput, t.ID, err)
	}
	st := sealer.Target{Chain: pinned, Round: t.Round, Committee: r}
	return &Checked{Tender: t.ID, Target: marshalTarget(st), Opens: pinned.TimeOf(t.Round), CommitteeKeyID: sealer.KeyID(r)}, nil
}

// decodeStrict decodes one JSON value of at most max bytes into v,
// refusing unknown fields and anything after the value.
func decodeStrict(b []byte, max int, v any) error {
	if len(b) > max {
		return fmt.Errorf("%d bytes, more than %d", len(b), max)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}
