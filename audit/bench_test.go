package audit_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
)

// BenchmarkVerify verifies the bundle of a tender with 1,000 offers
// (100 superseded, 10 failed) and, in the same run, hashes the same bytes
// with bare SHA-256: the ratio is what the signatures, proofs and replay
// cost on top of reading the bundle once.
func BenchmarkVerify(b *testing.B) {
	run := runTender(b, tenderOptions{offers: 1000, resubmits: 100, failures: 10})
	bundle := run.bundle
	var data [][]byte
	var size int64
	add := func(d []byte) { data = append(data, d); size += int64(len(d)) }
	for _, c := range bundle.Checkpoints {
		add(c.Signed)
	}
	for _, e := range bundle.Entries {
		add(e.Data)
	}
	for _, r := range bundle.Receipts {
		add(r)
	}
	for _, w := range bundle.Witness {
		add(w)
	}
	add(bundle.OpeningReport)
	entries := float64(len(bundle.Entries))

	var shaTime time.Duration
	b.Run("SHA256", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			for _, d := range data {
				sha256.Sum256(d)
			}
		}
		shaTime = b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(entries/shaTime.Seconds(), "entries/s")
	})
	b.Run("Verify", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if _, err := audit.Verify(bundle, *run.trusted); err != nil {
				b.Fatal(err)
			}
		}
		per := b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(entries/per.Seconds(), "entries/s")
		if shaTime > 0 {
			b.ReportMetric(float64(per)/float64(shaTime), "x-sha256")
		}
	})
}
