package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// UploadDocument stores a tender document (the dokumen pemilihan), as a
// committee member, and returns its SHA-256, for api.Announcement.
func (c *Client) UploadDocument(ctx context.Context, doc io.Reader) (api.Digest, error) {
	var out api.StoredDocument
	if err := c.send(ctx, "POST", "/v1/documents", "application/octet-stream", doc, &out); err != nil {
		return api.Digest{}, err
	}
	return out.SHA256, nil
}

// Announce announces a tender, as a member of the committee the PA/KPA
// assigned to a.ID (AssignCommittee).
func (c *Client) Announce(ctx context.Context, a api.Announcement) (*api.Tender, error) {
	return get[api.Tender](ctx, c, "POST", "/v1/tenders", a)
}

// Tender returns one tender.
func (c *Client) Tender(ctx context.Context, id string) (*api.Tender, error) {
	return get[api.Tender](ctx, c, "GET", tenderPath(id), nil)
}

// Tenders returns all tenders.
func (c *Client) Tenders(ctx context.Context) ([]api.Tender, error) {
	return list[api.Tender](ctx, c, "/v1/tenders")
}

// Amend publishes an addendum to a tender, as a member of its committee,
// before the deadline, and returns the tender with its Amendments
// counted: a new document, a new deadline, or both (a zero field leaves
// that part as it is). The opening time and round stay, so offers
// already sealed remain valid. The server answers api.CodeWrongState
// after the deadline and api.CodeInvalid if the new deadline does not
// fit the schedule; it refuses a Document not stored with UploadDocument
// first.
func (c *Client) Amend(ctx context.Context, id string, a api.Amendment) (*api.Tender, error) {
	return get[api.Tender](ctx, c, "POST", tenderPath(id)+"/amend", a)
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
// award text, named by its SHA-256 (a Message's Document, a Tender's
// ResultText). The server answers api.CodeNotFound for a digest the
// tender does not name. A document found damaged in storage while it is
// sent breaks the response: the error is then not an *APIError.
func (c *Client) TenderDocument(ctx context.Context, id string, digest api.Digest, w io.Writer, limit int64) (int64, error) {
	return c.stream(ctx, tenderPath(id)+"/documents/"+digest.String(), w, limit)
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
func checkTarget(chain timelock.Chain, id string, t *api.Tender, now time.Time) error {
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
	return c.call(ctx, "POST", tenderPath(id)+"/participants", nil, &api.Done{})
}

// Close closes submission after the deadline, as a committee member,
// fixing the offer set; the answer's Offers counts it.
func (c *Client) Close(ctx context.Context, id string) (*api.Tender, error) {
	return get[api.Tender](ctx, c, "POST", tenderPath(id)+"/close", nil)
}

// Open runs the opening ceremony of a closed tender, as a committee
// member, with the committee's secret key (sent to the server for this
// ceremony only: use TLS) and the witnesses present. Before the opening
// round the server refuses with api.CodeTooEarly.
func (c *Client) Open(ctx context.Context, id string, committee *age.HybridIdentity, witnesses []string) (*api.Opening, error) {
	if committee == nil {
		return nil, errors.New("client: Open needs the committee's identity")
	}
	if witnesses == nil {
		witnesses = []string{} // a list, never null; the server then says who must be in it
	}
	return get[api.Opening](ctx, c, "POST", tenderPath(id)+"/open", api.OpenRequest{Identity: committee.String(), Witnesses: witnesses})
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
func (c *Client) Result(ctx context.Context, id, winner, text string) (*api.Tender, error) {
	return get[api.Tender](ctx, c, "POST", tenderPath(id)+"/result", api.ResultRequest{Winner: winner, Text: text})
}

// Award awards the contract, as the tender's PPK, after the objection
// period.
func (c *Client) Award(ctx context.Context, id, text string) (*api.Tender, error) {
	return get[api.Tender](ctx, c, "POST", tenderPath(id)+"/award", api.Text{Text: text})
}

// Cancel cancels a tender, as a committee member, with a reason.
func (c *Client) Cancel(ctx context.Context, id, reason string) (*api.Tender, error) {
	return get[api.Tender](ctx, c, "POST", tenderPath(id)+"/cancel", api.Reason{Reason: reason})
}

// Messages returns a tender's questions or objections (kind api.Question
// or api.Objection).
func (c *Client) Messages(ctx context.Context, id string, kind api.MessageKind) ([]api.Message, error) {
	return list[api.Message](ctx, c, tenderPath(id)+"/messages/"+url.PathEscape(string(kind)))
}

// Ask asks a question or files an objection, as a provider, and returns
// it; Reply names it by its Document.
func (c *Client) Ask(ctx context.Context, id string, kind api.MessageKind, text string) (*api.Message, error) {
	return get[api.Message](ctx, c, "POST", tenderPath(id)+"/messages/"+url.PathEscape(string(kind)), api.Text{Text: text})
}

// Reply answers the message whose text has the given digest, as a
// committee member, and returns the message with its answer.
func (c *Client) Reply(ctx context.Context, id string, kind api.MessageKind, message api.Digest, text string) (*api.Message, error) {
	return get[api.Message](ctx, c, "POST", tenderPath(id)+"/messages/"+url.PathEscape(string(kind))+"/"+message.String()+"/answer", api.Text{Text: text})
}

func tenderPath(id string) string { return "/v1/tenders/" + url.PathEscape(id) }
