package auditlog_test

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
)

// entryCountingStorage counts the entries read from storage.
type entryCountingStorage struct {
	auditlog.Storage
	read atomic.Int64
}

func (c *entryCountingStorage) ReadEntries(ctx context.Context, start, end int64) ([][]byte, error) {
	c.read.Add(end - start)
	return c.Storage.ReadEntries(ctx, start, end)
}

// TestRecentEntries checks that Entries serves the latest entries from
// memory, byte for byte what storage holds, reads only the older part
// from storage, and cannot be changed through an appended or returned
// slice.
func TestRecentEntries(t *testing.T) {
	ctx := context.Background()
	signer, _ := newKeys(t, testOrigin)
	mem := auditlog.NewMemoryStorage()
	for i := range 10 { // entries from before Open: never cached
		if err := mem.Append(ctx, int64(i), [][]byte{entry(i)}, storedHashes(t, mem, int64(i), entry(i))); err != nil {
			t.Fatal(err)
		}
	}
	st := &entryCountingStorage{Storage: mem}
	per := len(entry(10)) // and of every entry 10..99
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: st, Origin: testOrigin, Signer: signer, RecentBytes: 40 * per})
	if err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 100; i += 3 {
		batch := [][]byte{entry(i), entry(i + 1), entry(i + 2)}
		if _, err := l.Append(ctx, batch...); err != nil {
			t.Fatal(err)
		}
		batch[0][0] = 'X' // a caller reusing its buffer must not change the log
	}
	want, err := mem.ReadEntries(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		start, end, fromStorage int64
	}{
		{60, 100, 0},  // the 40 latest: all cached
		{90, 95, 0},   // inside the cache
		{100, 100, 0}, // empty
		{50, 100, 10}, // straddles: 50..59 from storage
		{0, 10, 10},   // before Open
		{0, 100, 60},
	} {
		st.read.Store(0)
		got, err := l.Entries(ctx, r.start, r.end)
		if err != nil {
			t.Fatalf("Entries(%d, %d): %v", r.start, r.end, err)
		}
		if len(got) != int(r.end-r.start) {
			t.Fatalf("Entries(%d, %d) returned %d entries", r.start, r.end, len(got))
		}
		for i, e := range got {
			if !bytes.Equal(e, want[r.start+int64(i)]) {
				t.Fatalf("Entries(%d, %d)[%d] = %q, storage holds %q", r.start, r.end, i, e, want[r.start+int64(i)])
			}
		}
		if n := st.read.Load(); n != r.fromStorage {
			t.Errorf("Entries(%d, %d) read %d entries from storage, want %d", r.start, r.end, n, r.fromStorage)
		}
		if len(got) > 0 {
			got[0][0] = 'Y' // must not reach the cache
		}
	}
	got, err := l.Entries(ctx, 99, 100)
	if err != nil || !bytes.Equal(got[0], want[99]) {
		t.Fatalf("after a caller changed a returned entry: %q, %v; want %q", got, err, want[99])
	}
	if _, err := l.Entries(ctx, 90, 101); err == nil {
		t.Errorf("Entries beyond the size succeeded")
	}
}

// TestRecentEntriesOff checks that a negative RecentBytes keeps nothing.
func TestRecentEntriesOff(t *testing.T) {
	ctx := context.Background()
	signer, _ := newKeys(t, testOrigin)
	st := &entryCountingStorage{Storage: auditlog.NewMemoryStorage()}
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: st, Origin: testOrigin, Signer: signer, RecentBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, entry(0), entry(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Entries(ctx, 0, 2); err != nil {
		t.Fatal(err)
	}
	if n := st.read.Load(); n != 2 {
		t.Errorf("read %d entries from storage, want 2", n)
	}
}

// storedHashes returns the hashes appending e at n to s adds.
func storedHashes(t *testing.T, s auditlog.Storage, n int64, e []byte) []tlog.Hash {
	t.Helper()
	hs, err := tlog.StoredHashes(n, e, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		return s.ReadHashes(context.Background(), idx)
	}))
	if err != nil {
		t.Fatal(err)
	}
	return hs
}
