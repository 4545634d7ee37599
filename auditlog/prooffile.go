package auditlog

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Labels of the offer proof file (doc/spec/receipt.md §2). The tail of a proof
// file, from tlogProofHeader on, is a C2SP tlog-proof v1
// (https://c2sp.org/tlog-proof) without the optional extra line.
const (
	proofFileHeader = "segel-proof/v1\n"
	tlogProofHeader = "c2sp.org/tlog-proof@v1\n"
)

// MaxProofFileSize is the largest proof file accepted, in bytes.
const MaxProofFileSize = 128 << 10

// Keys are the pinned keys an auditor verifies a proof file against.
type Keys struct {
	Log     note.Verifier // the log's key, named after its origin
	Receipt note.Verifier // the LPSE's receipt key
}

// proofFile is the parsed form of an offer proof file.
type proofFile struct {
	receipt    []byte // signed receipt
	entry      []byte // offer-received (version 2 receipt: file-received) entry
	index      int64
	proof      tlog.RecordProof
	checkpoint []byte // signed checkpoint
}

// VerifyProofFile verifies an offer proof file against the pinned keys and
// returns the receipt and the checkpoint it proves inclusion in, following
// doc/spec/receipt.md §2. Errors wrap ErrMalformed, ErrSignature or
// ErrInvalidProof.
func VerifyProofFile(b []byte, keys Keys) (Receipt, Checkpoint, error) {
	p, err := parseProofFile(b)
	if err != nil {
		return Receipt{}, Checkpoint{}, err
	}
	c, err := VerifyCheckpoint(p.checkpoint, keys.Log)
	if err != nil {
		return Receipt{}, Checkpoint{}, fmt.Errorf("proof file: %w", err)
	}
	r, err := VerifyReceipt(p.receipt, keys.Receipt)
	if err != nil {
		return Receipt{}, Checkpoint{}, fmt.Errorf("proof file: %w", err)
	}
	if r.Origin != c.Origin || r.Index != p.index {
		return Receipt{}, Checkpoint{}, fmt.Errorf("%w: receipt for entry %d of %q, proof for entry %d of %q",
			ErrInvalidProof, r.Index, r.Origin, p.index, c.Origin)
	}
	want, err := r.Entry().Marshal()
	if err != nil || !bytes.Equal(p.entry, want) {
		return Receipt{}, Checkpoint{}, fmt.Errorf("%w: the entry is not the %s entry of the receipt", ErrInvalidProof, r.Entry().Type)
	}
	if err := CheckInclusion(p.entry, p.index, c, p.proof); err != nil {
		return Receipt{}, Checkpoint{}, fmt.Errorf("proof file: %w", err)
	}
	return r, c, nil
}

func (p *proofFile) marshal() []byte {
	var b bytes.Buffer
	b.WriteString(proofFileHeader)
	fmt.Fprintf(&b, "receipt %d\n", len(p.receipt))
	b.Write(p.receipt)
	fmt.Fprintf(&b, "entry %d\n", len(p.entry))
	b.Write(p.entry)
	b.WriteString(tlogProofHeader)
	fmt.Fprintf(&b, "index %d\n", p.index)
	for _, h := range p.proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(p.checkpoint)
	return b.Bytes()
}

// parseProofFile parses a proof file strictly. It checks the syntax of the
// file, not the receipt, entry or checkpoint it carries.
func parseProofFile(b []byte) (*proofFile, error) {
	fail := func(format string, args ...any) (*proofFile, error) {
		return nil, fmt.Errorf("%w: proof file: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(b) > MaxProofFileSize {
		return fail("%d bytes, more than %d", len(b), MaxProofFileSize)
	}
	rest, ok := bytes.CutPrefix(b, []byte(proofFileHeader))
	if !ok {
		return fail("does not start with %q", proofFileHeader)
	}
	var p proofFile
	var err error
	if p.receipt, rest, err = cutBlock(rest, "receipt", MaxReceiptSize); err != nil {
		return fail("%v", err)
	}
	if p.entry, rest, err = cutBlock(rest, "entry", MaxEntrySize); err != nil {
		return fail("%v", err)
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(tlogProofHeader)); !ok {
		return fail("no %q line after the entry", strings.TrimSpace(tlogProofHeader))
	}
	line, rest, _ := bytes.Cut(rest, []byte("\n"))
	index, ok := strings.CutPrefix(string(line), "index ")
	if !ok {
		return fail("no index line (extra lines are not allowed)")
	}
	if p.index, err = canon.ParseUint(index); err != nil {
		return fail("index: %v", err)
	}
	p.proof = tlog.RecordProof{}
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return fail("no checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(p.proof) == maxProofHashes {
			return fail("more than %d proof hashes", maxProofHashes)
		}
		h, err := parseHash(string(line))
		if err != nil {
			return fail("proof: %v", err)
		}
		p.proof = append(p.proof, h)
	}
	if len(rest) > MaxCheckpointSize {
		return fail("checkpoint is %d bytes, more than %d", len(rest), MaxCheckpointSize)
	}
	p.checkpoint = rest
	return &p, nil
}

// cutBlock cuts "<label> <length>\n" and then length bytes, ending in a
// newline, from the start of b.
func cutBlock(b []byte, label string, max int) (block, rest []byte, err error) {
	line, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return nil, nil, fmt.Errorf("no %s line", label)
	}
	length, ok := strings.CutPrefix(string(line), label+" ")
	if !ok {
		return nil, nil, fmt.Errorf("no %s line", label)
	}
	n, err := canon.ParseUint(length)
	if err != nil || n == 0 || n > int64(max) {
		return nil, nil, fmt.Errorf("%s length must be canonical decimal in 1..%d", label, max)
	}
	if int64(len(rest)) < n || rest[n-1] != '\n' {
		return nil, nil, fmt.Errorf("%s is truncated or does not end with a newline", label)
	}
	return rest[:n], rest[n:], nil
}
