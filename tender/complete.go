package tender

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

// Completion is what the member who completes a part's opening asks for.
type Completion struct {
	// AcceptFailures completes the opening although some files have fewer
	// than k authenticated contributions: those fail, at step
	// contribution or contributions, and the opening report says whose
	// fault it is (opening.md §4.4, §7). Without it such an opening is
	// refused, naming the files and who has not answered. It is the
	// committee's decision, not one member's: the request is recorded and
	// refused (ErrState) until k members who sent a batch for the part
	// have asked for it, the k-th completing the opening.
	AcceptFailures bool
	// Sink receives the plaintexts; nil keeps only their digests.
	Sink Sink
}

// CompleteOpening completes the opening of file part f, by member actor,
// one of the members who sent a batch for it (opening.md §5.3): at least k
// members must have. Every current file of the part is opened with the
// round's signature and the contributions kept (File II of a bidder who
// did not pass File I is withheld, not opened), and in one append the
// outcomes are logged — file-opened, file-failed with its signed version 2
// witness report, file-withheld — then file-opening-report with the
// signed version 2 opening report. The member keys kept are then deleted.
//
// The opening goes on to the File I evaluation (two-file and two-stage,
// File I) or ends (StateOpened). One completion runs at a time, and a
// completion interrupted is resumed by the next CompleteOpening, which
// finishes it from the log if its report was logged.
func (f File) CompleteOpening(ctx context.Context, actor string, c Completion) (*Opening, error) {
	e, id, file := f.e, f.tender, f.file
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, err
	}
	if err := t.checkV2File(file); err != nil {
		return nil, err
	}
	p := &Transition{Op: opComplete, By: actor, File: file}
	t, resumed, err := e.beginTx(ctx, id, p, func(tx vault.Tx, t *Tender) error {
		if err := t.stateIs(StateOpening, file); err != nil {
			return err
		}
		_, batches, err := partAnswers(tx, id, file)
		if err != nil {
			return err
		}
		for _, b := range batches {
			if !b.Logged && e.now().Sub(b.At) < busyFor {
				return fmt.Errorf("%w: member %d's batch is being recorded; try again in a moment", ErrState, b.Member)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if resumed && p.File != file {
		e.release(id, p)
		return nil, fmt.Errorf("%w: the opening of file %d of tender %s was interrupted; complete it first", ErrState, p.File, id)
	}
	return e.underLease(ctx, id, p, func(ctx context.Context) (*Opening, error) {
		return e.completion(ctx, t, p, actor, c)
	})
}

// partState is what the completion reads of a part's opening.
type partState struct {
	file         int
	files        []Offer // current files, in log order
	answers      map[int]map[int64]answerRecord
	batches      map[string]batchRecord
	participants []int // members who sent a batch, ascending
}

// completion runs the completion of t's part p.File under transition p.
func (e *Engine) completion(ctx context.Context, t *Tender, p *Transition, actor string, c Completion) (*Opening, error) {
	file := p.File
	if _, logged, err := e.openingLogged(ctx, t, file); err != nil {
		return nil, err
	} else if logged != nil {
		out, digest, err := e.loggedOpening(ctx, logged)
		if err != nil {
			return nil, err
		}
		if err := e.finishCompletion(ctx, t, p, digest); err != nil {
			return nil, err
		}
		e.log.Warn("an opening interrupted after its report was logged was finished", "tender", t.ID, "file", file)
		return out, nil
	}
	st, err := e.readPart(ctx, t, file)
	if err != nil {
		return nil, err
	}
	if err := t.checkCompletion(st, actor, c.AcceptFailures); err != nil {
		// Refused: nothing was logged; the opening goes on. A participant's
		// request to accept failures is kept, as its part of the decision.
		if _, ferr := e.finish(ctx, t.ID, p, func(t *Tender) {
			part := &t.Parts[file-1]
			if c.AcceptFailures && slices.Contains(st.participants, t.MemberIndex(actor)) && !slices.Contains(part.AcceptFailures, actor) {
				part.AcceptFailures = append(part.AcceptFailures, actor)
			}
		}); ferr != nil {
			return nil, ferr
		}
		return nil, finishedRefusal{err}
	}
	if err := e.logBatches(ctx, t, p, st.batches); err != nil {
		return nil, err
	}
	part := t.Parts[file-1]
	opener, err := sealer.NewOpener(e.chain, part.Round, part.Started.Signature)
	if err != nil {
		return nil, err
	}
	contributions, err := e.contributions(t, file, st)
	if err != nil {
		return nil, err
	}
	var toOpen []Offer
	for _, o := range st.files {
		if !t.withheld(o) {
			toOpen = append(toOpen, o)
		}
	}
	results := e.openAll(ctx, toOpen, func(src io.Reader, o Offer) (io.Reader, *sealer.Tally, error) {
		target, err := t.FileTarget(e, o.Bidder, file)
		if err != nil {
			return nil, nil, err
		}
		return opener.Open(src, o.Size, target, contributions[o.LogIndex])
	}, c.Sink)
	if err := abortOf(ctx, results); err != nil {
		return nil, err
	}
	byIndex := map[int64]openResult{}
	for i, o := range toOpen {
		byIndex[o.LogIndex] = results[i]
	}
	report := &audit.OpeningReport{Tender: t.ID, File: file, Chain: t.ChainHash, Round: part.Round, Signature: part.Started.Signature,
		Committee: t.CommitteeID, Threshold: t.Threshold, Members: len(t.Members)}
	out, entries, err := e.outcomesV2(ctx, t, st, byIndex, report)
	if err != nil {
		return nil, err
	}
	signed, digest, err := e.signReport(ctx, report)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, o := range report.Offers {
		counts[o.Outcome]++
	}
	ent, err := entry("file-opening-report", "tender", t.ID, "file", uintEntry(file), "report", hexEntry(digest[:]),
		"opened", uintEntry(counts[audit.OutcomeOpened]), "failed", uintEntry(counts[audit.OutcomeFailed]),
		"withheld", uintEntry(counts[audit.OutcomeWithheld]), "time", canon.FormatTime(report.Time))
	if err != nil {
		return nil, err
	}
	// The outcomes and the report are one append: a resumed completion
	// finds all of them or none.
	if _, err := e.appendOwned(ctx, t.ID, p, append(entries, ent)...); err != nil {
		return nil, err
	}
	if err := e.finishCompletion(ctx, t, p, digest); err != nil {
		return nil, err
	}
	out.Report, out.Signed = report, signed
	e.log.Info("opening completed", "tender", t.ID, "file", file, "opened", counts[audit.OutcomeOpened],
		"failed", counts[audit.OutcomeFailed], "withheld", counts[audit.OutcomeWithheld])
	return out, nil
}

// readPart reads the part's current files, answers and batches.
func (e *Engine) readPart(ctx context.Context, t *Tender, file int) (*partState, error) {
	st := &partState{file: file}
	var err error
	if st.files, err = e.delivered(ctx, t, file); err != nil {
		return nil, err
	}
	err = e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		st.answers, st.batches, err = partAnswers(tx, t.ID, file)
		return err
	})
	if err != nil {
		return nil, err
	}
	seen := map[int]bool{}
	for _, b := range st.batches {
		seen[b.Member] = true
	}
	st.participants = slices.Sorted(maps.Keys(seen))
	return st, nil
}

// checkCompletion refuses a completion opening.md §4.4 does not allow: by
// a member who did not take part, with fewer than k participants, or with
// files short of k contributions unless failures are accepted.
func (t *Tender) checkCompletion(st *partState, actor string, acceptFailures bool) error {
	if !slices.Contains(st.participants, t.MemberIndex(actor)) {
		return fmt.Errorf("%w: the opening is completed by a member who sent a batch for it; %s has not", ErrForbidden, actor)
	}
	if len(st.participants) < t.Threshold {
		return fmt.Errorf("%w: %d members took part (%s); at least %d must before the opening completes",
			ErrState, len(st.participants), t.memberNames(st.participants), t.Threshold)
	}
	var short []string
	for _, o := range st.files {
		if !o.Delivered || t.withheld(o) {
			continue
		}
		var contributed, silent []int
		for m := 1; m <= len(t.Members); m++ {
			switch rec, ok := st.answers[m][o.LogIndex]; {
			case ok && rec.Answer == audit.AnswerContributed:
				contributed = append(contributed, m)
			case !ok:
				silent = append(silent, m)
			}
		}
		if len(contributed) < t.Threshold {
			short = append(short, fmt.Sprintf("%s's file (entry %d): %d of %d; not answered: %s",
				o.Bidder, o.LogIndex, len(contributed), t.Threshold, t.memberNames(silent)))
		}
	}
	if len(short) == 0 {
		return nil
	}
	if !acceptFailures {
		return fmt.Errorf("%w: files with fewer than %d authenticated contributions would fail; have the missing members answer, or complete with failures accepted: %s",
			ErrTooFewContributions, t.Threshold, strings.Join(short, "; "))
	}
	// Failing files is the committee's decision: k participants must ask
	// for it, this request included (opening.md §4.4). One member — say
	// the one whose claim left a file short — cannot decide it alone.
	var asked []int
	for _, u := range append(slices.Clone(t.Parts[st.file-1].AcceptFailures), actor) {
		if m := t.MemberIndex(u); slices.Contains(st.participants, m) && !slices.Contains(asked, m) {
			asked = append(asked, m)
		}
	}
	if len(asked) < t.Threshold {
		return fmt.Errorf("%w: completing with failures accepted is decided by %d of the members who sent a batch, and %d more must ask for it (asked so far: %s); or have the missing members answer: %s",
			ErrState, t.Threshold, t.Threshold-len(asked), t.memberNames(asked), strings.Join(short, "; "))
	}
	return nil
}

// memberNames lists members by user id, sorted.
func (t *Tender) memberNames(members []int) string {
	if len(members) == 0 {
		return "nobody"
	}
	var s []string
	for _, m := range members {
		s = append(s, t.Committee[m-1])
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}

// logBatches appends the entries of batches recorded but not logged (their
// members' calls failed, or died, after recording them), each once, so
// that every contributor's batch precedes the report.
func (e *Engine) logBatches(ctx context.Context, t *Tender, p *Transition, batches map[string]batchRecord) error {
	for _, key := range slices.Sorted(maps.Keys(batches)) {
		b := batches[key]
		if b.Logged {
			continue
		}
		index, err := e.findEntry(ctx, b.From, b.Entry)
		if err != nil {
			return err
		}
		if index < 0 {
			if _, err := e.appendOwned(ctx, t.ID, p, b.Entry); err != nil {
				return err
			}
		}
		b.Logged = true
		if err := e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return putJSON(tx, tableBatches, key, b) }); err != nil {
			return err
		}
	}
	return nil
}

// contributions decrypts the member keys kept for the part, by file.
func (e *Engine) contributions(t *Tender, file int, st *partState) (map[int64][]sealer.Contribution, error) {
	headers := map[int64][32]byte{}
	for _, o := range st.files {
		headers[o.LogIndex] = o.Header
	}
	out := map[int64][]sealer.Contribution{}
	for member, byFile := range st.answers {
		for index, rec := range byFile {
			if rec.Key == nil {
				continue
			}
			key, err := e.cfg.Secrets.Decrypt(rec.Key, keyAD(t.ID, file, member, index))
			if err != nil {
				return nil, fmt.Errorf("tender: member %d's contribution for entry %d: %w", member, index, err)
			}
			if len(key) != len(sealer.Contribution{}.Key) {
				return nil, fmt.Errorf("tender: member %d's contribution for entry %d is %d bytes", member, index, len(key))
			}
			c := sealer.Contribution{Header: headers[index], Member: member}
			copy(c.Key[:], key)
			out[index] = append(out[index], c)
		}
	}
	return out, nil
}

// outcomesV2 turns the results of a part's opening into the report's
// lines, the signed witness reports and the file-… entries, in log order.
func (e *Engine) outcomesV2(ctx context.Context, t *Tender, st *partState, results map[int64]openResult, report *audit.OpeningReport) (*Opening, [][]byte, error) {
	out := &Opening{Witness: map[string][]byte{}}
	var entries [][]byte
	witnesses := make([]string, len(st.participants))
	for i, m := range st.participants {
		witnesses[i] = t.Committee[m-1]
	}
	slices.Sort(witnesses)
	file := report.File
	for _, o := range st.files {
		line := audit.OpenedOffer{Index: o.LogIndex, Bidder: o.Bidder, SHA256: o.SHA256, Size: o.Size}
		now := canon.FormatTime(e.now())
		kv := []string{"tender", t.ID, "bidder", o.Bidder, "file", uintEntry(file), "sha256", hexEntry(o.SHA256[:])}
		var ent []byte
		var err error
		res, opened := results[o.LogIndex]
		switch {
		case !opened: // withheld
			line.Outcome = audit.OutcomeWithheld
			ent, err = entry("file-withheld", append(kv, "time", now)...)
		case res.fail == nil:
			line.Outcome, line.Digest = audit.OutcomeOpened, res.plaintext
			line.Contributors = res.tally.Authenticated
			ent, err = entry("file-opened", append(kv, "plaintext", hexEntry(res.plaintext[:]), "time", now)...)
		default:
			w := &audit.WitnessReport{Tender: t.ID, Bidder: o.Bidder, File: file, SHA256: o.SHA256, Size: o.Size, Index: o.LogIndex,
				Stanzas: res.fail.stanzas, Step: res.fail.step, Fault: res.fail.fault, Detail: res.fail.detail,
				Time: e.now(), Witnesses: witnesses}
			if res.tally != nil && w.Step != audit.StepStorageRead {
				w.Members = t.memberAnswers(o.LogIndex, res.tally, st.answers)
				line.Contributors = res.tally.Authenticated
			}
			signed, digest, werr := e.signWitness(ctx, w)
			if werr != nil {
				return nil, nil, werr
			}
			out.Witness[o.Bidder] = signed
			line.Outcome, line.Digest = audit.OutcomeFailed, digest
			ent, err = entry("file-failed", append(kv, "report", hexEntry(digest[:]), "fault", res.fail.fault, "time", now)...)
			e.log.Warn("file failed to open", "tender", t.ID, "bidder", o.Bidder, "file", file, "step", res.fail.step, "fault", res.fail.fault)
		}
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, ent)
		report.Offers = append(report.Offers, line)
	}
	report.Time = e.now()
	return out, entries, nil
}

// memberAnswers returns every member's answer for the file of entry index,
// as a version 2 witness report lists them: the tally's contributed and
// refused, the members' claims, and absent for the rest.
func (t *Tender) memberAnswers(index int64, tally *sealer.Tally, answers map[int]map[int64]answerRecord) []audit.MemberAnswer {
	out := make([]audit.MemberAnswer, len(t.Members))
	for i := range out {
		m := i + 1
		a := audit.AnswerAbsent
		switch rec, ok := answers[m][index]; {
		case slices.Contains(tally.Authenticated, m):
			a = audit.AnswerContributed
		case slices.Contains(tally.Refused, m):
			a = audit.AnswerRefused
		case ok && (rec.Answer == audit.AnswerClaimedKey || rec.Answer == audit.AnswerClaimedShare):
			a = rec.Answer
		}
		out[i] = audit.MemberAnswer{Member: m, User: t.Committee[i], Answer: a}
	}
	return out
}

// finishCompletion deletes the member keys kept for the part — once the
// report is logged they serve nothing, and kept they would open the files
// again — then records the part's report and moves the tender on.
func (e *Engine) finishCompletion(ctx context.Context, t *Tender, p *Transition, digest [32]byte) error {
	file := p.File
	err := e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		answers, _, err := partAnswers(tx, t.ID, file)
		if err != nil {
			return err
		}
		for member, byFile := range answers {
			for index, rec := range byFile {
				if rec.Key == nil {
					continue
				}
				rec.Key = nil
				if err := putJSON(tx, tableAnswers, answerKey(t.ID, file, member, index), rec); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("tender: deleting the member keys of a completed opening (the next completion finishes it): %w", err)
	}
	_, err = e.finish(ctx, t.ID, p, func(t *Tender) {
		t.Parts[file-1].Report = digest
		t.State = StateOpened
		if file == 1 && t.Method != MethodSingleFile {
			t.State = StateEvaluation
		}
	})
	return err
}
