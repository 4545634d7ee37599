package vault

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// The schemas of both backends are embedded as numbered SQL files,
// migrations/<backend>/NNNN_name.sql, applied in order exactly once and
// recorded in a schema_migrations table. Files are never edited once
// released; a change is a new file.
//
//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the migrations for backend ("sqlite" or "postgres") in
// version order.
func migrations(backend string) ([]migration, error) {
	dir := path.Join("migrations", backend)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("vault: reading embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("vault: migration file %s: name must start with a positive number and _", name)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("vault: reading migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("vault: two migrations with version %d", ms[i].version)
		}
	}
	return ms, nil
}

// migrationLockKey is the pg_advisory_xact_lock key that serialises schema
// migrations between lpsed instances starting at the same time. It is the
// first 8 bytes of SHA-256("segel vault migrations") read big-endian.
const migrationLockKey int64 = 0x2b5e_7a41_6c0d_9f13

// migrate applies the migrations of d that q's transaction finds missing
// from schema_migrations, in version order, and records them. Run in one
// transaction (holding the lock on PostgreSQL), concurrent starts neither
// race nor leave a half-applied schema.
func migrate(ctx context.Context, q querier, d *dialect) error {
	ms, err := migrations(d.name)
	if err != nil {
		return err
	}
	if d.lockMigrations != "" {
		if _, err := q.exec(ctx, d.lockMigrations, migrationLockKey); err != nil {
			return fmt.Errorf("vault: migration lock: %w", err)
		}
	}
	if _, err := q.exec(ctx, d.createMigrations); err != nil {
		return fmt.Errorf("vault: migrating: %w", err)
	}
	for _, m := range ms {
		var n int
		if err := q.queryRow(ctx, d.migrationApplied, m.version).Scan(&n); err != nil {
			return fmt.Errorf("vault: migrating: %w", err)
		}
		if n > 0 {
			continue
		}
		if err := q.script(ctx, m.sql); err != nil {
			return fmt.Errorf("vault: applying migration %s: %w", m.name, err)
		}
		if _, err := q.exec(ctx, d.recordMigration, m.version, m.name); err != nil {
			return fmt.Errorf("vault: migrating: %w", err)
		}
	}
	return nil
}

// latestSchema is the version of d's last migration: the schema this
// vault creates.
func latestSchema(d *dialect) (int, error) {
	ms, err := migrations(d.name)
	if err != nil {
		return 0, err
	}
	if len(ms) == 0 {
		return 0, fmt.Errorf("vault: no migrations for %s", d.name)
	}
	return ms[len(ms)-1].version, nil
}

// checkSchema refuses a database, opened without migrating it, that is no
// vault or has a schema newer than this vault knows.
func checkSchema(ctx context.Context, q querier, d *dialect, where string) error {
	var have int
	if err := q.queryRow(ctx, d.schemaVersion).Scan(&have); err != nil {
		return fmt.Errorf("vault: %s holds no vault (schema_migrations): %w", where, err)
	}
	known, err := latestSchema(d)
	if err != nil {
		return err
	}
	if have > known {
		return fmt.Errorf("vault: %s has vault schema %d, newer than this release's %d: use the release that wrote it", where, have, known)
	}
	return nil
}
