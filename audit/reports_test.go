package audit_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/segel-lpse/segel/internal/mutate"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/segel-lpse/segel/audit"
)

func sampleWitness() *audit.WitnessReport {
	return &audit.WitnessReport{
		Tender: tenderID, Bidder: "bidder-0007", SHA256: sha256.Sum256([]byte("sealed")), Size: 123456, Index: 42,
		Stanzas: []string{"segel-offer/v1"}, Step: audit.StepCommitteeHalf, Fault: audit.FaultFile,
		Detail: "the committee half does not decrypt with key 0123456789abcdef",
		Time:   time.Date(2026, 11, 27, 3, 4, 5, 120000000, time.UTC), Witnesses: []string{"pokja-1", "pokja-2"},
	}
}

func sampleOpening() *audit.OpeningReport {
	return &audit.OpeningReport{
		Tender: tenderID, Chain: strings.Repeat("ab", 32), Round: 1234567, Signature: bytes.Repeat([]byte{0x9c}, 48),
		Time: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC),
		Offers: []audit.OpenedOffer{
			{Index: 3, Bidder: "bidder-a", SHA256: sha256.Sum256([]byte("a")), Size: 1000, Outcome: audit.OutcomeOpened, Digest: sha256.Sum256([]byte("pa"))},
			{Index: 9, Bidder: "bidder-b", SHA256: sha256.Sum256([]byte("b")), Size: 2000, Outcome: audit.OutcomeFailed, Digest: sha256.Sum256([]byte("wb"))},
		},
	}
}

func TestWitnessReportRoundTrip(t *testing.T) {
	s, v := mustSigner(t, "lpse.example.go.id/report")
	w := sampleWitness()
	signed, err := w.Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	vk, err := audit.NewTrusted(v, mustVKey(t, "a"), mustVKey(t, "b"), strings.Repeat("0", 64))
	if err != nil {
		t.Fatal(err)
	}
	got, err := audit.VerifyWitnessReport(signed, vk.Log)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	w.Stanzas = nil // an unreadable header has no stanza lines
	if _, err := w.Marshal(); err != nil {
		t.Errorf("no stanzas: %v", err)
	}
}

func mustVKey(t testing.TB, name string) string {
	_, v := mustSigner(t, name)
	return v
}

func TestWitnessReportMutations(t *testing.T) {
	s, v := mustSigner(t, "lpse.example.go.id/report")
	trusted, _ := audit.NewTrusted(v, mustVKey(t, "x"), mustVKey(t, "y"), strings.Repeat("0", 64))
	signed, err := sampleWitness().Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	mutate.CheckAllRejected(t, signed, func(b []byte) error {
		_, err := audit.VerifyWitnessReport(b, trusted.Log)
		return err
	})
}

func TestOpeningReportMutations(t *testing.T) {
	s, v := mustSigner(t, "lpse.example.go.id/report")
	trusted, _ := audit.NewTrusted(v, mustVKey(t, "x"), mustVKey(t, "y"), strings.Repeat("0", 64))
	r := sampleOpening()
	signed, err := r.Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := audit.VerifyOpeningReport(signed, trusted.Log)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	mutate.CheckAllRejected(t, signed, func(b []byte) error {
		_, err := audit.VerifyOpeningReport(b, trusted.Log)
		return err
	})
}

// TestReportsRefuseInvalid checks that Marshal refuses what Parse would.
func TestReportsRefuseInvalid(t *testing.T) {
	witness := []func(*audit.WitnessReport){
		func(w *audit.WitnessReport) { w.Tender = "" },
		func(w *audit.WitnessReport) { w.Bidder = "bad id" },
		func(w *audit.WitnessReport) { w.Step = "decrypt" },
		func(w *audit.WitnessReport) { w.Fault = "bidder" },
		func(w *audit.WitnessReport) { w.Detail = " leading space" },
		func(w *audit.WitnessReport) { w.Detail = "new\nline" },
		func(w *audit.WitnessReport) { w.Witnesses = nil },
		func(w *audit.WitnessReport) { w.Witnesses = []string{"b", "a"} },
		func(w *audit.WitnessReport) { w.Witnesses = []string{"a", "a"} },
		func(w *audit.WitnessReport) { w.Stanzas = []string{"has space"} },
		func(w *audit.WitnessReport) { w.Stanzas = make([]string, 33) },
		func(w *audit.WitnessReport) { w.Size = -1 },
	}
	for i, mut := range witness {
		w := sampleWitness()
		mut(w)
		if _, err := w.Marshal(); !errors.Is(err, audit.ErrMalformed) {
			t.Errorf("witness mutation %d: got %v, want ErrMalformed", i, err)
		}
	}
	opening := []func(*audit.OpeningReport){
		func(r *audit.OpeningReport) { r.Chain = "AB" },
		func(r *audit.OpeningReport) { r.Signature = nil },
		func(r *audit.OpeningReport) { r.Offers[0].Outcome = "lost" },
		func(r *audit.OpeningReport) { r.Offers[0], r.Offers[1] = r.Offers[1], r.Offers[0] },
		func(r *audit.OpeningReport) { r.Offers[1].Bidder = r.Offers[0].Bidder },
		func(r *audit.OpeningReport) { r.Offers[1].Index = r.Offers[0].Index },
	}
	for i, mut := range opening {
		r := sampleOpening()
		mut(r)
		if _, err := r.Marshal(); !errors.Is(err, audit.ErrMalformed) {
			t.Errorf("opening mutation %d: got %v, want ErrMalformed", i, err)
		}
	}
}

// TestReportSizeLimits checks the caps at n-1, n and n+1 bytes.
func TestReportSizeLimits(t *testing.T) {
	// The largest valid witness report fits well under the cap, signed.
	w := sampleWitness()
	w.Detail = strings.Repeat("d", 1024)
	w.Stanzas, w.Witnesses = nil, nil
	for i := range 32 {
		w.Stanzas = append(w.Stanzas, strings.Repeat("s", 128))
		w.Witnesses = append(w.Witnesses, fmt.Sprintf("%02d%s", i, strings.Repeat("w", 62)))
	}
	s, _ := mustSigner(t, "lpse.example.go.id/report")
	if _, err := w.Sign(s); err != nil {
		t.Fatalf("largest valid witness report: %v", err)
	}
	text, _ := w.Marshal()
	for _, n := range []int{audit.MaxWitnessReportSize - 1, audit.MaxWitnessReportSize, audit.MaxWitnessReportSize + 1} {
		padded := append(bytes.Repeat([]byte("x"), n-len(text)), text...)
		_, err := audit.ParseWitnessReport(padded)
		if err == nil {
			t.Errorf("%d bytes: accepted garbage", n)
		}
		if n > audit.MaxWitnessReportSize && !strings.Contains(err.Error(), "more than") {
			t.Errorf("%d bytes: got %v, want a size error", n, err)
		}
	}
	r := sampleOpening()
	big := make([]byte, audit.MaxOpeningReportSize+1)
	if _, err := audit.ParseOpeningReport(big); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("oversized opening report: got %v", err)
	}
	// An offers count larger than the text could hold is refused before
	// allocating.
	text, _ = r.Marshal()
	lie := bytes.Replace(text, []byte("offers: 2\n"), []byte("offers: 9223372036854775807\n"), 1)
	if _, err := audit.ParseOpeningReport(lie); err == nil {
		t.Errorf("huge offers count accepted")
	}
}
