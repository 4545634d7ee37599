package auditlog

import (
	"context"
	"fmt"
)

// Origin returns the log's origin, the first line of its checkpoints and
// the origin field of receipts for its entries.
func (l *Log) Origin() string { return l.origin }

// Entries returns the entries at indexes [start, end), as stored. end must
// not exceed Size.
func (l *Log) Entries(ctx context.Context, start, end int64) ([][]byte, error) {
	if start < 0 || end < start || end > l.Size() {
		return nil, fmt.Errorf("auditlog: entries [%d, %d) outside the log of size %d", start, end, l.Size())
	}
	return l.storage.ReadEntries(ctx, start, end)
}
