package sealer_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// A v2Vector is one file of testdata/vectors-v2, in the format of
// doc/spec/offer-v2.md §9.
type v2Vector struct {
	expect, fault, mismatch string
	chain                   timelock.Chain
	round                   uint64
	signature               []byte
	threshold               int
	members                 []*age.HybridIdentity
	target                  sealer.Target
	contributions           []sealer.Contribution
	refused                 []int
	claims                  map[int]string // member → "key" or "share"
	payload                 []byte
	file                    []byte
}

var v2Steps = []string{sealer.StepHeader, sealer.StepInspect, sealer.StepTimeLockHalf, sealer.StepContribution,
	sealer.StepContributions, sealer.StepShares, sealer.StepHeaderMAC, sealer.StepPayload}

func parseV2Vector(data []byte) (*v2Vector, error) {
	v := &v2Vector{claims: map[int]string{}}
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
			if value != "success" && !slices.Contains(v2Steps, value) {
				return nil, fmt.Errorf("expect %q is neither success nor a step", value)
			}
			v.expect = value
		case "fault":
			if !slices.Contains([]string{sealer.FaultFile, sealer.FaultMember, sealer.FaultCommittee}, value) {
				return nil, fmt.Errorf("unknown fault %q", value)
			}
			v.fault = value
		case "mismatch":
			if !slices.Contains([]string{"round", "chain", "committee", "tender", "bidder", "file"}, value) {
				return nil, fmt.Errorf("unknown mismatch %q", value)
			}
			v.mismatch = value
		case "chain":
			v.chain, err = timelock.ParseChainInfo([]byte(value))
		case "round":
			v.round, err = strconv.ParseUint(value, 10, 64)
		case "signature":
			v.signature, err = hex.DecodeString(value)
		case "threshold":
			v.threshold, err = strconv.Atoi(value)
		case "member":
			var id *age.HybridIdentity
			if id, err = age.ParseHybridIdentity(value); err == nil {
				v.members = append(v.members, id)
			}
		case "tender":
			v.target.Tender = value
		case "bidder":
			v.target.Bidder = value
		case "file":
			v.target.File, err = strconv.Atoi(value)
		case "contribution":
			var c sealer.Contribution
			if err = c.UnmarshalText([]byte(value)); err == nil {
				v.contributions = append(v.contributions, c)
			}
		case "refused":
			var i int
			if i, err = strconv.Atoi(value); err == nil {
				v.refused = append(v.refused, i)
			}
		case "claim":
			i, what, _ := strings.Cut(value, " ")
			n, aerr := strconv.Atoi(i)
			if aerr != nil || (what != "key" && what != "share") {
				return nil, fmt.Errorf("claim %q is not \"<i> key|share\"", value)
			}
			v.claims[n] = what
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
	case v.expect == "" || v.chain.IsZero() || v.round == 0 || v.signature == nil || len(v.members) == 0 || v.threshold == 0:
		return nil, errors.New("expect, chain, round, signature, threshold and members are required")
	case (v.expect == "success") != (v.payload != nil), (v.expect == "success") != (v.fault == ""):
		return nil, errors.New("payload goes with expect: success, fault with any other")
	case v.mismatch != "" && v.expect != sealer.StepInspect:
		return nil, errors.New("mismatch goes with expect: inspect")
	}
	rs := make([]*age.HybridRecipient, len(v.members))
	for i, m := range v.members {
		rs[i] = m.Recipient()
	}
	c, err := sealer.NewCommittee(v.threshold, rs)
	if err != nil {
		return nil, err
	}
	v.target.Chain, v.target.Round, v.target.Members = v.chain, v.round, c
	v.file, _ = io.ReadAll(r)
	return v, nil
}

// TestVectorsV2 checks Inspect, Target.Check, Contribute and Opener.Open
// against every vector in testdata/vectors-v2 (offer-v2.md §9).
func TestVectorsV2(t *testing.T) {
	if *updateVectors {
		generateVectorsV2(t)
	}
	names, err := filepath.Glob("testdata/vectors-v2/*")
	if err != nil || len(names) == 0 {
		t.Fatalf("no vectors in testdata/vectors-v2: %v", err)
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			v, err := parseV2Vector(data)
			if err != nil {
				t.Fatalf("bad vector: %v", err)
			}
			if h := checkInspectV2(t, v); h != nil {
				checkMembers(t, v, h)
			}
			checkOpenV2(t, v)
		})
	}
}

// checkInspectV2 checks that Inspect and Target.Check refuse exactly the
// files that fail at StepHeader or StepInspect, and returns the header
// of a file they accept.
func checkInspectV2(t *testing.T, v *v2Vector) *sealer.Header {
	t.Helper()
	h, err := sealer.Inspect(bytes.NewReader(v.file), v.chain)
	switch {
	case v.mismatch == "chain":
		if !errors.Is(err, timelock.ErrWrongChain) {
			t.Errorf("Inspect: %v, want ErrWrongChain", err)
		}
		return nil
	case v.mismatch == "" && (v.expect == sealer.StepHeader || v.expect == sealer.StepInspect):
		if !errors.Is(err, sealer.ErrMalformed) {
			t.Errorf("Inspect: %v, want ErrMalformed", err)
		}
		return nil
	case err != nil:
		t.Errorf("Inspect: %v", err)
		return nil
	}
	err = v.target.Check(h)
	if v.mismatch != "" {
		if !errors.Is(err, sealer.ErrMismatch) || !strings.Contains(strings.ToLower(err.Error()), v.mismatch) {
			t.Errorf("Target.Check: %v, want ErrMismatch about the %s", err, v.mismatch)
		}
		return nil
	}
	if err != nil {
		t.Errorf("Target.Check: %v", err)
		return nil
	}
	return h
}

// checkMembers checks each member's own tool: the claim the vector
// names, or the contribution it lists (unless refused, which must then
// differ from the member's and fail CheckContribution).
func checkMembers(t *testing.T, v *v2Vector, h *sealer.Header) {
	t.Helper()
	given := map[int]sealer.Contribution{}
	for _, c := range v.contributions {
		given[c.Member] = c
	}
	for _, m := range v.members {
		i := v.target.Members.Index(m.Recipient())
		c, err := sealer.Contribute(h, v.target.Members, m)
		if what, ok := v.claims[i]; ok {
			var we *sealer.WrapError
			if !errors.As(err, &we) || we.Member != i || we.Share != (what == "share") {
				t.Errorf("member %d: Contribute: %v, want a claim about its %s", i, err, what)
			}
			continue
		}
		if err != nil {
			t.Errorf("member %d: Contribute: %v", i, err)
			continue
		}
		g, ok := given[i]
		switch {
		case !ok:
		case slices.Contains(v.refused, i):
			if g == c || !errors.Is(sealer.CheckContribution(h, g), sealer.ErrBadContribution) {
				t.Errorf("member %d: the refused contribution is the member's own, or passes", i)
			}
		case g != c:
			t.Errorf("member %d: computed %x…, the vector has %x…", i, c.Key[:4], g.Key[:4])
		}
	}
}

// checkOpenV2 opens the vector's file with its contributions and checks
// the outcome, the fault, and who was refused.
func checkOpenV2(t *testing.T, v *v2Vector) {
	t.Helper()
	o, err := sealer.NewOpener(v.chain, v.round, v.signature)
	if err != nil {
		t.Fatalf("NewOpener: %v", err)
	}
	r, tally, err := o.Open(bytes.NewReader(v.file), int64(len(v.file)), v.target, v.contributions)
	var plaintext []byte
	if err == nil {
		plaintext, err = io.ReadAll(r)
	}
	if tally != nil && !slices.Equal(tally.Refused, v.refused) {
		t.Errorf("refused %v, want %v", tally.Refused, v.refused)
	}
	if v.expect == "success" {
		if err != nil {
			t.Errorf("Opener.Open: %v", err)
		} else if sum := sha256.Sum256(plaintext); !bytes.Equal(sum[:], v.payload) {
			t.Errorf("plaintext SHA-256 %x, want %x", sum, v.payload)
		}
		return
	}
	var oe *sealer.OpenError
	if !errors.As(err, &oe) {
		t.Fatalf("Opener.Open: %v, want an OpenError at %s", err, v.expect)
	}
	if oe.Step != v.expect || oe.Fault != v.fault {
		t.Errorf("fails at step %s, fault %s (%v); want %s, %s", oe.Step, oe.Fault, err, v.expect, v.fault)
	}
	if errors.Is(err, sealer.ErrMalformed) != (v.fault == sealer.FaultFile) {
		t.Errorf("%v: wraps ErrMalformed exactly when the file is at fault", err)
	}
	if v.mismatch != "" && !errors.Is(err, sealer.ErrMismatch) {
		t.Errorf("%v, want ErrMismatch", err)
	}
}
