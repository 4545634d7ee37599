package sealer_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// A vector is one file of testdata/vectors, in the format of
// testdata/README.md and doc/spec/offer.md ("Known-answer vectors").
type vector struct {
	expect    string // "success" or the step at which opening fails
	mismatch  string // "round", "chain" or "committee", with expect "inspect"
	chain     timelock.Chain
	round     uint64
	signature []byte
	identity  *age.HybridIdentity
	payload   []byte // SHA-256 of the plaintext, with expect "success"
	file      []byte
}

var steps = []string{sealer.StepHeader, sealer.StepInspect, sealer.StepTimeLockHalf,
	sealer.StepCommitteeHalf, sealer.StepHeaderMAC, sealer.StepPayload}

func parseVector(data []byte) (*vector, error) {
	v := &vector{}
	r := bufio.NewReader(bytes.NewReader(data))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, errors.New("no blank line before the file")
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break
		}
		key, value, ok := strings.Cut(line, ": ")
		if !ok {
			return nil, fmt.Errorf("header line %q is not key: value", line)
		}
		switch key {
		case "expect":
			if value != "success" && !contains(steps, value) {
				return nil, fmt.Errorf("expect %q is neither success nor a step", value)
			}
			v.expect = value
		case "mismatch":
			if !contains([]string{"round", "chain", "committee"}, value) {
				return nil, fmt.Errorf("unknown mismatch %q", value)
			}
			v.mismatch = value
		case "chain":
			v.chain, err = timelock.ParseChainInfo([]byte(value))
		case "round":
			v.round, err = strconv.ParseUint(value, 10, 64)
		case "signature":
			v.signature, err = hex.DecodeString(value)
		case "identity":
			v.identity, err = age.ParseHybridIdentity(value)
		case "payload":
			v.payload, err = hex.DecodeString(value)
		case "comment":
		default:
			return nil, fmt.Errorf("unknown header %q", key)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", key, err)
		}
	}
	switch {
	case v.expect == "" || v.chain.IsZero() || v.round == 0 || v.signature == nil || v.identity == nil:
		return nil, errors.New("expect, chain, round, signature and identity are required")
	case (v.expect == "success") != (v.payload != nil):
		return nil, errors.New("payload is given with expect: success, and only then")
	case v.mismatch != "" && v.expect != sealer.StepInspect:
		return nil, errors.New("mismatch goes with expect: inspect")
	}
	v.file, _ = io.ReadAll(r)
	return v, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestVectors checks Inspect, Target.Check, Identity.Open and Open
// against every known-answer vector in testdata/vectors.
func TestVectors(t *testing.T) {
	if *updateVectors {
		generateVectors(t)
	}
	names, err := filepath.Glob("testdata/vectors/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no vectors in testdata/vectors")
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			v, err := parseVector(data)
			if err != nil {
				t.Fatalf("bad vector: %v", err)
			}
			checkInspect(t, v)
			id, err := sealer.NewIdentity(v.chain, v.round, v.signature, v.identity)
			if err != nil {
				t.Fatalf("NewIdentity: %v", err)
			}
			checkOpen(t, v, "Identity.Open", func() (io.Reader, error) { return id.Open(bytes.NewReader(v.file)) })
			// The committee opens at the vector's round, with a beacon
			// holding only that round's signature.
			b, err := timelock.NewFixedBeacon(v.chain, map[uint64][]byte{v.round: v.signature},
				func() time.Time { return v.chain.TimeOf(v.round) })
			if err != nil {
				t.Fatal(err)
			}
			open := func() (io.Reader, error) {
				return sealer.Open(context.Background(), bytes.NewReader(v.file), b, v.identity)
			}
			switch v.mismatch {
			case "":
				checkOpen(t, v, "Open", open)
			case "committee":
				checkErr(t, "Open", open, sealer.ErrWrongCommittee)
			case "chain":
				checkErr(t, "Open", open, timelock.ErrWrongChain)
			case "round": // Open takes the round from the file
				checkErr(t, "Open", open, timelock.ErrTooEarly)
			}
		})
	}
}

// checkInspect checks that Inspect and Target.Check refuse exactly the
// files that fail at StepHeader or StepInspect.
func checkInspect(t *testing.T, v *vector) {
	t.Helper()
	h, err := sealer.Inspect(bytes.NewReader(v.file), v.chain)
	switch {
	case v.mismatch == "chain":
		if !errors.Is(err, timelock.ErrWrongChain) {
			t.Errorf("Inspect: %v, want ErrWrongChain", err)
		}
		return
	case v.mismatch == "" && (v.expect == sealer.StepHeader || v.expect == sealer.StepInspect):
		if !errors.Is(err, sealer.ErrMalformed) {
			t.Errorf("Inspect: %v, want ErrMalformed", err)
		}
		return
	case err != nil:
		t.Errorf("Inspect: %v", err)
		return
	}
	target := sealer.Target{Chain: v.chain, Round: v.round, Committee: v.identity.Recipient()}
	err = target.Check(h)
	if v.mismatch != "" {
		if !errors.Is(err, sealer.ErrMismatch) {
			t.Errorf("Target.Check: %v, want ErrMismatch", err)
		}
	} else if err != nil {
		t.Errorf("Target.Check: %v", err)
	}
}

// checkOpen checks an opening and reading of the plaintext against
// v.expect.
func checkOpen(t *testing.T, v *vector, what string, open func() (io.Reader, error)) {
	t.Helper()
	r, err := open()
	var plaintext []byte
	if err == nil {
		plaintext, err = io.ReadAll(r)
	}
	if v.expect == "success" {
		if err != nil {
			t.Errorf("%s: %v", what, err)
		} else if sum := sha256.Sum256(plaintext); !bytes.Equal(sum[:], v.payload) {
			t.Errorf("%s: plaintext SHA-256 %x, want %x", what, sum, v.payload)
		}
		return
	}
	var oe *sealer.OpenError
	if !errors.As(err, &oe) || !errors.Is(err, sealer.ErrMalformed) {
		t.Fatalf("%s: %v, want an OpenError at %s", what, err, v.expect)
	}
	if oe.Step != v.expect {
		t.Errorf("%s: fails at step %s (%v), want %s", what, oe.Step, err, v.expect)
	}
	want := map[string]error{"round": timelock.ErrWrongRound, "chain": timelock.ErrWrongChain, "committee": sealer.ErrWrongCommittee}[v.mismatch]
	if want != nil && (!errors.Is(err, sealer.ErrMismatch) || !errors.Is(err, want)) {
		t.Errorf("%s: %v, want ErrMismatch and %v", what, err, want)
	}
}

func checkErr(t *testing.T, what string, open func() (io.Reader, error), want error) {
	t.Helper()
	if _, err := open(); !errors.Is(err, want) {
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}
