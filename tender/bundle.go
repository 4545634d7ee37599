package tender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// Bundle returns the audit bundle of an opened tender
// (doc/spec/audit-bundle.md): its log entries with inclusion proofs, the
// closing and a final checkpoint with consistency proofs, every receipt's
// proof file, the witness reports, the opening report (a v2 tender's two,
// once both parts are opened) and, if withSealed, the sealed files. keys
// are the deployment's public keys, which the engine (holding only
// signers) cannot derive. Write it with
// Bundle.WriteDir; an auditor checks it with audit.Verify or segel verify.
func (e *Engine) Bundle(ctx context.Context, id string, keys *audit.Trusted, withSealed bool) (*audit.Bundle, error) {
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch t.State {
	case StateOpened, StateResult, StateAwarded:
	default:
		return nil, fmt.Errorf("%w: a tender's audit bundle exists after its opening; tender is %s", ErrState, t.State)
	}
	final, err := e.cfg.Log.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("tender: final checkpoint: %w", err)
	}
	fc, err := auditlog.VerifyCheckpoint(final, keys.Log)
	if err != nil {
		return nil, fmt.Errorf("tender: the log key given does not verify the log's checkpoint: %w", err)
	}
	b := &audit.Bundle{
		Tender:      id,
		Keys:        keys,
		Chain:       e.chain,
		Receipts:    map[int64][]byte{},
		Witness:     map[int64][]byte{},
		Checkpoints: []audit.SignedCheckpoint{{Size: fc.Size, Signed: final}},
	}
	reports := [][32]byte{t.OpeningReport}
	if t.V2() {
		reports = nil
		for _, p := range t.Parts {
			reports = append(reports, p.Report)
		}
	}
	for file := 1; file <= len(reports); file++ {
		c := t.closing(file)
		b.Checkpoints = append(b.Checkpoints, audit.SignedCheckpoint{Size: checkpointSize(c.Checkpoint, keys), Signed: c.Checkpoint})
	}
	if b.Entries, err = e.tenderEntries(ctx, t, fc.Size); err != nil {
		return nil, err
	}
	err = e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		return tx.Scan(tableReceipts, id+"/", func(key string, signed []byte) error {
			index, err := strconv.ParseInt(strings.TrimPrefix(key, id+"/"), 10, 64)
			if err != nil {
				return fmt.Errorf("tender: receipt key %q: %w", key, err)
			}
			b.Receipts[index] = signed
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if err := e.resignMissing(ctx, id, b); err != nil {
		return nil, err
	}
	for index, signed := range b.Receipts {
		if b.Receipts[index], err = e.cfg.Log.ProofFile(ctx, signed); err != nil {
			return nil, fmt.Errorf("tender: proof file of entry %d: %w", index, err)
		}
	}
	sealed := map[string][32]byte{}
	for file, digest := range reports {
		signed, err := e.readBlob(ctx, digest)
		if err != nil {
			return nil, fmt.Errorf("tender: opening report: %w", err)
		}
		report, err := audit.VerifyOpeningReport(signed, keys.Report)
		if err != nil {
			return nil, fmt.Errorf("tender: the report key given does not verify the opening report: %w", err)
		}
		if file == 0 {
			b.OpeningReport = signed
		} else {
			b.OpeningReport2 = signed
		}
		for _, o := range report.Offers {
			sealed[strconv.FormatInt(o.Index, 10)+".age"] = o.SHA256
			if o.Outcome != audit.OutcomeFailed {
				continue
			}
			if b.Witness[o.Index], err = e.readBlob(ctx, o.Digest); err != nil {
				return nil, fmt.Errorf("tender: witness report of %s: %w", o.Bidder, err)
			}
		}
	}
	if withSealed {
		b.Sealed = &blobFS{ctx: ctx, blobs: e.cfg.Blobs, names: sealed}
	}
	if err := b.Prove(ctx, e.cfg.Log); err != nil {
		return nil, err
	}
	return b, nil
}

// resignMissing signs the receipt of every offer-received entry whose
// receipt the engine did not keep: a crash between the log append and
// keeping the receipt. A receipt is determined by its entry (and Ed25519
// signatures are deterministic), so this is the receipt the bidder got,
// if it got one at all.
func (e *Engine) resignMissing(ctx context.Context, id string, b *audit.Bundle) error {
	for _, le := range b.Entries {
		if _, ok := b.Receipts[le.Index]; ok {
			continue
		}
		ent, err := auditlog.ParseEntry(le.Data)
		if err != nil || ent.Type != "offer-received" && ent.Type != "file-received" {
			continue
		}
		o, err := offerFromEntry(ent, le.Index)
		if err != nil {
			return err
		}
		r := auditlog.Receipt{Origin: e.cfg.Log.Origin(), Index: le.Index, Tender: id, Bidder: o.Bidder,
			File: o.File, SHA256: o.SHA256, Size: o.Size, Header: o.Header, Received: o.Received}
		signed, err := auditlog.SignReceipt(r, e.cfg.ReceiptSigner)
		if err != nil {
			return err
		}
		if err := e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
			return tx.Put(tableReceipts, receiptKey(id, le.Index), signed)
		}); err != nil {
			return err
		}
		b.Receipts[le.Index] = signed
		e.log.Warn("receipt re-signed for an offer logged before a crash", "tender", id, "index", le.Index)
	}
	return nil
}

func checkpointSize(signed []byte, keys *audit.Trusted) int64 {
	c, err := auditlog.VerifyCheckpoint(signed, keys.Log)
	if err != nil {
		return -1 // Prove and Verify will say what is wrong
	}
	return c.Size
}

// tenderEntries returns the entries naming tender t, from its
// announcement up to size.
func (e *Engine) tenderEntries(ctx context.Context, t *Tender, size int64) ([]audit.LogEntry, error) {
	const batch = 1024
	var out []audit.LogEntry
	for start := t.LogStart; start < size; start += batch {
		entries, err := e.cfg.Log.Entries(ctx, start, min(start+batch, size))
		if err != nil {
			return nil, err
		}
		for i, data := range entries {
			if !aboutTender(data, t.ID) {
				continue
			}
			ent, err := auditlog.ParseEntry(data)
			if err != nil {
				return nil, fmt.Errorf("tender: log entry %d: %w", start+int64(i), err)
			}
			if ent.Value("tender") == t.ID {
				out = append(out, audit.LogEntry{Index: start + int64(i), Data: data})
			}
		}
	}
	return out, nil
}

func (e *Engine) readBlob(ctx context.Context, digest [32]byte) ([]byte, error) {
	r, err := e.cfg.Blobs.Open(ctx, digest)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, audit.MaxOpeningReportSize+1))
}

// blobFS serves sealed files from Blobs as "<index>.age".
type blobFS struct {
	ctx   context.Context
	blobs vault.Blobs
	names map[string][32]byte
}

func (f *blobFS) Open(name string) (fs.File, error) {
	digest, ok := f.names[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	info, err := f.blobs.Stat(f.ctx, digest)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	} else if err != nil {
		return nil, err
	}
	r, err := f.blobs.Open(f.ctx, digest)
	if err != nil {
		return nil, err
	}
	return &blobFile{ReadCloser: r, name: name, size: info.Size}, nil
}

// ReadDir lists the sealed files, for fs.ReadDir(f, ".").
func (f *blobFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	var out []fs.DirEntry
	for n, digest := range f.names {
		info, err := f.blobs.Stat(f.ctx, digest)
		if errors.Is(err, vault.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, fs.FileInfoToDirEntry(&blobFile{name: n, size: info.Size}))
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

type blobFile struct {
	io.ReadCloser
	name string
	size int64
}

func (b *blobFile) Stat() (fs.FileInfo, error) { return b, nil }
func (b *blobFile) Name() string               { return b.name }
func (b *blobFile) Size() int64                { return b.size }
func (b *blobFile) Mode() fs.FileMode          { return 0o444 }
func (b *blobFile) ModTime() time.Time         { return time.Time{} }
func (b *blobFile) IsDir() bool                { return false }
func (b *blobFile) Sys() any                   { return nil }
