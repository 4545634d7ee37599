package auditlog_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
)

const testOrigin = "lpse.example.go.id/log"

func newKeys(t testing.TB, name string) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := auditlog.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func newLog(t testing.TB, s auditlog.Storage, signer note.Signer, every int) *auditlog.Log {
	t.Helper()
	l, err := auditlog.Open(context.Background(), auditlog.Config{
		Storage: s, Origin: testOrigin, Signer: signer, CheckpointEvery: every,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func entry(i int) []byte { return fmt.Appendf(nil, "test entry %d\n", i) }

func TestOpenConfig(t *testing.T) {
	signer, _ := newKeys(t, testOrigin)
	other, _ := newKeys(t, "other.example/log")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  auditlog.Config
	}{
		{"no storage", auditlog.Config{Origin: testOrigin, Signer: signer}},
		{"no signer", auditlog.Config{Storage: auditlog.NewMemoryStorage(), Origin: testOrigin}},
		{"no origin", auditlog.Config{Storage: auditlog.NewMemoryStorage(), Signer: signer}},
		{"origin with space", auditlog.Config{Storage: auditlog.NewMemoryStorage(), Origin: "a b", Signer: signer}},
		{"signer not named after origin", auditlog.Config{Storage: auditlog.NewMemoryStorage(), Origin: testOrigin, Signer: other}},
	} {
		if _, err := auditlog.Open(ctx, tc.cfg); err == nil {
			t.Errorf("Open with %s succeeded", tc.name)
		}
	}
}

// TestInclusionAndConsistency checks proofs from the log for every tree size
// up to 70 and random pairs of sizes, against independently verified
// checkpoints.
func TestInclusionAndConsistency(t *testing.T) {
	ctx := context.Background()
	signer, verifier := newKeys(t, testOrigin)
	l := newLog(t, auditlog.NewMemoryStorage(), signer, 0)
	const max = 70
	checkpoints := []auditlog.Checkpoint{}
	for size := 0; size <= max; size++ {
		if size > 0 {
			got, err := l.Append(ctx, entry(size-1))
			if err != nil || len(got) != 1 || got[0] != int64(size-1) {
				t.Fatalf("Append(entry %d) = %v, %v", size-1, got, err)
			}
		}
		signed, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := auditlog.VerifyCheckpoint(signed, verifier)
		if err != nil {
			t.Fatalf("size %d: VerifyCheckpoint: %v", size, err)
		}
		if c.Size != int64(size) || c.Origin != testOrigin {
			t.Fatalf("checkpoint = %+v, want size %d of %q", c, size, testOrigin)
		}
		if want := rfc6962Root(size); c.Hash != want {
			t.Fatalf("size %d: root hash %v, want %v (computed from RFC 6962 directly)", size, c.Hash, want)
		}
		checkpoints = append(checkpoints, c)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		size := 1 + rng.IntN(max)
		index := rng.IntN(size)
		c := checkpoints[size]
		p, err := l.ProveInclusion(ctx, int64(index), int64(size))
		if err != nil {
			t.Fatal(err)
		}
		if err := auditlog.CheckInclusion(entry(index), int64(index), c, p); err != nil {
			t.Errorf("CheckInclusion(%d in %d): %v", index, size, err)
		}
		if err := auditlog.CheckInclusion(entry(index+1), int64(index), c, p); !errors.Is(err, auditlog.ErrInvalidProof) {
			t.Errorf("CheckInclusion of the wrong entry at %d in %d = %v, want ErrInvalidProof", index, size, err)
		}
		if other := (index + 1) % size; other != index {
			if err := auditlog.CheckInclusion(entry(index), int64(other), c, p); err == nil {
				t.Errorf("CheckInclusion(entry %d at index %d in %d) succeeded", index, other, size)
			}
		}
		if len(p) > 0 {
			bad := append(tlog.RecordProof{}, p...)
			bad[rng.IntN(len(bad))][0] ^= 1
			if err := auditlog.CheckInclusion(entry(index), int64(index), c, bad); err == nil {
				t.Errorf("CheckInclusion with a corrupted proof (%d in %d) succeeded", index, size)
			}
			if err := auditlog.CheckInclusion(entry(index), int64(index), c, p[:len(p)-1]); err == nil {
				t.Errorf("CheckInclusion with a truncated proof (%d in %d) succeeded", index, size)
			}
		}
		if err := auditlog.CheckInclusion(entry(index), int64(index), c, append(p, tlog.Hash{})); err == nil {
			t.Errorf("CheckInclusion with an extra hash (%d in %d) succeeded", index, size)
		}

		older := rng.IntN(size + 1)
		cp, err := l.ProveConsistency(ctx, int64(older), int64(size))
		if err != nil {
			t.Fatal(err)
		}
		if err := auditlog.CheckConsistency(checkpoints[older], c, cp); err != nil {
			t.Errorf("CheckConsistency(%d, %d): %v", older, size, err)
		}
		if older != size {
			if err := auditlog.CheckConsistency(c, checkpoints[older], cp); err == nil {
				t.Errorf("CheckConsistency(%d, %d) backwards succeeded", size, older)
			}
		}
		if len(cp) > 0 {
			bad := append(tlog.TreeProof{}, cp...)
			bad[rng.IntN(len(bad))][31] ^= 0x80
			if err := auditlog.CheckConsistency(checkpoints[older], c, bad); err == nil {
				t.Errorf("CheckConsistency(%d, %d) with a corrupted proof succeeded", older, size)
			}
		}
		forked := checkpoints[older]
		forked.Hash[0] ^= 1
		if err := auditlog.CheckConsistency(forked, c, cp); err == nil {
			t.Errorf("CheckConsistency(%d, %d) from a forked tree succeeded", older, size)
		}
	}
	// Out-of-range requests.
	for _, r := range [][2]int64{{-1, 5}, {5, 5}, {0, max + 1}, {0, 0}} {
		if _, err := l.ProveInclusion(ctx, r[0], r[1]); err == nil {
			t.Errorf("ProveInclusion(%d, %d) succeeded", r[0], r[1])
		}
	}
	for _, r := range [][2]int64{{-1, 5}, {6, 5}, {0, max + 1}} {
		if _, err := l.ProveConsistency(ctx, r[0], r[1]); err == nil {
			t.Errorf("ProveConsistency(%d, %d) succeeded", r[0], r[1])
		}
	}
	otherLog := checkpoints[3]
	otherLog.Origin = "other.example/log"
	if err := auditlog.CheckConsistency(otherLog, checkpoints[5], nil); err == nil {
		t.Errorf("CheckConsistency across origins succeeded")
	}
}

// rfc6962Root computes the Merkle Tree Hash of entry(0), …, entry(n-1)
// straight from RFC 6962 §2.1, without tlog.
func rfc6962Root(n int) tlog.Hash {
	var hash func(lo, hi int) [32]byte
	hash = func(lo, hi int) [32]byte {
		switch {
		case hi == lo:
			return sha256.Sum256(nil)
		case hi-lo == 1:
			return sha256.Sum256(append([]byte{0}, entry(lo)...))
		}
		k := 1
		for 2*k < hi-lo {
			k *= 2
		}
		l, r := hash(lo, lo+k), hash(lo+k, hi)
		return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
	}
	return hash(0, n)
}

func TestEntrySizeCap(t *testing.T) {
	ctx := context.Background()
	signer, _ := newKeys(t, testOrigin)
	l := newLog(t, auditlog.NewMemoryStorage(), signer, 0)
	for _, tc := range []struct {
		size int
		ok   bool
	}{
		{0, true}, {auditlog.MaxEntrySize - 1, true}, {auditlog.MaxEntrySize, true}, {auditlog.MaxEntrySize + 1, false},
	} {
		_, err := l.Append(ctx, []byte("ok\n"), make([]byte, tc.size))
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, auditlog.ErrEntryTooLarge) {
			t.Errorf("Append(%d bytes) = %v, want ok=%v", tc.size, err, tc.ok)
		}
	}
	if got := l.Size(); got != 6 {
		t.Errorf("Size() = %d, want 6 (a refused call appends none of its entries)", got)
	}
}

// TestGroupCommit appends from many goroutines and checks that every call got
// contiguous indexes holding its entries, and that calls were merged.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	signer, verifier := newKeys(t, testOrigin)
	counting := &countingStorage{Storage: auditlog.NewMemoryStorage()}
	l := newLog(t, counting, signer, 100)
	const goroutines, calls = 16, 50
	var wg sync.WaitGroup
	got := make([][][]int64, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range calls {
				k := 1 + (g+c)%3
				var batch [][]byte
				for i := range k {
					batch = append(batch, fmt.Appendf(nil, "g%d c%d i%d\n", g, c, i))
				}
				indexes, err := l.Append(ctx, batch...)
				if err != nil {
					t.Error(err)
					return
				}
				got[g] = append(got[g], indexes)
			}
		}()
	}
	wg.Wait()
	n := l.Size()
	entries, err := counting.ReadEntries(ctx, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[int64]bool)
	for g := range goroutines {
		for c, indexes := range got[g] {
			for i, x := range indexes {
				if seen[x] {
					t.Fatalf("index %d returned twice", x)
				}
				seen[x] = true
				if i > 0 && x != indexes[i-1]+1 {
					t.Errorf("call g%d c%d got non-contiguous indexes %v", g, c, indexes)
				}
				if want := fmt.Sprintf("g%d c%d i%d\n", g, c, i); string(entries[x]) != want {
					t.Errorf("entry %d = %q, want %q", x, entries[x], want)
				}
			}
		}
	}
	if int64(len(seen)) != n {
		t.Errorf("%d indexes returned, log size %d", len(seen), n)
	}
	t.Logf("%d calls, %d entries, %d storage appends", goroutines*calls, n, counting.appends)
	// The automatic checkpoints are valid and the last one is recent.
	signed, err := counting.Checkpoint(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := auditlog.VerifyCheckpoint(signed, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if c.Size <= n-100 || c.Size > n {
		t.Errorf("latest checkpoint size %d, log size %d, CheckpointEvery 100", c.Size, n)
	}
}

type countingStorage struct {
	auditlog.Storage
	mu      sync.Mutex
	appends int
	fail    error // returned by Append when set
}

func (s *countingStorage) Append(ctx context.Context, n int64, entries [][]byte, hashes []tlog.Hash) error {
	s.mu.Lock()
	s.appends++
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	return s.Storage.Append(ctx, n, entries, hashes)
}

// TestTwoWriters checks that two Logs on one storage (server instances
// sharing a database) write one log: an append that the other writer
// overtook lands after its entries, and Sync and Checkpoint catch up with
// what the other wrote.
func TestTwoWriters(t *testing.T) {
	ctx := context.Background()
	signer, verifier := newKeys(t, testOrigin)
	s := auditlog.NewMemoryStorage()
	a := newLog(t, s, signer, 0)
	b := newLog(t, s, signer, 0)
	if _, err := a.Append(ctx, entry(0)); err != nil {
		t.Fatal(err)
	}
	got, err := b.Append(ctx, entry(1))
	if err != nil || got[0] != 1 {
		t.Fatalf("Append by a second writer = %v, %v; want [1]", got, err)
	}
	if _, err := a.Append(ctx, entry(2), entry(3)); err != nil {
		t.Fatal(err)
	}
	if n := b.Size(); n != 2 {
		t.Fatalf("before Sync, Size = %d; want the 2 entries b knows of", n)
	}
	if n, err := b.Sync(ctx); err != nil || n != 4 || b.Size() != 4 {
		t.Fatalf("Sync = %d, %v (Size %d); want 4", n, err, b.Size())
	}
	if _, err := a.Append(ctx, entry(4)); err != nil {
		t.Fatal(err)
	}
	signed, err := b.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := auditlog.VerifyCheckpoint(signed, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if c.Size != 5 {
		t.Fatalf("b's checkpoint has size %d; want 5, with a's last entry", c.Size)
	}
	// a proves and exchanges receipts for entries b appended, and the
	// other way round, without a Sync.
	if _, err := b.Append(ctx, entry(5)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ProveInclusion(ctx, 5, 6); err != nil {
		t.Errorf("a cannot prove b's latest entry: %v", err)
	}
	if _, err := a.ProveConsistency(ctx, 5, 6); err != nil {
		t.Errorf("a cannot prove consistency up to b's latest entry: %v", err)
	}
	rcpSigner, rcpKey := newKeys(t, receiptOrigin)
	r := testReceipt()
	e, err := r.Entry().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ix, err := b.Append(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	r.Index = ix[0]
	receipt, err := auditlog.SignReceipt(r, rcpSigner)
	if err != nil {
		t.Fatal(err)
	}
	if pf, err := a.ProofFile(ctx, receipt); err != nil {
		t.Errorf("a cannot give the proof file of b's receipt: %v", err)
	} else if _, _, err := auditlog.VerifyProofFile(pf, auditlog.Keys{Log: verifier, Receipt: rcpKey}); err != nil {
		t.Error(err)
	}
	for i := range int64(5) {
		p, err := b.ProveInclusion(ctx, i, 5)
		if err != nil {
			t.Fatal(err)
		}
		if err := auditlog.CheckInclusion(entry(int(i)), i, c, p); err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
	}
}

func TestAppendStorageError(t *testing.T) {
	ctx := context.Background()
	signer, _ := newKeys(t, testOrigin)
	s := &countingStorage{Storage: auditlog.NewMemoryStorage(), fail: errors.New("disk on fire")}
	l := newLog(t, s, signer, 0)
	if _, err := l.Append(ctx, entry(0)); err == nil {
		t.Fatal("Append succeeded with a failing storage")
	}
	s.fail = nil
	if got, err := l.Append(ctx, entry(0)); err != nil || got[0] != 0 {
		t.Fatalf("Append after the storage recovered = %v, %v; want [0]", got, err)
	}
}

func TestCanceledContext(t *testing.T) {
	signer, _ := newKeys(t, testOrigin)
	l := newLog(t, auditlog.NewMemoryStorage(), signer, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, entry(0)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with a cancelled context = %v, want context.Canceled", err)
	}
	if l.Size() != 0 {
		t.Errorf("Size() = %d after a cancelled Append", l.Size())
	}
}

// TestReopen checks that Open recovers the state of a log and refuses a
// storage whose tree no longer matches its latest checkpoint.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	signer, verifier := newKeys(t, testOrigin)
	s := auditlog.NewMemoryStorage()
	l := newLog(t, s, signer, 10)
	for i := range 25 {
		if _, err := l.Append(ctx, entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	l2 := newLog(t, s, signer, 10)
	if l2.Size() != 25 {
		t.Fatalf("reopened Size() = %d, want 25", l2.Size())
	}
	for i := 25; i < 40; i++ {
		if _, err := l2.Append(ctx, entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	signed, _ := l2.Checkpoint(ctx)
	c, err := auditlog.VerifyCheckpoint(signed, verifier)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := l2.ProveInclusion(ctx, 7, 40)
	if err := auditlog.CheckInclusion(entry(7), 7, c, p); err != nil {
		t.Fatal(err)
	}

	// A storage rewritten with other entries under the same checkpoint.
	forged := auditlog.NewMemoryStorage()
	f := newLog(t, forged, signer, 0)
	for i := range 40 {
		f.Append(ctx, entry(i+1000))
	}
	forged.PutCheckpoint(ctx, 40, signed)
	if _, err := auditlog.Open(ctx, auditlog.Config{Storage: forged, Origin: testOrigin, Signer: signer}); err == nil {
		t.Error("Open of a storage that does not match its checkpoint succeeded")
	}
	// A storage rolled back behind its checkpoint.
	behind := auditlog.NewMemoryStorage()
	behind.PutCheckpoint(ctx, 40, signed)
	if _, err := auditlog.Open(ctx, auditlog.Config{Storage: behind, Origin: testOrigin, Signer: signer}); err == nil {
		t.Error("Open of a storage behind its checkpoint succeeded")
	}
}

func TestCheckpointIdempotent(t *testing.T) {
	ctx := context.Background()
	signer, _ := newKeys(t, testOrigin)
	l := newLog(t, auditlog.NewMemoryStorage(), signer, 0)
	l.Append(ctx, entry(0))
	a, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Checkpoint(ctx)
	if err != nil || !bytes.Equal(a, b) {
		t.Errorf("second Checkpoint = %q, %v; want %q", b, err, a)
	}
}
