package vaulttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by [PostgresDSN]. CI sets both.
const (
	// EnvPostgres holds the DSN of a PostgreSQL 15+ server on which the
	// test user may create databases, for example
	// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
	EnvPostgres = "SEGEL_TEST_POSTGRES"
	// EnvRequirePostgres, set to 1, turns the skip when EnvPostgres is
	// unset into a failure.
	EnvRequirePostgres = "SEGEL_REQUIRE_POSTGRES"
)

// PostgresDSN creates a fresh, empty database on the server named by
// $SEGEL_TEST_POSTGRES, drops it (closing any connections left) when the test
// ends, and returns a DSN for it. When the variable is unset it skips the
// test with a loud message, or fails it if $SEGEL_REQUIRE_POSTGRES is 1.
//
// Test packages other than vault use it to get their own database.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		msg := "PostgreSQL tests NOT RUN: set " + EnvPostgres +
			"=postgres://postgres@127.0.0.1:5432/test?sslmode=disable (see README) to run them"
		if os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatalf("%s is unset but %s=1: %s", EnvPostgres, EnvRequirePostgres, msg)
		}
		t.Skip("SKIPPING: " + msg)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	name := "segel_test_" + hex.EncodeToString(rnd[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to %s=%s: %v", EnvPostgres, base, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	return dsn
}

// withDatabase returns dsn (URL or keyword=value form) naming database db.
func withDatabase(dsn, db string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + db
		u.RawPath = ""
		return u.String(), nil
	}
	// In keyword=value form a later keyword overrides an earlier one.
	return dsn + " dbname=" + db, nil
}
