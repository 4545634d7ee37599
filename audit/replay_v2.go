package audit

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// This file replays a v2 tender (doc/spec/opening.md §10): its committee,
// its file parts each as check 6 replays a v1 tender's offers, the File I
// evaluation, and the contributions to each part's opening.

// Entry types of the opening protocol (entries.md §5).
const (
	typeCommittee      = "tender-committee"
	typeMember         = "committee-member"
	typeFileII         = "file-ii-scheduled"
	typeStageTwo       = "stage-two-announced"
	typeStageTwoAmend  = "stage-two-amended"
	typeFileCommitted  = "file-committed"
	typeFileReceived   = "file-received"
	typeFileSuperseded = "file-superseded"
	typeFileClosed     = "file-closed"
	typeContributions  = "contributions-received"
	typeFileOpened     = "file-opened"
	typeFileFailed     = "file-failed"
	typeFileWithheld   = "file-withheld"
	typeFileReport     = "file-opening-report"
	typeApproved       = "evaluation-approved"
	typeEvaluated      = "bidder-evaluated"
	typeFixed          = "evaluation-fixed"
)

// isV2 reports whether parsed entries, which begin with tender-announced,
// are a v2 tender's: tender-committee follows in the announcement's append
// (opening.md §12).
func isV2(entries []LogEntry, parsed []auditlog.Entry) bool {
	return len(parsed) > 1 && parsed[0].Type == typeAnnounced && parsed[1].Type == typeCommittee &&
		entries[1].Index == entries[0].Index+1
}

// part is one file part of a v2 tender as the log tells it.
type part struct {
	file              int
	round             uint64
	opening, deadline time.Time
	deadlineIndex     int64
	windowOpen        bool // file-… entries of new files are taken
	subs              map[string][]*offer
	superseded        []auditlog.Entry
	supIndex          []int64
	current           []*offer
	closedIndex       int64 // −1 until file-closed
	beaconIndex       int64 // −1 until its beacon-signature-used
	reportIndex       int64 // −1 until its file-opening-report
	signature         []byte
	reportDigest      string
	counts            map[string]int64 // outcome → number
	contributed       map[int]int64    // member → index of its first contributions-received entry
}

// tenderLogV2 is what the replay of a v2 tender learns.
type tenderLogV2 struct {
	method      string
	chain       string // the pinned chain's hash, which every entry names
	committee   *sealer.Committee
	committeeID string
	digest      string
	users       []string // member i is users[i-1]
	k           int
	amendments  int64
	parts       [3]*part
	received    map[int64]auditlog.Entry // every file-received entry, by index

	approvals  map[string][]string // evaluation digest → users whose latest approval it is, in order
	evaluation *fixedEvaluation
	stageTwo   int64 // index of stage-two-announced, −1 if none
}

// fixedEvaluation is the evaluation the log fixed.
type fixedEvaluation struct {
	first  int64 // index of the entry after the fixing approval
	index  int64 // of evaluation-fixed
	digest string
	passed map[string]bool
}

func newPart(file int) *part {
	return &part{file: file, subs: map[string][]*offer{}, closedIndex: -1, beaconIndex: -1, reportIndex: -1,
		counts: map[string]int64{}, contributed: map[int]int64{}}
}

// replayV2 checks that entries, parsed and in index order, are a
// well-formed v2 tender up to its last part's opening report.
func replayV2(entries []LogEntry, parsed []auditlog.Entry, chain timelock.Chain) (*tenderLogV2, error) {
	t, err := replayV2Prefix(entries, parsed, chain)
	if err != nil {
		return nil, err
	}
	for f := 1; f <= 2; f++ {
		if p := t.parts[f]; p != nil && p.reportIndex < 0 {
			return nil, fail("entries/", "replay", ErrMismatch, "the tender's entries end before file %d's file-opening-report entry", f)
		}
	}
	if t.parts[2] == nil && t.method == "two-stage" {
		return nil, fail("entries/", "replay", ErrMismatch, "the entries end before stage 2 was announced")
	}
	if t.method != "single-file" && t.evaluation == nil {
		return nil, fail("entries/", "evaluation", ErrMismatch, "a %s tender's File I evaluation is not fixed", t.method)
	}
	for f := 1; f <= 2; f++ {
		if p := t.parts[f]; p != nil {
			sortCurrent(p.current)
		}
	}
	return t, nil
}

// replayV2Prefix checks that entries, parsed and in index order, are a
// well-formed beginning of a v2 tender: replayV2 without the checks that
// the tender is over.
func replayV2Prefix(entries []LogEntry, parsed []auditlog.Entry, chain timelock.Chain) (*tenderLogV2, error) {
	t := &tenderLogV2{received: map[int64]auditlog.Entry{}, approvals: map[string][]string{}, stageTwo: -1}
	next, err := t.announcement(entries, parsed, chain)
	if err != nil {
		return nil, err
	}
	for k := next; k < len(parsed); k++ {
		if err := t.step(entries[k].Index, parsed[k], entries, parsed, k, chain); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// announcement checks the announcement's append (check 1, committee):
// tender-announced, tender-committee, the n committee-member entries, and
// for a two-file tender file-ii-scheduled, at consecutive indexes. It
// returns the position of the first entry after it.
func (t *tenderLogV2) announcement(entries []LogEntry, parsed []auditlog.Entry, chain timelock.Chain) (int, error) {
	bad := func(k int, format string, args ...any) error {
		return fail(fmt.Sprintf("entries/%d.txt", entries[k].Index), "committee", ErrMismatch, "%s entry: %s", parsed[k].Type, fmt.Sprintf(format, args...))
	}
	a, c := parsed[0], parsed[1]
	if a.Value("chain") != chain.HashHex() {
		return 0, bad(0, "chain %s is not the pinned chain %s", a.Value("chain"), chain.HashHex())
	}
	t.method, t.digest, t.committeeID, t.chain = c.Value("method"), c.Value("committee"), a.Value("committee-key"), chain.HashHex()
	k, _ := canon.ParseUint(c.Value("threshold"))
	n, _ := canon.ParseUint(c.Value("members"))
	if n < 1 || n > sealer.MaxMembers || k < n/2+1 || k > n {
		return 0, bad(1, "%d of %d is not a majority of 1 to %d members", k, n, sealer.MaxMembers)
	}
	t.k = int(k)
	var recipients []*age.HybridRecipient
	for i := range int(n) {
		pos := 2 + i
		if pos >= len(parsed) || parsed[pos].Type != typeMember || entries[pos].Index != entries[0].Index+int64(pos) {
			return 0, bad(1, "%d committee-member entries must follow it in the announcement's append", n)
		}
		m := parsed[pos]
		if idx, _ := canon.ParseUint(m.Value("member")); idx != int64(i+1) {
			return 0, bad(pos, "member %d, want %d: members are listed 1 to n in order", idx, i+1)
		}
		if slices.Contains(t.users, m.Value("user")) {
			return 0, bad(pos, "user %s is a member twice", m.Value("user"))
		}
		r, err := age.ParseHybridRecipient(m.Value("recipient"))
		if err != nil {
			return 0, bad(pos, "%v", err)
		}
		recipients = append(recipients, r)
		t.users = append(t.users, m.Value("user"))
	}
	var err error
	if t.committee, err = sealer.NewCommittee(t.k, recipients); err != nil {
		return 0, bad(1, "%v", err)
	}
	for i, r := range t.committee.Members() {
		if r.String() != recipients[i].String() {
			return 0, bad(2+i, "the members' recipients are not in byte order, the committee's order")
		}
	}
	text, _ := t.committee.MarshalText()
	if sum := sha256.Sum256(text); hex.EncodeToString(sum[:]) != t.digest || t.committee.ID() != t.committeeID {
		return 0, bad(1, "the committee-member entries make committee %s (SHA-256 %x), not the logged %s (%s)",
			t.committee.ID(), sum, t.committeeID, t.digest)
	}
	next := 2 + int(n)
	deadline, _ := canon.ParseTime(a.Value("deadline"))
	opening, _ := canon.ParseTime(a.Value("opening"))
	round, _ := canon.ParseUint(a.Value("round"))
	p1 := newPart(1)
	p1.round, p1.opening, p1.deadline, p1.deadlineIndex, p1.windowOpen = uint64(round), opening, deadline, entries[0].Index, true
	if err := checkRound(p1.round, opening, deadline, chain); err != nil {
		return 0, fail(fmt.Sprintf("entries/%d.txt", entries[0].Index), "rounds", ErrMismatch, "%v", err)
	}
	t.parts[1] = p1
	switch t.method {
	case "two-file":
		if next >= len(parsed) || parsed[next].Type != typeFileII || entries[next].Index != entries[0].Index+int64(next) {
			return 0, bad(1, "a two-file tender's announcement ends with file-ii-scheduled")
		}
		f := parsed[next]
		p2 := newPart(2)
		r2, _ := canon.ParseUint(f.Value("round"))
		p2.round, p2.deadline, p2.deadlineIndex, p2.windowOpen = uint64(r2), deadline, entries[0].Index, true
		p2.opening, _ = canon.ParseTime(f.Value("opening"))
		file := fmt.Sprintf("entries/%d.txt", entries[next].Index)
		switch {
		case f.Value("chain") != chain.HashHex():
			return 0, fail(file, "rounds", ErrMismatch, "file-ii-scheduled names chain %s, not the pinned chain", f.Value("chain"))
		case p2.round <= p1.round:
			return 0, fail(file, "rounds", ErrMismatch, "File II's round %d is not after File I's %d", p2.round, p1.round)
		}
		if err := checkRound(p2.round, p2.opening, deadline, chain); err != nil {
			return 0, fail(file, "rounds", ErrMismatch, "%v", err)
		}
		t.parts[2] = p2
		next++
	case "two-stage", "single-file":
	default:
		return 0, bad(1, "unknown method %q", t.method)
	}
	return next, nil
}

// checkRound checks a part's round (check 2, rounds): RoundAt(opening) on
// the pinned chain, and an opening not before the deadline.
func checkRound(round uint64, opening, deadline time.Time, chain timelock.Chain) error {
	if want := chain.RoundAt(opening); round != want {
		return fmt.Errorf("round %d, but the first round of the chain at or after the opening %s is %d", round, ts(opening), want)
	}
	if opening.Before(deadline) {
		return fmt.Errorf("opening %s is before the deadline %s", ts(opening), ts(deadline))
	}
	return nil
}

// step replays one entry after the announcement.
func (t *tenderLogV2) step(i int64, e auditlog.Entry, entries []LogEntry, parsed []auditlog.Entry, k int, chain timelock.Chain) error {
	file := fmt.Sprintf("entries/%d.txt", i)
	bad := func(check, format string, args ...any) error {
		return fail(file, check, ErrMismatch, "%s entry: %s", e.Type, fmt.Sprintf(format, args...))
	}
	f, _ := canon.ParseUint(e.Value("file"))
	var p *part
	if f == 1 || f == 2 {
		p = t.parts[f]
	}
	if e.Value("file") != "" && p == nil {
		return bad("parts", "tender has no file %d (yet)", f)
	}
	p1 := t.parts[1]
	switch e.Type {
	case typeAmended:
		if !p1.windowOpen || p1.closedIndex >= 0 {
			return bad("replay", "not allowed after File I's window closed")
		}
		if n, _ := canon.ParseUint(e.Value("amendment")); n != t.amendments+1 {
			return bad("replay", "amendment %d, want %d", n, t.amendments+1)
		}
		t.amendments++
		if e.Value("committee-key") != t.committeeID {
			return bad("committee", "committee-key %s; the committee is fixed for the tender's life (%s)", e.Value("committee-key"), t.committeeID)
		}
		at, _ := canon.ParseTime(e.Value("time"))
		deadline, _ := canon.ParseTime(e.Value("deadline"))
		opening, _ := canon.ParseTime(e.Value("opening"))
		round, _ := canon.ParseUint(e.Value("round"))
		switch {
		case e.Value("chain") != chain.HashHex():
			return bad("replay", "chain %s is not the pinned chain", e.Value("chain"))
		case !at.Before(p1.deadline):
			return fail(file, "time", ErrMismatch, "amended at %s, not before the deadline %s in force", ts(at), ts(p1.deadline))
		case !opening.Equal(p1.opening) || uint64(round) != p1.round:
			return fail(file, "time", ErrMismatch, "opening %s, round %d; the opening and its round never move", ts(opening), round)
		}
		if err := checkRound(uint64(round), opening, deadline, chain); err != nil {
			return fail(file, "time", ErrMismatch, "%v", err)
		}
		old := p1.deadlineIndex
		for _, q := range t.parts[1:] {
			if q != nil && q.deadlineIndex == old && q.windowOpen {
				q.deadline, q.deadlineIndex = deadline, i
			}
		}
		if p2 := t.parts[2]; p2 != nil && p2.opening.Before(deadline) {
			return fail(file, "time", ErrMismatch, "the deadline %s moves after File II's opening %s", ts(deadline), ts(p2.opening))
		}
	case typeFileCommitted, typeFileReceived:
		return t.file(p, i, e)
	case typeFileSuperseded:
		if !p.windowOpen {
			return bad("parts", "after file %d's window closed", p.file)
		}
		p.superseded, p.supIndex = append(p.superseded, e), append(p.supIndex, i)
	case typeFileClosed:
		if !p.windowOpen {
			return bad("parts", "file %d closed twice, or before its window opened", p.file)
		}
		v := tenderLog{subs: p.subs, superseded: p.superseded, supIndex: p.supIndex}
		if err := v.close(); err != nil {
			return fail(file, "parts", ErrMismatch, "%v", err)
		}
		p.current = v.current
		if n, _ := canon.ParseUint(e.Value("offers")); n != int64(len(p.current)) {
			return bad("parts", "%d offers, but %d bidders have a current file %d", n, len(p.current), p.file)
		}
		p.windowOpen, p.closedIndex = false, i
	case typeBeacon:
		return t.beacon(i, e, file)
	case typeContributions:
		switch {
		case p.beaconIndex < 0 || p.reportIndex >= 0:
			return bad("contributors", "outside file %d's opening", p.file)
		}
		m, _ := canon.ParseUint(e.Value("member"))
		if m < 1 || m > int64(len(t.users)) || t.users[m-1] != e.Value("user") {
			return bad("contributors", "member %d is not user %s on the committee", m, e.Value("user"))
		}
		if _, ok := p.contributed[int(m)]; !ok {
			p.contributed[int(m)] = i
		}
	case typeFileOpened, typeFileFailed, typeFileWithheld:
		return t.outcome(p, i, e, bad)
	case typeFileReport:
		if p.beaconIndex < 0 || p.reportIndex >= 0 {
			return bad("replay", "not after file %d's beacon-signature-used, or twice", p.file)
		}
		for _, o := range p.current {
			if o.outcome == "" {
				return bad("replay", "file %s of %s was neither opened, failed nor withheld", o.sha256, o.bidder)
			}
		}
		for _, c := range []string{OutcomeOpened, OutcomeFailed, OutcomeWithheld} {
			if n, _ := canon.ParseUint(e.Value(c)); n != p.counts[c] {
				return bad("replay", "%d %s, but the log shows %d", n, c, p.counts[c])
			}
		}
		p.reportDigest, p.reportIndex = e.Value("report"), i
	case typeApproved:
		switch {
		case t.method == "single-file" || p1.reportIndex < 0:
			return bad("evaluation", "no evaluation before File I's opening report")
		case t.evaluation != nil:
			return bad("evaluation", "after the evaluation was fixed")
		case !slices.Contains(t.users, e.Value("by")):
			return bad("evaluation", "%s is not on the committee", e.Value("by"))
		}
		// A member approves one document at a time, its latest
		// (opening.md §6): this approval withdraws its approval of any
		// other.
		d, by := e.Value("evaluation"), e.Value("by")
		for other, users := range t.approvals {
			if other != d {
				t.approvals[other] = slices.DeleteFunc(users, func(u string) bool { return u == by })
			}
		}
		if !slices.Contains(t.approvals[d], by) {
			t.approvals[d] = append(t.approvals[d], by)
		}
		// The approval that fixes the evaluation has the fixing entries
		// in its append.
		if k+1 < len(parsed) && entries[k+1].Index == i+1 && (parsed[k+1].Type == typeEvaluated || parsed[k+1].Type == typeFixed) {
			return t.fix(entries, parsed, k+1)
		}
	case typeEvaluated, typeFixed:
		if t.evaluation == nil || i < t.evaluation.first || i > t.evaluation.index {
			return bad("evaluation", "only in the append of the approval that fixes the evaluation")
		}
	case typeStageTwo:
		switch {
		case t.method != "two-stage" || t.evaluation == nil || t.stageTwo >= 0:
			return bad("parts", "stage 2 is announced once, in a two-stage tender, after the evaluation")
		case e.Value("chain") != chain.HashHex():
			return bad("rounds", "chain %s is not the pinned chain", e.Value("chain"))
		}
		p2 := newPart(2)
		r2, _ := canon.ParseUint(e.Value("round"))
		p2.round, p2.deadlineIndex, p2.windowOpen = uint64(r2), i, true
		p2.deadline, _ = canon.ParseTime(e.Value("deadline"))
		p2.opening, _ = canon.ParseTime(e.Value("opening"))
		if err := checkRound(p2.round, p2.opening, p2.deadline, chain); err != nil {
			return fail(file, "rounds", ErrMismatch, "%v", err)
		}
		if p2.round <= p1.round {
			return bad("rounds", "stage 2's round %d is not after stage 1's %d", p2.round, p1.round)
		}
		t.parts[2], t.stageTwo = p2, i
	case typeStageTwoAmend:
		return bad("replay", "stage 2 amendments are not supported by this verifier's version of the engine")
	case "participant-registered", "question-asked", "question-answered":
		if !p1.windowOpen {
			return bad("replay", "only while File I's window is open")
		}
	case typeAnnounced, typeCommittee, typeMember, typeFileII:
		return bad("committee", "only in the announcement's append, once")
	case typeCommitted, typeReceived, typeSuperseded, typeClosed, typeOpened, typeFailed, typeReport:
		return bad("replay", "a v1 entry in a v2 tender")
	default:
		if !t.done() {
			return bad("replay", "not allowed before the last opening report")
		}
	}
	return nil
}

// done reports whether every part's opening is reported.
func (t *tenderLogV2) done() bool {
	for f := 1; f <= 2; f++ {
		if p := t.parts[f]; p != nil && p.reportIndex < 0 {
			return false
		}
	}
	return t.method != "two-stage" || t.parts[2] != nil
}

// file replays a file-committed or file-received entry of part p (check
// 3, parts: check 6's rules per part, and stage 2 only from bidders who
// passed).
func (t *tenderLogV2) file(p *part, i int64, e auditlog.Entry) error {
	name := fmt.Sprintf("entries/%d.txt", i)
	o := &offer{index: i, bidder: e.Value("bidder"), sha256: e.Value("sha256"), committed: e.Type == typeFileCommitted}
	o.size, _ = canon.ParseUint(e.Value("size"))
	if e.Type == typeFileReceived {
		t.received[i] = e
	}
	subs := p.subs[o.bidder]
	var last *offer
	if len(subs) > 0 {
		last = subs[len(subs)-1]
	}
	delivers := e.Type == typeFileReceived && last != nil && last.committed && !last.delivered && last.sha256 == o.sha256 && last.size == o.size
	at := offerTime(e)
	switch {
	case delivers && p.beaconIndex < 0:
		if !at.Before(p.opening) {
			return fail(name, "time", ErrMismatch, "file committed by %s (entry %d) received at %s, not before the opening %s",
				o.bidder, last.index, ts(at), ts(p.opening))
		}
		last.delivered, last.index = true, i
		if p.closedIndex >= 0 { // the closing set names it by its commitment; now by its file
			sortCurrent(p.current)
		}
		return nil
	case p.windowOpen:
		if at.After(p.deadline) {
			return fail(name, "time", ErrMismatch, "file of %s at %s, after the deadline %s in force (set by entry %d)",
				o.bidder, ts(at), ts(p.deadline), p.deadlineIndex)
		}
		if p.file == 2 && t.method == "two-stage" && (t.evaluation == nil || !t.evaluation.passed[o.bidder]) {
			return fail(name, "parts", ErrMismatch, "a stage 2 file of %s, who did not pass stage 1", o.bidder)
		}
		o.delivered = e.Type == typeFileReceived
		p.subs[o.bidder] = append(subs, o)
		return nil
	}
	return fail(name, "parts", ErrMismatch, "%s entry: file %d of %s after its window closed that delivers no committed file", e.Type, p.file, o.bidder)
}

// beacon replays beacon-signature-used: it starts the opening of the part
// whose round it names (check 2; for File II, check 5).
func (t *tenderLogV2) beacon(i int64, e auditlog.Entry, file string) error {
	round, _ := canon.ParseUint(e.Value("round"))
	var p *part
	for f := 1; f <= 2; f++ {
		if q := t.parts[f]; q != nil && q.round == uint64(round) && q.beaconIndex < 0 {
			p = q
		}
	}
	switch {
	case p == nil || e.Value("chain") != t.chain:
		return fail(file, "rounds", ErrMismatch, "beacon-signature-used entry names round %d, which is no part's round awaiting its opening", round)
	case p.closedIndex < 0:
		return fail(file, "rounds", ErrMismatch, "file %d's beacon signature used before its file-closed", p.file)
	case p.file == 2 && t.method == "two-file" && t.evaluation == nil:
		return fail(file, "file-ii", ErrMismatch, "File II's beacon signature used before the evaluation was fixed")
	case p.file == 2 && t.parts[1].reportIndex < 0:
		return fail(file, "rounds", ErrMismatch, "file 2 opened before file 1's report")
	}
	p.signature, _ = hex.DecodeString(e.Value("signature"))
	p.beaconIndex = i
	return nil
}

// outcome replays file-opened, file-failed and file-withheld of part p
// (check 5: File II only for those who passed).
func (t *tenderLogV2) outcome(p *part, i int64, e auditlog.Entry, bad func(check, format string, args ...any) error) error {
	if p.beaconIndex < 0 || p.reportIndex >= 0 {
		return bad("replay", "outside file %d's opening", p.file)
	}
	var o *offer
	for _, c := range p.current {
		if c.bidder == e.Value("bidder") {
			o = c
		}
	}
	if o == nil || o.sha256 != e.Value("sha256") {
		return bad("replay", "bidder %s has no current file %d %s", e.Value("bidder"), p.file, e.Value("sha256"))
	}
	if o.outcome != "" {
		return bad("replay", "file %d of %s already %s", p.file, o.bidder, o.outcome)
	}
	passed := t.evaluation != nil && t.evaluation.passed[o.bidder]
	switch {
	case p.file == 2 && e.Type == typeFileWithheld && passed:
		return bad("file-ii", "%s passed the evaluation: its File II is opened, not withheld", o.bidder)
	case p.file == 2 && e.Type != typeFileWithheld && !passed:
		return bad("file-ii", "%s did not pass the evaluation: its File II is withheld, never opened", o.bidder)
	case p.file != 2 && e.Type == typeFileWithheld:
		return bad("file-ii", "only a File II is withheld")
	}
	switch e.Type {
	case typeFileOpened:
		o.outcome, o.digest = OutcomeOpened, e.Value("plaintext")
	case typeFileFailed:
		o.outcome, o.digest, o.fault = OutcomeFailed, e.Value("report"), e.Value("fault")
	default:
		o.outcome = OutcomeWithheld
	}
	p.counts[o.outcome]++
	return nil
}

// fix replays the append that fixes the evaluation (check 4): the k-th
// approval at k−1, the bidder-evaluated entries from k, evaluation-fixed
// after them, at consecutive indexes.
func (t *tenderLogV2) fix(entries []LogEntry, parsed []auditlog.Entry, k int) error {
	file := fmt.Sprintf("entries/%d.txt", entries[k].Index)
	bad := func(format string, args ...any) error {
		return fail(file, "evaluation", ErrMismatch, format, args...)
	}
	if t.evaluation != nil {
		return bad("the evaluation is fixed once")
	}
	approved := parsed[k-1]
	digest := approved.Value("evaluation")
	ev := &Evaluation{Tender: approved.Value("tender")}
	end := k
	for ; end < len(parsed) && parsed[end].Type == typeEvaluated; end++ {
		if entries[end].Index != entries[k].Index+int64(end-k) {
			return bad("bidder-evaluated entries are one append")
		}
		e := parsed[end]
		reasons, _ := canon.ParseSHA256(e.Value("reasons"))
		ev.Bidders = append(ev.Bidders, EvaluatedBidder{Bidder: e.Value("bidder"), Passed: e.Value("result") == ResultPassed, Reasons: reasons})
	}
	if end >= len(parsed) || parsed[end].Type != typeFixed || entries[end].Index != entries[k].Index+int64(end-k) {
		return bad("evaluation-fixed ends the append of the bidder-evaluated entries")
	}
	fixed := parsed[end]
	text, err := ev.Marshal()
	if err != nil {
		return bad("the bidder-evaluated entries do not make an evaluation document: %v", err)
	}
	if sum := sha256.Sum256(text); hex.EncodeToString(sum[:]) != digest || fixed.Value("evaluation") != digest {
		return bad("the bidder-evaluated entries rebuild evaluation %x, not %s", sum, digest)
	}
	if n := len(t.approvals[digest]); n < t.k {
		return bad("evaluation %s is approved by %d distinct members, fewer than %d", digest, n, t.k)
	}
	p1 := t.parts[1]
	var set []string
	for _, o := range p1.current {
		set = append(set, o.bidder)
	}
	slices.Sort(set)
	var evaluated []string
	passed := map[string]bool{}
	for _, b := range ev.Bidders {
		evaluated = append(evaluated, b.Bidder)
		if b.Passed {
			passed[b.Bidder] = true
		}
	}
	if !slices.Equal(set, evaluated) {
		return bad("evaluates %v, but File I's closing set is %v", evaluated, set)
	}
	for _, o := range p1.current {
		if passed[o.bidder] && o.outcome != OutcomeOpened {
			return bad("%s passed, but its File I %s", o.bidder, o.outcome)
		}
	}
	np, _ := canon.ParseUint(fixed.Value("passed"))
	nf, _ := canon.ParseUint(fixed.Value("failed"))
	if np != int64(len(passed)) || nf != int64(len(ev.Bidders)-len(passed)) {
		return bad("evaluation-fixed counts %d passed and %d failed; the entries %d and %d", np, nf, len(passed), len(ev.Bidders)-len(passed))
	}
	t.evaluation = &fixedEvaluation{first: entries[k].Index, index: entries[end].Index, digest: digest, passed: passed}
	return nil
}

// sortCurrent sorts current files by index, which a delivery changes.
func sortCurrent(current []*offer) {
	slices.SortFunc(current, func(a, b *offer) int { return cmp.Compare(a.index, b.index) })
}
