package tender

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/segel-lpse/segel/auditlog"
)

// entry builds a log entry of typ from key, value pairs, in the order
// doc/spec/entries.md lists the fields. A value the entry format refuses
// (an id with spaces, an over-long reason) is the caller's bad input.
func entry(typ string, kv ...string) ([]byte, error) {
	e := auditlog.Entry{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Fields = append(e.Fields, auditlog.Field{Key: kv[i], Value: kv[i+1]})
	}
	b, err := e.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return b, nil
}

func tsEntry(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
func hexEntry(b []byte) string   { return hex.EncodeToString(b) }
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

func parseDigest(s string) ([32]byte, error) {
	var d [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return d, fmt.Errorf("digest %.70q is not 64 hex digits", s)
	}
	copy(d[:], b)
	return d, nil
}
