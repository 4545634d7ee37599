package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// blobPath is Dir/blobs/ab/cdef…: the first byte of the digest in hex names a
// directory (at most 256 of them), the rest names the file.
func (e *Embedded) blobPath(d [32]byte) string {
	h := digestHex(d)
	return filepath.Join(e.blobs, h[:2], h[2:])
}

// Put implements [Blobs]. The bytes are streamed into an unnamed file in
// Dir/blobs/tmp (or, where the system lacks those, a named temporary file
// there) while being hashed; the file's data is made durable, it is given
// its content address, and that name is made durable, in that order, so a
// blob that Put acknowledged survives a crash and a blob path never holds
// a partial file.
//
// Each "made durable" is an fsync of the file, then of its directory
// (EmbeddedConfig.SyncEachBlob), or by default a flush of the whole file
// system shared with the Puts in flight (see groupSync): under many
// concurrent uploads, two flushes serve them all.
func (e *Embedded) Put(ctx context.Context, r io.Reader, maxSize int64) (BlobInfo, error) {
	if e.readOnly != nil {
		return BlobInfo{}, e.readOnly
	}
	if err := checkMaxSize(maxSize); err != nil {
		return BlobInfo{}, err
	}
	tmpDir := filepath.Join(e.blobs, "tmp")
	var f *os.File
	var tmp string // the named temporary file, if not anonymous
	anonymous := e.anonymous
	if anonymous {
		var err error
		if f, anonymous, err = openAnonymous(tmpDir); err != nil {
			return BlobInfo{}, err
		}
	}
	if !anonymous {
		var err error
		if f, err = os.CreateTemp(tmpDir, "put-*"); err != nil {
			return BlobInfo{}, fmt.Errorf("vault: staging blob: %w", err)
		}
		tmp = f.Name()
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			if tmp != "" {
				os.Remove(tmp)
			}
		}
	}()
	hr := newHashingReader(r, maxSize)
	if err := copyInChunks(f, ctxReader{ctx, hr}); err != nil {
		return BlobInfo{}, fmt.Errorf("vault: writing blob: %w", err)
	}
	info := hr.info()
	final := e.blobPath(info.Digest)
	sub := filepath.Dir(final)
	syncData, syncName := f.Sync, func() error { return syncDir(sub) }
	if e.fsSync != nil {
		syncData, syncName = e.fsSync.Sync, e.fsSync.Sync
	}
	if err := syncData(); err != nil {
		return BlobInfo{}, fmt.Errorf("vault: syncing blob: %w", err)
	}
	if _, err := os.Stat(sub); errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return BlobInfo{}, fmt.Errorf("vault: storing blob: %w", err)
		}
		if err := syncDir(e.blobs); err != nil {
			return BlobInfo{}, err
		}
	}
	// Replacing an existing blob replaces identical bytes (or repairs a
	// damaged copy) atomically; either way the directory is synced before
	// acknowledging, so a concurrent Put of the same bytes cannot return
	// before the name is durable.
	if anonymous {
		err := linkAnonymous(f, final)
		if errors.Is(err, fs.ErrExist) {
			// Staged in tmp/, where a crash before the rename leaves it
			// for clearTemp, not next to the blob.
			// The time makes the name unique across restarts (a
			// container's lpsed is always PID 1), the counter within one.
			tmp = filepath.Join(tmpDir, fmt.Sprintf("put-replace-%d-%d", time.Now().UnixNano(), replaceSeq.Add(1)))
			if err = linkAnonymous(f, tmp); err == nil {
				err = os.Rename(tmp, final)
			}
		}
		if err != nil {
			return BlobInfo{}, fmt.Errorf("vault: storing blob: %w", err)
		}
		if err := f.Close(); err != nil {
			return BlobInfo{}, fmt.Errorf("vault: closing blob: %w", err)
		}
	} else {
		if err := f.Close(); err != nil {
			return BlobInfo{}, fmt.Errorf("vault: closing blob: %w", err)
		}
		if err := os.Rename(tmp, final); err != nil {
			return BlobInfo{}, fmt.Errorf("vault: storing blob: %w", err)
		}
	}
	ok = true
	if err := syncName(); err != nil {
		return BlobInfo{}, err
	}
	return info, nil
}

// probeAnonymous reports whether Put can use unnamed files in dir: the
// kernel and file system support O_TMPFILE and such a file can be linked.
func probeAnonymous(dir string) bool {
	f, ok, err := openAnonymous(dir)
	if err != nil || !ok {
		return false
	}
	defer f.Close()
	name := filepath.Join(dir, fmt.Sprintf("probe-%d", time.Now().UnixNano()))
	if linkAnonymous(f, name) != nil {
		return false
	}
	return os.Remove(name) == nil
}

// Open implements [Blobs].
func (e *Embedded) Open(ctx context.Context, digest [32]byte) (io.ReadCloser, error) {
	f, err := os.Open(e.blobPath(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("vault: blob %x: %w", digest[:], ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: opening blob: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("vault: opening blob: %w", err)
	}
	return newVerifyingReader(ctxReader{ctx, f}, f, BlobInfo{Digest: digest, Size: st.Size()}), nil
}

// Stat implements [Blobs].
func (e *Embedded) Stat(ctx context.Context, digest [32]byte) (BlobInfo, error) {
	st, err := os.Stat(e.blobPath(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return BlobInfo{}, fmt.Errorf("vault: blob %x: %w", digest[:], ErrNotFound)
	}
	if err != nil {
		return BlobInfo{}, fmt.Errorf("vault: stat blob: %w", err)
	}
	return BlobInfo{Digest: digest, Size: st.Size()}, nil
}

// Delete implements [Blobs]: the blob's file is unlinked and the removal
// made durable by a flush as in Put (step 5). A reader that has the file
// open goes on reading it whole. A Put of the same bytes in flight links
// or renames its own file to the name after Delete unlinked it, or before:
// either way the name holds the whole blob or nothing.
func (e *Embedded) Delete(ctx context.Context, digest [32]byte) error {
	if e.readOnly != nil {
		return e.readOnly
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := e.blobPath(digest)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("vault: deleting blob: %w", err)
	}
	// Flushed even if the name was already gone: a concurrent Delete may
	// have unlinked it and not yet flushed.
	flush := func() error { return syncDir(filepath.Dir(p)) }
	if e.fsSync != nil {
		flush = e.fsSync.Sync
	}
	if err := flush(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("vault: deleting blob: %w", err)
	}
	return nil
}

// syncDir fsyncs a directory so that the names created in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("vault: syncing %s: %w", dir, err)
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("vault: syncing %s: %w", dir, err)
	}
	if err := d.Close(); err != nil {
		return fmt.Errorf("vault: syncing %s: %w", dir, err)
	}
	return nil
}

// writeChunk is how many bytes Put gathers before each write to the file.
// An upload arrives in socket-sized reads (a few KiB to 64 KiB). On ext4
// one 256 KiB write costs about a third of eight 32 KiB ones, and
// BlobPutConcurrent's CPU fell 6% with it; in a deadline rush the kernel's
// copy into fresh page-cache pages outweighs the system calls either way.
const writeChunk = 256 << 10

// replaceSeq numbers the staging names of replaced blobs in this process.
var replaceSeq atomic.Uint64

var chunkBuffers = sync.Pool{New: func() any { return new([writeChunk]byte) }}

// copyInChunks copies r to f in writes of writeChunk bytes (the last may
// be shorter).
func copyInChunks(f *os.File, r io.Reader) error {
	buf := chunkBuffers.Get().(*[writeChunk]byte)
	defer chunkBuffers.Put(buf)
	for {
		n, err := fill(r, buf[:])
		if err != nil && err != io.EOF {
			return err
		}
		if _, werr := f.Write(buf[:n]); werr != nil {
			return werr
		}
		if err == io.EOF {
			return nil
		}
	}
}

// ctxReader stops a long copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
