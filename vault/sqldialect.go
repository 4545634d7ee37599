package vault

import (
	"encoding/hex"
	"encoding/json"
	"regexp"
)

// dialect is every SQL statement the two backends run on records, audit
// logs and the migrations table. The statements both databases accept are
// written once, below, with PostgreSQL's $n placeholders, and rewritten as
// SQLite's ?n for the embedded backend; the few that must differ are given
// for each. The code that runs them is shared (sqlrecords.go, sqllog.go,
// migrations.go); only blobs are stored differently (files or chunk rows).
type dialect struct {
	// name is the backend's directory of migrations.
	name string

	getRecord, putRecord, insertRecord, deleteRecord string
	// scanFirst and scanNext read one page of Scan: $1 table, $2 the
	// prefix (first page) or the last key seen, $3 the prefix, $4 the
	// page size, $5 a key above every key with the prefix (scanEnd), so
	// that the page is read from the primary key's range alone.
	scanFirst, scanNext string

	logSize, ensureLogSize, setLogSize string
	// logSizeForAppend reads a log's size for Append, locking the row
	// against concurrent appenders where the database has row locks.
	logSizeForAppend string
	// insertEntries and insertHashes store the list $3 (as bytesList
	// encodes it) at indexes $2, $2+1, … of log $1, in one statement.
	insertEntries, insertHashes string
	// readHashes reads the hashes of log $1 at the list of indexes $2
	// (as int64List encodes it).
	readHashes, readEntries                        string
	insertCheckpoint, checkpointAt, lastCheckpoint string

	createMigrations, migrationApplied, recordMigration string
	// lockMigrations serialises migrations between processes; empty
	// where the write transaction is the lock.
	lockMigrations string

	// Statements of snapshots and restores.
	schemaVersion, countRecords, listLogs, logCounts string

	// bytesList and int64List encode a list as one statement argument.
	bytesList func([][]byte) any
	int64List func([]int64) any
}

// The statements both dialects share, in PostgreSQL's notation.
const (
	sqlGetRecord    = `SELECT value FROM records WHERE tbl = $1 AND key = $2`
	sqlPutRecord    = `INSERT INTO records (tbl, key, value) VALUES ($1, $2, $3) ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value`
	sqlInsertRecord = `INSERT INTO records (tbl, key, value) VALUES ($1, $2, $3) ON CONFLICT (tbl, key) DO NOTHING`
	sqlDeleteRecord = `DELETE FROM records WHERE tbl = $1 AND key = $2`

	sqlLogSize       = `SELECT size FROM log_sizes WHERE log = $1`
	sqlEnsureLogSize = `INSERT INTO log_sizes (log, size) VALUES ($1, 0) ON CONFLICT (log) DO NOTHING`
	sqlSetLogSize    = `UPDATE log_sizes SET size = $2 WHERE log = $1`
	sqlReadEntries   = `SELECT idx, data FROM log_entries WHERE log = $1 AND idx >= $2 AND idx < $3 ORDER BY idx`
	sqlPutCheckpoint = `INSERT INTO log_checkpoints (log, size, signed) VALUES ($1, $2, $3) ON CONFLICT (log, size) DO NOTHING`
	sqlCheckpointAt  = `SELECT signed FROM log_checkpoints WHERE log = $1 AND size = $2`
	sqlLastCheckpont = `SELECT signed FROM log_checkpoints WHERE log = $1 ORDER BY size DESC LIMIT 1`

	sqlMigrationApplied = `SELECT count(*) FROM schema_migrations WHERE version = $1`

	sqlSchemaVersion = `SELECT coalesce(max(version), 0) FROM schema_migrations`
	sqlCountRecords  = `SELECT count(*) FROM records`
	sqlListLogs      = `SELECT log, size FROM log_sizes ORDER BY log`
	// sqlLogCounts counts the rows stored for log $1, and finds the size
	// of its largest checkpoint.
	sqlLogCounts = `SELECT (SELECT count(*) FROM log_entries WHERE log = $1), (SELECT count(*) FROM log_hashes WHERE log = $1),
		(SELECT coalesce(max(size), 0) FROM log_checkpoints WHERE log = $1)`
)

var postgresDialect = &dialect{
	name:         "postgres",
	getRecord:    sqlGetRecord,
	putRecord:    sqlPutRecord,
	insertRecord: sqlInsertRecord,
	deleteRecord: sqlDeleteRecord,
	scanFirst:    `SELECT key, value FROM records WHERE tbl = $1 AND key >= $2 AND key < $5 AND starts_with(key, $3) ORDER BY key LIMIT $4`,
	scanNext:     `SELECT key, value FROM records WHERE tbl = $1 AND key > $2 AND key < $5 AND starts_with(key, $3) ORDER BY key LIMIT $4`,

	logSize:          sqlLogSize,
	ensureLogSize:    sqlEnsureLogSize,
	setLogSize:       sqlSetLogSize,
	logSizeForAppend: sqlLogSize + ` FOR UPDATE`,
	// The arrays are unnested server-side, numbered from 1 by WITH
	// ORDINALITY: one statement per table whatever the batch size.
	insertEntries:    `INSERT INTO log_entries (log, idx, data) SELECT $1, $2 + o - 1, d FROM unnest($3::bytea[]) WITH ORDINALITY AS t(d, o)`,
	insertHashes:     `INSERT INTO log_hashes (log, idx, hash) SELECT $1, $2 + o - 1, h FROM unnest($3::bytea[]) WITH ORDINALITY AS t(h, o)`,
	readHashes:       `SELECT idx, hash FROM log_hashes WHERE log = $1 AND idx = ANY($2)`,
	readEntries:      sqlReadEntries,
	insertCheckpoint: sqlPutCheckpoint,
	checkpointAt:     sqlCheckpointAt,
	lastCheckpoint:   sqlLastCheckpont,

	createMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
	migrationApplied: sqlMigrationApplied,
	recordMigration:  `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
	lockMigrations:   `SELECT pg_advisory_xact_lock($1)`,

	schemaVersion: sqlSchemaVersion,
	countRecords:  sqlCountRecords,
	listLogs:      sqlListLogs,
	logCounts:     sqlLogCounts,

	// pgx sends Go slices as PostgreSQL arrays.
	bytesList: func(b [][]byte) any { return b },
	int64List: func(x []int64) any { return x },
}

var sqliteDialect = &dialect{
	name:         "sqlite",
	getRecord:    sqlitePlaceholders(sqlGetRecord),
	putRecord:    sqlitePlaceholders(sqlPutRecord),
	insertRecord: sqlitePlaceholders(sqlInsertRecord),
	deleteRecord: sqlitePlaceholders(sqlDeleteRecord),
	// substr and length count characters, consistently, so the prefix
	// test is exact for valid UTF-8.
	scanFirst: `SELECT key, value FROM records WHERE tbl = ?1 AND key >= ?2 AND key < ?5 AND substr(key, 1, length(?3)) = ?3 ORDER BY key LIMIT ?4`,
	scanNext:  `SELECT key, value FROM records WHERE tbl = ?1 AND key > ?2 AND key < ?5 AND substr(key, 1, length(?3)) = ?3 ORDER BY key LIMIT ?4`,

	logSize:       sqlitePlaceholders(sqlLogSize),
	ensureLogSize: sqlitePlaceholders(sqlEnsureLogSize),
	setLogSize:    sqlitePlaceholders(sqlSetLogSize),
	// SQLite has one writer: the write transaction is the lock.
	logSizeForAppend: sqlitePlaceholders(sqlLogSize),
	// json_each numbers an array's elements from 0 in "key"; the bytes
	// travel as hex strings, which unhex turns back into BLOBs.
	insertEntries:    `INSERT INTO log_entries (log, idx, data) SELECT ?1, ?2 + key, unhex(value) FROM json_each(?3)`,
	insertHashes:     `INSERT INTO log_hashes (log, idx, hash) SELECT ?1, ?2 + key, unhex(value) FROM json_each(?3)`,
	readHashes:       `SELECT idx, hash FROM log_hashes WHERE log = ?1 AND idx IN (SELECT value FROM json_each(?2))`,
	readEntries:      sqlitePlaceholders(sqlReadEntries),
	insertCheckpoint: sqlitePlaceholders(sqlPutCheckpoint),
	checkpointAt:     sqlitePlaceholders(sqlCheckpointAt),
	lastCheckpoint:   sqlitePlaceholders(sqlLastCheckpont),

	createMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
	migrationApplied: sqlitePlaceholders(sqlMigrationApplied),
	recordMigration:  `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,

	schemaVersion: sqlSchemaVersion,
	countRecords:  sqlCountRecords,
	listLogs:      sqlListLogs,
	logCounts:     sqlitePlaceholders(sqlLogCounts),

	bytesList: hexList,
	int64List: func(x []int64) any {
		b, _ := json.Marshal(x) // cannot fail for integers
		return string(b)
	},
}

var placeholder = regexp.MustCompile(`\$([0-9]+)`)

// sqlitePlaceholders rewrites PostgreSQL's $n as SQLite's ?n, which binds
// the same n-th argument. The statements above hold no '$' otherwise.
func sqlitePlaceholders(q string) string {
	return placeholder.ReplaceAllString(q, "?$1")
}

// hexList encodes b as a JSON array of hex strings, for json_each.
func hexList(b [][]byte) any {
	n := 2
	for _, x := range b {
		n += 2*len(x) + 3
	}
	s := make([]byte, 0, n)
	s = append(s, '[')
	for i, x := range b {
		if i > 0 {
			s = append(s, ',')
		}
		s = append(s, '"')
		s = hex.AppendEncode(s, x)
		s = append(s, '"')
	}
	return string(append(s, ']'))
}
