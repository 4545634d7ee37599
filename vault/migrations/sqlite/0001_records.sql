-- Records: one table for every caller-named table. WITHOUT ROWID keeps the
-- rows in primary-key order, which is the order Scan returns. TEXT compares
-- with the BINARY collation (memcmp), so keys sort bytewise.
CREATE TABLE records (
	tbl   TEXT NOT NULL,
	key   TEXT NOT NULL,
	value BLOB NOT NULL,
	PRIMARY KEY (tbl, key)
) WITHOUT ROWID;
