package tender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// The engine keeps texts and documents in Blobs and names them in its
// records by SHA-256. These methods serve them to who may read them: each
// checks that the digest belongs to the record named, so knowing the
// digest of something else (an opened offer, another tender's document)
// opens nothing.

// TenderDocument opens a public document of tender id by its SHA-256: the
// tender's document (the current one, or one an addendum replaced, as the
// log's tender-announced and tender-amended entries name them), a
// question or objection or the answer to one, or the result or award
// text. Anyone may read them.
func (e *Engine) TenderDocument(ctx context.Context, id string, digest [32]byte) (io.ReadCloser, error) {
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	found := digest == t.Document
	if r := t.Result; !found && r != nil {
		found = digest == r.Document || r.Award != nil && digest == r.Award.Document
	}
	if !found {
		err = e.cfg.Records.View(ctx, func(tx vault.Tx) error {
			return tx.Scan(tableMessages, id+"/", func(key string, value []byte) error {
				var m Message
				if err := json.Unmarshal(value, &m); err != nil {
					return fmt.Errorf("tender: stored message %q is corrupt: %w", key, err)
				}
				found = found || digest == m.Document || m.Answer != nil && digest == m.Answer.Document
				return nil
			})
		})
		if err != nil {
			return nil, err
		}
	}
	if !found && t.Amendments > 0 {
		// Earlier versions of the tender document, from the log. Only an
		// amended tender has any, so an anonymous request for a digest
		// the tender does not name costs a log scan only then.
		end, err := e.logSize(ctx)
		if err != nil {
			return nil, err
		}
		entries, err := e.tenderEntries(ctx, t, end)
		if err != nil {
			return nil, err
		}
		want := hexEntry(digest[:])
		found = slices.ContainsFunc(entries, func(le audit.LogEntry) bool {
			ent, err := auditlog.ParseEntry(le.Data)
			return err == nil && (ent.Type == "tender-announced" || ent.Type == "tender-amended") && ent.Value("document") == want
		})
	}
	if !found {
		return nil, fmt.Errorf("%w: tender %s has no document %x…", ErrNotFound, id, digest[:8])
	}
	return e.openRecorded(ctx, digest)
}

// PlanText opens the text of procurement plan id. Plans are public.
func (e *Engine) PlanText(ctx context.Context, id string) (io.ReadCloser, error) {
	var p Plan
	if err := e.getRecord(ctx, tablePlans, "plan", id, &p); err != nil {
		return nil, err
	}
	return e.openRecorded(ctx, p.Document)
}

// getRecord reads the JSON record table/id into v; ErrNotFound names it
// as what.
func (e *Engine) getRecord(ctx context.Context, table, what, id string, v any) error {
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error { return getJSON(tx, table, id, v) })
	if errors.Is(err, vault.ErrNotFound) {
		return fmt.Errorf("%w: %s %q", ErrNotFound, what, id)
	}
	return err
}

// openRecorded opens a blob a record names. It was stored when the
// record was written, so its absence is a storage fault, not a caller's
// mistake.
func (e *Engine) openRecorded(ctx context.Context, digest [32]byte) (io.ReadCloser, error) {
	r, err := e.cfg.Blobs.Open(ctx, digest)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, fmt.Errorf("tender: stored document %x… is missing: %v", digest[:8], err)
	}
	return r, err
}
