package tender

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/segel-lpse/segel/auditlog"
)

// entry builds a log entry of typ from key, value pairs, in the order
// doc/spec/entries.md lists the fields. A value the entry format refuses
// (an id with spaces, an over-long reason) is the caller's bad input.
func entry(typ string, kv ...string) ([]byte, error) {
	b, err := auditlog.MarshalEntry(typ, kv...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return b, nil
}

func hexEntry(b []byte) string { return hex.EncodeToString(b) }
func uintEntry[T int | int64 | uint64](n T) string {
	return strconv.FormatUint(uint64(n), 10)
}

// appendLog appends entries and returns the index of the first.
func (e *Engine) appendLog(ctx context.Context, entries ...[]byte) (int64, error) {
	idx, err := e.cfg.Log.Append(ctx, entries...)
	if err != nil {
		return 0, fmt.Errorf("tender: audit log: %w", err)
	}
	return idx[0], nil
}

// logSize returns the log's size for a reader that must see every entry
// logged so far. Engines sharing a backend (Config.Shared) append to one
// log, and this engine's Log learns of the others' entries only when it
// appends itself, so the size is then read from the storage (Log.Sync).
func (e *Engine) logSize(ctx context.Context) (int64, error) {
	if !e.cfg.Shared {
		return e.cfg.Log.Size(), nil
	}
	n, err := e.cfg.Log.Sync(ctx)
	if err != nil {
		return 0, fmt.Errorf("tender: audit log: %w", err)
	}
	return n, nil
}

// aboutTender reports whether a canonical entry (doc/spec/entries.md: one
// "key: value" field per line, values without newlines) has the field
// "tender: id". It lets a replay skip other tenders' entries without
// parsing them: with a hundred tenders opening at once, each replaying the
// log, parsing every entry was 6% of the opening's CPU. Entries it keeps
// are still parsed, strictly.
func aboutTender(data []byte, id string) bool {
	var needle [256]byte
	n := copy(needle[:], "\ntender: ")
	if n+len(id)+1 > len(needle) {
		return true // an id too long for the buffer: let the parser decide
	}
	n += copy(needle[n:], id)
	needle[n] = '\n'
	return bytes.Contains(data, needle[:n+1])
}
