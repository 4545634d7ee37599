package sealer_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
)

// Figures are ratios to baselines measured in the same run, interleaved
// within each iteration so that a shared machine's load moves both alike:
//
//	go test -run '^$' -bench 'OpeningV2|Contributions|SealV2' -benchtime 5x ./sealer
//
// BenchmarkOpeningV2 opens N offers of 1 KiB as the server does, with k
// contributions per offer (and with all n), and in the same iteration
// opens N version 1 offers with the committee's single key
// (Identity.Open); it reports both per offer and their ratio.
// BenchmarkContributions is a member's cost of its contributions to 100
// offers against one version 1 committee-half unwrap. BenchmarkSealV2 is
// the bidder's cost of sealing to a committee against version 1.
const benchOffers = 20

// interleaved runs, for each of units units, base and then each
// candidate, timing each in wall time and in the CPU time of the
// benchmark's own thread, and reports the candidates' times per unit and
// their ratios to base's. Alternating unit by unit puts both under the
// same load; the CPU-time ratio ("/base-cpu") is the one to quote on a
// shared machine.
func interleaved(b *testing.B, units int, base func(i int), cands map[string]func(i int)) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	names := slices.Sorted(maps.Keys(cands))
	wall := make([]time.Duration, len(names)+1)
	cpu := make([]time.Duration, len(names)+1)
	timed := func(slot int, f func()) {
		c0, _ := threadCPU()
		t0 := time.Now()
		f()
		wall[slot] += time.Since(t0)
		c1, _ := threadCPU()
		cpu[slot] += c1 - c0
	}
	for b.Loop() {
		for i := range units {
			timed(0, func() { base(i) })
			for j, name := range names {
				timed(j+1, func() { cands[name](i) })
			}
		}
	}
	per := float64(b.N * units)
	b.ReportMetric(float64(wall[0].Microseconds())/per, "µs/base")
	_, haveCPU := threadCPU()
	for j, name := range names {
		b.ReportMetric(float64(wall[j+1].Microseconds())/per, "µs/"+name)
		b.ReportMetric(float64(wall[j+1])/float64(wall[0]), name+"/base")
		if haveCPU && cpu[0] > 0 {
			b.ReportMetric(float64(cpu[j+1])/float64(cpu[0]), name+"/base-cpu")
		}
	}
}

func BenchmarkOpeningV2(b *testing.B) {
	doc := randomDoc(1 << 10)
	w := newWorld(b, 1, 1)
	v1id, err := sealer.NewIdentity(w.beacon.Chain(), testRound, w.sig, w.members[0])
	if err != nil {
		b.Fatal(err)
	}
	v1Target := sealer.Target{Chain: w.beacon.Chain(), Round: testRound, Committee: w.members[0].Recipient()}
	var v1Files [][]byte
	for range benchOffers {
		var buf bytes.Buffer
		if _, err := sealer.Seal(&buf, bytes.NewReader(doc), v1Target); err != nil {
			b.Fatal(err)
		}
		v1Files = append(v1Files, buf.Bytes())
	}
	v1 := func(i int) {
		r, err := v1id.Open(bytes.NewReader(v1Files[i]))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, r)
	}
	for _, kn := range [][2]int{{1, 1}, {3, 5}, {8, 15}, {17, 32}} {
		k, n := kn[0], kn[1]
		wk := newWorld(b, k, n)
		files := make([][]byte, benchOffers)
		kOnly := make([][]sealer.Contribution, benchOffers)
		all := make([][]sealer.Contribution, benchOffers)
		for i := range files {
			files[i] = wk.seal(b, doc)
			all[i] = wk.contribute(b, files[i])
			kOnly[i] = all[i][:k]
		}
		open := func(cs [][]sealer.Contribution) func(int) {
			return func(i int) {
				r, _, err := wk.opener.Open(bytes.NewReader(files[i]), int64(len(files[i])), wk.target, cs[i])
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, r)
			}
		}
		cands := map[string]func(int){"v2-k": open(kOnly)}
		if k < n {
			cands["v2-all"] = open(all)
		}
		b.Run(fmt.Sprintf("%d-of-%d-%d-offers", k, n, benchOffers), func(b *testing.B) {
			interleaved(b, benchOffers, v1, cands)
		})
	}
}

func BenchmarkContributions(b *testing.B) {
	w := newWorld(b, 3, 5)
	member := w.members[0]
	// Version 1: the committee half of one offer, unwrapped with the key.
	var v1 bytes.Buffer
	if _, err := sealer.Seal(&v1, bytes.NewReader(nil), sealer.Target{Chain: w.beacon.Chain(), Round: testRound, Committee: member.Recipient()}); err != nil {
		b.Fatal(err)
	}
	body := split(b, v1.Bytes()).body
	hybrid := []*age.Stanza{{Type: "mlkem768x25519", Args: []string{base64.RawStdEncoding.EncodeToString(body[128 : 128+1120])}, Body: body[128+1120:]}}
	unwrap := func(int) {
		if _, err := member.Unwrap(hybrid); err != nil {
			b.Fatal(err)
		}
	}
	unwrap(0)
	const offers = 100
	files := make([][]byte, offers)
	headers := make([]*sealer.Header, offers)
	for i := range files {
		files[i] = w.seal(b, nil)
		headers[i] = w.inspect(b, files[i])
	}
	// The member's own contributions, with the headers inspected already,
	// and what its tool does in all: inspect each header, then contribute.
	b.Run(fmt.Sprintf("member-%d-offers", offers), func(b *testing.B) {
		// Per offer, a v1 unwrap and the member's work; ×100 is its cost
		// for 100 offers against one v1 unwrap.
		interleaved(b, offers, unwrap, map[string]func(int){
			"contribute": func(i int) {
				if _, err := sealer.Contribute(headers[i], w.c, member); err != nil {
					b.Fatal(err)
				}
			},
			"inspect+contribute": func(i int) {
				h, err := sealer.Inspect(bytes.NewReader(files[i]), w.beacon.Chain())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := sealer.Contribute(h, w.c, member); err != nil {
					b.Fatal(err)
				}
			},
		})
	})
	// The server's check of one contribution on arrival.
	c := w.contribute(b, files[0], 1)[0]
	b.Run("server-check-contribution", func(b *testing.B) {
		interleaved(b, offers, unwrap, map[string]func(int){"check": func(int) {
			if err := sealer.CheckContribution(headers[0], c); err != nil {
				b.Fatal(err)
			}
		}})
	})
}

func BenchmarkSealV2(b *testing.B) {
	w := newWorld(b, 1, 1)
	v1Target := sealer.Target{Chain: w.beacon.Chain(), Round: testRound, Committee: w.members[0].Recipient()}
	seal := func(tg sealer.Target) func(int) {
		return func(int) {
			if _, err := sealer.Seal(io.Discard, bytes.NewReader(nil), tg); err != nil {
				b.Fatal(err)
			}
		}
	}
	cands := map[string]func(int){}
	for _, kn := range [][2]int{{1, 1}, {3, 5}, {17, 32}} {
		cands[fmt.Sprintf("v2-%d-of-%d", kn[0], kn[1])] = seal(newWorld(b, kn[0], kn[1]).target)
	}
	b.Run("empty-document", func(b *testing.B) { interleaved(b, 1, seal(v1Target), cands) })
}
