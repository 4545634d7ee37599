package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The opening protocol (doc/spec/opening.md) from the client's side: a
// pokja member registers its own opening key, a bidder seals and submits
// each file part, and members start, contribute to and complete each
// part's opening, evaluate File I and announce stage 2. A member's secret
// key is used here only on the member's own machine: nothing sent holds
// it.

// ChallengeKey begins registering recipient (age1pq1…) as the calling
// pokja member's opening key and returns the challenge to answer.
func (c *Client) ChallengeKey(ctx context.Context, recipient string) (*api.KeyChallenge, error) {
	return get[api.KeyChallenge](ctx, c, "POST", "/v1/committee-keys/challenge", api.KeyChallengeRequest{Recipient: recipient})
}

// AnswerKeyChallenge sends the challenge's decrypted 16 bytes and returns
// the registered key.
func (c *Client) AnswerKeyChallenge(ctx context.Context, answer []byte) (*api.CommitteeKey, error) {
	return get[api.CommitteeKey](ctx, c, "POST", "/v1/committee-keys", api.KeyAnswer{Answer: hex.EncodeToString(answer)})
}

// RegisterMemberKey registers key's recipient as the calling pokja
// member's opening key: it asks for a challenge, decrypts it here with key
// (member.AnswerKeyChallenge) and sends the answer. The secret key is
// never sent.
func (c *Client) RegisterMemberKey(ctx context.Context, key *age.HybridIdentity) (*api.CommitteeKey, error) {
	ch, err := c.ChallengeKey(ctx, key.Recipient().String())
	if err != nil {
		return nil, err
	}
	answer, err := member.AnswerKeyChallenge([]byte(ch.Challenge), key)
	if err != nil {
		return nil, fmt.Errorf("client: answering the key challenge: %w", err)
	}
	return c.AnswerKeyChallenge(ctx, answer)
}

// CommitteeKeys returns the opening keys user registered, oldest first
// (user Me: the caller's).
func (c *Client) CommitteeKeys(ctx context.Context, user string) ([]api.CommitteeKey, error) {
	return list[api.CommitteeKey](ctx, c, "/v1/users/"+url.PathEscape(user)+"/committee-keys")
}

func filePath(id string, file int) string { return tenderPath(id) + "/files/" + strconv.Itoa(file) }

// FileTarget returns what the calling bidder's file part file of v2
// tender id must be sealed to, for sealer.Seal. Like Target, it trusts the
// server with none of the time-lock: the part's round must be the pinned
// chain's RoundAt(its opening), not yet published, with an opening not
// before its deadline. Nor does it take the committee on the server's
// word (doc/spec/opening.md §2.2): it fetches the tender's log
// (TenderLog), verifies it against the pinned log key (WithLogKey) and
// chain and replays it (member.Verify), and seals only to the committee
// and the part's round the log names; the tender's committee text, digest,
// id and members must be those. Without a pinned log key it refuses.
func (c *Client) FileTarget(ctx context.Context, id string, file int) (sealer.Target, error) {
	bidder := c.user
	if bidder == "" {
		if c.token == "" {
			return sealer.Target{}, errors.New("client: FileTarget seals to the calling bidder: log in, or give its token")
		}
		u, err := c.User(ctx, Me)
		if err != nil {
			return sealer.Target{}, err
		}
		bidder = u.ID
	}
	if c.logKey == nil {
		return sealer.Target{}, fmt.Errorf("%w: the log key is not pinned, so tender %s's committee cannot be checked against the log: "+
			"pin the LPSE's log key from its keys file (client.WithLogKey; segel: --trusted KEYS)", ErrUnsafeTarget, id)
	}
	t, err := c.Tender(ctx, id)
	if err != nil {
		return sealer.Target{}, err
	}
	target, err := fileTarget(c, id, bidder, t, file, time.Now())
	if err != nil {
		return sealer.Target{}, err
	}
	// Fetched after the tender: the log shows at least what it showed.
	lg, err := c.TenderLog(ctx, id)
	if err != nil {
		return sealer.Target{}, err
	}
	if err := checkLogged(lg, id, file, target, c.logKey, c.chain); err != nil {
		return sealer.Target{}, err
	}
	return target, nil
}

// TenderLog returns v2 tender id's log entries with inclusion proofs in a
// fresh checkpoint, as anyone may read them. Fetched over the network it
// proves nothing by itself: FileTarget verifies it against the pinned log
// key.
func (c *Client) TenderLog(ctx context.Context, id string) (*api.TenderLog, error) {
	return get[api.TenderLog](ctx, c, "GET", tenderPath(id)+"/log", nil)
}

// checkLogged checks target, built from the server's word, against lg,
// verified with logKey and replayed by the auditor's rules (member.Verify):
// the committee must be the logged one (its canonical text hashing to the
// logged digest and id), and the part's round the logged round.
func checkLogged(lg *api.TenderLog, id string, file int, target sealer.Target, logKey note.Verifier, chain timelock.Chain) error {
	if lg.Tender != id {
		return fmt.Errorf("%w: asked for the log of tender %s, the server answered tender %s's", ErrUnsafeTarget, id, lg.Tender)
	}
	ev := member.Evidence{Checkpoint: []byte(lg.Checkpoint)}
	for _, le := range lg.Entries {
		ev.Entries = append(ev.Entries, audit.LogEntry{Index: le.Index, Data: []byte(le.Data), Inclusion: hashes(le.Inclusion)})
	}
	logged, err := member.Verify(ev, id, logKey, chain)
	if err != nil {
		return fmt.Errorf("%w: tender %s's log does not verify against the pinned log key and chain, so its committee is not known: %v", ErrUnsafeTarget, id, err)
	}
	if logged.Committee == nil {
		return fmt.Errorf("%w: tender %s's log names no committee", ErrUnsafeTarget, id)
	}
	got, _ := target.Members.MarshalText()
	want, _ := logged.Committee.MarshalText()
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%w: the server names committee %s for tender %s, but its log, verified with the pinned log key, names committee %s: "+
			"offers sealed to the server's could be opened by whoever holds its keys; do not seal, and report it to the LPSE's auditor",
			ErrUnsafeTarget, target.Members.ID(), id, logged.Committee.ID())
	}
	if got, want := target.Round, logged.Rounds[file]; got != want {
		return fmt.Errorf("%w: the server names round %d for file %d of tender %s, but its log, verified with the pinned log key, names round %d; do not seal, and report it to the LPSE's auditor",
			ErrUnsafeTarget, got, file, id, want)
	}
	return nil
}

func fileTarget(c *Client, id, bidder string, t *api.Tender, file int, now time.Time) (sealer.Target, error) {
	if t.Method == "" {
		return sealer.Target{}, fmt.Errorf("%w: tender %s is a version 1 tender, sealed to one committee key: use Target", ErrUnsafeTarget, id)
	}
	if file < 1 || file > len(t.Parts) {
		return sealer.Target{}, fmt.Errorf("%w: tender %s (%s) has no file %d", ErrUnsafeTarget, id, t.Method, file)
	}
	p := t.Parts[file-1]
	if p.Round == 0 {
		return sealer.Target{}, fmt.Errorf("client: stage 2 of tender %s is not announced yet: nothing to seal to", id)
	}
	err := sealer.CheckPublished(c.chain, sealer.Published{Tender: id, Chain: t.Chain, Round: p.Round, Deadline: p.Deadline, Opening: p.Opening}, now)
	var ue *sealer.UnsafeTargetError
	if errors.As(err, &ue) {
		return sealer.Target{}, fmt.Errorf("%w: file %d of tender %s %s", ErrUnsafeTarget, file, id, ue.Reason)
	} else if err != nil {
		return sealer.Target{}, err
	}
	committee, err := sealer.ParseCommittee([]byte(t.CommitteeText))
	if err != nil {
		return sealer.Target{}, fmt.Errorf("%w: tender %s's committee text: %v", ErrUnsafeTarget, id, err)
	}
	if sha256.Sum256([]byte(t.CommitteeText)) != [32]byte(t.CommitteeDigest) || committee.ID() != t.CommitteeKeyID {
		return sealer.Target{}, fmt.Errorf("%w: tender %s's committee text is not the committee it names (%s)", ErrUnsafeTarget, id, t.CommitteeKeyID)
	}
	members := committee.Members()
	if len(members) != len(t.Members) || committee.Threshold() != t.Threshold {
		return sealer.Target{}, fmt.Errorf("%w: tender %s's committee text has %d of %d members, the tender says %d of %d",
			ErrUnsafeTarget, id, committee.Threshold(), len(members), t.Threshold, len(t.Members))
	}
	for i, r := range members {
		if r.String() != t.Members[i].Recipient {
			return sealer.Target{}, fmt.Errorf("%w: tender %s's member %d is not the committee text's", ErrUnsafeTarget, id, i+1)
		}
	}
	return sealer.Target{Chain: c.chain, Round: p.Round, Members: committee, Tender: id, Bidder: bidder, File: file}, nil
}

// SubmitFile submits a sealed file of file part file (sealed with
// FileTarget) to v2 tender id, as a registered provider, and returns its
// signed version 2 receipt.
func (c *Client) SubmitFile(ctx context.Context, id string, file int, sealed io.Reader) (*api.Receipt, error) {
	return c.receipt(ctx, "POST", filePath(id, file)+"/offers", "application/octet-stream", sealed)
}

// CommitFile commits to a sealed file of file part file before the part's
// deadline; deliver it by the answer's DeliverBefore.
func (c *Client) CommitFile(ctx context.Context, id string, file int, sha256 api.Digest, size int64) (*api.Commitment, error) {
	return get[api.Commitment](ctx, c, "POST", filePath(id, file)+"/commitments", api.CommitRequest{SHA256: sha256, Size: size})
}

// BeginFileUpload begins a resumable upload of a sealed file of file part
// file; go on with SendUpload and FinishUpload.
func (c *Client) BeginFileUpload(ctx context.Context, id string, file int, size int64) (*api.Upload, error) {
	return get[api.Upload](ctx, c, "POST", tenderPath(id)+"/uploads", api.UploadRequest{Size: size, File: file})
}

// FileReceipt returns the signed receipt of bidder's current file of a
// part (bidder Me: the caller's), as OfferReceipt does for a v1 offer.
func (c *Client) FileReceipt(ctx context.Context, id string, file int, bidder string) ([]byte, error) {
	return c.text(ctx, "GET", filePath(id, file)+"/offers/"+url.PathEscape(bidder)+"/receipt", "", nil, auditlog.MaxReceiptSize)
}

// StartOpening starts file part file's opening, as a committee member,
// once its round is out (api.CodeTooEarly before) and, for File II, the
// evaluation is fixed.
func (c *Client) StartOpening(ctx context.Context, id string, file int) (*api.Tender, error) {
	return get[api.Tender](ctx, c, "POST", filePath(id, file)+"/opening", nil)
}

// Evidence returns what a member's tool checks before contributing to
// file part file. seen is the tree size of the last checkpoint the tool
// saw (0 for none): the answer then proves its checkpoint extends it.
func (c *Client) Evidence(ctx context.Context, id string, file int, seen int64) (*api.Evidence, error) {
	path := filePath(id, file) + "/evidence"
	if seen > 0 {
		path += "?seen=" + strconv.FormatInt(seen, 10)
	}
	return get[api.Evidence](ctx, c, "GET", path, nil)
}

// SendContributions sends a batch in its text form segel-contributions/v1.
func (c *Client) SendContributions(ctx context.Context, id string, file int, batch []byte) (*api.ContributionBatch, error) {
	var out api.ContributionBatch
	if err := c.send(ctx, "POST", filePath(id, file)+"/contributions", "text/plain", bytes.NewReader(batch), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Contribution is what Contribute did.
type Contribution struct {
	Tender     *member.Tender         // the tender as the verified log shows it
	Answers    []member.Answer        // computed here, with the member's key
	Batch      []byte                 // the text sent
	Sent       *api.ContributionBatch // the server's answer
	Checkpoint []byte                 // the checkpoint verified: keep it, and pass it as the next call's previous
}

// ErrNothingToContribute means the part has no file this member was shown.
var ErrNothingToContribute = errors.New("client: no file to contribute to")

// Contribute is a member's tool's whole turn for file part file of
// tender id (doc/spec/opening.md §5.2): it fetches the evidence, checks it
// against logKey (the pinned log key) and the client's pinned chain —
// and against previous, the checkpoint the tool kept from an earlier
// turn, if not nil — with member.Verify, checks every header against the
// log and computes the answers with key, here, refusing (member.ErrRefused)
// anything the log does not allow, such as a failed bidder's File II; then
// sends them as one batch and checks that the server took the list it
// sent.
func (c *Client) Contribute(ctx context.Context, id string, file int, key *age.HybridIdentity, logKey note.Verifier, previous []byte) (*Contribution, error) {
	var seen int64
	if previous != nil {
		cp, err := auditlog.VerifyCheckpoint(previous, logKey)
		if err != nil {
			return nil, fmt.Errorf("client: the checkpoint kept from before: %w", err)
		}
		seen = cp.Size
	}
	ev, err := c.Evidence(ctx, id, file, seen)
	if err != nil {
		return nil, err
	}
	if ev.Tender != id || ev.File != file {
		return nil, fmt.Errorf("%w: asked for file %d of tender %s, the server answered file %d of %s", member.ErrRefused, file, id, ev.File, ev.Tender)
	}
	mev := member.Evidence{Checkpoint: []byte(ev.Checkpoint), Previous: previous}
	for _, le := range ev.Entries {
		mev.Entries = append(mev.Entries, audit.LogEntry{Index: le.Index, Data: []byte(le.Data), Inclusion: hashes(le.Inclusion)})
	}
	if previous != nil {
		mev.Consistency = hashes(ev.Consistency)
	}
	t, err := member.Verify(mev, id, logKey, c.chain)
	if err != nil {
		return nil, err
	}
	headers := make([]member.Header, len(ev.Headers))
	for i, h := range ev.Headers {
		headers[i] = member.Header{Bidder: h.Bidder, File: h.File, Index: h.Index, Header: []byte(h.Header)}
	}
	answers, err := t.Answers(file, headers, key)
	if err != nil {
		return nil, err
	}
	if len(answers) == 0 {
		return nil, fmt.Errorf("%w: the server shows no file of part %d of tender %s", ErrNothingToContribute, file, id)
	}
	b := &member.Batch{Tender: id, File: file, Member: t.Committee.Index(key.Recipient()), Answers: answers}
	text, err := b.Marshal()
	if err != nil {
		return nil, err
	}
	sent, err := c.SendContributions(ctx, id, file, text)
	if err != nil {
		return nil, err
	}
	if [32]byte(sent.List) != member.ListDigest(answers) {
		return nil, fmt.Errorf("client: the server took another list than the batch sent (%s); it must log the one sent", sent.List)
	}
	return &Contribution{Tender: t, Answers: answers, Batch: text, Sent: sent, Checkpoint: mev.Checkpoint}, nil
}

func hashes(ds []api.Digest) []tlog.Hash {
	out := make([]tlog.Hash, len(ds))
	for i, d := range ds {
		out[i] = tlog.Hash(d)
	}
	return out
}

// CompleteOpening completes file part file's opening, as a member who
// sent a batch for it. Without acceptFailures it is refused
// (api.CodeTooFewContributions) while some file has fewer than k
// authenticated contributions.
func (c *Client) CompleteOpening(ctx context.Context, id string, file int, acceptFailures bool) (*api.PartOpening, error) {
	return get[api.PartOpening](ctx, c, "POST", filePath(id, file)+"/complete", api.CompleteRequest{AcceptFailures: acceptFailures})
}

// PartOpeningReport returns the signed opening report of a file part;
// verify it with audit.VerifyOpeningReport.
func (c *Client) PartOpeningReport(ctx context.Context, id string, file int) ([]byte, error) {
	return c.text(ctx, "GET", filePath(id, file)+"/opening-report", "", nil, audit.MaxOpeningReportSize)
}

// PartWitness returns the signed witness report of bidder's file of a
// part that failed to open.
func (c *Client) PartWitness(ctx context.Context, id string, file int, bidder string) ([]byte, error) {
	return c.text(ctx, "GET", filePath(id, file)+"/witness/"+url.PathEscape(bidder), "", nil, audit.MaxWitnessReportSize)
}

// FileDocument copies bidder's opened document of a part to w, for a
// member of the tender's committee.
func (c *Client) FileDocument(ctx context.Context, id string, file int, bidder string, w io.Writer, limit int64) (int64, error) {
	return c.stream(ctx, filePath(id, file)+"/offers/"+url.PathEscape(bidder)+"/document", w, limit)
}

// ProposeEvaluation proposes the File I evaluation of a two-file or
// two-stage tender, as a committee member: the proposal is the
// proposer's approval; other members approve its Digest.
func (c *Client) ProposeEvaluation(ctx context.Context, id string, results []api.BidderResult) (*api.EvaluationProposal, error) {
	if results == nil {
		results = []api.BidderResult{}
	}
	return get[api.EvaluationProposal](ctx, c, "POST", tenderPath(id)+"/evaluations", api.EvaluationRequest{Results: results})
}

// ApproveEvaluation approves the proposed evaluation with digest; the
// k-th approval fixes it (the answer's Evaluation).
func (c *Client) ApproveEvaluation(ctx context.Context, id string, digest api.Digest) (*api.Tender, error) {
	return get[api.Tender](ctx, c, "POST", tenderPath(id)+"/evaluations/"+digest.String()+"/approve", nil)
}

// AnnounceStageTwo announces a two-stage tender's stage 2 window.
func (c *Client) AnnounceStageTwo(ctx context.Context, id string, deadline, opening time.Time) (*api.Tender, error) {
	return get[api.Tender](ctx, c, "POST", tenderPath(id)+"/stage-two", api.StageTwoRequest{Deadline: deadline, Opening: opening})
}
