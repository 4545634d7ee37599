package tender

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

// TestCraftedOffers submits every kind of offer a bidder can craft so that
// it passes Inspect but does not open, and checks that the witness report
// names the step sealer.Open names for the same file, and that an audit
// bundle with the sealed files verifies: the engine's step and the
// auditor's re-derivation from the file agree.
func TestCraftedOffers(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		e.set(testStart.Add(time.Minute))
		target, err := tn.Target(e.engine)
		if err != nil {
			t.Fatal(err)
		}
		other, err := age.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		otherCommittee := target
		otherCommittee.Committee = other.Recipient()
		otherRound := target
		otherRound.Round++
		seal := func(tg sealer.Target) []byte {
			var buf bytes.Buffer
			if _, err := sealer.Seal(&buf, strings.NewReader("penawaran: Rp 950.000.000"), tg); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
		// claim rewrites the stanza's arguments to the tender's round and
		// committee key id, whatever the body is sealed to.
		claim := func(f []byte) []byte {
			lines := strings.SplitAfterN(string(f), "\n", 3)
			args := strings.Fields(lines[1])
			args[2], args[4] = strconv.FormatUint(target.Round, 10), sealer.KeyID(target.Committee)
			return []byte(lines[0] + strings.Join(args, " ") + "\n" + lines[2])
		}
		honest := seal(target)
		headerEnd := bytes.Index(honest, []byte("\n--- ")) + 1
		payload := headerEnd + bytes.IndexByte(honest[headerEnd:], '\n') + 1

		tests := []struct {
			name    string
			file    []byte
			step    string // "" if Submit refuses the file
			refusal error
		}{
			{name: "header MAC changed", file: func() []byte {
				f := bytes.Clone(honest)
				// Another base64 digit at the MAC's start, so the header
				// still parses and only the MAC is wrong.
				if f[headerEnd+4] == 'A' {
					f[headerEnd+4] = 'B'
				} else {
					f[headerEnd+4] = 'A'
				}
				return f
			}(), step: sealer.StepHeaderMAC},
			{name: "MAC line not base64", file: func() []byte {
				f := bytes.Clone(honest)
				f[headerEnd+4] = '*'
				return f
			}(), refusal: sealer.ErrMalformed},
			{name: "header only", file: honest[:payload], step: sealer.StepPayload},
			{name: "header and part of the nonce", file: honest[:payload+7], step: sealer.StepPayload},
			{name: "payload cut", file: honest[:len(honest)-1], step: sealer.StepPayload},
			{name: "payload altered", file: func() []byte { f := bytes.Clone(honest); f[len(f)-3] ^= 1; return f }(), step: sealer.StepPayload},
			{name: "header cut", file: honest[:headerEnd+10], refusal: sealer.ErrMalformed},
			{name: "wrong committee", file: seal(otherCommittee), refusal: sealer.ErrMismatch},
			{name: "wrong committee, claiming the tender's", file: claim(seal(otherCommittee)), step: sealer.StepCommitteeHalf},
			{name: "wrong round", file: seal(otherRound), refusal: sealer.ErrMismatch},
			{name: "wrong round, claiming the tender's", file: claim(seal(otherRound)), step: sealer.StepTimeLockHalf},
		}
		bidders := map[string]int{} // bidder → test
		for i, tt := range tests {
			b := fmt.Sprintf("penyedia-%d", i+1)
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
			_, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(tt.file))
			switch {
			case tt.step == "" && !errors.Is(err, tt.refusal):
				t.Errorf("%s: Submit: err = %v, want %v (Inspect refuses it)", tt.name, err, tt.refusal)
			case tt.step != "" && err != nil:
				t.Errorf("%s: Submit refused a file that passes Inspect: %v", tt.name, err)
			case tt.step != "":
				bidders[b] = i
			}
		}

		e.set(e.beacon.Chain().TimeOf(tn.Round))
		op, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(op.Witness) != len(bidders) {
			t.Errorf("%d witness reports, want %d", len(op.Witness), len(bidders))
		}
		for b, i := range bidders {
			tt := tests[i]
			w, err := audit.VerifyWitnessReport(op.Witness[b], e.reportKey)
			if err != nil {
				t.Errorf("%s: witness report: %v", tt.name, err)
				continue
			}
			step := openStep(t, e, tt.file)
			if step != tt.step {
				t.Errorf("%s: sealer.Open fails at step %q, the test expects %q", tt.name, step, tt.step)
			}
			if w.Step != step || w.Fault != audit.FaultFile {
				t.Errorf("%s: witness report says step %s, fault %s; sealer.Open says step %s, the file's fault", tt.name, w.Step, w.Fault, step)
			}
			if want := []string{sealer.StanzaType}; !slices.Equal(w.Stanzas, want) {
				t.Errorf("%s: witness report lists stanzas %q, want %q", tt.name, w.Stanzas, want)
			}
		}

		b, err := e.engine.Bundle(e.ctx, tn.ID, e.trusted(t), true)
		if err != nil {
			t.Fatal(err)
		}
		res, err := audit.Verify(b, *e.trusted(t))
		if err != nil {
			t.Fatalf("bundle with the sealed files does not verify: %v", err)
		}
		if res.Failed != len(bidders) || res.Sealed != len(bidders) {
			t.Errorf("verified %d failed offers and %d sealed files, want %d of each", res.Failed, res.Sealed, len(bidders))
		}
	})
}

// openStep opens file with package sealer, as the committee's CLI does,
// and returns the step it fails at.
func openStep(t *testing.T, e *env, file []byte) string {
	t.Helper()
	r, err := sealer.Open(e.ctx, bytes.NewReader(file), e.beacon, e.committee)
	if err == nil {
		_, err = io.Copy(io.Discard, r)
	}
	var oe *sealer.OpenError
	if !errors.As(err, &oe) {
		t.Fatalf("sealer.Open: err = %v, want an OpenError", err)
	}
	return oe.Step
}
