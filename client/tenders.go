package client

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// Schedule is a tender's timetable. Times must not decrease in the order
// listed, and the submission window must not be empty.
type Schedule struct {
	RegistrationEnd  time.Time // providers register to take part until then
	ClarificationEnd time.Time // questions (aanwijzing) until then
	SubmissionStart  time.Time
	Deadline         time.Time // last moment an offer is accepted
	Opening          time.Time // opening time; fixes the beacon round
	ObjectionDays    int       // length of the objection period (sanggah)
}

// Announcement is a tender as its committee announces it.
type Announcement struct {
	ID           string   `json:"id"` // the id the PA/KPA assigned the committee to
	Title        string   `json:"title"`
	Plan         string   `json:"plan,omitempty"` // procurement plan (RUP) id
	Document     string   `json:"document"`       // SHA-256 hex from UploadDocument
	CommitteeKey string   `json:"committee_key"`  // age post-quantum recipient
	Schedule     Schedule `json:"schedule"`
}

// Tender is the public view of a tender.
type Tender struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	Plan         string    `json:"plan,omitempty"`
	Document     string    `json:"document"` // SHA-256 hex
	State        string    `json:"state"`    // announced, closed, opened, …
	Committee    []string  `json:"committee"`
	CommitteeKey string    `json:"committee_key"`
	CommitteeID  string    `json:"committee_key_id"`
	Chain        string    `json:"chain"` // beacon chain hash, hex
	Round        uint64    `json:"round"` // the opening round
	RoundTime    time.Time `json:"round_time"`
	Schedule     Schedule  `json:"schedule"`
	Amendments   int       `json:"amendments"`
	// Offers is the number of offers current at closing; nil until closed.
	Offers        *int   `json:"offers,omitempty"`
	Winner        string `json:"winner,omitempty"`
	ResultText    string `json:"result_text,omitempty"`    // SHA-256 hex of the result announcement, for TenderDocument
	AwardText     string `json:"award_text,omitempty"`     // SHA-256 hex of the award text, for TenderDocument
	OpeningReport string `json:"opening_report,omitempty"` // SHA-256 hex, once opened
}

// UploadDocument stores a tender document (the dokumen pemilihan), as a
// committee member, and returns its SHA-256 in hex for Announcement.
func (c *Client) UploadDocument(ctx context.Context, doc io.Reader) (string, error) {
	var out struct {
		SHA256 string `json:"sha256"`
	}
	if err := c.send(ctx, "POST", "/v1/documents", "application/octet-stream", doc, &out); err != nil {
		return "", err
	}
	return out.SHA256, nil
}

// Announce announces a tender, as a member of its assigned committee.
func (c *Client) Announce(ctx context.Context, a Announcement) (*Tender, error) {
	return get[Tender](ctx, c, "POST", "/v1/tenders", a)
}

// Tender returns one tender.
func (c *Client) Tender(ctx context.Context, id string) (*Tender, error) {
	return get[Tender](ctx, c, "GET", tenderPath(id), nil)
}

// Tenders returns all tenders.
func (c *Client) Tenders(ctx context.Context) ([]Tender, error) {
	return list[Tender](ctx, c, "/v1/tenders")
}

// Amendment is an addendum (adendum) to a tender: a new tender document,
// a new deadline, or both. A zero field leaves that part as it is.
type Amendment struct {
	Document string    `json:"document,omitempty"` // SHA-256 hex from UploadDocument
	Deadline time.Time `json:"deadline,omitzero"`  // not after the opening, which never moves
}

// Amend publishes an addendum to a tender, as a member of its committee,
// before the deadline, and returns the tender with its Amendments
// counted. The opening time and round stay, so offers already sealed
// remain valid. The server answers CodeWrongState after the deadline,
// CodeBadRequest if Document is not a SHA-256 in hex, and CodeInvalid if
// the new deadline does not fit the schedule; it refuses a Document not
// stored with UploadDocument first.
func (c *Client) Amend(ctx context.Context, id string, a Amendment) (*Tender, error) {
	return get[Tender](ctx, c, "POST", tenderPath(id)+"/amend", a)
}

// OCDS returns tender id as an Open Contracting Data Standard 1.1 release
// package (JSON with the bids extension; doc/spec/ocds.md is the
// mapping), with one release per stage the tender has reached. The bytes
// are the server's, unchanged: the same tender state always exports to
// the same bytes, so they may be stored, hashed or compared as they are,
// and decoded with encoding/json.
func (c *Client) OCDS(ctx context.Context, id string) ([]byte, error) {
	return c.text(ctx, "GET", tenderPath(id)+"/ocds", "", nil, maxJSONResponse)
}

// TenderDocument copies a public document of tender id to w, at most
// limit bytes: the tender's document (Tender.Document, or a version an
// addendum replaced), a question, objection or answer, or the result or
// award text, named by its SHA-256 in hex (hex.EncodeToString of a
// Message's Document). The server answers CodeNotFound for a digest the
// tender does not name. A document found damaged in storage while it is
// sent breaks the response: the error is then not an *APIError.
func (c *Client) TenderDocument(ctx context.Context, id, digest string, w io.Writer, limit int64) (int64, error) {
	return c.stream(ctx, tenderPath(id)+"/documents/"+url.PathEscape(digest), w, limit)
}

// ErrUnsafeTarget is returned by Target for a tender whose offers, sealed
// as the server describes it, could be opened before its opening time or
// by another chain's custodian.
var ErrUnsafeTarget = errors.New("client: refusing to seal to this tender")

// Target returns what offers to tender id must be sealed to, for
// sealer.Seal: the opening round on the client's pinned chain (WithChain)
// and the committee's key. It trusts the server with none of the
// time-lock: it refuses, with ErrUnsafeTarget, a tender that names
// another chain, a round other than the pinned chain's RoundAt(opening),
// an opening before the deadline, or a round already published.
func (c *Client) Target(ctx context.Context, id string) (sealer.Target, error) {
	t, err := c.Tender(ctx, id)
	if err != nil {
		return sealer.Target{}, err
	}
	if err := checkTarget(c.chain, id, t, time.Now()); err != nil {
		return sealer.Target{}, err
	}
	r, err := age.ParseHybridRecipient(t.CommitteeKey)
	if err != nil {
		return sealer.Target{}, fmt.Errorf("client: tender %s: committee key: %w", id, err)
	}
	return sealer.Target{Chain: c.chain, Round: t.Round, Committee: r}, nil
}

// checkTarget checks the time-lock of tender t, fetched as id, against
// the pinned chain at now, with sealer.CheckPublished: the rules bidders'
// tools share, the portal's WebAssembly among them.
func checkTarget(chain timelock.Chain, id string, t *Tender, now time.Time) error {
	err := sealer.CheckPublished(chain, sealer.Published{
		Tender: id, Chain: t.Chain, Round: t.Round, Deadline: t.Schedule.Deadline, Opening: t.Schedule.Opening,
	}, now)
	var ue *sealer.UnsafeTargetError
	if !errors.As(err, &ue) {
		return err
	}
	if errors.Is(err, timelock.ErrWrongChain) {
		return fmt.Errorf("%w: tender %s %s; if the LPSE really locks to that chain, pin its chain info as the LPSE publishes it (client.WithChain, segel --chain FILE)",
			ErrUnsafeTarget, id, ue.Reason)
	}
	return fmt.Errorf("%w: tender %s %s", ErrUnsafeTarget, id, ue.Reason)
}

// RegisterForTender registers the calling provider for a tender.
func (c *Client) RegisterForTender(ctx context.Context, id string) error {
	return c.call(ctx, "POST", tenderPath(id)+"/participants", nil, nil)
}

// Close closes submission after the deadline, as a committee member,
// fixing the offer set; the answer's Offers counts it.
func (c *Client) Close(ctx context.Context, id string) (*Tender, error) {
	return get[Tender](ctx, c, "POST", tenderPath(id)+"/close", nil)
}

// Opening is the outcome of an opening ceremony.
type Opening struct {
	Opened   int     `json:"opened"`
	Failed   int     `json:"failed"` // each has a witness report
	Report   string  `json:"report"` // the signed opening report
	Duration float64 `json:"duration_seconds"`
}

// Open runs the opening ceremony of a closed tender, as a committee
// member, with the committee's secret key (sent to the server for this
// ceremony only: use TLS) and the witnesses present. Before the opening
// round the server refuses with CodeTooEarly.
func (c *Client) Open(ctx context.Context, id string, committee *age.HybridIdentity, witnesses []string) (*Opening, error) {
	if committee == nil {
		return nil, errors.New("client: Open needs the committee's identity")
	}
	in := map[string]any{"identity": committee.String(), "witnesses": witnesses}
	return get[Opening](ctx, c, "POST", tenderPath(id)+"/open", in)
}

// OpeningReport returns the signed opening report of an opened tender;
// verify it with audit.VerifyOpeningReport.
func (c *Client) OpeningReport(ctx context.Context, id string) ([]byte, error) {
	return c.text(ctx, "GET", tenderPath(id)+"/opening-report", "", nil, audit.MaxOpeningReportSize)
}

// Witness returns the signed witness report of bidder's offer that
// failed to open; verify it with audit.VerifyWitnessReport.
func (c *Client) Witness(ctx context.Context, id, bidder string) ([]byte, error) {
	return c.text(ctx, "GET", tenderPath(id)+"/witness/"+url.PathEscape(bidder), "", nil, audit.MaxWitnessReportSize)
}

// OfferDocument copies bidder's opened offer document to w, for a member
// of the tender's committee, and returns its size. It reads at most
// limit bytes and fails with ErrResponseTooLarge beyond.
func (c *Client) OfferDocument(ctx context.Context, id, bidder string, w io.Writer, limit int64) (int64, error) {
	return c.stream(ctx, tenderPath(id)+"/offers/"+url.PathEscape(bidder)+"/document", w, limit)
}

// Result announces the winner, as a committee member; the objection
// period starts.
func (c *Client) Result(ctx context.Context, id, winner, text string) (*Tender, error) {
	return get[Tender](ctx, c, "POST", tenderPath(id)+"/result", map[string]string{"winner": winner, "text": text})
}

// Award awards the contract, as the tender's PPK, after the objection
// period.
func (c *Client) Award(ctx context.Context, id, text string) (*Tender, error) {
	return get[Tender](ctx, c, "POST", tenderPath(id)+"/award", map[string]string{"text": text})
}

// Cancel cancels a tender, as a committee member, with a reason.
func (c *Client) Cancel(ctx context.Context, id, reason string) (*Tender, error) {
	return get[Tender](ctx, c, "POST", tenderPath(id)+"/cancel", map[string]string{"reason": reason})
}

// Message kinds.
const (
	Question  = "question"  // aanwijzing
	Objection = "objection" // sanggah
)

// Message is a question or an objection, with its answer if any.
type Message struct {
	Kind     string
	By       string
	Document [32]byte // SHA-256 of the text
	Time     time.Time
	Answer   *Answer `json:",omitempty"`
}

// Answer is the committee's answer to a message.
type Answer struct {
	By       string
	Document [32]byte
	Time     time.Time
}

// Messages returns a tender's questions or objections (kind Question or
// Objection).
func (c *Client) Messages(ctx context.Context, id, kind string) ([]Message, error) {
	return list[Message](ctx, c, tenderPath(id)+"/messages/"+url.PathEscape(kind))
}

// Ask asks a question or files an objection, as a provider, and returns
// the message's digest (hex), which Reply names.
func (c *Client) Ask(ctx context.Context, id, kind, text string) (string, error) {
	var out struct {
		Digest string `json:"digest"`
	}
	err := c.call(ctx, "POST", tenderPath(id)+"/messages/"+url.PathEscape(kind), map[string]string{"text": text}, &out)
	return out.Digest, err
}

// Reply answers the message with the given digest, as a committee member.
func (c *Client) Reply(ctx context.Context, id, kind, digest, text string) error {
	return c.call(ctx, "POST", tenderPath(id)+"/messages/"+url.PathEscape(kind)+"/"+url.PathEscape(digest)+"/answer", map[string]string{"text": text}, nil)
}

func tenderPath(id string) string { return "/v1/tenders/" + url.PathEscape(id) }

func hexDigest(d [32]byte) string { return hex.EncodeToString(d[:]) }
