-- Audit logs (auditlog.Storage), several per database, keyed by log name.
-- log_sizes holds the number of entries; Append locks its row (FOR UPDATE),
-- checks and bumps it in the transaction that inserts entries and hashes.
CREATE TABLE log_sizes (
	log  text COLLATE "C" PRIMARY KEY,
	size bigint NOT NULL CHECK (size >= 0)
);
CREATE TABLE log_entries (
	log  text COLLATE "C" NOT NULL,
	idx  bigint NOT NULL CHECK (idx >= 0),
	data bytea NOT NULL,
	PRIMARY KEY (log, idx)
);
CREATE TABLE log_hashes (
	log  text COLLATE "C" NOT NULL,
	idx  bigint NOT NULL CHECK (idx >= 0),
	hash bytea NOT NULL CHECK (length(hash) = 32),
	PRIMARY KEY (log, idx)
);
CREATE TABLE log_checkpoints (
	log    text COLLATE "C" NOT NULL,
	size   bigint NOT NULL CHECK (size >= 0),
	signed bytea NOT NULL,
	PRIMARY KEY (log, size)
);
