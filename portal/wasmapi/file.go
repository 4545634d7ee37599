package wasmapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/sealer"
)

// CheckedFile is a v2 tender's file part whose time lock and committee
// CheckFile accepted.
type CheckedFile struct {
	Tender      string    `json:"tender"`
	Method      string    `json:"method"`
	File        int       `json:"file"`
	Bidder      string    `json:"bidder"`
	Target      Target    `json:"target"` // what to pass to Seal
	Opens       time.Time `json:"opens"`  // when the part's round is published
	Deadline    time.Time `json:"deadline"`
	CommitteeID string    `json:"committee_id"`
	Threshold   int       `json:"threshold"`
	Members     int       `json:"members"`
}

// tenderV2 is the part of the server's v2 tender view that sealing a file
// part depends on.
type tenderV2 struct {
	ID              string `json:"id"`
	Chain           string `json:"chain"`
	Method          string `json:"method"`
	Threshold       int    `json:"threshold"`
	CommitteeKeyID  string `json:"committee_key_id"`
	CommitteeText   string `json:"committee_text"`
	CommitteeDigest string `json:"committee_digest"`
	Members         []struct {
		Index     int    `json:"index"`
		Recipient string `json:"recipient"`
	} `json:"members"`
	Parts []struct {
		File     int       `json:"file"`
		State    string    `json:"state"`
		Deadline time.Time `json:"deadline"`
		Opening  time.Time `json:"opening"`
		Round    uint64    `json:"round"`
	} `json:"parts"`
}

// ErrNotOpen means the file part takes no file now: a stage 2 not yet
// announced, or a part whose window has not started or has closed.
var ErrNotOpen = errors.New("wasmapi: this file part takes no file now")

// CheckFile checks file part file of a v2 tender, as the server describes
// it (GET /v1/tenders/{id}), for bidder, against the chain pinned in the
// page's code, at now — what client.FileTarget checks: the part's round is
// the pinned chain's RoundAt(its opening), not yet published, with an
// opening not before its deadline (sealer.CheckPublished); the committee
// is parsed from committee_text, whose SHA-256 must be committee_digest,
// whose id must be committee_key_id, and whose threshold and members'
// recipients must be the ones the tender lists. The target it returns
// seals to (tender, bidder, file), so that a file sealed for one part or
// bidder is refused for another (sealer.Target.Check).
func CheckFile(pinnedChain, tenderJSON []byte, bidder string, file int, now time.Time) (*CheckedFile, error) {
	c, _, err := checkFile(pinnedChain, tenderJSON, bidder, file, now)
	return c, err
}

// CheckFileLogged is CheckFile, and then what client.FileTarget checks
// of the log (doc/spec/opening.md §2.2): tenderLog (api.TenderLog's JSON,
// GET /v1/tenders/{id}/log) is verified against the pinned keys' log key
// and the pinned chain and replayed (member.Verify), and the committee
// and the part's round the tender names must be the logged ones; a server
// that names a committee of its own keys is refused (sealer.ErrUnsafeTarget).
func CheckFileLogged(pinnedChain, keys, tenderJSON, tenderLog []byte, bidder string, file int, now time.Time) (*CheckedFile, error) {
	trusted, err := parseKeys(keys)
	if err != nil {
		return nil, err
	}
	c, st, err := checkFile(pinnedChain, tenderJSON, bidder, file, now)
	if err != nil {
		return nil, err
	}
	if st.Chain.HashHex() != trusted.Chain {
		return nil, fmt.Errorf("%w: the pinned chain is %s, the pinned keys name %s", ErrInput, st.Chain.HashHex(), trusted.Chain)
	}
	if len(tenderLog) > MaxEvidenceSize {
		return nil, fmt.Errorf("%w: tender log: %d bytes, more than %d", ErrInput, len(tenderLog), MaxEvidenceSize)
	}
	var lg api.TenderLog
	if err := json.Unmarshal(tenderLog, &lg); err != nil {
		return nil, fmt.Errorf("%w: tender log: %v", ErrInput, err)
	}
	unsafe := func(format string, args ...any) error {
		return &sealer.UnsafeTargetError{Tender: c.Tender, Reason: fmt.Sprintf(format, args...)}
	}
	if lg.Tender != c.Tender {
		return nil, unsafe("was asked for, but the server sent the log of tender %.70q", lg.Tender)
	}
	ev := member.Evidence{Checkpoint: []byte(lg.Checkpoint)}
	for _, le := range lg.Entries {
		ev.Entries = append(ev.Entries, audit.LogEntry{Index: le.Index, Data: []byte(le.Data), Inclusion: hashes(le.Inclusion)})
	}
	logged, err := member.Verify(ev, c.Tender, trusted.Log, st.Chain)
	if err != nil {
		return nil, unsafe("has a log that does not verify against the pinned log key and chain, so its committee is not known (%v): refusing to seal", err)
	}
	if logged.Committee == nil {
		return nil, unsafe("has a log that names no committee: refusing to seal")
	}
	got, _ := st.Members.MarshalText()
	want, _ := logged.Committee.MarshalText()
	if !bytes.Equal(got, want) {
		return nil, unsafe("names committee %s, but its log, verified with the pinned log key, names another: refusing to seal; report it to the LPSE's auditor", c.CommitteeID)
	}
	if logged.Rounds[file] != st.Round {
		return nil, unsafe("names round %d for file %d, but its log names round %d: refusing to seal; report it to the LPSE's auditor", st.Round, file, logged.Rounds[file])
	}
	return c, nil
}

func checkFile(pinnedChain, tenderJSON []byte, bidder string, file int, now time.Time) (*CheckedFile, sealer.Target, error) {
	pinned, err := parseChain(pinnedChain)
	if err != nil {
		return nil, sealer.Target{}, fmt.Errorf("%w: pinned chain: %v", ErrInput, err)
	}
	if len(tenderJSON) > MaxTenderSize {
		return nil, sealer.Target{}, fmt.Errorf("%w: tender: %d bytes, more than %d", ErrInput, len(tenderJSON), MaxTenderSize)
	}
	if !canon.IsID(bidder) {
		return nil, sealer.Target{}, fmt.Errorf("%w: bidder %.70q is not a user id", ErrInput, bidder)
	}
	var t tenderV2
	if err := json.Unmarshal(tenderJSON, &t); err != nil {
		return nil, sealer.Target{}, fmt.Errorf("%w: tender: %v", ErrInput, err)
	}
	unsafe := func(format string, args ...any) error {
		return &sealer.UnsafeTargetError{Tender: t.ID, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case t.ID == "":
		return nil, sealer.Target{}, fmt.Errorf("%w: tender: no id", ErrInput)
	case t.Method == "":
		return nil, sealer.Target{}, fmt.Errorf("%w: tender %s is a version 1 tender (one committee key): seal with checkTender", ErrInput, t.ID)
	case file < 1 || file > len(t.Parts) || t.Parts[file-1].File != file:
		return nil, sealer.Target{}, fmt.Errorf("%w: tender %s (%s) has no file %d", ErrInput, t.ID, t.Method, file)
	}
	p := t.Parts[file-1]
	if p.Round == 0 {
		return nil, sealer.Target{}, fmt.Errorf("%w: stage 2 of tender %s is not announced yet: nothing to seal to", ErrNotOpen, t.ID)
	}
	if p.State != "" && p.State != "open" {
		return nil, sealer.Target{}, fmt.Errorf("%w: file %d of tender %s is %s, it takes files only while open", ErrNotOpen, file, t.ID, p.State)
	}
	err = sealer.CheckPublished(pinned, sealer.Published{Tender: t.ID, Chain: t.Chain, Round: p.Round, Deadline: p.Deadline, Opening: p.Opening}, now)
	if err != nil {
		return nil, sealer.Target{}, err
	}
	committee, err := sealer.ParseCommittee([]byte(t.CommitteeText))
	if err != nil {
		return nil, sealer.Target{}, unsafe("has a committee text that does not parse (%v): refusing to seal to it", err)
	}
	sum := sha256.Sum256([]byte(t.CommitteeText))
	if hex.EncodeToString(sum[:]) != t.CommitteeDigest || committee.ID() != t.CommitteeKeyID {
		return nil, sealer.Target{}, unsafe("shows a committee text that is not the committee it names (digest %.64s, id %.16s): refusing to seal to it", t.CommitteeDigest, t.CommitteeKeyID)
	}
	members := committee.Members()
	if len(members) != len(t.Members) || committee.Threshold() != t.Threshold {
		return nil, sealer.Target{}, unsafe("has a committee text of %d of %d members, but lists %d of %d", committee.Threshold(), len(members), t.Threshold, len(t.Members))
	}
	for i, r := range members {
		if r.String() != t.Members[i].Recipient || t.Members[i].Index != i+1 {
			return nil, sealer.Target{}, unsafe("lists member %d with another key than its committee text", i+1)
		}
	}
	st := sealer.Target{Chain: pinned, Round: p.Round, Members: committee, Tender: t.ID, Bidder: bidder, File: file}
	if !canon.IsTenderID(t.ID) {
		return nil, sealer.Target{}, fmt.Errorf("%w: tender id %.70q is not one", ErrInput, t.ID)
	}
	return &CheckedFile{Tender: t.ID, Method: t.Method, File: file, Bidder: bidder, Target: marshalTarget(st),
		Opens: pinned.TimeOf(p.Round), Deadline: p.Deadline, CommitteeID: committee.ID(),
		Threshold: committee.Threshold(), Members: len(members)}, st, nil
}
