package auditlog

import (
	"context"
	"fmt"
	"slices"
)

// Origin returns the log's origin, the first line of its checkpoints and
// the origin field of receipts for its entries.
func (l *Log) Origin() string { return l.origin }

// Entries returns the entries at indexes [start, end), as stored. end must
// not exceed the storage's size (Size, or Sync's if another Log appended).
// The latest entries (Config.RecentBytes) come from memory; the rest from
// Storage.
func (l *Log) Entries(ctx context.Context, start, end int64) ([][]byte, error) {
	// The size only grows, so a range valid now stays valid below.
	size, err := l.sizeAtLeast(ctx, end)
	if err != nil {
		return nil, err
	}
	if start < 0 || end < start || end > size {
		return nil, fmt.Errorf("auditlog: entries [%d, %d) outside the log of size %d", start, end, size)
	}
	l.mu.Lock()
	from, cached := l.recent.rangeFrom(start, end)
	l.mu.Unlock()
	tail := copyEntries(cached) // outside the lock: the bytes never change
	if from == start {
		return tail, nil
	}
	head, err := l.storage.ReadEntries(ctx, start, from)
	if err != nil {
		return nil, err
	}
	return append(head, tail...), nil
}

// recentEntries keeps copies of the latest entries, [start, start+len(entries)),
// always ending at the log's size, within max bytes. Guarded by Log.mu.
type recentEntries struct {
	max     int
	start   int64
	entries [][]byte
	bytes   int
}

// reset empties the cache of a log now of size n.
func (r *recentEntries) reset(n int64) {
	r.start, r.entries, r.bytes = n, nil, 0
}

// add records entries appended at index n, evicting the oldest beyond max.
func (r *recentEntries) add(n int64, entries [][]byte) {
	if r.max <= 0 {
		r.reset(n + int64(len(entries)))
		return
	}
	if n != r.start+int64(len(r.entries)) {
		r.reset(n) // not contiguous: start over from here
	}
	for _, e := range copyEntries(entries) { // callers may reuse their slices
		r.entries = append(r.entries, e)
		r.bytes += len(e)
	}
	drop := 0
	for r.bytes > r.max && drop < len(r.entries) {
		r.bytes -= len(r.entries[drop])
		drop++
	}
	if drop > 0 {
		clear(r.entries[:drop]) // append's next growth copies only the rest
		r.entries = r.entries[drop:]
		r.start += int64(drop)
	}
}

// rangeFrom returns the cached entries in [start, end) — a copy of the
// slice, sharing the bytes — and the index from which they begin: end if
// none are cached, start if all are.
func (r *recentEntries) rangeFrom(start, end int64) (int64, [][]byte) {
	from := max(start, r.start)
	if from >= end || end > r.start+int64(len(r.entries)) {
		return end, nil
	}
	return from, slices.Clone(r.entries[from-r.start : end-r.start])
}

// copyEntries copies entries into one new buffer, so that neither an
// appender reusing its slices nor a caller changing what Entries returned
// can change the cache.
func copyEntries(entries [][]byte) [][]byte {
	if entries == nil {
		return nil
	}
	total := 0
	for _, e := range entries {
		total += len(e)
	}
	buf := make([]byte, 0, total)
	out := make([][]byte, len(entries))
	for i, e := range entries {
		buf = append(buf, e...)
		out[i] = buf[len(buf)-len(e) : len(buf) : len(buf)]
	}
	return out
}
