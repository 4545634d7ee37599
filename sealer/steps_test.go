package sealer

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/segel-lpse/segel/timelock"
)

// TestOpenErrorSteps damages one part of a sealed offer at a time and
// checks that opening names the step that failed.
func TestOpenErrorSteps(t *testing.T) {
	f := newFixture(t)
	file, _ := f.seal(t, bytes.Repeat([]byte("x"), 100<<10))
	*f.clock = f.beacon.Chain().TimeOf(100)

	lines := strings.SplitAfter(string(file[:bytes.Index(file, []byte("\n--- "))+1]), "\n")
	body, err := base64.RawStdEncoding.DecodeString(strings.Join(trimNL(lines[2:]), ""))
	if err != nil || len(body) != bodySize {
		t.Fatalf("body: %d bytes, %v", len(body), err)
	}
	rest := file[bytes.Index(file, []byte("\n--- "))+1:]
	withBody := func(b []byte) []byte {
		var buf bytes.Buffer
		buf.WriteString(lines[0] + lines[1])
		enc := base64.RawStdEncoding.EncodeToString(b)
		for len(enc) >= 64 {
			buf.WriteString(enc[:64] + "\n")
			enc = enc[64:]
		}
		buf.WriteString(enc + "\n")
		buf.Write(rest)
		return buf.Bytes()
	}
	flip := func(pos int) []byte { b := bytes.Clone(body); b[pos] ^= 1; return withBody(b) }

	if got, err := f.open(withBody(body)); err != nil || len(got) != 100<<10 {
		t.Fatalf("re-encoded unmodified file: %v", err)
	}
	macPos := bytes.Index(file, []byte("\n--- ")) + 6
	badMAC := bytes.Clone(file)
	// Another base64 digit, so the header still parses and only the MAC
	// is wrong.
	if badMAC[macPos] == 'A' {
		badMAC[macPos] = 'B'
	} else {
		badMAC[macPos] = 'A'
	}
	badPayload := bytes.Clone(file)
	badPayload[len(file)-20] ^= 1
	payload := macPos + bytes.IndexByte(file[macPos:], '\n') + 1

	tests := []struct {
		name string
		file []byte
		step string
	}{
		{"not age", []byte("hello\n"), StepHeader},
		{"U off curve", flip(50), StepInspect},
		{"V changed", flip(96 + 3), StepTimeLockHalf},
		{"HPKE ciphertext changed", flip(ibeSize + hpkeEncSize + 5), StepCommitteeHalf},
		{"MAC changed", badMAC, StepHeaderMAC},
		{"payload changed", badPayload, StepPayload},
		{"payload truncated", file[:len(file)-1], StepPayload},
		{"header only", file[:payload], StepPayload},
		{"header and part of the nonce", file[:payload+5], StepPayload},
		{"header cut", file[:macPos], StepHeader},
	}
	sig, err := f.beacon.Signature(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewIdentity(f.beacon.Chain(), 100, sig, f.committee)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.open(tt.file)
			var oe *OpenError
			if !errors.As(err, &oe) {
				t.Fatalf("err = %v, want an OpenError", err)
			}
			if oe.Step != tt.step {
				t.Errorf("step = %q, want %q (err: %v)", oe.Step, tt.step, err)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("err does not wrap ErrMalformed")
			}
			if want := []string{StanzaType}; tt.step != StepHeader && !slices.Equal(oe.Stanzas, want) {
				t.Errorf("stanzas = %q, want %q", oe.Stanzas, want)
			}

			// The engine's path, with the round's identity, names the
			// same step.
			r, err := id.Open(bytes.NewReader(tt.file))
			if err == nil {
				_, err = io.ReadAll(r)
			}
			if !errors.As(err, &oe) || oe.Step != tt.step {
				t.Errorf("Identity.Open: err = %v, want an OpenError at %s", err, tt.step)
			}

			// Inspect refuses exactly the files that fail before the
			// secrets are used.
			_, err = Inspect(bytes.NewReader(tt.file), f.beacon.Chain())
			if early := tt.step == StepHeader || tt.step == StepInspect; (err != nil) != early {
				t.Errorf("Inspect: err = %v, but opening fails at %s", err, tt.step)
			}
		})
	}
}

// TestIdentityOpenMismatch checks that Identity.Open refuses an offer
// sealed to another round or committee key at StepInspect, as
// Target.Check refuses it at submission.
func TestIdentityOpenMismatch(t *testing.T) {
	f := newFixture(t)
	*f.clock = f.beacon.Chain().TimeOf(101)
	other, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := f.beacon.Signature(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewIdentity(f.beacon.Chain(), 100, sig, f.committee)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		target Target
		want   error
	}{
		{"another round", Target{Chain: f.beacon.Chain(), Round: 101, Committee: f.committee.Recipient()}, timelock.ErrWrongRound},
		{"another committee", Target{Chain: f.beacon.Chain(), Round: 100, Committee: other.Recipient()}, ErrWrongCommittee},
	} {
		var buf bytes.Buffer
		if _, err := Seal(&buf, strings.NewReader("offer"), tt.target); err != nil {
			t.Fatal(err)
		}
		_, err := id.Open(&buf)
		var oe *OpenError
		if !errors.As(err, &oe) || oe.Step != StepInspect || !errors.Is(err, ErrMismatch) || !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want an OpenError at %s wrapping ErrMismatch and %v", tt.name, err, StepInspect, tt.want)
		}
	}
}

func trimNL(ls []string) []string {
	var out []string
	for _, l := range ls {
		out = append(out, strings.TrimSuffix(l, "\n"))
	}
	return out
}
