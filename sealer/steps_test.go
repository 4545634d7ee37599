package sealer

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
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
		})
	}
}

func trimNL(ls []string) []string {
	var out []string
	for _, l := range ls {
		out = append(out, strings.TrimSuffix(l, "\n"))
	}
	return out
}
