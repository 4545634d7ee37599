package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Config configures a Log.
type Config struct {
	// Storage holds the log. Required.
	Storage Storage
	// Origin is the log's identity, the first line of its checkpoints:
	// 1 to 255 bytes of printable ASCII without '+', such as
	// "lpse.example.go.id/log". Required.
	Origin string
	// Signer signs checkpoints. Its name must equal Origin. Required.
	Signer note.Signer
	// CheckpointEvery, if positive, makes the log sign and store a checkpoint
	// whenever it has grown by at least this many entries since the last one.
	CheckpointEvery int
	// MaxBatch bounds how many entries concurrent Append calls merge into one
	// Storage.Append. A single call with more entries is not split.
	// Zero means 4096.
	MaxBatch int
	// RecentBytes bounds the memory kept for the latest entries, which
	// Entries then serves without reading Storage (a tender's closing
	// replays the log since its announcement, and a hundred tenders
	// closing at once read the same recent entries a hundred times).
	// Zero means 16 MiB; negative keeps none.
	RecentBytes int
}

// A Log appends entries to a Storage and signs its checkpoints. It is safe
// for concurrent use. Several Logs (server instances) may append to one
// Storage: an append that finds the storage grown under it reloads and
// tries again, and Sync brings a Log's Size and Entries up to date with
// what the others appended.
type Log struct {
	storage  Storage
	origin   string
	signer   note.Signer
	every    int64
	maxBatch int

	mu       sync.Mutex
	queue    []*appendRequest
	leading  bool  // an Append call is committing a batch
	size     int64 // entries committed
	frontier map[int64]tlog.Hash
	lastCP   int64 // size of the last checkpoint stored
	stale    bool  // the storage changed under us; reload before appending
	recent   recentEntries
}

type appendRequest struct {
	entries [][]byte
	sync    bool // reload the size from storage first (Sync)
	first   int64
	err     error
	wake    chan bool // true: lead the next batch; false: done
}

// Open opens the log kept in cfg.Storage. It checks that the stored tree
// still has the root hash of the latest stored checkpoint.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.Storage == nil || cfg.Signer == nil {
		return nil, errors.New("auditlog: Config needs a Storage and a Signer")
	}
	if err := checkOrigin(cfg.Origin); err != nil {
		return nil, fmt.Errorf("auditlog: Config.Origin: %v", err)
	}
	if cfg.Signer.Name() != cfg.Origin {
		return nil, fmt.Errorf("auditlog: signer name %q is not the origin %q", cfg.Signer.Name(), cfg.Origin)
	}
	l := &Log{
		storage:  cfg.Storage,
		origin:   cfg.Origin,
		signer:   cfg.Signer,
		every:    int64(cfg.CheckpointEvery),
		maxBatch: cfg.MaxBatch,
	}
	if l.maxBatch <= 0 {
		l.maxBatch = 4096
	}
	switch {
	case cfg.RecentBytes == 0:
		l.recent.max = 16 << 20
	case cfg.RecentBytes > 0:
		l.recent.max = cfg.RecentBytes
	}
	if err := l.load(ctx); err != nil {
		return nil, err
	}
	signed, err := l.storage.Checkpoint(ctx, -1)
	if errors.Is(err, ErrNotFound) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auditlog: reading the latest checkpoint: %w", err)
	}
	c, err := parseSignedCheckpoint(signed)
	if err != nil {
		return nil, fmt.Errorf("auditlog: the latest stored checkpoint: %w", err)
	}
	if c.Origin != l.origin || c.Size > l.size {
		return nil, fmt.Errorf("auditlog: the latest stored checkpoint (%q, size %d) is not of this log (%q, size %d)", c.Origin, c.Size, l.origin, l.size)
	}
	h, err := tlog.TreeHash(c.Size, storageHashReader(ctx, l.storage))
	if err != nil {
		return nil, fmt.Errorf("auditlog: reading the tree: %w", err)
	}
	if h != c.Hash {
		return nil, fmt.Errorf("auditlog: stored tree of size %d does not match its checkpoint", c.Size)
	}
	l.lastCP = c.Size
	return l, nil
}

// parseSignedCheckpoint parses the text of a checkpoint without verifying its
// signatures: used only on the log's own storage.
func parseSignedCheckpoint(signed []byte) (Checkpoint, error) {
	text, err := canon.NoteText(signed, ErrMalformed)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	return parseCheckpoint(text)
}

// load reads the size and the frontier hashes from storage. It is called by
// Open and by the leader of a batch, so l.size and l.frontier have one writer.
func (l *Log) load(ctx context.Context) error {
	n, err := l.storage.Size(ctx)
	if err != nil {
		return fmt.Errorf("auditlog: reading the log size: %w", err)
	}
	indexes := frontierIndexes(n)
	hashes, err := l.storage.ReadHashes(ctx, indexes)
	if err == nil && len(hashes) != len(indexes) {
		err = errShortRead
	}
	if err != nil {
		return fmt.Errorf("auditlog: reading the tree: %w", err)
	}
	frontier := make(map[int64]tlog.Hash, len(indexes))
	for i, x := range indexes {
		frontier[x] = hashes[i]
	}
	l.mu.Lock()
	l.size, l.frontier, l.stale = n, frontier, false
	l.recent.reset(n)
	l.mu.Unlock()
	return nil
}

// frontierIndexes returns the storage indexes of the hashes of the maximal
// complete subtrees of a tree of size n, left to right. They are all that
// tlog needs to compute the tree hash of n and the hashes that appending
// to n adds.
func frontierIndexes(n int64) []int64 {
	var indexes []int64
	var start int64
	for level := 62; level >= 0; level-- {
		if n&(1<<level) != 0 {
			indexes = append(indexes, tlog.StoredHashIndex(level, start>>level))
			start += 1 << level
		}
	}
	return indexes
}

// Size returns the number of entries appended so far.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Append appends entries to the log, in order, and returns their indexes.
// Entries must be at most MaxEntrySize bytes (ErrEntryTooLarge otherwise).
//
// Concurrent calls are merged into one Storage.Append (group commit); each
// call's entries stay contiguous. Once Append has queued the entries it waits
// for the storage, even if ctx is cancelled, so that it never returns an
// error for entries that were in fact appended.
func (l *Log) Append(ctx context.Context, entries ...[]byte) ([]int64, error) {
	for i, e := range entries {
		if len(e) > MaxEntrySize {
			return nil, fmt.Errorf("%w: entry %d is %d bytes, more than %d", ErrEntryTooLarge, i, len(e), MaxEntrySize)
		}
	}
	if len(entries) == 0 {
		return nil, nil
	}
	req := &appendRequest{entries: entries, wake: make(chan bool, 1)}
	if err := l.run(ctx, req); err != nil {
		return nil, err
	}
	indexes := make([]int64, len(entries))
	for i := range indexes {
		indexes[i] = req.first + int64(i)
	}
	return indexes, nil
}

// Sync reads the log's size from its storage, so that Size and Entries
// include every entry stored before Sync was called, by this Log or by
// another one on the same Storage (server instances sharing a database).
// It returns the size. A Log that is its storage's only writer never
// needs it.
func (l *Log) Sync(ctx context.Context) (int64, error) {
	req := &appendRequest{sync: true, wake: make(chan bool, 1)}
	if err := l.run(ctx, req); err != nil {
		return 0, err
	}
	return l.Size(), nil
}

// sizeAtLeast returns the log's size, synced with the storage first if it
// is less than n: another Log on the same storage may have appended the
// entries a caller asks about (a receipt issued by another instance).
func (l *Log) sizeAtLeast(ctx context.Context, n int64) (int64, error) {
	if size := l.Size(); n <= size {
		return size, nil
	}
	return l.Sync(ctx)
}

// run queues req and waits until a batch has committed it, leading that
// batch if no other call is.
func (l *Log) run(ctx context.Context, req *appendRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	l.queue = append(l.queue, req)
	lead := !l.leading
	l.leading = true
	l.mu.Unlock()
	if !lead {
		lead = <-req.wake
	}
	if lead {
		l.lead(context.WithoutCancel(ctx))
	}
	return req.err
}

// lead commits one batch from the head of the queue, then hands the lead to
// the next waiting request, if any. The caller's request is at the head.
func (l *Log) lead(ctx context.Context) {
	l.mu.Lock()
	var batch []*appendRequest
	count := 0
	for len(l.queue) > 0 && (len(batch) == 0 || count+len(l.queue[0].entries) <= l.maxBatch) {
		count += len(l.queue[0].entries)
		batch = append(batch, l.queue[0])
		l.queue[0] = nil
		l.queue = l.queue[1:]
	}
	l.mu.Unlock()

	first, err := l.commit(ctx, batch, count)
	for _, r := range batch {
		r.first, r.err = first, err
		first += int64(len(r.entries))
	}

	// Hand over before signing any checkpoint, so that signing delays
	// neither the next batch nor the other callers of this one.
	l.mu.Lock()
	if len(l.queue) > 0 {
		l.queue[0].wake <- true
	} else {
		l.leading = false
	}
	l.mu.Unlock()
	for _, r := range batch[1:] {
		r.wake <- false
	}
	if err == nil && count > 0 { // not after a Sync: Checkpoint syncs itself
		l.maybeCheckpoint(ctx)
	}
}

// maxConflicts bounds how often one batch finds the storage grown under it
// (another Log appended first) and tries again at the new end.
const maxConflicts = 32

// commit appends the entries of batch to storage and returns the index of the
// first one.
func (l *Log) commit(ctx context.Context, batch []*appendRequest, count int) (int64, error) {
	stale := l.stale
	for _, r := range batch {
		stale = stale || r.sync
	}
	entries := make([][]byte, 0, count)
	for _, r := range batch {
		entries = append(entries, r.entries...)
	}
	for attempt := 1; ; attempt++ {
		if stale {
			if err := l.load(ctx); err != nil {
				return 0, err
			}
		}
		if len(entries) == 0 {
			return l.Size(), nil
		}
		n, err := l.commitAt(ctx, entries)
		if errors.Is(err, ErrConflict) && attempt < maxConflicts {
			stale = true
			continue
		}
		return n, err
	}
}

// commitAt appends entries at the log's size as this Log knows it.
func (l *Log) commitAt(ctx context.Context, entries [][]byte) (int64, error) {
	n := l.size
	hashes, frontier, err := appendHashes(n, entries, l.frontier)
	if err != nil {
		return 0, err
	}
	if err := l.storage.Append(ctx, n, entries, hashes); err != nil {
		if errors.Is(err, ErrConflict) {
			l.mu.Lock()
			l.stale = true
			l.mu.Unlock()
		}
		return 0, fmt.Errorf("auditlog: appending %d entries at %d: %w", len(entries), n, err)
	}
	l.mu.Lock()
	l.size += int64(len(entries))
	l.frontier = frontier
	l.recent.add(n, entries)
	l.mu.Unlock()
	return n, nil
}

// appendHashes returns the stored hashes that appending entries to a tree of
// size n adds, and the frontier of the new tree.
func appendHashes(n int64, entries [][]byte, frontier map[int64]tlog.Hash) ([]tlog.Hash, map[int64]tlog.Hash, error) {
	base := tlog.StoredHashIndex(0, n)
	hashes := make([]tlog.Hash, 0, 2*len(entries)+bits.Len64(uint64(len(entries))))
	r := frontierReader(frontier, base, &hashes)
	for i, e := range entries {
		hs, err := tlog.StoredHashes(n+int64(i), e, r)
		if err != nil {
			return nil, nil, err
		}
		hashes = append(hashes, hs...)
	}
	end := n + int64(len(entries))
	indexes := frontierIndexes(end)
	fh, err := r.ReadHashes(indexes)
	if err != nil {
		return nil, nil, err
	}
	next := make(map[int64]tlog.Hash, len(indexes))
	for i, x := range indexes {
		next[x] = fh[i]
	}
	return hashes, next, nil
}

// frontierReader reads hashes from frontier and, from storage index base on,
// from *added: all the hashes appending to and hashing the tree need.
func frontierReader(frontier map[int64]tlog.Hash, base int64, added *[]tlog.Hash) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if added != nil && x >= base && x-base < int64(len(*added)) {
				out[i] = (*added)[x-base]
				continue
			}
			h, ok := frontier[x]
			if !ok {
				return nil, fmt.Errorf("auditlog: internal error: hash %d is not in the frontier", x)
			}
			out[i] = h
		}
		return out, nil
	})
}

// maybeCheckpoint signs a checkpoint if CheckpointEvery entries have been
// appended since the last one. A failure is not reported here (the entries
// are already appended); the next batch tries again, and Checkpoint reports it.
func (l *Log) maybeCheckpoint(ctx context.Context) {
	l.mu.Lock()
	due := l.every > 0 && l.size-l.lastCP >= l.every
	l.mu.Unlock()
	if due {
		l.Checkpoint(ctx)
	}
}

// Checkpoint signs a checkpoint of the current tree, stores it and returns
// it. The tree is the storage's: what other Logs on it appended is included
// (see Sync).
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	if _, err := l.Sync(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	size, frontier := l.size, l.frontier
	l.mu.Unlock()
	h, err := tlog.TreeHash(size, frontierReader(frontier, 0, nil))
	if err != nil {
		return nil, fmt.Errorf("auditlog: tree hash: %v", err)
	}
	text, err := Checkpoint{Origin: l.origin, Size: size, Hash: h}.marshal()
	if err != nil {
		return nil, err
	}
	signed, err := signNote(text, l.signer)
	if err != nil {
		return nil, fmt.Errorf("auditlog: signing checkpoint: %v", err)
	}
	if err := l.storage.PutCheckpoint(ctx, size, signed); err != nil {
		return nil, fmt.Errorf("auditlog: storing checkpoint %d: %w", size, err)
	}
	l.mu.Lock()
	l.lastCP = max(l.lastCP, size)
	l.mu.Unlock()
	return signed, nil
}

// ProveInclusion returns the proof that entry index is in the tree of size
// treeSize, which must not exceed Size.
func (l *Log) ProveInclusion(ctx context.Context, index, treeSize int64) (tlog.RecordProof, error) {
	size, err := l.sizeAtLeast(ctx, treeSize)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= treeSize || treeSize > size {
		return nil, fmt.Errorf("auditlog: no entry %d in a tree of size %d (log size %d)", index, treeSize, size)
	}
	p, err := tlog.ProveRecord(treeSize, index, storageHashReader(ctx, l.storage))
	if err != nil {
		return nil, fmt.Errorf("auditlog: proving inclusion: %w", err)
	}
	return p, nil
}

// ProveConsistency returns the proof that the tree of size newer extends the
// tree of size older; newer must not exceed Size.
func (l *Log) ProveConsistency(ctx context.Context, older, newer int64) (tlog.TreeProof, error) {
	size, err := l.sizeAtLeast(ctx, newer)
	if err != nil {
		return nil, err
	}
	if older < 0 || older > newer || newer > size {
		return nil, fmt.Errorf("auditlog: no consistency proof from size %d to %d (log size %d)", older, newer, size)
	}
	if older == 0 {
		return tlog.TreeProof{}, nil
	}
	p, err := tlog.ProveTree(newer, older, storageHashReader(ctx, l.storage))
	if err != nil {
		return nil, fmt.Errorf("auditlog: proving consistency: %w", err)
	}
	return p, nil
}

// ProofFile returns the offer proof file (doc/spec/receipt.md §2) for a
// receipt this log's operator signed, against the latest stored checkpoint,
// signing a new checkpoint if that one does not cover the receipt's entry.
// It does not verify the receipt's signature: VerifyProofFile does.
func (l *Log) ProofFile(ctx context.Context, receipt []byte) ([]byte, error) {
	text, err := canon.NoteText(receipt, ErrMalformed)
	if err != nil {
		return nil, fmt.Errorf("auditlog: receipt: %w", err)
	}
	r, err := parseReceipt(text)
	if err != nil {
		return nil, err
	}
	size, err := l.sizeAtLeast(ctx, r.Index+1)
	if err != nil {
		return nil, err
	}
	if r.Origin != l.origin || r.Index >= size {
		return nil, fmt.Errorf("auditlog: receipt for entry %d of %q, not in this log", r.Index, r.Origin)
	}
	entries, err := l.storage.ReadEntries(ctx, r.Index, r.Index+1)
	if err != nil {
		return nil, fmt.Errorf("auditlog: reading entry %d: %w", r.Index, err)
	}
	want, err := r.Entry().Marshal()
	if err != nil || len(entries) != 1 || !bytes.Equal(entries[0], want) {
		return nil, fmt.Errorf("%w: entry %d is not the offer-received entry of the receipt", ErrInvalidProof, r.Index)
	}
	signed, err := l.storage.Checkpoint(ctx, -1)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("auditlog: reading the latest checkpoint: %w", err)
	}
	var c Checkpoint
	if err == nil {
		if c, err = parseSignedCheckpoint(signed); err != nil {
			return nil, err
		}
	}
	if c.Size <= r.Index {
		if signed, err = l.Checkpoint(ctx); err != nil {
			return nil, err
		}
		if c, err = parseSignedCheckpoint(signed); err != nil {
			return nil, err
		}
	}
	proof, err := l.ProveInclusion(ctx, r.Index, c.Size)
	if err != nil {
		return nil, err
	}
	p := &proofFile{receipt: receipt, entry: entries[0], index: r.Index, proof: proof, checkpoint: signed}
	return p.marshal(), nil
}
