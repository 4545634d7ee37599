package auditlog_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
)

// benchEntries returns n entries of the size of an offer-received entry.
func benchEntries(n int) [][]byte {
	entries := make([][]byte, n)
	for i := range entries {
		entries[i] = fmt.Appendf(nil, "segel-entry/v1 offer-received\ntender: 10012345000\nbidder: u-%d\n"+
			"sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\nsize: 123456\n"+
			"received: 2026-11-26T03:04:05.123Z\n", i)
	}
	return entries
}

// BenchmarkAppend measures appends with a checkpoint every 1,000 entries on
// the memory storage. sha256-only is the floor: hashing the same entries
// once each, as the leaf hashes do. slow-storage adds 200µs to every storage
// append, a stand-in for an fsync, to show what group commit buys.
func BenchmarkAppend(b *testing.B) {
	const pool = 1 << 16
	entries := benchEntries(pool)
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	}
	var appends atomic.Int64 // storage appends in the current sub-benchmark
	reportBatches := func(b *testing.B) {
		report(b)
		b.ReportMetric(float64(b.N)/float64(appends.Load()), "entries/append")
	}
	b.Run("sha256-only", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sha256.Sum256(entries[i%pool])
		}
		report(b)
	})
	for _, slow := range []time.Duration{0, 200 * time.Microsecond} {
		name := "memory"
		if slow > 0 {
			name = "slow-storage"
		}
		newBenchLog := func(b *testing.B) *auditlog.Log {
			signer, _ := newKeys(b, testOrigin)
			appends.Store(0)
			return newLog(b, &slowStorage{auditlog.NewMemoryStorage(), slow, &appends}, signer, 1000)
		}
		b.Run(name+"/serial", func(b *testing.B) {
			l := newBenchLog(b)
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				if _, err := l.Append(ctx, entries[i%pool]); err != nil {
					b.Fatal(err)
				}
			}
			reportBatches(b)
		})
		b.Run(name+"/batch100", func(b *testing.B) {
			l := newBenchLog(b)
			ctx := context.Background()
			n := 0
			for n < b.N {
				k := min(100, b.N-n)
				start := n % pool
				if start+k > pool {
					start = 0
				}
				if _, err := l.Append(ctx, entries[start:start+k]...); err != nil {
					b.Fatal(err)
				}
				n += k
			}
			reportBatches(b)
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			l := newBenchLog(b)
			ctx := context.Background()
			b.SetParallelism(32) // 32×GOMAXPROCS goroutines, one entry per call
			b.RunParallel(func(pb *testing.PB) {
				i := rand.IntN(pool)
				for pb.Next() {
					if _, err := l.Append(ctx, entries[i%pool]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
			reportBatches(b)
		})
	}
}

// slowStorage counts appends and delays each by delay.
type slowStorage struct {
	auditlog.Storage
	delay   time.Duration
	appends *atomic.Int64
}

func (s *slowStorage) Append(ctx context.Context, n int64, entries [][]byte, hashes []tlog.Hash) error {
	s.appends.Add(1)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	return s.Storage.Append(ctx, n, entries, hashes)
}

func BenchmarkProveInclusion(b *testing.B) {
	ctx := context.Background()
	signer, _ := newKeys(b, testOrigin)
	l := newLog(b, auditlog.NewMemoryStorage(), signer, 0)
	const n = 100_000
	entries := benchEntries(1000)
	for i := 0; i < n; i += len(entries) {
		if _, err := l.Append(ctx, entries...); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		if _, err := l.ProveInclusion(ctx, rng.Int64N(n), n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyProofFile(b *testing.B) {
	sc := newOfferScenario(b, 5000, 4999)
	b.SetBytes(int64(len(sc.proofFile)))
	for b.Loop() {
		if _, _, err := auditlog.VerifyProofFile(sc.proofFile, sc.keys); err != nil {
			b.Fatal(err)
		}
	}
}
