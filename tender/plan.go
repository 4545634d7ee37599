package tender

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// tablePlans holds procurement plans: id → Plan.
const tablePlans = "tender_plans"

// Plan is a procurement plan (Rencana Umum Pengadaan, RUP), announced by
// a PA/KPA before its tenders (regulation art. 4).
//
// Plans are the engine's, unlike notices and complaints (package
// helpdesk): they are the first stage of the procurement that a tender
// carries on. A tender names its plan, and Announce refuses a plan that
// was not announced, in the records the engine holds; and OCDS, the
// engine's e-reporting, has the plan as the planning stage of the
// tender's contracting process (doc/spec/ocds.md §2 leaves it for later).
type Plan struct {
	ID        string
	Title     string
	Budget    int64    // in rupiah
	Document  [32]byte // SHA-256 of the plan's text in Blobs
	By        string
	Announced time.Time
}

// AnnouncePlan publishes a procurement plan, by a PA/KPA. A tender may
// then name it (Announcement.Plan).
func (e *Engine) AnnouncePlan(ctx context.Context, actor, id, title string, budget int64, text string) (*Plan, error) {
	if err := e.cfg.Directory.CheckRole(ctx, actor, RolePAKPA); err != nil {
		return nil, fmt.Errorf("%w: plans are announced by a PA/KPA: %w", ErrForbidden, err)
	}
	switch {
	case strings.TrimSpace(title) == "" || len(title) > 500:
		return nil, fmt.Errorf("%w: a plan's title has 1–500 characters", ErrInvalid)
	case budget <= 0:
		return nil, fmt.Errorf("%w: a plan's budget is a positive number of rupiah, not %d", ErrInvalid, budget)
	}
	now := e.now()
	if id == "" {
		id = newID("RUP", now)
	}
	// Everything that can refuse the plan is checked before its text is
	// stored (putText stores only a text it accepts), so a refusal
	// leaves nothing behind.
	sum := sha256.Sum256([]byte(text))
	ent, err := entry("plan-announced", "plan", id, "by", actor, "document", hexEntry(sum[:]), "time", canon.FormatTime(now))
	if err != nil {
		return nil, fmt.Errorf("plan %.70q: %w", id, err)
	}
	taken := fmt.Errorf("%w: plan id %q is taken; choose another or leave it empty", ErrInvalid, id)
	err = e.cfg.Records.View(ctx, func(tx vault.Tx) error { _, err := tx.Get(tablePlans, id); return err })
	if err == nil {
		return nil, taken
	} else if !errors.Is(err, vault.ErrNotFound) {
		return nil, err
	}
	doc, err := e.putText(ctx, text)
	if err != nil {
		return nil, err
	}
	p := &Plan{ID: id, Title: title, Budget: budget, Document: doc, By: actor, Announced: now}
	b, _ := json.Marshal(p)
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Insert(tablePlans, id, b) })
	if errors.Is(err, vault.ErrExists) {
		return nil, taken // announced concurrently
	} else if err != nil {
		return nil, err
	}
	if _, err := e.appendLog(ctx, ent); err != nil {
		e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Delete(tablePlans, id) })
		return nil, err
	}
	return p, nil
}

// Plans lists the procurement plans, in id order.
func (e *Engine) Plans(ctx context.Context) ([]Plan, error) {
	var out []Plan
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		return tx.Scan(tablePlans, "", func(key string, value []byte) error {
			var p Plan
			if err := json.Unmarshal(value, &p); err != nil {
				return fmt.Errorf("tender: stored plan %q is corrupt: %w", key, err)
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}
