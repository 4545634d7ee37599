package audit_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/internal/mutate"
)

// sampleWitnessV2 is the witness report of a File II that did not open:
// too few members contributed, none refused (doc/spec/reports.md §5).
func sampleWitnessV2() *audit.WitnessReport {
	return &audit.WitnessReport{
		Tender: tenderID, Bidder: "bidder-0007", File: 2, SHA256: sha256.Sum256([]byte("sealed")), Size: 123456, Index: 42,
		Stanzas: []string{"segel-offer/v2"}, Step: audit.StepContributions, Fault: audit.FaultCommittee,
		Members: []audit.MemberAnswer{
			{1, "pokja-1", audit.AnswerContributed}, {2, "pokja-2", audit.AnswerClaimedKey},
			{3, "pokja-3", audit.AnswerAbsent}, {4, "pokja-4", audit.AnswerContributed}, {5, "pokja-5", audit.AnswerClaimedShare},
		},
		Detail: "2 of the 3 contributions needed authenticated (members 1, 4)",
		Time:   time.Date(2026, 11, 27, 3, 4, 5, 120000000, time.UTC), Witnesses: []string{"pokja-1", "pokja-4"},
	}
}

// sampleOpeningV2 is the report of a two-file tender's File II: one
// opened, one failed, one withheld.
func sampleOpeningV2() *audit.OpeningReport {
	return &audit.OpeningReport{
		Tender: tenderID, File: 2, Chain: strings.Repeat("ab", 32), Round: 1234567, Signature: bytes.Repeat([]byte{0x9c}, 48),
		Committee: "1f2e3d4c5b6a7988", Threshold: 3, Members: 5,
		Time: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC),
		Offers: []audit.OpenedOffer{
			{Index: 3, Bidder: "bidder-a", SHA256: sha256.Sum256([]byte("a")), Size: 1000, Outcome: audit.OutcomeOpened,
				Digest: sha256.Sum256([]byte("pa")), Contributors: []int{1, 2, 4, 5}},
			{Index: 9, Bidder: "bidder-b", SHA256: sha256.Sum256([]byte("b")), Size: 2000, Outcome: audit.OutcomeFailed,
				Digest: sha256.Sum256([]byte("wb")), Contributors: []int{1, 4}},
			{Index: 12, Bidder: "bidder-c", SHA256: sha256.Sum256([]byte("c")), Size: 3000, Outcome: audit.OutcomeWithheld},
		},
	}
}

func TestWitnessReportV2(t *testing.T) {
	s, v := mustSigner(t, "lpse.example.go.id/report")
	trusted, _ := audit.NewTrusted(v, mustVKey(t, "x"), mustVKey(t, "y"), strings.Repeat("0", 64))
	w := sampleWitnessV2()
	signed, err := w.Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	want := "segel-witness-report/v2\ntender: " + tenderID + "\nbidder: bidder-0007\nfile: 2\nsha256: " +
		fmt.Sprintf("%x", w.SHA256) + "\nsize: 123456\nindex: 42\nstanza: segel-offer/v2\nstep: contributions\nfault: committee\n" +
		"member: 1 pokja-1 contributed\nmember: 2 pokja-2 claimed-key\nmember: 3 pokja-3 absent\nmember: 4 pokja-4 contributed\n" +
		"member: 5 pokja-5 claimed-share\ndetail: " + w.Detail + "\ntime: 2026-11-27T03:04:05.12Z\nwitness: pokja-1\nwitness: pokja-4\n\n"
	if !strings.HasPrefix(string(signed), want) {
		t.Errorf("signed report:\n%s\nwant text:\n%s", signed, want)
	}
	got, err := audit.VerifyWitnessReport(signed, trusted.Log)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	mutate.CheckAllRejected(t, signed, func(b []byte) error {
		_, err := audit.VerifyWitnessReport(b, trusted.Log)
		return err
	})
	// Steps before the members' answers count have no member lines.
	w.Step, w.Fault, w.Members = audit.StepInspect, audit.FaultFile, nil
	if _, err := w.Marshal(); err != nil {
		t.Errorf("an inspect failure without member lines: %v", err)
	}
}

func TestOpeningReportV2(t *testing.T) {
	s, v := mustSigner(t, "lpse.example.go.id/report")
	trusted, _ := audit.NewTrusted(v, mustVKey(t, "x"), mustVKey(t, "y"), strings.Repeat("0", 64))
	r := sampleOpeningV2()
	signed, err := r.Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"segel-opening-report/v2\ntender: " + tenderID + "\nfile: 2\nchain: ",
		"\ncommittee: 1f2e3d4c5b6a7988\nthreshold: 3\nmembers: 5\ntime: 2026-11-27T04:00:00Z\noffers: 3\n",
		fmt.Sprintf("\noffer: 3 bidder-a %x 1000 opened %x 1,2,4,5\n", r.Offers[0].SHA256, r.Offers[0].Digest),
		fmt.Sprintf("\noffer: 9 bidder-b %x 2000 failed %x 1,4\n", r.Offers[1].SHA256, r.Offers[1].Digest),
		fmt.Sprintf("\noffer: 12 bidder-c %x 3000 withheld\n", r.Offers[2].SHA256),
	} {
		if !strings.Contains(string(signed), line) {
			t.Errorf("signed report lacks %q:\n%s", line, signed)
		}
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
	r.Offers[1].Contributors = nil // "-"
	if text, err := r.Marshal(); err != nil || !bytes.Contains(text, []byte(" failed "+fmt.Sprintf("%x", r.Offers[1].Digest)+" -\n")) {
		t.Errorf("a failed line without contributors: %v\n%s", err, text)
	}
}

// TestReportsV2RefuseInvalid checks that Marshal refuses what Parse would.
func TestReportsV2RefuseInvalid(t *testing.T) {
	for name, mut := range map[string]func(*audit.WitnessReport){
		"file 3":                       func(w *audit.WitnessReport) { w.File = 3 },
		"a v1 step":                    func(w *audit.WitnessReport) { w.Step, w.Fault = audit.StepCommitteeHalf, audit.FaultFile },
		"an unknown fault":             func(w *audit.WitnessReport) { w.Fault = "bidder" },
		"committee fault, file step":   func(w *audit.WitnessReport) { w.Step = audit.StepShares },
		"member fault, other step":     func(w *audit.WitnessReport) { w.Fault = audit.FaultMember },
		"contribution without refusal": func(w *audit.WitnessReport) { w.Step, w.Fault = audit.StepContribution, audit.FaultMember },
		"contributions with a refusal": func(w *audit.WitnessReport) { w.Members[2].Answer = audit.AnswerRefused },
		"no member lines":              func(w *audit.WitnessReport) { w.Members = nil },
		"member lines before the time-lock": func(w *audit.WitnessReport) {
			w.Step, w.Fault = audit.StepInspect, audit.FaultFile
		},
		"members out of order": func(w *audit.WitnessReport) { w.Members[0], w.Members[1] = w.Members[1], w.Members[0] },
		"a member skipped":     func(w *audit.WitnessReport) { w.Members = w.Members[1:] },
		"an unknown answer":    func(w *audit.WitnessReport) { w.Members[2].Answer = "asleep" },
		"a member's bad id":    func(w *audit.WitnessReport) { w.Members[2].User = "bad id" },
		"33 members":           func(w *audit.WitnessReport) { w.Members = members(33) },
		"a v2 field in v1": func(w *audit.WitnessReport) {
			w.File, w.Step, w.Fault, w.Members = 0, audit.StepInspect, audit.FaultFile, nil
		},
	} {
		w := sampleWitnessV2()
		mut(w)
		if name == "a v2 field in v1" {
			w.Fault = audit.FaultCommittee // version 1 knows file and system only
		}
		if _, err := w.Marshal(); !errors.Is(err, audit.ErrMalformed) {
			t.Errorf("witness: %s: got %v, want ErrMalformed", name, err)
		}
	}
	for name, mut := range map[string]func(*audit.OpeningReport){
		"committee id":                     func(r *audit.OpeningReport) { r.Committee = "1F2E3D4C5B6A7988" },
		"threshold above n":                func(r *audit.OpeningReport) { r.Threshold = 6 },
		"33 members":                       func(r *audit.OpeningReport) { r.Members = 33 },
		"opened with fewer than k":         func(r *audit.OpeningReport) { r.Offers[0].Contributors = []int{1, 2} },
		"contributor out of the committee": func(r *audit.OpeningReport) { r.Offers[1].Contributors = []int{1, 6} },
		"contributors unsorted":            func(r *audit.OpeningReport) { r.Offers[1].Contributors = []int{4, 1} },
		"a contributor twice":              func(r *audit.OpeningReport) { r.Offers[1].Contributors = []int{1, 1} },
		"withheld in File I":               func(r *audit.OpeningReport) { r.File = 1 },
		"withheld with contributors":       func(r *audit.OpeningReport) { r.Offers[2].Contributors = []int{1} },
		"withheld with a digest":           func(r *audit.OpeningReport) { r.Offers[2].Digest[0] = 1 },
		"contributors in v1":               func(r *audit.OpeningReport) { r.File, r.Offers = 0, r.Offers[:2] },
	} {
		r := sampleOpeningV2()
		mut(r)
		if _, err := r.Marshal(); !errors.Is(err, audit.ErrMalformed) {
			t.Errorf("opening: %s: got %v, want ErrMalformed", name, err)
		}
	}
}

func members(n int) []audit.MemberAnswer {
	var out []audit.MemberAnswer
	for i := range n {
		out = append(out, audit.MemberAnswer{Member: i + 1, User: fmt.Sprintf("pokja-%d", i+1), Answer: audit.AnswerAbsent})
	}
	return out
}
