package member

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The checks a member's tool makes before it computes anything for a
// part's opening (doc/spec/opening.md §5.2): the server is not trusted to
// keep files sealed, so the tool reads the tender from the log, verified
// against the pinned log key, and contributes only to the files the log
// says it may.

// ErrRefused means the tool refuses to compute anything: what it was shown
// is not what the log says (another committee, a header that is not a
// current file's, the File II of a bidder who did not pass, an opening not
// started). The error says what, and nothing was computed.
var ErrRefused = errors.New("member: refused")

// Evidence is what the server gives a member's tool of the log: a signed
// checkpoint and the tender's entries, each with its inclusion proof in
// that checkpoint. Previous, if the tool saw a checkpoint before, is that
// checkpoint, and Consistency proves the new one extends it.
type Evidence struct {
	Checkpoint  []byte
	Entries     []audit.LogEntry
	Previous    []byte
	Consistency tlog.TreeProof
}

// A Tender is a v2 tender as its log shows it, verified.
type Tender struct {
	ID        string
	Method    string
	Committee *sealer.Committee // rebuilt from the committee-member entries
	Users     []string          // member i is Users[i-1]
	Rounds    [3]uint64         // Rounds[file]: the part's logged round, 0 if not scheduled
	Started   [3]bool           // Started[file]: the part's beacon signature is logged
	Fixed     bool              // the File I evaluation is fixed
	Passed    map[string]bool   // bidders passed in the fixed evaluation
	Size      int64             // the checkpoint's tree size
	chain     timelock.Chain
	files     [3]map[string]logged
}

// logged is a bidder's current file of a part, as the log says.
type logged struct {
	index     int64
	header    string // sha256 hex of the age header; "" for a commitment not delivered
	delivered bool
}

// Verify checks ev against the pinned log key — the checkpoint's
// signature, every entry's inclusion, and consistency with ev.Previous —
// and reads v2 tender id from its entries, replayed by the rules
// audit.Verify checks (audit.ReplayOpening): its committee (whose canonical
// text must hash to the logged digest and id), the rounds of its parts,
// their beacon signatures, its current files, the evaluation. ev.Entries
// must be every entry of the tender, from its tender-announced on; an
// append cut short or an entry the engine's rules never log is refused
// with ErrRefused. chain is the pinned beacon chain.
func Verify(ev Evidence, id string, logKey note.Verifier, chain timelock.Chain) (*Tender, error) {
	c, err := auditlog.VerifyCheckpoint(ev.Checkpoint, logKey)
	if err != nil {
		return nil, fmt.Errorf("member: the log's checkpoint: %w", err)
	}
	if ev.Previous != nil {
		prev, err := auditlog.VerifyCheckpoint(ev.Previous, logKey)
		if err != nil {
			return nil, fmt.Errorf("member: the checkpoint seen before: %w", err)
		}
		if err := auditlog.CheckConsistency(prev, c, ev.Consistency); err != nil {
			return nil, fmt.Errorf("%w: the log shown now does not extend the one seen before (size %d): %v", ErrRefused, prev.Size, err)
		}
	}
	if len(ev.Entries) > audit.MaxTenderEntries {
		return nil, fmt.Errorf("%w: the evidence holds %d entries, more than %d", ErrRefused, len(ev.Entries), audit.MaxTenderEntries)
	}
	for _, le := range ev.Entries {
		if err := auditlog.CheckInclusion(le.Data, le.Index, c, le.Inclusion); err != nil {
			return nil, fmt.Errorf("member: log entry %d is not proved included: %w", le.Index, err)
		}
	}
	// The tender's entries replayed by the auditor's rules: an append the
	// server cut short, or entries it appended outside the engine's rules
	// (a file after its window, a passing result outside the evaluation's
	// fixing append), are refused here, before anything is computed.
	v, err := audit.ReplayOpening(ev.Entries, id, chain)
	if err != nil {
		return nil, fmt.Errorf("%w: the log of tender %s breaks its rules: %v", ErrRefused, id, err)
	}
	t := &Tender{ID: id, Method: v.Method, Committee: v.Committee, Users: v.Users, Fixed: v.Fixed, Passed: v.Passed, Size: c.Size, chain: chain}
	for f := 1; f <= 2; f++ {
		t.files[f] = map[string]logged{}
		p := v.Parts[f]
		if p == nil {
			continue
		}
		t.Rounds[f], t.Started[f] = p.Round, p.Started
		for _, cf := range p.Current {
			t.files[f][cf.Bidder] = logged{index: cf.Index, header: cf.Header, delivered: cf.Delivered}
		}
	}
	return t, nil
}

// A Header is a file's age header as the server serves it for a part's
// opening, with the bidder, part and log index the server names.
type Header struct {
	Bidder string
	File   int
	Index  int64  // of the file's file-received entry
	Header []byte // the age header, through the LF of its "---" line
}

// An Answer is the tool's answer for one file: a contribution, or a
// claim (audit.AnswerClaimedKey, audit.AnswerClaimedShare) when the
// member's wrap, or its share, does not open with its key.
type Answer struct {
	Index        int64
	Contribution *sealer.Contribution
	Claim        string
}

// Answers checks every header against the log (opening.md §5.2) and, only
// if all pass, computes with the member's key its answer for each: a
// contribution, or a claim. It refuses (ErrRefused), computing nothing,
// when the member's key is not on the logged committee, the part's
// opening has not started, a header is not the current file of the bidder
// and part the server names (its SHA-256 is not that file-received
// entry's header, or it is sealed to another target), or — the check
// that keeps a failed bidder's price sealed — a File II is not a passed
// bidder's in a fixed evaluation.
func (t *Tender) Answers(file int, headers []Header, key *age.HybridIdentity) ([]Answer, error) {
	parsed, err := t.checkAll(file, headers, key)
	if err != nil {
		return nil, err
	}
	out := make([]Answer, len(headers))
	for i, h := range headers {
		out[i].Index = h.Index
		c, err := sealer.Contribute(parsed[i], t.Committee, key)
		var we *sealer.WrapError
		switch {
		case errors.As(err, &we) && we.Share:
			out[i].Claim = audit.AnswerClaimedShare
		case errors.As(err, &we):
			out[i].Claim = audit.AnswerClaimedKey
		case err != nil:
			return nil, fmt.Errorf("member: %s's file: %w", h.Bidder, err)
		default:
			out[i].Contribution = &c
		}
	}
	return out, nil
}

// MaxHeaderSize caps a header served to a member's tool: a committee of
// 32 members makes a header of about 54 KB (offer-v2.md §3).
const MaxHeaderSize = 128 << 10

// Check makes every check Answers makes before it computes anything, and
// computes nothing: it returns nil if Answers would go on to compute the
// answers of key's member for headers of file part file.
func (t *Tender) Check(file int, headers []Header, key *age.HybridIdentity) error {
	_, err := t.checkAll(file, headers, key)
	return err
}

// checkAll is Check, returning the headers parsed.
func (t *Tender) checkAll(file int, headers []Header, key *age.HybridIdentity) ([]*sealer.Header, error) {
	me := t.Committee.Index(key.Recipient())
	switch {
	case me == 0:
		return nil, fmt.Errorf("%w: this key (%s) is not on the committee of tender %s", ErrRefused, sealer.KeyID(key.Recipient()), t.ID)
	case file < 1 || file > 2 || t.Rounds[file] == 0:
		return nil, fmt.Errorf("%w: tender %s has no scheduled file %d", ErrRefused, t.ID, file)
	case !t.Started[file]:
		return nil, fmt.Errorf("%w: the log shows no start of the opening of file %d (its round's beacon signature)", ErrRefused, file)
	case file == 2 && !t.Fixed:
		return nil, fmt.Errorf("%w: file 2 opens only after the File I evaluation is fixed, and the log shows none", ErrRefused)
	}
	if len(headers) > audit.MaxTenderEntries {
		return nil, fmt.Errorf("%w: %d headers served, more than %d", ErrRefused, len(headers), audit.MaxTenderEntries)
	}
	parsed := make([]*sealer.Header, len(headers))
	seen := map[int64]bool{}
	for i, h := range headers {
		p, err := t.check(file, h, seen)
		if err != nil {
			return nil, err
		}
		parsed[i] = p
	}
	return parsed, nil
}

// check checks one header against the log and returns it parsed.
func (t *Tender) check(file int, h Header, seen map[int64]bool) (*sealer.Header, error) {
	if len(h.Header) > MaxHeaderSize {
		return nil, fmt.Errorf("%w: the header served for %s is %d bytes, more than any committee's header (%d)", ErrRefused, h.Bidder, len(h.Header), MaxHeaderSize)
	}
	cur, ok := t.files[file][h.Bidder]
	sum := sha256.Sum256(h.Header)
	switch {
	case h.File != file:
		return nil, fmt.Errorf("%w: a header of file %d was served for file %d", ErrRefused, h.File, file)
	case seen[h.Index]:
		return nil, fmt.Errorf("%w: entry %d was served twice", ErrRefused, h.Index)
	case !ok || cur.index != h.Index || !cur.delivered:
		return nil, fmt.Errorf("%w: entry %d is not %s's current file %d in the log", ErrRefused, h.Index, h.Bidder, file)
	case fmt.Sprintf("%x", sum) != cur.header:
		return nil, fmt.Errorf("%w: the header served for %s is not the one logged at entry %d", ErrRefused, h.Bidder, h.Index)
	case file == 2 && !t.Passed[h.Bidder]:
		return nil, fmt.Errorf("%w: %s did not pass the File I evaluation: its file 2 stays sealed, and this tool computes nothing for it", ErrRefused, h.Bidder)
	}
	seen[h.Index] = true
	// Not a Seeker: Inspect must not measure the header as the whole file.
	p, err := sealer.Inspect(io.MultiReader(bytes.NewReader(h.Header)), t.chain)
	if err == nil {
		target := sealer.Target{Chain: t.chain, Round: t.Rounds[file], Members: t.Committee, Tender: t.ID, Bidder: h.Bidder, File: file}
		err = target.Check(p)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s's header: %v", ErrRefused, h.Bidder, err)
	}
	return p, nil
}

// ListDigest returns the SHA-256 of the list the server logs for a batch
// of answers (entries.md §5, contributions-received), assuming every
// contribution authenticates: the tool compares it with the logged entry.
func ListDigest(answers []Answer) [32]byte {
	byIndex := map[int64]string{}
	for _, a := range answers {
		byIndex[a.Index] = a.Claim
		if a.Contribution != nil {
			byIndex[a.Index] = audit.AnswerContributed
		}
	}
	return audit.AnswerList(byIndex)
}
