// Package auditlogtest provides a conformance suite for implementations of
// auditlog.Storage, in the manner of golang.org/x/mod/sumdb/storage's TestStorage.
package auditlogtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
)

// TestStorage checks that storages returned by newStorage behave as
// auditlog.Storage requires. newStorage is called once per subtest and must
// return an empty storage, independent of all others.
//
// Beyond the interface's comments, the suite requires that:
//   - reads beyond the stored entries or hashes fail;
//   - ReadEntries(n, n) returns no entries and no error for 0 <= n <= Size;
//   - Append refuses a number of hashes other than
//     tlog.StoredHashCount(n+len(entries)) - tlog.StoredHashCount(n), storing nothing;
//   - PutCheckpoint with different bytes for a stored size fails with ErrConflict;
//   - Checkpoint(-1) returns the checkpoint with the largest size;
//   - stored and returned byte slices are not aliased with the caller's.
func TestStorage(t *testing.T, newStorage func(t *testing.T) auditlog.Storage) {
	t.Run("Empty", func(t *testing.T) { testEmpty(t, newStorage(t)) })
	t.Run("AppendRead", func(t *testing.T) { testAppendRead(t, newStorage(t)) })
	t.Run("HashLayout", func(t *testing.T) { testHashLayout(t, newStorage(t)) })
	t.Run("Conflict", func(t *testing.T) { testConflict(t, newStorage(t)) })
	t.Run("WrongHashCount", func(t *testing.T) { testWrongHashCount(t, newStorage(t)) })
	t.Run("NoAliasing", func(t *testing.T) { testNoAliasing(t, newStorage(t)) })
	t.Run("ConcurrentAppenders", func(t *testing.T) { testConcurrent(t, newStorage(t)) })
	t.Run("Checkpoints", func(t *testing.T) { testCheckpoints(t, newStorage(t)) })
	t.Run("LargeBatch", func(t *testing.T) { testLargeBatch(t, newStorage(t)) })
}

// appendAt appends entries at n, computing the hashes against what s stores.
func appendAt(ctx context.Context, s auditlog.Storage, n int64, entries [][]byte) error {
	hashes, err := hashesFor(ctx, s, n, entries)
	if err != nil {
		return err
	}
	return s.Append(ctx, n, entries, hashes)
}

// hashesFor returns the stored hashes that appending entries at n adds.
func hashesFor(ctx context.Context, s auditlog.Storage, n int64, entries [][]byte) ([]tlog.Hash, error) {
	base := tlog.StoredHashIndex(0, n)
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		var old []int64
		for _, x := range indexes {
			if x < base {
				old = append(old, x)
			}
		}
		stored, err := s.ReadHashes(ctx, old)
		if err != nil {
			return nil, err
		}
		if len(stored) != len(old) {
			return nil, fmt.Errorf("ReadHashes(%d indexes) returned %d hashes", len(old), len(stored))
		}
		for i, x := range indexes {
			if x < base {
				out[i], stored = stored[0], stored[1:]
			} else {
				out[i] = hashes[x-base]
			}
		}
		return out, nil
	})
	for i, e := range entries {
		h, err := tlog.StoredHashes(n+int64(i), e, r)
		if err != nil {
			return nil, err
		}
		hashes = append(hashes, h...)
	}
	return hashes, nil
}

func makeEntries(prefix string, start, count int) [][]byte {
	entries := make([][]byte, count)
	for i := range entries {
		entries[i] = fmt.Appendf(nil, "%s entry %d\n", prefix, start+i)
	}
	return entries
}

func checkSize(t *testing.T, s auditlog.Storage, want int64) {
	t.Helper()
	got, err := s.Size(context.Background())
	if err != nil || got != want {
		t.Fatalf("Size() = %d, %v; want %d, nil", got, err, want)
	}
}

func testEmpty(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	checkSize(t, s, 0)
	if got, err := s.ReadEntries(ctx, 0, 0); err != nil || len(got) != 0 {
		t.Errorf("ReadEntries(0, 0) = %d entries, %v; want 0, nil", len(got), err)
	}
	if _, err := s.ReadEntries(ctx, 0, 1); err == nil {
		t.Errorf("ReadEntries(0, 1) on an empty storage succeeded")
	}
	if _, err := s.ReadHashes(ctx, []int64{0}); err == nil {
		t.Errorf("ReadHashes([0]) on an empty storage succeeded")
	}
	for _, size := range []int64{-1, 0, 1} {
		if _, err := s.Checkpoint(ctx, size); !errors.Is(err, auditlog.ErrNotFound) {
			t.Errorf("Checkpoint(%d) = %v, want ErrNotFound", size, err)
		}
	}
}

func testAppendRead(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	var all [][]byte
	for _, k := range []int{1, 1, 2, 3, 5, 8, 13, 100, 1} {
		batch := makeEntries("append", len(all), k)
		if k == 2 {
			batch[1] = []byte{} // the empty entry is a valid entry
		}
		if err := appendAt(ctx, s, int64(len(all)), batch); err != nil {
			t.Fatalf("Append(%d, %d entries): %v", len(all), k, err)
		}
		all = append(all, batch...)
		checkSize(t, s, int64(len(all)))
	}
	n := int64(len(all))
	for _, r := range [][2]int64{{0, n}, {0, 1}, {n - 1, n}, {3, 17}, {n, n}} {
		got, err := s.ReadEntries(ctx, r[0], r[1])
		if err != nil {
			t.Fatalf("ReadEntries(%d, %d): %v", r[0], r[1], err)
		}
		if diff := cmp.Diff(normalize(all[r[0]:r[1]]), normalize(got)); diff != "" {
			t.Errorf("ReadEntries(%d, %d) mismatch (-want +got):\n%s", r[0], r[1], diff)
		}
	}
	for _, r := range [][2]int64{{0, n + 1}, {n, n + 1}, {-1, 1}, {5, 4}} {
		if _, err := s.ReadEntries(ctx, r[0], r[1]); err == nil {
			t.Errorf("ReadEntries(%d, %d) with %d entries succeeded", r[0], r[1], n)
		}
	}
	count := tlog.StoredHashCount(n)
	if _, err := s.ReadHashes(ctx, []int64{count}); err == nil {
		t.Errorf("ReadHashes([%d]) with %d hashes stored succeeded", count, count)
	}
	if _, err := s.ReadHashes(ctx, []int64{-1}); err == nil {
		t.Errorf("ReadHashes([-1]) succeeded")
	}
	// The stored tree must be the RFC 6962 tree of the entries.
	got, err := tlog.TreeHash(n, tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) { return s.ReadHashes(ctx, ix) }))
	if err != nil {
		t.Fatal(err)
	}
	if want := rfc6962Root(all); got != want {
		t.Errorf("tree hash = %v, want %v", got, want)
	}
}

// normalize maps nil entries to empty ones: storages may return either.
func normalize(entries [][]byte) [][]byte {
	out := make([][]byte, len(entries))
	for i, e := range entries {
		out[i] = append([]byte{}, e...)
	}
	return out
}

// rfc6962Root computes the Merkle tree hash directly from RFC 6962 §2.1.
func rfc6962Root(entries [][]byte) tlog.Hash {
	if len(entries) == 0 {
		h, _ := tlog.TreeHash(0, nil)
		return h
	}
	if len(entries) == 1 {
		return tlog.RecordHash(entries[0])
	}
	k := 1
	for k*2 < len(entries) {
		k *= 2
	}
	return tlog.NodeHash(rfc6962Root(entries[:k]), rfc6962Root(entries[k:]))
}

func testHashLayout(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	entries := makeEntries("layout", 0, 37)
	for i := 0; i < len(entries); i += 4 {
		end := min(i+4, len(entries))
		if err := appendAt(ctx, s, int64(i), entries[i:end]); err != nil {
			t.Fatal(err)
		}
	}
	// hashes[StoredHashIndex(level, k)] is the hash of the complete subtree of
	// entries [k<<level, (k+1)<<level).
	for level := 0; level < 6; level++ {
		for k := 0; (k+1)<<level <= len(entries); k++ {
			x := tlog.StoredHashIndex(level, int64(k))
			got, err := s.ReadHashes(ctx, []int64{x})
			if err != nil || len(got) != 1 {
				t.Fatalf("ReadHashes([%d]) = %v, %v", x, got, err)
			}
			if want := rfc6962Root(entries[k<<level : (k+1)<<level]); got[0] != want {
				t.Errorf("hash at storage index %d (level %d, subtree %d) = %v, want %v", x, level, k, got[0], want)
			}
		}
	}
	// Several indexes at once, out of order and repeated.
	ix := []int64{5, 0, 5, tlog.StoredHashIndex(0, 36), 1}
	got, err := s.ReadHashes(ctx, ix)
	if err != nil || len(got) != len(ix) {
		t.Fatalf("ReadHashes(%v) = %d hashes, %v", ix, len(got), err)
	}
	for i, x := range ix {
		one, _ := s.ReadHashes(ctx, []int64{x})
		if got[i] != one[0] {
			t.Errorf("ReadHashes(%v)[%d] = %v, want %v", ix, i, got[i], one[0])
		}
	}
}

func testConflict(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	if err := appendAt(ctx, s, 0, makeEntries("c", 0, 3)); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{0, 1, 2, 4, 100} {
		entries := makeEntries("conflict", 0, 1)
		err := s.Append(ctx, n, entries, make([]tlog.Hash, tlog.StoredHashCount(n+1)-tlog.StoredHashCount(n)))
		if !errors.Is(err, auditlog.ErrConflict) {
			t.Errorf("Append at %d with 3 entries stored = %v, want ErrConflict", n, err)
		}
	}
	checkSize(t, s, 3)
	got, err := s.ReadEntries(ctx, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(makeEntries("c", 0, 3), got); diff != "" {
		t.Errorf("entries changed by refused appends (-want +got):\n%s", diff)
	}
}

func testWrongHashCount(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	if err := appendAt(ctx, s, 0, makeEntries("w", 0, 1)); err != nil {
		t.Fatal(err)
	}
	entries := makeEntries("w", 1, 1) // appending entry 1 adds 2 hashes
	for _, k := range []int{0, 1, 3} {
		if err := s.Append(ctx, 1, entries, make([]tlog.Hash, k)); err == nil {
			t.Errorf("Append(1, 1 entry, %d hashes) succeeded, want an error", k)
		}
	}
	checkSize(t, s, 1)
}

func testNoAliasing(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	entries := [][]byte{[]byte("alias 0\n"), []byte("alias 1\n")}
	if err := appendAt(ctx, s, 0, entries); err != nil {
		t.Fatal(err)
	}
	entries[0][0] = 'X'
	got, err := s.ReadEntries(ctx, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if string(got[0]) != "alias 0\n" {
		t.Fatalf("stored entry changed with the caller's slice: %q", got[0])
	}
	got[1][0] = 'X'
	again, _ := s.ReadEntries(ctx, 1, 2)
	if string(again[0]) != "alias 1\n" {
		t.Fatalf("stored entry changed with a returned slice: %q", again[0])
	}
	cp := []byte("checkpoint\n")
	if err := s.PutCheckpoint(ctx, 2, cp); err != nil {
		t.Fatal(err)
	}
	cp[0] = 'X'
	if got, _ := s.Checkpoint(ctx, 2); string(got) != "checkpoint\n" {
		t.Fatalf("stored checkpoint changed with the caller's slice: %q", got)
	}
}

func testConcurrent(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	const rounds, writers = 20, 8
	var winners [][]byte
	for n := int64(0); n < rounds; n++ {
		var wg sync.WaitGroup
		errs := make([]error, writers)
		batches := make([][][]byte, writers)
		for w := range writers {
			batches[w] = makeEntries(fmt.Sprintf("writer %d round", w), int(n), 1)
			hashes, err := hashesFor(ctx, s, n, batches[w])
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[w] = s.Append(ctx, n, batches[w], hashes)
			}()
		}
		wg.Wait()
		won := -1
		for w, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: writers %d and %d both appended at %d", n, won, w, n)
			case err == nil:
				won = w
			case !errors.Is(err, auditlog.ErrConflict):
				t.Fatalf("round %d: writer %d: %v, want nil or ErrConflict", n, w, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: no writer appended", n)
		}
		winners = append(winners, batches[won]...)
		checkSize(t, s, n+1)
	}
	got, err := s.ReadEntries(ctx, 0, rounds)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(winners, got); diff != "" {
		t.Errorf("entries are not the winners' (-want +got):\n%s", diff)
	}
	h, err := tlog.TreeHash(rounds, tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) { return s.ReadHashes(ctx, ix) }))
	if err != nil || h != rfc6962Root(winners) {
		t.Errorf("tree hash after concurrent appends = %v, %v; want %v", h, err, rfc6962Root(winners))
	}
}

func testCheckpoints(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	get := func(size int64, want string) {
		t.Helper()
		got, err := s.Checkpoint(ctx, size)
		if err != nil || string(got) != want {
			t.Errorf("Checkpoint(%d) = %q, %v; want %q, nil", size, got, err, want)
		}
	}
	put := func(size int64, c string) {
		t.Helper()
		if err := s.PutCheckpoint(ctx, size, []byte(c)); err != nil {
			t.Fatalf("PutCheckpoint(%d, %q): %v", size, c, err)
		}
	}
	put(1, "one\n")
	get(1, "one\n")
	get(-1, "one\n")
	put(1, "one\n") // idempotent
	get(1, "one\n")
	if err := s.PutCheckpoint(ctx, 1, []byte("other\n")); !errors.Is(err, auditlog.ErrConflict) {
		t.Errorf("PutCheckpoint(1, other bytes) = %v, want ErrConflict", err)
	}
	get(1, "one\n")
	put(5, "five\n")
	get(-1, "five\n")
	put(3, "three\n") // older size stored later: latest is still the largest
	get(-1, "five\n")
	get(3, "three\n")
	get(1, "one\n")
	for _, size := range []int64{0, 2, 4, 6} {
		if _, err := s.Checkpoint(ctx, size); !errors.Is(err, auditlog.ErrNotFound) {
			t.Errorf("Checkpoint(%d) = %v, want ErrNotFound", size, err)
		}
	}
}

func testLargeBatch(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	const n = 10000
	entries := makeEntries("large", 0, n)
	entries[n/2] = bytes.Repeat([]byte("x"), auditlog.MaxEntrySize)
	if err := appendAt(ctx, s, 0, entries); err != nil {
		t.Fatalf("Append of %d entries: %v", n, err)
	}
	checkSize(t, s, n)
	got, err := s.ReadEntries(ctx, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("ReadEntries(0, %d) = %d entries", n, len(got))
	}
	for i := range got {
		if !bytes.Equal(got[i], entries[i]) {
			t.Fatalf("entry %d = %.40q, want %.40q", i, got[i], entries[i])
		}
	}
	ix := make([]int64, tlog.StoredHashCount(n))
	for i := range ix {
		ix[i] = int64(i)
	}
	hashes, err := s.ReadHashes(ctx, ix)
	if err != nil || len(hashes) != len(ix) {
		t.Fatalf("ReadHashes(all %d) = %d hashes, %v", len(ix), len(hashes), err)
	}
	h, _ := tlog.TreeHash(n, tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) { return s.ReadHashes(ctx, ix) }))
	if want := rfc6962Root(entries); h != want {
		t.Errorf("tree hash = %v, want %v", h, want)
	}
}
