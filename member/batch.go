package member

import (
	"fmt"
	"strings"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"
)

// batchHeader is the first line of a batch's text form.
const batchHeader = "segel-contributions/v1\n"

// MaxBatchSize caps a batch's text: about 150 bytes per file, room for
// 100,000 files.
const MaxBatchSize = 16 << 20

// A Batch is what a member's tool sends for a part's opening (opening.md
// §4.3): its answers, one per file it was shown, as one message. Its text
// form is what a tool writes and a server parses:
//
//	segel-contributions/v1
//	tender: <id>
//	file: <1 or 2>
//	member: <i>
//	answer: <index> contribution <contribution's text form>
//	answer: <index> claimed-key
//	answer: <index> claimed-share
//
// with the answers in strictly ascending log index, every line ending in
// LF, and each contribution's member the batch's.
type Batch struct {
	Tender  string
	File    int
	Member  int
	Answers []Answer
}

// Marshal returns b's canonical text.
func (b *Batch) Marshal() ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, fmt.Errorf("member: batch: %v", err)
	}
	var s strings.Builder
	fmt.Fprintf(&s, "%stender: %s\nfile: %d\nmember: %d\n", batchHeader, b.Tender, b.File, b.Member)
	for _, a := range b.Answers {
		if a.Contribution != nil {
			text, err := a.Contribution.MarshalText()
			if err != nil {
				return nil, fmt.Errorf("member: batch: %v", err)
			}
			fmt.Fprintf(&s, "answer: %d contribution %s\n", a.Index, text)
		} else {
			fmt.Fprintf(&s, "answer: %d %s\n", a.Index, a.Claim)
		}
	}
	if s.Len() > MaxBatchSize {
		return nil, fmt.Errorf("member: batch is %d bytes, more than %d", s.Len(), MaxBatchSize)
	}
	return []byte(s.String()), nil
}

// ParseBatch parses a batch's canonical text, and nothing else.
func ParseBatch(text []byte) (*Batch, error) {
	b, err := parseBatch(text)
	if err != nil {
		return nil, fmt.Errorf("member: batch: %v", err)
	}
	return b, nil
}

func parseBatch(text []byte) (*Batch, error) {
	if len(text) > MaxBatchSize {
		return nil, fmt.Errorf("%d bytes, more than %d", len(text), MaxBatchSize)
	}
	rest, ok := strings.CutPrefix(string(text), batchHeader)
	if !ok {
		return nil, fmt.Errorf("first line is not %q", strings.TrimSpace(batchHeader))
	}
	l := canon.Lines{Text: rest}
	b := &Batch{}
	var err error
	if b.Tender, err = l.Next("tender"); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		key string
		n   *int
	}{{"file", &b.File}, {"member", &b.Member}} {
		v, err := l.Next(f.key)
		if err != nil {
			return nil, err
		}
		n, err := canon.ParseUint(v)
		if err != nil || n > sealer.MaxMembers {
			return nil, fmt.Errorf("%s %.20q is not a canonical decimal up to %d", f.key, v, sealer.MaxMembers)
		}
		*f.n = int(n)
	}
	for l.Peek("answer") {
		v, _ := l.Next("answer")
		f := strings.Split(v, " ")
		if len(f) < 2 {
			return nil, fmt.Errorf("answer line %.100q", v)
		}
		index, err := canon.ParseUint(f[0])
		if err != nil {
			return nil, fmt.Errorf("answer line %.100q: index: %v", v, err)
		}
		a := Answer{Index: index}
		switch {
		case len(f) == 2 && (f[1] == audit.AnswerClaimedKey || f[1] == audit.AnswerClaimedShare):
			a.Claim = f[1]
		case len(f) == 5 && f[1] == "contribution":
			var c sealer.Contribution
			if err := c.UnmarshalText([]byte(strings.Join(f[2:], " "))); err != nil {
				return nil, fmt.Errorf("answer line %.100q: %v", v, err)
			}
			a.Contribution = &c
		default:
			return nil, fmt.Errorf("answer line %.100q: want \"<index> contribution <contribution>\", \"<index> claimed-key\" or \"<index> claimed-share\"", v)
		}
		b.Answers = append(b.Answers, a)
	}
	if err := l.End(); err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Batch) check() error {
	switch {
	case !canon.IsTenderID(b.Tender):
		return fmt.Errorf("tender %.80q is not a tender id", b.Tender)
	case b.File != 1 && b.File != 2:
		return fmt.Errorf("file %d is not 1 or 2", b.File)
	case b.Member < 1 || b.Member > sealer.MaxMembers:
		return fmt.Errorf("member %d is not 1 to %d", b.Member, sealer.MaxMembers)
	case len(b.Answers) == 0:
		return fmt.Errorf("no answers")
	}
	for i, a := range b.Answers {
		switch {
		case a.Index < 0 || i > 0 && b.Answers[i-1].Index >= a.Index:
			return fmt.Errorf("answers must be in strictly ascending log index")
		case (a.Contribution == nil) == (a.Claim == ""):
			return fmt.Errorf("answer %d is a contribution or a claim, one of them", a.Index)
		case a.Contribution != nil && a.Contribution.Member != b.Member:
			return fmt.Errorf("answer %d is member %d's contribution in member %d's batch", a.Index, a.Contribution.Member, b.Member)
		case a.Claim != "" && a.Claim != audit.AnswerClaimedKey && a.Claim != audit.AnswerClaimedShare:
			return fmt.Errorf("answer %d's claim %q is not %s or %s", a.Index, a.Claim, audit.AnswerClaimedKey, audit.AnswerClaimedShare)
		}
	}
	return nil
}
