package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// MaxReasonLength caps reasons for rejection, deactivation and reactivation
// in bytes. Reasons are logged and public (doc/spec/registry.md §7).
const MaxReasonLength = 512

// checkReason applies the entries.md "text" kind (canon.KindText), with
// the registry's tighter cap: a deactivation's reason is logged after a
// prefix ("violation until …: "), and the whole must still be text.
func checkReason(field, s string) error {
	err := canon.KindText.Check(s)
	if len(s) > MaxReasonLength {
		err = fmt.Errorf("text is %d bytes, more than %d", len(s), MaxReasonLength)
	}
	if err != nil {
		return invalid(field, fmt.Sprintf("%v; give 1 to %d bytes of plain text, without personal data",
			err, MaxReasonLength))
	}
	return nil
}

// entry marshals one log entry of doc/spec/entries.md. The fields are given
// as key, value pairs in the order of the spec.
func entry(typ string, kv ...string) ([]byte, error) {
	b, err := auditlog.MarshalEntry(typ, kv...)
	if err != nil {
		return nil, fmt.Errorf("registry: building %s entry: %w", typ, err)
	}
	return b, nil
}

// outbox puts entries in the outbox inside the decision's transaction and
// returns their keys, for publish after commit.
func outbox(tx vault.Tx, now time.Time, entries ...[]byte) ([]string, error) {
	var keys []string
	// Unix nanoseconds sort by time; the random part keeps decisions of one
	// instant apart, and the counter keeps one decision's entries in order.
	id := newID("")
	for _, e := range entries {
		k := fmt.Sprintf("%020d-%s-%d", now.UnixNano(), id, len(keys))
		if err := tx.Insert(tableOutbox, k, e); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// publish appends the outboxed entries to the log and removes them from the
// outbox. On failure the decision stands and ErrAuditLog is returned;
// FlushAudit retries.
func (r *Registry) publish(ctx context.Context, keys []string) error {
	var entries [][]byte
	err := r.records.View(ctx, func(tx vault.Tx) error {
		entries = entries[:0]
		for _, k := range keys {
			b, err := tx.Get(tableOutbox, k)
			if errors.Is(err, vault.ErrNotFound) {
				continue // a concurrent FlushAudit took it
			}
			if err != nil {
				return err
			}
			entries = append(entries, b)
		}
		return nil
	})
	if err == nil && len(entries) > 0 {
		_, err = r.log.Append(ctx, entries...)
	}
	if err == nil {
		err = r.records.Update(ctx, func(tx vault.Tx) error {
			for _, k := range keys {
				if err := tx.Delete(tableOutbox, k); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		r.logger.ErrorContext(ctx, "registry: audit entries left in the outbox", "entries", len(keys), "err", err)
		return fmt.Errorf("%w (run FlushAudit): %w", ErrAuditLog, err)
	}
	return nil
}

// FlushAudit appends to the audit log every decision entry that a failed
// append left in the outbox, oldest first, and returns how many it appended.
// A server calls it at start and after ErrAuditLog. Entries are appended at
// least once: a crash between the append and the outbox cleanup appends them
// again.
func (r *Registry) FlushAudit(ctx context.Context) (int, error) {
	var keys []string
	err := r.records.View(ctx, func(tx vault.Tx) error {
		keys = keys[:0]
		return tx.Scan(tableOutbox, "", func(k string, _ []byte) error {
			keys = append(keys, k)
			return nil
		})
	})
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	if err := r.publish(ctx, keys); err != nil {
		return 0, err
	}
	return len(keys), nil
}

// decide runs fn in an Update; fn returns the entries its decision logs.
// After the commit the entries are appended to the log.
func (r *Registry) decide(ctx context.Context, fn func(tx vault.Tx, now time.Time) ([][]byte, error)) error {
	var keys []string
	err := r.records.Update(ctx, func(tx vault.Tx) error {
		now := r.clock()
		entries, err := fn(tx, now)
		if err != nil {
			return err
		}
		keys, err = outbox(tx, now, entries...)
		return err
	})
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	return r.publish(ctx, keys)
}
