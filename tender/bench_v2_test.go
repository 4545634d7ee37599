package tender

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// BenchmarkOpeningV2 opens a v2 tender of N files with k of n members'
// contributions — File.CompleteOpening: authenticating each contribution,
// combining k shares, the time-lock half, the payload, the reports and the
// log — next to today's v1 opening of the same N documents with the
// committee's single key (Engine.Open), on the embedded backend, in the
// same run: each iteration opens one tender of each, in alternating order,
// from the same state (submission closed; for v2 the opening started and
// k members' batches taken, since computing contributions is the
// members' cost, measured in sealer's BenchmarkContributions).
//
//	go test -run '^$' -bench OpeningV2 -benchtime 5x ./tender
//
// Report v2/v1, the ratio of the two openings' wall time.
func BenchmarkOpeningV2(b *testing.B) {
	for _, tc := range []struct{ files, size int }{{100, 64 << 10}} {
		b.Run(fmt.Sprintf("files=%d/size=%dKiB/k=3-of-5", tc.files, tc.size>>10), func(b *testing.B) {
			benchOpeningV2(b, tc.files, tc.size)
		})
	}
}

func benchOpeningV2(b *testing.B, files, size int) {
	backend, err := vault.OpenEmbedded(b.Context(), vault.EmbeddedConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { backend.Close() })
	e := newEnv(b, backend)
	e.useSecrets(b)
	// Every iteration's two tenders, announced and filled up front.
	type pair struct{ v1, v2 *Tender }
	pairs := make([]pair, b.N)
	doc := make([]byte, size)
	for i := range b.N {
		e.set(testStart)
		v1, err := e.announceAs(fmt.Sprintf("T-V1-%d", i), "Pembukaan v1", "dokumen")
		if err != nil {
			b.Fatal(err)
		}
		v2 := e.announceV2(b, fmt.Sprintf("T-V2-%d", i), MethodSingleFile)
		e.set(testStart.Add(time.Minute))
		for j := range files {
			bidder := benchBidder(j)
			e.dir.providers[bidder] = nil
			rand.Read(doc[:64])
			for _, tn := range []*Tender{v1, v2} {
				if err := e.engine.Register(e.ctx, bidder, tn.ID); err != nil {
					b.Fatal(err)
				}
				var sealed []byte
				if tn == v1 {
					sealed = e.sealFor(b, v1, string(doc))
				} else {
					sealed = e.sealV2(b, v2, bidder, 1, string(doc))
				}
				if _, err := e.engine.Submit(e.ctx, bidder, tn.ID, bytes.NewReader(sealed)); err != nil {
					b.Fatal(err)
				}
			}
		}
		pairs[i] = pair{v1, v2}
	}
	e.set(e.beacon.Chain().TimeOf(pairs[0].v1.Round))
	var t1, t2 time.Duration
	b.ResetTimer()
	for i, p := range pairs {
		b.StopTimer()
		if _, err := e.engine.Close(e.ctx, p.v1.ID); err != nil {
			b.Fatal(err)
		}
		f := e.engine.File(p.v2.ID, 1)
		if _, err := f.StartOpening(e.ctx, "pokja-1"); err != nil {
			b.Fatal(err)
		}
		for _, m := range v2Members[:3] {
			e.contributeAs(b, p.v2, 1, m)
		}
		b.StartTimer()
		open1 := func() {
			start := time.Now()
			if _, err := e.engine.Open(e.ctx, "pokja-1", p.v1.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}}); err != nil {
				b.Fatal(err)
			}
			t1 += time.Since(start)
		}
		open2 := func() {
			start := time.Now()
			op, err := f.CompleteOpening(e.ctx, "pokja-1", Completion{})
			if err != nil {
				b.Fatal(err)
			}
			t2 += time.Since(start)
			if len(op.Witness) != 0 {
				b.Fatalf("%d files failed", len(op.Witness))
			}
		}
		if i%2 == 0 {
			open1()
			open2()
		} else {
			open2()
			open1()
		}
	}
	b.StopTimer()
	n := float64(b.N * files)
	b.ReportMetric(float64(t1.Microseconds())/n, "µs/offer-v1")
	b.ReportMetric(float64(t2.Microseconds())/n, "µs/file-v2")
	b.ReportMetric(float64(t2)/float64(t1), "v2/v1")
}
