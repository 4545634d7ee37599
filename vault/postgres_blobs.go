package vault

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgChunkSize is the size of every blob_chunks row but the last. 1 MiB keeps
// rows far below PostgreSQL's field limit and TOAST-friendly, and lets a read
// hold one chunk in memory at a time.
const pgChunkSize = 1 << 20

// Put implements [Blobs]. Chunks are inserted while the stream is hashed,
// then the blob row, all in one transaction: the blob becomes visible, and
// durable, at COMMIT (PostgreSQL fsyncs the WAL before acknowledging it,
// with the default synchronous_commit=on). If the bytes are already stored
// the transaction is rolled back and the existing blob stands.
//
// The first chunk is read before the transaction begins, so a blob of one
// chunk (under 1 MiB; most offers) holds no connection while its bytes
// arrive — slow uploads do not starve the pool — and is then stored by
// one statement (putWhole).
func (p *Postgres) Put(ctx context.Context, r io.Reader, maxSize int64) (BlobInfo, error) {
	if p.readOnly != nil {
		return BlobInfo{}, p.readOnly
	}
	if err := checkMaxSize(maxSize); err != nil {
		return BlobInfo{}, err
	}
	hr := newHashingReader(r, maxSize)
	buf := make([]byte, min(pgChunkSize, maxSize+1))
	n, first := fill(ctxReader{ctx, hr}, buf)
	if first != nil && first != io.EOF {
		return BlobInfo{}, fmt.Errorf("vault: writing blob: %w", first)
	}
	if first == io.EOF {
		return p.putWhole(ctx, hr.info(), buf[:n])
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return BlobInfo{}, fmt.Errorf("vault: begin blob: %w", err)
	}
	defer tx.Rollback(ctx)
	var id int64
	if err := tx.QueryRow(ctx, `SELECT nextval('blob_ids')`).Scan(&id); err != nil {
		return BlobInfo{}, fmt.Errorf("vault: blob id: %w", err)
	}
	for seq := 0; ; seq++ {
		err := first
		if seq > 0 {
			n, err = fill(ctxReader{ctx, hr}, buf)
		}
		if err != nil && err != io.EOF {
			return BlobInfo{}, fmt.Errorf("vault: writing blob: %w", err)
		}
		if n > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO blob_chunks (blob_id, seq, data) VALUES ($1, $2, $3)`, id, seq, buf[:n]); err != nil {
				return BlobInfo{}, fmt.Errorf("vault: writing blob: %w", err)
			}
		}
		if err == io.EOF {
			break
		}
	}
	info := hr.info()
	tag, err := tx.Exec(ctx, `INSERT INTO blobs (digest, size, id) VALUES ($1, $2, $3)
		ON CONFLICT (digest) DO NOTHING`, info.Digest[:], info.Size, id)
	if err != nil {
		return BlobInfo{}, fmt.Errorf("vault: storing blob: %w", err)
	}
	if tag.RowsAffected() == 0 {
		// Already stored, and committed: ON CONFLICT waited for any
		// concurrent inserter of the same digest to finish.
		return info, nil
	}
	if err := tx.Commit(ctx); err != nil {
		return BlobInfo{}, fmt.Errorf("vault: committing blob: %w", err)
	}
	return info, nil
}

// putWhole stores a blob that fits in one chunk — most offers — with one
// statement, so one round trip and one implicit transaction instead of
// five (begin, id, chunk, blob, commit): the blob row and its chunk are
// inserted together, or, if the digest is already stored, neither.
func (p *Postgres) putWhole(ctx context.Context, info BlobInfo, data []byte) (BlobInfo, error) {
	_, err := p.pool.Exec(ctx, `WITH blob AS (
			INSERT INTO blobs (digest, size, id) VALUES ($1, $2, nextval('blob_ids'))
			ON CONFLICT (digest) DO NOTHING RETURNING id)
		INSERT INTO blob_chunks (blob_id, seq, data) SELECT id, 0, $3 FROM blob WHERE $2 > 0`,
		info.Digest[:], info.Size, data)
	if err != nil {
		return BlobInfo{}, fmt.Errorf("vault: storing blob: %w", err)
	}
	return info, nil
}

// Open implements [Blobs]. The reader fetches one chunk per query from the
// pool, so it holds no connection between Reads; ctx governs those queries.
func (p *Postgres) Open(ctx context.Context, digest [32]byte) (io.ReadCloser, error) {
	var id, size int64
	err := p.read.QueryRow(ctx, `SELECT id, size FROM blobs WHERE digest = $1`, digest[:]).Scan(&id, &size)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("vault: blob %x: %w", digest[:], ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: opening blob: %w", err)
	}
	cr := &chunkReader{ctx: ctx, pool: p.read, id: id, digest: digest, size: size}
	return newVerifyingReader(cr, nil, BlobInfo{Digest: digest, Size: size}), nil
}

// Stat implements [Blobs].
func (p *Postgres) Stat(ctx context.Context, digest [32]byte) (BlobInfo, error) {
	var size int64
	err := p.read.QueryRow(ctx, `SELECT size FROM blobs WHERE digest = $1`, digest[:]).Scan(&size)
	if errors.Is(err, pgx.ErrNoRows) {
		return BlobInfo{}, fmt.Errorf("vault: blob %x: %w", digest[:], ErrNotFound)
	}
	if err != nil {
		return BlobInfo{}, fmt.Errorf("vault: stat blob: %w", err)
	}
	return BlobInfo{Digest: digest, Size: size}, nil
}

// Delete implements [Blobs]: the blobs row and its chunks go in one
// statement, durable at its implicit COMMIT. A Put of the same bytes in
// flight inserts its blobs row with ON CONFLICT DO NOTHING, which waits for
// the deleting transaction and, once it has committed, finds no conflict:
// the Put stores its own chunks under a new id. A Put that found the row
// before the Delete took it returned first; the Delete came last.
func (p *Postgres) Delete(ctx context.Context, digest [32]byte) error {
	if p.readOnly != nil {
		return p.readOnly
	}
	_, err := p.pool.Exec(ctx, `WITH blob AS (DELETE FROM blobs WHERE digest = $1 RETURNING id)
		DELETE FROM blob_chunks WHERE blob_id IN (SELECT id FROM blob)`, digest[:])
	if err != nil {
		return fmt.Errorf("vault: deleting blob: %w", err)
	}
	return nil
}

// chunkReader reads the chunks of one blob in sequence; a missing chunk ends
// the stream (and the verifying reader above reports the short blob),
// unless the blob was deleted meanwhile: that is ErrNotFound.
type chunkReader struct {
	ctx    context.Context
	pool   *pgxpool.Pool
	id     int64
	digest [32]byte
	size   int64 // recorded size
	read   int64 // bytes handed out
	seq    int
	buf    []byte
	eof    bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.eof {
			return 0, io.EOF
		}
		var data []byte
		err := c.pool.QueryRow(c.ctx, `SELECT data FROM blob_chunks WHERE blob_id = $1 AND seq = $2`, c.id, c.seq).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			if c.read < c.size && c.deleted() {
				return 0, fmt.Errorf("vault: blob %x was deleted while being read: %w", c.digest[:], ErrNotFound)
			}
			c.eof = true
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("vault: reading blob chunk %d: %w", c.seq, err)
		}
		c.seq++
		c.buf = data
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	c.read += int64(n)
	return n, nil
}

// deleted reports whether the blob's row is gone (on a failed query, no:
// the short read is then reported as it is).
func (c *chunkReader) deleted() bool {
	var one int
	err := c.pool.QueryRow(c.ctx, `SELECT 1 FROM blobs WHERE id = $1`, c.id).Scan(&one)
	return errors.Is(err, pgx.ErrNoRows)
}
