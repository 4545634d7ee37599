package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// freshDatabase creates an empty database on the server named by dsn, for
// an lpsed that must bootstrap its first admin, and returns its DSN and a
// function that drops it.
func freshDatabase(ctx context.Context, dsn string) (string, func() error, error) {
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "segel_bench_" + hex.EncodeToString(rnd[:])
	exec := func(ctx context.Context, sql string) error {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return fmt.Errorf("-postgres: %w", err)
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("creating lpsed's database %s: %w", name, err)
	}
	drop := func() error {
		if err := exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping lpsed's database %s: %w", name, err)
		}
		return nil
	}
	fresh, err := withDatabase(dsn, name)
	if err != nil {
		drop()
		return "", nil, err
	}
	return fresh, drop, nil
}

// withDatabase returns dsn (URL or keyword=value form) naming database db.
func withDatabase(dsn, db string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("-postgres: %w", err)
		}
		u.Path = "/" + db
		u.RawPath = ""
		return u.String(), nil
	}
	// In keyword=value form a later keyword overrides an earlier one.
	return dsn + " dbname=" + db, nil
}
