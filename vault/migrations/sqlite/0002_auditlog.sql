-- Audit logs (auditlog.Storage), several per database, keyed by log name.
-- log_sizes holds the number of entries; Append checks and bumps it in the
-- same transaction that inserts the entries and hashes.
CREATE TABLE log_sizes (
	log  TEXT PRIMARY KEY,
	size INTEGER NOT NULL CHECK (size >= 0)
) WITHOUT ROWID;
-- Entry i of a log, 0-based.
CREATE TABLE log_entries (
	log  TEXT NOT NULL,
	idx  INTEGER NOT NULL CHECK (idx >= 0),
	data BLOB NOT NULL,
	PRIMARY KEY (log, idx)
) WITHOUT ROWID;
-- Tree hashes at their tlog storage index (tlog.StoredHashIndex).
CREATE TABLE log_hashes (
	log  TEXT NOT NULL,
	idx  INTEGER NOT NULL CHECK (idx >= 0),
	hash BLOB NOT NULL CHECK (length(hash) = 32),
	PRIMARY KEY (log, idx)
) WITHOUT ROWID;
-- Signed checkpoints, one per tree size at most.
CREATE TABLE log_checkpoints (
	log    TEXT NOT NULL,
	size   INTEGER NOT NULL CHECK (size >= 0),
	signed BLOB NOT NULL,
	PRIMARY KEY (log, size)
) WITHOUT ROWID;
