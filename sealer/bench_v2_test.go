package sealer_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
)

// Figures are ratios to baselines measured in the same run:
//
//	go test -run '^$' -bench 'OpeningV2|Contributions|SealV2' -benchtime 10x ./sealer
//
// BenchmarkOpeningV2 opens N offers of 1 KiB as the server does, with k
// contributions per offer (and with all n), next to version 1's opening
// of N offers with the committee's single key (Identity.Open).
// BenchmarkContributions is a member's cost of its contributions to 100
// offers, next to one version 1 committee-half unwrap. BenchmarkSealV2 is
// the bidder's cost of sealing to a committee, next to version 1.
const benchOffers = 20

func BenchmarkOpeningV2(b *testing.B) {
	doc := randomDoc(1 << 10)
	w := newWorld(b, 3, 5)
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
	b.Run(fmt.Sprintf("v1-identity-open-%d", benchOffers), func(b *testing.B) {
		for b.Loop() {
			for _, f := range v1Files {
				r, err := v1id.Open(bytes.NewReader(f))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, r)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*benchOffers), "µs/offer")
	})
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
		for _, set := range []struct {
			name string
			cs   [][]sealer.Contribution
		}{{"k", kOnly}, {"all", all}} {
			if set.name == "all" && k == n {
				continue
			}
			b.Run(fmt.Sprintf("v2-opener-%d-of-%d-%s-%d", k, n, set.name, benchOffers), func(b *testing.B) {
				for b.Loop() {
					for i, f := range files {
						r, _, err := wk.opener.Open(bytes.NewReader(f), int64(len(f)), wk.target, set.cs[i])
						if err != nil {
							b.Fatal(err)
						}
						io.Copy(io.Discard, r)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*benchOffers), "µs/offer")
			})
		}
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
	if _, err := member.Unwrap(hybrid); err != nil {
		b.Fatal(err)
	}
	b.Run("v1-committee-unwrap-1", func(b *testing.B) {
		for b.Loop() {
			if _, err := member.Unwrap(hybrid); err != nil {
				b.Fatal(err)
			}
		}
	})
	const offers = 100
	files := make([][]byte, offers)
	headers := make([]*sealer.Header, offers)
	for i := range files {
		files[i] = w.seal(b, nil)
		headers[i] = w.inspect(b, files[i])
	}
	b.Run(fmt.Sprintf("member-contribute-%d", offers), func(b *testing.B) {
		for b.Loop() {
			for _, h := range headers {
				if _, err := sealer.Contribute(h, w.c, member); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	// What a member's tool does in all: inspect each header, then contribute.
	b.Run(fmt.Sprintf("member-inspect-and-contribute-%d", offers), func(b *testing.B) {
		for b.Loop() {
			for _, f := range files {
				h, err := sealer.Inspect(bytes.NewReader(f), w.beacon.Chain())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := sealer.Contribute(h, w.c, member); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	// The server's check of one contribution on arrival.
	c := w.contribute(b, files[0], 1)[0]
	b.Run("server-check-contribution-1", func(b *testing.B) {
		for b.Loop() {
			if err := sealer.CheckContribution(headers[0], c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSealV2(b *testing.B) {
	w := newWorld(b, 1, 1)
	v1Target := sealer.Target{Chain: w.beacon.Chain(), Round: testRound, Committee: w.members[0].Recipient()}
	b.Run("v1-seal-empty", func(b *testing.B) {
		for b.Loop() {
			if _, err := sealer.Seal(io.Discard, bytes.NewReader(nil), v1Target); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, kn := range [][2]int{{1, 1}, {3, 5}, {17, 32}} {
		wk := newWorld(b, kn[0], kn[1])
		b.Run(fmt.Sprintf("v2-seal-empty-%d-of-%d", kn[0], kn[1]), func(b *testing.B) {
			for b.Loop() {
				if _, err := sealer.Seal(io.Discard, bytes.NewReader(nil), wk.target); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
