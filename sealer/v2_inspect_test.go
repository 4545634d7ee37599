package sealer_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/segel-lpse/segel/internal/mutate"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// TestLengthCommitment: Inspect refuses a version 2 file one byte short or
// one byte long, or cut anywhere, naming both sizes and what to do; a
// stream's size is checked with Header.CheckSize; the opener checks it
// too.
func TestLengthCommitment(t *testing.T) {
	w := newWorld(t, 2, 3)
	for _, size := range []int{0, 100, 64<<10 + 1} {
		file := w.seal(t, randomDoc(size))
		n := len(file)
		h := w.inspect(t, file)
		for _, tt := range []struct {
			file []byte
			says string
		}{
			{file[:n-1], fmt.Sprintf("the file is %d bytes but its header says %d: it was cut short (1 bytes missing), in upload or in copy", n-1, n)},
			{append(bytes.Clone(file), 0), fmt.Sprintf("the file is %d bytes but its header says %d: it has 1 bytes after its end", n+1, n)},
			{file[:len(file)-len(split(t, file).rest)], "cut short"},
		} {
			_, err := sealer.Inspect(bytes.NewReader(tt.file), w.beacon.Chain())
			if !errors.Is(err, sealer.ErrMalformed) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "again") {
				t.Errorf("size %d, file of %d bytes: Inspect: %v, want it to say %q", size, len(tt.file), err, tt.says)
			}
			// A stream cannot be measured: the caller checks what it stored.
			hs, err := sealer.Inspect(struct{ io.Reader }{bytes.NewReader(tt.file)}, w.beacon.Chain())
			if err != nil {
				t.Fatalf("Inspect of a stream: %v", err)
			}
			if err := hs.CheckSize(int64(len(tt.file))); !errors.Is(err, sealer.ErrMalformed) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("CheckSize(%d): %v", len(tt.file), err)
			}
			var oe *sealer.OpenError
			if _, _, err := w.opener.Open(bytes.NewReader(tt.file), int64(len(tt.file)), w.target, nil); !errors.As(err, &oe) || oe.Step != sealer.StepInspect {
				t.Errorf("Opener.Open of %d bytes: %v, want an OpenError at %s", len(tt.file), err, sealer.StepInspect)
			}
		}
		if err := h.CheckSize(int64(n)); err != nil {
			t.Errorf("CheckSize of the right size: %v", err)
		}
		// Every cut within the payload.
		for cut := n - len(split(t, file).rest); cut < n; cut += 1 + cut%97 {
			if _, err := sealer.Inspect(bytes.NewReader(file[:cut]), w.beacon.Chain()); !errors.Is(err, sealer.ErrMalformed) {
				t.Fatalf("size %d cut at %d: Inspect: %v", size, cut, err)
			}
		}
	}
	// Inspect measures from where the reader stands, and puts it back.
	file := w.seal(t, randomDoc(200<<10))
	r := bytes.NewReader(append([]byte("0123456789"), file...))
	r.Seek(10, io.SeekStart)
	if _, err := sealer.Inspect(r, w.beacon.Chain()); err != nil {
		t.Fatalf("Inspect from offset 10: %v", err)
	}
	if pos, _ := r.Seek(0, io.SeekCurrent); pos == int64(r.Size()) || pos < 10+int64(len(file)-len(split(t, file).rest)) {
		t.Errorf("Inspect left the reader at %d of %d", pos, r.Size())
	}
	// A version 1 header commits to no size.
	v1 := newFixtureV1(t, w)
	if h := w.inspect(t, v1); h.CheckSize(1) != nil || h.Version != 1 {
		t.Error("a version 1 header checks a size")
	}
}

func newFixtureV1(t *testing.T, w *world) []byte {
	var buf bytes.Buffer
	if _, err := sealer.Seal(&buf, strings.NewReader("v1"), sealer.Target{Chain: w.beacon.Chain(), Round: testRound, Committee: w.members[0].Recipient()}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestHeaderMutations changes a version 2 header (1-of-1, the smallest)
// in every way the negative tests of STYLE.md 12 ask, and checks that each
// file is refused before any secret is used (Inspect, Target.Check), by
// the member's own tool (a claim), or at opening, at the step the changed
// part calls for.
//
// The header's text outside the body (intro, stanza line, MAC line) gets
// every truncation and every single-byte change of mutate.ForEach. Every
// base64 character of the body is replaced by bytes outside the alphabet
// (which age's parser refuses) and by the next character of the alphabet
// (which changes the decoded body); the outcome of those depends on the
// part of the body changed. A changed MAC that parses is checked against
// the file key (age.DecryptHeader, the opener's StepHeaderMAC), and the
// first few are opened in full.
//
// Under the race detector (one goroutine here, nothing for it to find,
// and the pairings and KEM twenty times slower) the in-alphabet body
// changes are sampled, every 7th character, and so are the single-byte
// changes of the text, every 3rd; run the test without -race for all of
// them.
func TestHeaderMutations(t *testing.T) {
	w := newWorld(t, 1, 1)
	doc := []byte("penawaran harga")
	file := w.seal(t, doc)
	f := split(t, file)
	headLen := len(file) - len(f.rest)
	chain := w.beacon.Chain()
	bodyStart := bytes.IndexByte(file, '\n') + 1
	bodyStart += bytes.IndexByte(file[bodyStart:], '\n') + 1
	bodyEnd := bytes.LastIndex(file[:headLen], []byte("\n---")) + 1
	stats := map[string]int{}

	// refused reports how the mutated file is refused, or "" if it opens.
	refused := func(m []byte) string {
		h, err := sealer.Inspect(bytes.NewReader(m), chain)
		if err != nil {
			if !errors.Is(err, sealer.ErrMalformed) && !errors.Is(err, timelock.ErrWrongChain) {
				t.Fatalf("Inspect refused with %v, not ErrMalformed", err)
			}
			return "inspect"
		}
		if err := w.target.Check(h); err != nil {
			return "check"
		}
		c, err := sealer.Contribute(h, w.c, w.members[0])
		var cs []sealer.Contribution
		switch {
		case errors.Is(err, sealer.ErrWrapDoesNotOpen):
			var we *sealer.WrapError
			errors.As(err, &we)
			if we.Share {
				return "claim-share"
			}
			return "claim-key"
		case err != nil:
			t.Fatalf("Contribute: %v", err)
		}
		cs = append(cs, c)
		got, _, err := w.open(m, cs)
		var oe *sealer.OpenError
		switch {
		case err == nil && bytes.Equal(got, doc):
			return ""
		case errors.As(err, &oe):
			return oe.Step
		}
		t.Fatalf("opening: %v", err)
		return ""
	}
	check := func(desc string, m []byte, want ...string) {
		t.Helper()
		got := refused(m)
		stats[got]++
		if got == "" {
			t.Fatalf("%s: the file still opens", desc)
		}
		if len(want) > 0 && !strings.Contains(" "+strings.Join(want, " ")+" ", " "+got+" ") {
			t.Fatalf("%s: refused at %q, want one of %q", desc, got, want)
		}
	}

	if refused(file) != "" {
		t.Fatal("the unchanged file does not open")
	}
	fileKey := w.secretsOf(t, file).fileKey
	macOpened := 0
	// checkMAC checks a file whose header differs only in its MAC line:
	// refused by Inspect, or the MAC does not verify with the file key.
	checkMAC := func(desc string, m []byte) {
		if _, err := sealer.Inspect(bytes.NewReader(m), chain); err != nil {
			stats["inspect"]++
			return
		}
		if _, err := age.DecryptHeader(m[:headLen], age.NewInjectedFileKeyIdentity(fileKey)); err == nil {
			t.Fatalf("%s: the header MAC still verifies", desc)
		}
		stats[sealer.StepHeaderMAC]++
	}
	for cut := range headLen {
		check(fmt.Sprintf("cut to %d bytes", cut), file[:cut], "inspect")
	}
	// Intro and stanza line, and the MAC line: every single-byte change.
	for _, part := range [][2]int{{0, bodyStart}, {bodyEnd, headLen}} {
		n := 0
		mutate.ForEach(file[part[0]:part[1]], func(desc string, b []byte) {
			if len(b) < part[1]-part[0] {
				return // truncations of the whole file are above
			}
			if n++; raceEnabled && n%3 != 0 {
				return
			}
			m := append(append(append([]byte{}, file[:part[0]]...), b...), file[part[1]:]...)
			if part[0] == bodyEnd && macOpened >= 3 {
				checkMAC(desc, m)
				return
			}
			check(desc, m, "inspect", "check", sealer.StepHeaderMAC)
			macOpened += bool2int(part[0] == bodyEnd)
		})
	}
	// The body: every character out of the alphabet, or the next in it.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for pos := bodyStart; pos < bodyEnd; pos++ {
		if file[pos] == '\n' {
			continue
		}
		for _, c := range []byte{' ', '=', '-', 0xff, '\n'} {
			m := bytes.Clone(file)
			m[pos] = c
			check(fmt.Sprintf("body character %d replaced by %q", pos, c), m, "inspect")
		}
		if raceEnabled && pos%7 != 0 {
			continue
		}
		m := bytes.Clone(file)
		m[pos] = alphabet[(strings.IndexByte(alphabet, file[pos])+1)%64]
		// The first decoded byte this changes (the last character's
		// trailing bits change none: age refuses them).
		at := len(f.body)
		if mb, err := base64.RawStdEncoding.DecodeString(strings.ReplaceAll(string(m[bodyStart:bodyEnd]), "\n", "")); err == nil {
			for i := range mb {
				if mb[i] != f.body[i] {
					at = i
					break
				}
			}
		}
		var want []string
		switch {
		case at < 96: // U
			want = []string{"inspect", sealer.StepTimeLockHalf}
		case at < 128: // V, W: the time lock, and the share's AAD (and a character over W and enc₁, the key wrap)
			want = []string{"claim-share", "claim-key"}
			var oe *sealer.OpenError
			if _, _, err := w.open(m, nil); !errors.As(err, &oe) || oe.Step != sealer.StepTimeLockHalf {
				t.Fatalf("body character %d (byte %d) changed: opening: %v, want an OpenError at %s", pos, at, err, sealer.StepTimeLockHalf)
			}
		case at < 128+1120+32: // the member's key wrap
			want = []string{"claim-key", "claim-share"}
		case at < len(f.body): // commitment, sealed share
			want = []string{"claim-share"}
		default: // the last character's trailing bits: not canonical
			want = []string{"inspect"}
		}
		check(fmt.Sprintf("body character %d (byte %d) changed", pos, at), m, want...)
	}
	t.Logf("%d-byte header: outcomes %v", headLen, stats)
}

// TestClaimedFilesFailAtOpening: where the member's own tool claims, the
// server, with no contribution, fails the file at StepContributions, the
// committee's fault; and a member key taken from the unchanged file
// authenticates against a changed key wrap (the AAD does not cover it),
// so the header MAC is what refuses it, as the file's fault.
func TestClaimedFilesFailAtOpening(t *testing.T) {
	w := newWorld(t, 1, 1)
	file := w.seal(t, []byte("penawaran harga"))
	honest := w.contribute(t, file)[0]
	f := split(t, file)
	f.wrapOf(1)[700] ^= 1
	m := f.bytes()
	var oe *sealer.OpenError
	if _, _, err := w.open(m, nil); !errors.As(err, &oe) || oe.Step != sealer.StepContributions || oe.Fault != sealer.FaultCommittee {
		t.Fatalf("no contribution: %v", err)
	}
	h := w.inspect(t, m)
	c := honest
	c.Header = h.Digest
	if err := sealer.CheckContribution(h, c); err != nil {
		t.Fatalf("the unchanged member key, for the changed header: %v", err)
	}
	if _, _, err := w.open(m, []sealer.Contribution{c}); !errors.As(err, &oe) || oe.Step != sealer.StepHeaderMAC || oe.Fault != sealer.FaultFile {
		t.Fatalf("opening with it: %v, want the file's fault at %s", err, sealer.StepHeaderMAC)
	}
}

func bool2int(b bool) int {
	if b {
		return 1
	}
	return 0
}
