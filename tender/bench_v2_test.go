package tender

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/sealer"
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

// BenchmarkMemberVerify measures a member's tool's checks of a tender of
// 100 offers — member.Verify of the evidence (checkpoint, 100-odd
// inclusion proofs, the replay of the tender's log by the auditor's rules,
// the beacon signature) and Tender.Answers' checks of the 100 headers
// against it — next to computing the member's 100 contributions
// (sealer.Contribute, 100 ML-KEM decapsulations), in the same run, from
// the same evidence and headers a real engine served.
//
//	go test -run '^$' -bench MemberVerify -benchtime 20x ./tender
//
// Report verify/contribute and check-headers/contribute: member.Verify's
// and the headers' checks' time (Inspect's subgroup check of each
// header's time-lock point dominates these) against the contributions'.
func BenchmarkMemberVerify(b *testing.B) {
	const files = 100
	backend, err := vault.OpenEmbedded(b.Context(), vault.EmbeddedConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { backend.Close() })
	e := newEnv(b, backend)
	e.useSecrets(b)
	tn := e.announceV2(b, "T-VERIFY", MethodSingleFile)
	e.set(testStart.Add(time.Minute))
	for j := range files {
		bidder := benchBidder(j)
		e.dir.providers[bidder] = nil
		if err := e.engine.Register(e.ctx, bidder, tn.ID); err != nil {
			b.Fatal(err)
		}
		if _, err := e.engine.Submit(e.ctx, bidder, tn.ID, bytes.NewReader(e.sealV2(b, tn, bidder, 1, "penawaran "+bidder))); err != nil {
			b.Fatal(err)
		}
	}
	e.set(e.beacon.Chain().TimeOf(tn.Round))
	f := e.engine.File(tn.ID, 1)
	if _, err := f.StartOpening(e.ctx, "pokja-1"); err != nil {
		b.Fatal(err)
	}
	ev, err := f.Evidence(e.ctx, "pokja-1", 0)
	if err != nil {
		b.Fatal(err)
	}
	served, err := f.Headers(e.ctx, "pokja-1")
	if err != nil {
		b.Fatal(err)
	}
	var headers []member.Header
	for _, h := range served {
		headers = append(headers, member.Header{Bidder: h.Bidder, File: h.File, Index: h.LogIndex, Header: h.Header})
	}
	parsed := make([]*sealer.Header, len(served))
	for i, h := range served {
		if parsed[i], err = sealer.Inspect(io.MultiReader(bytes.NewReader(h.Header)), e.beacon.Chain()); err != nil {
			b.Fatal(err)
		}
	}
	c, err := tn.KeyCommittee(e.engine)
	if err != nil {
		b.Fatal(err)
	}
	key := e.members["pokja-1"]
	var tv, th, tc time.Duration
	verify := func() {
		start := time.Now()
		v, err := member.Verify(*ev, tn.ID, e.keys.Log, e.beacon.Chain())
		if err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := v.Check(1, headers, key); err != nil {
			b.Fatal(err)
		}
		tv += mid.Sub(start)
		th += time.Since(mid)
	}
	contribute := func() {
		start := time.Now()
		for _, h := range parsed {
			if _, err := sealer.Contribute(h, c, key); err != nil {
				b.Fatal(err)
			}
		}
		tc += time.Since(start)
	}
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			verify()
			contribute()
		} else {
			contribute()
			verify()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(tv.Microseconds())/float64(b.N), "µs/verify")
	b.ReportMetric(float64(th.Microseconds())/float64(b.N), "µs/check-headers")
	b.ReportMetric(float64(tc.Microseconds())/float64(b.N), "µs/contribute")
	b.ReportMetric(float64(tv)/float64(tc), "verify/contribute")
	b.ReportMetric(float64(th)/float64(tc), "check-headers/contribute")
}
