package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/tender"
)

// The opening protocol's routes (doc/spec/opening.md): members' opening
// keys, and a v2 tender's file parts, contributions, completions, the File
// I evaluation and stage 2. The engine decides; these translate.

// errMembersOpen refuses the version 1 ceremony, with a committee secret
// key, for a tender whose committee is its members' own keys.
var errMembersOpen = errors.New("opened by its members")

func (s *Server) postKeyChallenge(r *http.Request, j api.KeyChallengeRequest) (api.KeyChallenge, error) {
	ch, err := s.Registry.ChallengeKey(r.Context(), user(r).ID, j.Recipient)
	if err != nil {
		return api.KeyChallenge{}, err
	}
	return api.KeyChallenge{Recipient: ch.Recipient, Challenge: string(ch.File), Expires: utc(ch.Expires)}, nil
}

func (s *Server) postCommitteeKey(r *http.Request, j api.KeyAnswer) (api.CommitteeKey, error) {
	answer, err := hex.DecodeString(j.Answer)
	if err != nil || len(answer) != 16 || hex.EncodeToString(answer) != j.Answer {
		return api.CommitteeKey{}, fmt.Errorf("%w: answer is the challenge's 16 bytes as 32 lowercase hex digits", errBadRequest)
	}
	k, err := s.Registry.RegisterKey(r.Context(), user(r).ID, answer)
	if err != nil {
		return api.CommitteeKey{}, err
	}
	return committeeKeyView(k), nil
}

func (s *Server) getCommitteeKeys(r *http.Request, _ none) ([]api.CommitteeKey, error) {
	u := r.PathValue("user")
	if u == me {
		u = user(r).ID
	}
	keys, err := s.Registry.CommitteeKeys(r.Context(), u)
	return views(keys, committeeKeyView), err
}

func committeeKeyView(k registry.CommitteeKey) api.CommitteeKey {
	return api.CommitteeKey{User: k.User, Recipient: k.Recipient, KeyID: k.KeyID, Registered: utc(k.Registered)}
}

// file returns the engine's file part named by the request's path.
func (s *Server) file(r *http.Request) (tender.File, int, error) {
	n, err := fileNumber(r.PathValue("file"))
	if err != nil {
		return tender.File{}, 0, err
	}
	return s.Engine.File(r.PathValue("tender"), n), n, nil
}

func fileNumber(s string) (int, error) {
	switch s {
	case "1":
		return 1, nil
	case "2":
		return 2, nil
	}
	return 0, fmt.Errorf("%w: file part %.20q is 1 (File I, or the only file) or 2 (File II, stage 2)", errBadRequest, s)
}

func (s *Server) postFileOffer(r *http.Request) (api.Receipt, error) {
	f, _, err := s.file(r)
	if err != nil {
		drain(r.Body)
		return api.Receipt{}, err
	}
	rc, err := f.Submit(r.Context(), user(r).ID, r.Body)
	if err != nil {
		drain(r.Body)
		return api.Receipt{}, err
	}
	s.metrics.bytesStored.Add(float64(rc.Size))
	return receiptView(rc), nil
}

func (s *Server) postFileCommitment(r *http.Request, j api.CommitRequest) (api.Commitment, error) {
	f, n, err := s.file(r)
	if err != nil {
		return api.Commitment{}, err
	}
	c, err := f.Commit(r.Context(), user(r).ID, j.SHA256, j.Size)
	if err != nil {
		return api.Commitment{}, err
	}
	t, err := s.Engine.Get(r.Context(), c.Tender)
	if err != nil {
		return api.Commitment{}, err
	}
	return commitmentView(t, c, n), nil
}

func commitmentView(t *tender.Tender, c *tender.Commitment, file int) api.Commitment {
	opening := t.Schedule.Opening
	if t.V2() && file >= 1 && file <= len(t.Parts) {
		opening = t.Parts[file-1].Opening
	}
	return api.Commitment{Index: c.LogIndex, File: c.File, SHA256: c.SHA256, Size: c.Size, Time: utc(c.Time), DeliverBefore: utc(opening)}
}

// postStartOpening starts a part's opening: from then on members get its
// evidence and send their batches.
func (s *Server) postStartOpening(r *http.Request, _ none) (api.Tender, error) {
	f, _, err := s.file(r)
	if err != nil {
		return api.Tender{}, err
	}
	return s.tender(f.StartOpening(r.Context(), user(r).ID))
}

// getEvidence serves a member's tool what it checks before contributing:
// the tender's log entries with inclusion proofs in a fresh checkpoint
// (consistent with the tree size ?seen=N, if given), and the part's
// headers.
func (s *Server) getEvidence(r *http.Request, _ none) (api.Evidence, error) {
	f, n, err := s.file(r)
	if err != nil {
		return api.Evidence{}, err
	}
	var seen int64
	if q := r.URL.Query().Get("seen"); q != "" {
		if seen, err = strconv.ParseInt(q, 10, 64); err != nil || seen < 1 {
			return api.Evidence{}, fmt.Errorf("%w: ?seen= is the tree size of the last checkpoint the tool saw, a positive integer", errBadRequest)
		}
	}
	ev, err := f.Evidence(r.Context(), user(r).ID, seen)
	if err != nil {
		return api.Evidence{}, err
	}
	headers, err := f.Headers(r.Context(), user(r).ID)
	if err != nil {
		return api.Evidence{}, err
	}
	out := api.Evidence{Tender: r.PathValue("tender"), File: n, Checkpoint: string(ev.Checkpoint), Seen: seen,
		Entries: logEntries(ev.Entries),
		Headers: views(headers, func(h tender.SealedHeader) api.SealedHeader {
			return api.SealedHeader{Bidder: h.Bidder, File: h.File, Index: h.LogIndex, SHA256: h.SHA256, Size: h.Size, Header: string(h.Header)}
		}),
	}
	if seen > 0 {
		out.Consistency = digests(ev.Consistency)
	}
	return out, nil
}

// getTenderLog serves anyone a v2 tender's log entries with inclusion
// proofs in a fresh checkpoint: what a bidder's tool checks the committee
// and the round against before sealing (opening.md §2.2).
func (s *Server) getTenderLog(r *http.Request, _ none) (api.TenderLog, error) {
	id := r.PathValue("tender")
	ev, err := s.Engine.LogEvidence(r.Context(), id)
	if err != nil {
		return api.TenderLog{}, err
	}
	return api.TenderLog{Tender: id, Checkpoint: string(ev.Checkpoint), Entries: logEntries(ev.Entries)}, nil
}

func logEntries(es []audit.LogEntry) []api.LogEntry {
	return views(es, func(le audit.LogEntry) api.LogEntry {
		return api.LogEntry{Index: le.Index, Data: string(le.Data), Inclusion: digests(le.Inclusion)}
	})
}

func digests[H ~[32]byte](hs []H) []api.Digest {
	out := make([]api.Digest, len(hs))
	for i, h := range hs {
		out[i] = api.Digest(h)
	}
	return out
}

// postContributions takes a member's batch, in its text form
// segel-contributions/v1, for the part named by the path.
func (s *Server) postContributions(r *http.Request) (api.ContributionBatch, error) {
	f, n, err := s.file(r)
	if err != nil {
		return api.ContributionBatch{}, err
	}
	id := r.PathValue("tender")
	t, err := s.Engine.Get(r.Context(), id)
	if err != nil {
		return api.ContributionBatch{}, err
	}
	if err := s.Engine.CheckCommittee(r.Context(), user(r).ID, t); err != nil {
		return api.ContributionBatch{}, err
	}
	text, err := io.ReadAll(r.Body)
	if err != nil {
		return api.ContributionBatch{}, err
	}
	b, err := member.ParseBatch(text)
	if err != nil {
		return api.ContributionBatch{}, fmt.Errorf("%w: the body is not a batch in the text form segel-contributions/v1 (segel contribute writes one): %v", errBadRequest, err)
	}
	if b.Tender != id || b.File != n {
		return api.ContributionBatch{}, fmt.Errorf("%w: the batch is for file %d of tender %s, sent to file %d of tender %s", tender.ErrInvalid, b.File, b.Tender, n, id)
	}
	if m := t.MemberIndex(user(r).ID); m != 0 && b.Member != m {
		return api.ContributionBatch{}, fmt.Errorf("%w: the batch is member %d's; %s is member %d of tender %s", tender.ErrInvalid, b.Member, user(r).ID, m, id)
	}
	answers := make([]tender.FileAnswer, len(b.Answers))
	for i, a := range b.Answers {
		answers[i] = tender.FileAnswer{Index: a.Index, Contribution: a.Contribution, Claim: a.Claim}
	}
	res, err := f.Contribute(r.Context(), user(r).ID, answers)
	if err != nil {
		return api.ContributionBatch{}, err
	}
	out := api.ContributionBatch{Member: res.Member, Contributed: res.Contributed, Claimed: res.Claimed, Refused: res.Refused,
		List: res.List, Index: res.LogIndex}
	for _, a := range b.Answers {
		if why, ok := res.Refusals[a.Index]; ok {
			out.Refusals = append(out.Refusals, api.BatchRefusal{Index: a.Index, Reason: why})
		}
	}
	return out, nil
}

// postComplete completes a part's opening; the plaintexts go to the
// vault, for the committee (GET …/offers/{bidder}/document).
func (s *Server) postComplete(r *http.Request, j api.CompleteRequest) (api.PartOpening, error) {
	f, n, err := s.file(r)
	if err != nil {
		return api.PartOpening{}, err
	}
	id := r.PathValue("tender")
	sink := &vaultSink{ctx: r.Context(), s: s, tender: id, file: n, max: 1 << 40}
	op, err := f.CompleteOpening(r.Context(), user(r).ID, tender.Completion{AcceptFailures: j.AcceptFailures, Sink: sink})
	if err != nil {
		return api.PartOpening{}, err
	}
	out := api.PartOpening{File: n, Report: string(op.Signed), Duration: op.Duration.Seconds()}
	for _, o := range op.Report.Offers {
		line := api.OpenedOffer{Bidder: o.Bidder, Index: o.Index, SHA256: o.SHA256, Size: o.Size, Outcome: api.Outcome(o.Outcome),
			Digest: o.Digest, Contributors: o.Contributors}
		switch o.Outcome {
		case audit.OutcomeOpened:
			out.Opened++
		case audit.OutcomeFailed:
			out.Failed++
		case audit.OutcomeWithheld:
			out.Withheld++
		}
		out.Offers = append(out.Offers, line)
	}
	if out.Offers == nil {
		out.Offers = []api.OpenedOffer{}
	}
	s.metrics.openings.Observe(op.Duration.Seconds())
	s.metrics.offersOpened.WithLabelValues("opened").Add(float64(out.Opened))
	s.metrics.offersOpened.WithLabelValues("failed").Add(float64(out.Failed))
	return out, nil
}

// partReport returns the signed opening report of a v2 tender's part.
func (s *Server) partReport(r *http.Request) (*tender.Tender, [32]byte, error) {
	n, err := fileNumber(r.PathValue("file"))
	if err != nil {
		return nil, [32]byte{}, err
	}
	t, err := s.Engine.Get(r.Context(), r.PathValue("tender"))
	if err != nil {
		return nil, [32]byte{}, err
	}
	if !t.V2() {
		if n != 1 {
			return nil, [32]byte{}, fmt.Errorf("%w: tender %s has one file; its opening report is GET /v1/tenders/%s/opening-report", tender.ErrNotFound, t.ID, t.ID)
		}
		if t.OpeningReport == ([32]byte{}) {
			return nil, [32]byte{}, fmt.Errorf("%w: tender %s has not been opened", tender.ErrState, t.ID)
		}
		return t, t.OpeningReport, nil
	}
	if n > len(t.Parts) {
		return nil, [32]byte{}, fmt.Errorf("%w: tender %s has no file %d", tender.ErrNotFound, t.ID, n)
	}
	rep := t.Parts[n-1].Report
	if rep == ([32]byte{}) {
		return nil, [32]byte{}, fmt.Errorf("%w: file %d of tender %s has not been opened", tender.ErrState, n, t.ID)
	}
	return t, rep, nil
}

func (s *Server) getPartReport(w http.ResponseWriter, r *http.Request) {
	_, rep, err := s.partReport(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendBlob(w, r, rep, "text/plain; charset=utf-8")
}

func (s *Server) getPartWitness(w http.ResponseWriter, r *http.Request) {
	t, digest, err := s.partReport(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.verifiedReport(r, digest)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, o := range rep.Offers {
		if o.Bidder == r.PathValue("bidder") && o.Outcome == audit.OutcomeFailed {
			s.sendBlob(w, r, o.Digest, "text/plain; charset=utf-8")
			return
		}
	}
	s.fail(w, r, fmt.Errorf("%w: no witness report for %s in file %s of tender %s", tender.ErrNotFound, r.PathValue("bidder"), r.PathValue("file"), t.ID))
}

func (s *Server) postEvaluation(r *http.Request, j api.EvaluationRequest) (api.EvaluationProposal, error) {
	results := make([]tender.BidderResult, len(j.Results))
	for i, x := range j.Results {
		results[i] = tender.BidderResult{Bidder: x.Bidder, Passed: x.Passed, Reasons: x.Reasons}
	}
	id := r.PathValue("tender")
	digest, err := s.Engine.File(id, 1).ProposeEvaluation(r.Context(), user(r).ID, results)
	if err != nil {
		return api.EvaluationProposal{}, err
	}
	t, err := s.Engine.Get(r.Context(), id)
	if err != nil {
		return api.EvaluationProposal{}, err
	}
	for _, p := range proposalViews(t) {
		if p.Digest == digest {
			return p, nil
		}
	}
	return api.EvaluationProposal{Digest: digest, Proposer: user(r).ID, Approvals: []string{user(r).ID},
		Fixed: t.Evaluation != nil && t.Evaluation.Digest == digest}, nil
}

func (s *Server) postApproveEvaluation(r *http.Request, _ none) (api.Tender, error) {
	d, err := api.ParseDigest(r.PathValue("digest"))
	if err != nil {
		return api.Tender{}, err
	}
	return s.tender(s.Engine.File(r.PathValue("tender"), 1).ApproveEvaluation(r.Context(), user(r).ID, d))
}

func (s *Server) postStageTwo(r *http.Request, j api.StageTwoRequest) (api.Tender, error) {
	return s.tender(s.Engine.File(r.PathValue("tender"), 2).AnnounceStageTwo(r.Context(), user(r).ID,
		tender.StageTwo{Deadline: j.Deadline, Opening: j.Opening}))
}

// v2View adds to v what a bidder's tool needs to seal to v2 tender t and a
// member's tool to check it: the committee, its text and digest, the parts.
func (s *Server) v2View(v *api.Tender, t *tender.Tender) {
	v.Method, v.Part, v.Threshold, v.CommitteeKeyID = api.Method(t.Method), t.Part, t.Threshold, t.CommitteeID
	for i, rcp := range t.Members {
		v.Members = append(v.Members, api.CommitteeMember{Index: i + 1, User: t.Committee[i], Recipient: rcp})
	}
	if c, err := t.KeyCommittee(s.Engine); err == nil {
		text, _ := c.MarshalText()
		v.CommitteeText, v.CommitteeDigest = string(text), sha256.Sum256(text)
	} else {
		s.log.Error("a tender's committee does not parse", "tender", t.ID, "err", err)
	}
	now := time.Now()
	for _, p := range t.Parts {
		fp := api.FilePart{File: p.File, Start: utc(p.Start), Deadline: utc(p.Deadline), Opening: utc(p.Opening), Round: p.Round,
			OpeningReport: p.Report}
		if p.Round != 0 {
			fp.RoundTime = utc(s.Beacon.Chain().TimeOf(p.Round))
		}
		if p.Closing != nil {
			n := len(p.Closing.Offers)
			fp.Offers = &n
		}
		if p.Started != nil {
			fp.Started = utc(p.Started.Time)
		}
		switch {
		case p.Report != [32]byte{}:
			fp.State = api.PartStateOpened
		case p.Started != nil:
			fp.State = api.PartStateOpening
		case p.Round == 0 || now.Before(p.Start):
			fp.State = api.PartStateScheduled
		case p.Closing != nil || !now.Before(p.Deadline):
			fp.State = api.PartStateClosed
		default:
			fp.State = api.PartStateOpen
		}
		v.Parts = append(v.Parts, fp)
	}
	if e := t.Evaluation; e != nil {
		v.Evaluation = &api.Evaluation{Digest: e.Digest, Passed: nonNil(e.Passed), Failed: nonNil(e.Failed), Fixed: utc(e.Time)}
	}
	v.Proposals = proposalViews(t)
}

func proposalViews(t *tender.Tender) []api.EvaluationProposal {
	var out []api.EvaluationProposal
	for _, p := range t.Proposals {
		out = append(out, api.EvaluationProposal{Digest: p.Digest, Proposer: p.By, Approvals: nonNil(p.Approvals),
			Fixed: t.Evaluation != nil && t.Evaluation.Digest == p.Digest})
	}
	return out
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
