package member

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/internal/mutate"
	"github.com/segel-lpse/segel/sealer"
)

func sampleBatch() *Batch {
	c := sealer.Contribution{Header: sha256.Sum256([]byte("header")), Member: 4}
	copy(c.Key[:], "sixteen byte key")
	return &Batch{Tender: "T-1", File: 2, Member: 4, Answers: []Answer{
		{Index: 17, Contribution: &c},
		{Index: 23, Claim: audit.AnswerClaimedKey},
		{Index: 31, Claim: audit.AnswerClaimedShare},
	}}
}

func TestBatch(t *testing.T) {
	b := sampleBatch()
	text, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := b.Answers[0].Contribution.MarshalText()
	want := "segel-contributions/v1\ntender: T-1\nfile: 2\nmember: 4\nanswer: 17 contribution " + string(c) +
		"\nanswer: 23 claimed-key\nanswer: 31 claimed-share\n"
	if string(text) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", text, want)
	}
	got, err := ParseBatch(text)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := got.Marshal(); !bytes.Equal(again, text) {
		t.Errorf("parse→marshal changed the batch:\n%s", again)
	}
	// A change gives another canonical batch or none.
	mutate.ForEach(text, func(desc string, m []byte) {
		b, err := ParseBatch(m)
		if err != nil {
			return
		}
		if again, err := b.Marshal(); err != nil || !bytes.Equal(again, m) {
			t.Errorf("%s: accepted non-canonical %q", desc, m)
		}
	})
	for name, mut := range map[string]func(*Batch){
		"no answers":             func(b *Batch) { b.Answers = nil },
		"unsorted":               func(b *Batch) { b.Answers[0], b.Answers[1] = b.Answers[1], b.Answers[0] },
		"a file twice":           func(b *Batch) { b.Answers[1].Index = 17 },
		"another member's":       func(b *Batch) { b.Answers[0].Contribution.Member = 3 },
		"both":                   func(b *Batch) { b.Answers[1].Contribution = b.Answers[0].Contribution },
		"an unknown claim":       func(b *Batch) { b.Answers[1].Claim = "asleep" },
		"file 3":                 func(b *Batch) { b.File = 3 },
		"member 0":               func(b *Batch) { b.Member = 0 },
		"a tender id with a '/'": func(b *Batch) { b.Tender = "T/1" },
	} {
		b := sampleBatch()
		mut(b)
		if _, err := b.Marshal(); err == nil {
			t.Errorf("%s: marshalled", name)
		}
	}
	big := append([]byte(batchHeader), bytes.Repeat([]byte("x"), MaxBatchSize)...)
	if _, err := ParseBatch(big); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("oversized: %v", err)
	}
}

func FuzzParseBatch(f *testing.F) {
	text, _ := sampleBatch().Marshal()
	f.Add(text)
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, err := ParseBatch(b)
		if err != nil {
			return
		}
		again, err := batch.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %q but marshals to %q, %v", b, again, err)
		}
	})
}
