// Package tendertest runs a real tender for the portal's tests: a real
// server (server.Build on the embedded backend, served by httptest) and
// the people of internal/demo, with an announced tender whose offers the
// tests seal — natively or in a browser — and submit, then close, open
// and audit.
package tendertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/internal/demo"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
)

// A Tender is an announced tender on a running server.
type Tender struct {
	*demo.Tender
	URL     string       // the server's
	Handler http.Handler // the server's, to serve under another origin too
	Keys    []byte       // GET /v1/keys: the deployment's keys, to pin
	Chain   []byte       // GET /v1/chain: its local beacon's chain, to pin
	JSON    []byte       // GET /v1/tenders/{id}: the tender as the server describes it
}

// Start starts a server and announces a tender with the given number of
// registered bidders, whose submission window of the given length starts
// now. The server stops when tb ends.
func Start(tb testing.TB, bidders int, window time.Duration) *Tender {
	tb.Helper()
	ctx := context.Background()
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		tb.Fatal(err)
	}
	s, err := server.Build(ctx, server.Config{
		Backend: b, KEK: kek, Name: "lpse.test",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(ts.Close)
	dt, err := demo.Setup(ctx, ts.URL, bidders, window)
	if err != nil {
		tb.Fatal(err)
	}
	t := &Tender{Tender: dt, URL: ts.URL, Handler: s.Handler()}
	for _, g := range []struct {
		dst  *[]byte
		path string
	}{{&t.Keys, "/v1/keys"}, {&t.Chain, "/v1/chain"}, {&t.JSON, "/v1/tenders/" + dt.ID}} {
		if *g.dst, err = t.Get(g.path); err != nil {
			tb.Fatal(err)
		}
	}
	return t
}

// Get returns the body of a public GET of path, failing unless it answers
// 200.
func (t *Tender) Get(path string) ([]byte, error) {
	resp, err := http.Get(t.URL + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

// ProofFile exchanges a signed receipt for its offer proof file.
func (t *Tender) ProofFile(receipt []byte) ([]byte, error) {
	return client.New(t.URL).ProofFile(context.Background(), receipt)
}

// Finish waits for the deadline, closes submission, waits for the opening
// round and opens the offers, returning how many opened and failed.
func (t *Tender) Finish(ctx context.Context) (opened, failed int, err error) {
	if d := time.Until(t.Deadline.Add(100 * time.Millisecond)); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		}
	}
	if _, err := t.Close(ctx); err != nil {
		return 0, 0, err
	}
	return t.Open(ctx)
}

// BundleTar returns the opened tender's audit bundle as lpsed serves it: a
// tar archive.
func (t *Tender) BundleTar() ([]byte, error) {
	return t.Get("/v1/tenders/" + t.ID + "/bundle")
}
