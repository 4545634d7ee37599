package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/segel-lpse/segel/internal/apitest"
	"github.com/segel-lpse/segel/internal/demo"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
)

// testWriter sends the server's log to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

func backends(t *testing.T, f func(t *testing.T, b vault.Backend)) {
	t.Run("embedded", func(t *testing.T) {
		b, err := vault.OpenEmbedded(context.Background(), vault.EmbeddedConfig{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		f(t, b)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := vaulttest.PostgresDSN(t)
		b, err := vault.OpenPostgres(context.Background(), vault.PostgresConfig{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		f(t, b)
	})
}

// serve serves s for the test, with every answer checked against the
// server's own OpenAPI document (internal/apitest): every test that talks
// to a server checks the API's contract too.
func serve(t *testing.T, s *server.Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(apitest.Handler(t, s.Handler()))
	t.Cleanup(ts.Close)
	return ts
}

func build(t *testing.T, b vault.Backend) *server.Server {
	t.Helper()
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.Build(context.Background(), server.Config{
		Backend: b, KEK: kek, Name: "lpse.test",
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDemoTender runs a whole tender through the HTTP API, on both
// backends: the same scenario lpsed demo runs.
func TestDemoTender(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~15 s of wall time per backend (real beacon rounds)")
	}
	backends(t, func(t *testing.T, b vault.Backend) {
		s := build(t, b)
		ts := serve(t, s)
		var out bytes.Buffer
		res, err := demo.Run(context.Background(), demo.Config{URL: ts.URL, Out: &out, Bidders: 5, Window: 10 * time.Second})
		t.Log(out.String())
		if err != nil {
			t.Fatal(err)
		}
		// Ten files; File I: 4 opened, the damaged one failed; File II: 3
		// opened, 2 withheld (the damaged bidder's and the one failed on
		// its merits).
		if res.Offers != 10 || res.Opened != 7 || res.Failed != 1 || res.Withheld != 2 {
			t.Errorf("result = %+v, want 10 files, 7 opened, 1 failed, 2 withheld", res)
		}
	})
}
