package audit_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/internal/mutate"
)

func sampleEvaluation() *audit.Evaluation {
	return &audit.Evaluation{Tender: tenderID, Bidders: []audit.EvaluatedBidder{
		{Bidder: "bidder-a", Passed: true, Reasons: sha256.Sum256([]byte("memenuhi syarat"))},
		{Bidder: "bidder-b", Passed: false, Reasons: sha256.Sum256([]byte("tenaga ahli tidak memenuhi"))},
	}}
}

func TestEvaluation(t *testing.T) {
	ev := sampleEvaluation()
	text, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("segel-evaluation/v1\ntender: %s\nbidder: bidder-a passed %x\nbidder: bidder-b failed %x\n",
		tenderID, ev.Bidders[0].Reasons, ev.Bidders[1].Reasons)
	if string(text) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", text, want)
	}
	got, err := audit.ParseEvaluation(text)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ev, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// The document is not signed (members approve its digest): a change
	// may give another valid document, but never a non-canonical one.
	mutate.ForEach(text, func(desc string, b []byte) {
		ev, err := audit.ParseEvaluation(b)
		if err != nil {
			if !errors.Is(err, audit.ErrMalformed) {
				t.Errorf("%s: %v does not wrap ErrMalformed", desc, err)
			}
			return
		}
		if again, err := ev.Marshal(); err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s: accepted non-canonical %q", desc, b)
		}
	})
	for name, mut := range map[string]func(*audit.Evaluation){
		"unsorted":       func(ev *audit.Evaluation) { ev.Bidders[0], ev.Bidders[1] = ev.Bidders[1], ev.Bidders[0] },
		"a bidder twice": func(ev *audit.Evaluation) { ev.Bidders[1].Bidder = ev.Bidders[0].Bidder },
		"a bad bidder":   func(ev *audit.Evaluation) { ev.Bidders[0].Bidder = "bad id" },
		"a bad tender":   func(ev *audit.Evaluation) { ev.Tender = "T/1" },
	} {
		ev := sampleEvaluation()
		mut(ev)
		if _, err := ev.Marshal(); !errors.Is(err, audit.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	empty := &audit.Evaluation{Tender: tenderID}
	if text, err := empty.Marshal(); err != nil || string(text) != "segel-evaluation/v1\ntender: "+tenderID+"\n" {
		t.Errorf("no bidders: %q, %v", text, err)
	}
	big := append([]byte("segel-evaluation/v1\ntender: T\n"), bytes.Repeat([]byte("x"), audit.MaxEvaluationSize)...)
	if _, err := audit.ParseEvaluation(big); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("oversized: %v", err)
	}
}

func FuzzParseEvaluation(f *testing.F) {
	text, _ := sampleEvaluation().Marshal()
	f.Add(text)
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := audit.ParseEvaluation(b)
		if err != nil {
			return
		}
		again, err := ev.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %q but marshals to %q, %v", b, again, err)
		}
	})
}
