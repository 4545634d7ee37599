-- Records: one table for every caller-named table. COLLATE "C" makes keys
-- sort bytewise (the order Scan returns) whatever the database locale is.
CREATE TABLE records (
	tbl   text COLLATE "C" NOT NULL,
	key   text COLLATE "C" NOT NULL,
	value bytea NOT NULL,
	PRIMARY KEY (tbl, key)
);

-- Blobs: one row per blob, its bytes in chunk rows of at most 1 MiB so that
-- no single value approaches PostgreSQL's 1 GB field limit and reads stream.
-- A blob row and its chunks are inserted in one transaction; a blob is
-- visible only once complete.
CREATE SEQUENCE blob_ids;
CREATE TABLE blobs (
	digest     bytea PRIMARY KEY CHECK (length(digest) = 32),
	size       bigint NOT NULL CHECK (size >= 0),
	id         bigint NOT NULL UNIQUE,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE blob_chunks (
	blob_id bigint NOT NULL REFERENCES blobs (id) DEFERRABLE INITIALLY DEFERRED,
	seq     integer NOT NULL CHECK (seq >= 0),
	data    bytea NOT NULL,
	PRIMARY KEY (blob_id, seq)
);
