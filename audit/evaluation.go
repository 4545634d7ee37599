package audit

import (
	"fmt"
	"strings"

	"github.com/segel-lpse/segel/internal/canon"
)

// evaluationHeader is the first line of an evaluation document
// (doc/spec/opening.md §6).
const evaluationHeader = "segel-evaluation/v1\n"

// MaxEvaluationSize caps an evaluation document: a line per bidder of
// about 150 bytes, room for 50,000 bidders.
const MaxEvaluationSize = 8 << 20

// Results of a bidder in a File I evaluation.
const (
	ResultPassed = "passed"
	ResultFailed = "failed"
)

// An Evaluation is the committee's File I evaluation of a two-file or
// two-stage tender (doc/spec/opening.md §6): for every bidder of File I's
// closing set, passed or failed, and the SHA-256 of a reasons document
// kept in the vault (reasons may name people; they are never logged).
// Members approve the SHA-256 of its canonical text; k approvals fix it.
// The log restates it line by line, so an auditor rebuilds it from the
// bidder-evaluated entries and checks its digest.
type Evaluation struct {
	Tender  string
	Bidders []EvaluatedBidder // ascending by bidder id, each once
}

// An EvaluatedBidder is one line of an evaluation.
type EvaluatedBidder struct {
	Bidder  string
	Passed  bool
	Reasons [32]byte // SHA-256 of the reasons document
}

// Result returns ResultPassed or ResultFailed.
func (b EvaluatedBidder) Result() string {
	if b.Passed {
		return ResultPassed
	}
	return ResultFailed
}

// Marshal returns the canonical text of ev, or an error wrapping
// ErrMalformed if ev is not a valid evaluation.
func (ev *Evaluation) Marshal() ([]byte, error) {
	if err := ev.check(); err != nil {
		return nil, fmt.Errorf("%w: evaluation: %v", ErrMalformed, err)
	}
	var b strings.Builder
	b.WriteString(evaluationHeader)
	fmt.Fprintf(&b, "tender: %s\n", ev.Tender)
	for _, l := range ev.Bidders {
		fmt.Fprintf(&b, "bidder: %s %s %x\n", l.Bidder, l.Result(), l.Reasons[:])
	}
	if b.Len() > MaxEvaluationSize {
		return nil, fmt.Errorf("%w: evaluation is %d bytes, more than %d", ErrMalformed, b.Len(), MaxEvaluationSize)
	}
	return []byte(b.String()), nil
}

// ParseEvaluation parses the canonical text of an evaluation document, and
// nothing else. Errors wrap ErrMalformed.
func ParseEvaluation(text []byte) (*Evaluation, error) {
	ev, err := parseEvaluation(text)
	if err != nil {
		return nil, fmt.Errorf("%w: evaluation: %v", ErrMalformed, err)
	}
	return ev, nil
}

func parseEvaluation(text []byte) (*Evaluation, error) {
	if len(text) > MaxEvaluationSize {
		return nil, fmt.Errorf("%d bytes, more than %d", len(text), MaxEvaluationSize)
	}
	rest, ok := strings.CutPrefix(string(text), evaluationHeader)
	if !ok {
		return nil, fmt.Errorf("first line is not %q", strings.TrimSpace(evaluationHeader))
	}
	l := canon.Lines{Text: rest}
	ev := new(Evaluation)
	var err error
	if ev.Tender, err = l.Next("tender"); err != nil {
		return nil, err
	}
	for l.Peek("bidder") {
		v, _ := l.Next("bidder")
		f := strings.Split(v, " ")
		if len(f) != 3 {
			return nil, fmt.Errorf("bidder line %.100q: want \"<bidder> passed|failed <reasons sha256>\"", v)
		}
		line := EvaluatedBidder{Bidder: f[0]}
		switch f[1] {
		case ResultPassed:
			line.Passed = true
		case ResultFailed:
		default:
			return nil, fmt.Errorf("bidder line %.100q: result is passed or failed", v)
		}
		if line.Reasons, err = canon.ParseSHA256(f[2]); err != nil {
			return nil, fmt.Errorf("bidder line %.100q: reasons: %v", v, err)
		}
		ev.Bidders = append(ev.Bidders, line)
	}
	if err := l.End(); err != nil {
		return nil, err
	}
	if err := ev.check(); err != nil {
		return nil, err
	}
	return ev, nil
}

func (ev *Evaluation) check() error {
	if !canon.IsTenderID(ev.Tender) {
		return fmt.Errorf("tender %.80q is not a tender id", ev.Tender)
	}
	for i, l := range ev.Bidders {
		if err := canon.KindID.Check(l.Bidder); err != nil {
			return fmt.Errorf("bidder: %v", err)
		}
		if i > 0 && ev.Bidders[i-1].Bidder >= l.Bidder {
			return fmt.Errorf("bidders must be strictly ascending (%s after %s)", l.Bidder, ev.Bidders[i-1].Bidder)
		}
	}
	return nil
}
