package helpdesk

import (
	"context"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// Tables in vault.Records; values are JSON. The names are from when the
// tender engine kept notices and complaints: deployments hold their
// records there, so they stay.
const (
	tableNotices    = "tender_notices"    // notice id → Notice
	tableComplaints = "tender_complaints" // complaint id → Complaint
)

// Limits of what users write, in bytes.
const (
	maxTitle = 200      // a notice's title, a complaint's subject
	maxText  = 64 << 10 // a notice, a complaint, a response
)

// create stores a new record under a fresh id with prefix and appends its
// log entry; build makes both for the id. If the log refuses, the record
// is removed again, so that nothing is left that the log does not show.
// Ids are random, so a taken one is all but impossible; it is replaced
// by another, twice at most.
func (d *Desk) create(ctx context.Context, table, prefix string, now time.Time, build func(id string) (rec any, ent []byte, err error)) error {
	for range 3 {
		id, err := d.newID(prefix, now)
		if err != nil {
			return err
		}
		rec, ent, err := build(id)
		if err != nil {
			return err
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		err = d.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Insert(table, id, b) })
		if errors.Is(err, vault.ErrExists) {
			continue
		} else if err != nil {
			return err
		}
		if err := d.appendLog(ctx, ent); err != nil {
			if derr := d.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Delete(table, id) }); derr != nil {
				d.log.Error("a record the log refused is left behind", "table", table, "id", id, "err", derr)
			}
			return err
		}
		return nil
	}
	return fmt.Errorf("helpdesk: three fresh ids in %s were all taken; the random source is broken", table)
}

// newID returns a fresh id: prefix, the day, and 40 random bits, as
// "N-20261201-abcdefgh".
func (d *Desk) newID(prefix string, now time.Time) (string, error) {
	var b [5]byte
	if _, err := io.ReadFull(d.rand, b[:]); err != nil {
		return "", fmt.Errorf("helpdesk: reading random bits for an id: %w", err)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
	return prefix + "-" + now.UTC().Format("20060102") + "-" + strings.ToLower(enc), nil
}

// entry builds a log entry of typ from key, value pairs, in the order
// doc/spec/entries.md lists the fields. A value the entry format refuses
// is the caller's bad input.
func entry(typ string, kv ...string) ([]byte, error) {
	b, err := auditlog.MarshalEntry(typ, kv...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return b, nil
}

func hexEntry(b [32]byte) string { return hex.EncodeToString(b[:]) }

func (d *Desk) appendLog(ctx context.Context, ent []byte) error {
	if _, err := d.cfg.Log.Append(ctx, ent); err != nil {
		return fmt.Errorf("helpdesk: audit log: %w", err)
	}
	return nil
}

// get reads the record table/id into v; ErrNotFound names it as what.
func get(tx vault.Tx, table, what, id string, v any) error {
	b, err := tx.Get(table, id)
	if errors.Is(err, vault.ErrNotFound) {
		return fmt.Errorf("%w: %s %q", ErrNotFound, what, id)
	} else if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("helpdesk: stored %s %q is corrupt: %w", what, id, err)
	}
	return nil
}

// scan returns every record of table.
func scan[T any](ctx context.Context, d *Desk, table, what string) ([]T, error) {
	var out []T
	err := d.cfg.Records.View(ctx, func(tx vault.Tx) error {
		return tx.Scan(table, "", func(key string, value []byte) error {
			var v T
			if err := json.Unmarshal(value, &v); err != nil {
				return fmt.Errorf("helpdesk: stored %s %q is corrupt: %w", what, key, err)
			}
			out = append(out, v)
			return nil
		})
	})
	return out, err
}

func checkTitle(what, s string) error {
	if strings.TrimSpace(s) == "" || len(s) > maxTitle || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return fmt.Errorf("%w: %s must be 1–%d characters on one line", ErrInvalid, what, maxTitle)
	}
	return nil
}

// checkText checks a text before anything else is done, so that a
// refusal stores nothing.
func checkText(text string) error {
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("%w: text is empty", ErrInvalid)
	}
	if len(text) > maxText {
		return fmt.Errorf("%w: text is %d bytes, the limit is %d", ErrInvalid, len(text), maxText)
	}
	return nil
}

// putText stores a text checkText accepted in Blobs and returns its
// digest.
func (d *Desk) putText(ctx context.Context, text string) ([32]byte, error) {
	info, err := d.cfg.Blobs.Put(ctx, strings.NewReader(text), maxText)
	if err != nil {
		return [32]byte{}, fmt.Errorf("helpdesk: storing text: %w", err)
	}
	return info.Digest, nil
}

// openText opens a text a record names. It was stored when the record
// was written, so its absence is a storage fault, not a caller's mistake.
func (d *Desk) openText(ctx context.Context, digest [32]byte) (io.ReadCloser, error) {
	r, err := d.cfg.Blobs.Open(ctx, digest)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, fmt.Errorf("helpdesk: stored text %x… is missing: %v", digest[:8], err)
	}
	return r, err
}

func putJSON(tx vault.Tx, table, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(table, key, b)
}
