package audit

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/timelock"
)

// bundleHeader is the first line of bundle.txt (doc/spec/audit-bundle.md §1).
const bundleHeader = "segel-audit-bundle/v1\n"

// A Bundle is the audit bundle of one tender, in memory
// (doc/spec/audit-bundle.md). The engine fills it, calls Prove and WriteDir;
// an auditor gets one from ReadDir and passes it to Verify.
type Bundle struct {
	Tender string         // the tender id
	Keys   *Trusted       // the keys the bundle claims (keys.txt)
	Chain  timelock.Chain // the beacon chain (chain.json)

	// Checkpoints are signed checkpoints in increasing tree size. The last
	// one is the final checkpoint every entry is proved included in.
	Checkpoints []SignedCheckpoint
	// Entries are the tender's log entries in increasing index order.
	Entries []LogEntry
	// Receipts are the offer proof files (doc/spec/receipt.md §2) of every
	// offer-received entry of the tender, by that entry's log index.
	Receipts map[int64][]byte
	// Witness are the signed witness reports of the failed offers, by the
	// offer's index in the opening report.
	Witness map[int64][]byte
	// OpeningReport is the signed opening report (of a v2 tender, File
	// I's); OpeningReport2 is a v2 tender's File II (stage 2) report.
	OpeningReport  []byte
	OpeningReport2 []byte
	// Sealed optionally holds sealed files named "<index>.age", by the log
	// index of their offer-received entry. Verify streams them.
	Sealed fs.FS

	// derived holds README.txt, beacon.txt and offers.txt as ReadDir read
	// them, for Verify to compare with what the bundle implies.
	derived map[string][]byte
}

// A SignedCheckpoint is one signed checkpoint of the log in a bundle.
type SignedCheckpoint struct {
	Size   int64  // tree size, as the file name states
	Signed []byte // the signed note
	// Consistency proves that this checkpoint's tree extends the previous
	// checkpoint's; empty for the first.
	Consistency tlog.TreeProof
}

// A LogEntry is one entry of the audit log in a bundle.
type LogEntry struct {
	Index int64  // log index
	Data  []byte // the entry, verbatim
	// Inclusion proves that Data is at Index in the bundle's final checkpoint.
	Inclusion tlog.RecordProof
}

// Prove completes b from the log l that holds its entries: it adds every
// checkpoint that a receipt's proof file refers to, sorts checkpoints and
// entries, and computes the consistency proof between successive checkpoints
// and the inclusion proof of every entry in the final checkpoint. Callers
// must have put in Checkpoints a checkpoint taken after submission closed and
// before the beacon signature was used, and a final one that covers every
// entry (l.Checkpoint after the opening report).
func (b *Bundle) Prove(ctx context.Context, l *auditlog.Log) error {
	bySize := make(map[int64][]byte)
	add := func(signed []byte) error {
		n, err := checkpointSize(signed)
		if err != nil {
			return err
		}
		if old, ok := bySize[n]; ok && !bytes.Equal(old, signed) {
			return fmt.Errorf("audit: prove: two different checkpoints of size %d", n)
		}
		bySize[n] = signed
		return nil
	}
	for _, c := range b.Checkpoints {
		if err := add(c.Signed); err != nil {
			return err
		}
	}
	for _, i := range slices.Sorted(maps.Keys(b.Receipts)) {
		c, err := proofFileCheckpoint(b.Receipts[i])
		if err != nil {
			return fmt.Errorf("audit: prove: receipt %d: %w", i, err)
		}
		if err := add(c); err != nil {
			return err
		}
	}
	if len(bySize) == 0 {
		return fmt.Errorf("audit: prove: no checkpoint")
	}
	b.Checkpoints = b.Checkpoints[:0]
	for i, n := range slices.Sorted(maps.Keys(bySize)) {
		c := SignedCheckpoint{Size: n, Signed: bySize[n]}
		if i > 0 {
			p, err := l.ProveConsistency(ctx, b.Checkpoints[i-1].Size, n)
			if err != nil {
				return fmt.Errorf("audit: prove: consistency %d-%d: %w", b.Checkpoints[i-1].Size, n, err)
			}
			c.Consistency = p
		}
		b.Checkpoints = append(b.Checkpoints, c)
	}
	final := b.Checkpoints[len(b.Checkpoints)-1].Size
	slices.SortFunc(b.Entries, func(x, y LogEntry) int { return cmp.Compare(x.Index, y.Index) })
	for i := range b.Entries {
		e := &b.Entries[i]
		if e.Index >= final {
			return fmt.Errorf("audit: prove: entry %d is not covered by the final checkpoint (size %d)", e.Index, final)
		}
		p, err := l.ProveInclusion(ctx, e.Index, final)
		if err != nil {
			return fmt.Errorf("audit: prove: inclusion of entry %d: %w", e.Index, err)
		}
		e.Inclusion = p
	}
	return nil
}

// checkpointSize returns the tree size a signed checkpoint states, without
// verifying it.
func checkpointSize(signed []byte) (int64, error) {
	text, err := canon.NoteText(signed, ErrMalformed)
	if err != nil {
		return 0, err
	}
	lines := strings.SplitN(string(text), "\n", 3)
	if len(lines) < 3 {
		return 0, fmt.Errorf("%w: checkpoint has no size line", ErrMalformed)
	}
	n, err := canon.ParseUint(lines[1])
	if err != nil {
		return 0, fmt.Errorf("%w: checkpoint size: %v", ErrMalformed, err)
	}
	return n, nil
}

// proofFileCheckpoint returns the signed checkpoint at the end of an offer
// proof file, without verifying anything.
func proofFileCheckpoint(pf []byte) ([]byte, error) {
	const tlogProof = "\nc2sp.org/tlog-proof@v1\n"
	i := bytes.Index(pf, []byte(tlogProof))
	if i < 0 {
		return nil, fmt.Errorf("%w: proof file has no tlog-proof", ErrMalformed)
	}
	rest := pf[i+len(tlogProof):]
	j := bytes.Index(rest, []byte("\n\n"))
	if j < 0 {
		return nil, fmt.Errorf("%w: proof file has no checkpoint", ErrMalformed)
	}
	return rest[j+2:], nil
}

// marshalProof encodes proof hashes one canonical base64 line each.
func marshalProof(hashes []tlog.Hash) []byte {
	var b []byte
	for _, h := range hashes {
		b = base64.StdEncoding.AppendEncode(b, h[:])
		b = append(b, '\n')
	}
	return b
}

// maxProofHashes bounds inclusion and consistency proofs (auditlog.md §2).
const maxProofHashes = 63

// parseProof decodes a proof file of marshalProof's form, strictly.
func parseProof(b []byte) ([]tlog.Hash, error) {
	var hashes []tlog.Hash
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return nil, fmt.Errorf("proof does not end with a newline")
		}
		b = rest
		if len(hashes) == maxProofHashes {
			return nil, fmt.Errorf("more than %d proof hashes", maxProofHashes)
		}
		var h tlog.Hash
		n, err := base64.StdEncoding.Strict().Decode(h[:], line)
		if len(line) != 44 || err != nil || n != len(h) || !canon.IsCanonicalBase64(string(line)) {
			return nil, fmt.Errorf("proof line %q is not the canonical base64 of a 32-byte hash", line)
		}
		hashes = append(hashes, h)
	}
	return hashes, nil
}

// bundleFile returns the text of bundle.txt.
func bundleFile(tender string) []byte {
	return fmt.Appendf(nil, "%stender: %s\n", bundleHeader, tender)
}

// parseBundleFile parses bundle.txt and returns the tender id.
func parseBundleFile(b []byte) (string, error) {
	rest, ok := strings.CutPrefix(string(b), bundleHeader)
	if !ok {
		return "", fmt.Errorf("first line is not %q: not a version 1 audit bundle", strings.TrimSpace(bundleHeader))
	}
	l := canon.Lines{Text: rest}
	tender, err := l.Next("tender")
	if err != nil {
		return "", err
	}
	if err := l.End(); err != nil {
		return "", err
	}
	if err := canon.KindID.Check(tender); err != nil {
		return "", fmt.Errorf("tender: %v", err)
	}
	return tender, nil
}
