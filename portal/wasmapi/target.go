package wasmapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/internal/canon"
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
	// committee key (1,960 bytes), or a v2 committee's text (about 2 KB a
	// member, up to sealer.MaxMembers).
	MaxTargetSize = 128 << 10
	// MaxTenderSize caps a tender as the server describes it.
	MaxTenderSize = 256 << 10
	// MaxChainSize caps a pinned chain's info.
	MaxChainSize = 4 << 10
)

// Target is what a document is sealed to, as a page holds it: the chain
// pinned in the page's code, the opening round, and either the committee's
// key (format version 1) or, for a v2 tender's file part, the committee's
// canonical text and the (tender, bidder, file) the file is sealed for
// (format version 2, doc/spec/offer-v2.md).
type Target struct {
	Chain        json.RawMessage `json:"chain"`                   // the pinned chain's drand /info JSON
	Round        uint64          `json:"round"`                   // the part's opening round
	CommitteeKey string          `json:"committee_key,omitempty"` // version 1: age1pq1… hybrid recipient

	// Version 2.
	Committee string `json:"committee,omitempty"` // the committee's text, segel-committee/v1
	Tender    string `json:"tender,omitempty"`
	Bidder    string `json:"bidder,omitempty"`
	File      int    `json:"file,omitempty"` // 1 (File I, stage 1, the only file) or 2 (File II, stage 2)
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
	case t.CommitteeKey == "" && t.Committee == "":
		return sealer.Target{}, fmt.Errorf("%w: target: no committee_key (version 1) and no committee (version 2)", ErrInput)
	case t.CommitteeKey != "" && (t.Committee != "" || t.Tender != "" || t.Bidder != "" || t.File != 0):
		return sealer.Target{}, fmt.Errorf("%w: target: committee_key (version 1) with version 2 fields", ErrInput)
	}
	c, err := parseChain(t.Chain)
	if err != nil {
		return sealer.Target{}, fmt.Errorf("%w: target: chain: %v", ErrInput, err)
	}
	if t.Committee != "" {
		m, err := sealer.ParseCommittee([]byte(t.Committee))
		if err != nil {
			return sealer.Target{}, fmt.Errorf("%w: target: committee: %v", ErrInput, err)
		}
		switch {
		case !canon.IsTenderID(t.Tender):
			return sealer.Target{}, fmt.Errorf("%w: target: tender %.70q is not a tender id", ErrInput, t.Tender)
		case !canon.IsID(t.Bidder):
			return sealer.Target{}, fmt.Errorf("%w: target: bidder %.70q is not a user id", ErrInput, t.Bidder)
		case t.File != 1 && t.File != 2:
			return sealer.Target{}, fmt.Errorf("%w: target: file %d, want 1 (File I) or 2 (File II)", ErrInput, t.File)
		}
		return sealer.Target{Chain: c, Round: t.Round, Members: m, Tender: t.Tender, Bidder: t.Bidder, File: t.File}, nil
	}
	r, err := age.ParseHybridRecipient(t.CommitteeKey)
	if err != nil {
		return sealer.Target{}, fmt.Errorf("%w: target: committee_key: %v", ErrInput, err)
	}
	return sealer.Target{Chain: c, Round: t.Round, Committee: r}, nil
}

// marshalTarget is ParseTarget's inverse.
func marshalTarget(t sealer.Target) Target {
	if t.Members != nil {
		text, _ := t.Members.MarshalText()
		return Target{Chain: t.Chain.MarshalInfo(), Round: t.Round, Committee: string(text), Tender: t.Tender, Bidder: t.Bidder, File: t.File}
	}
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
	Method       string `json:"method"`
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
	case t.Method != "":
		return nil, fmt.Errorf("%w: tender %s is a %s tender of members' keys: seal each file part with checkFile", ErrInput, t.ID, t.Method)
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
