package client_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/internal/apitest"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
)

const password = "rahasia-uji-klien-2026"

// newServer serves a fresh deployment on the embedded backend in dir,
// every answer checked against the server's OpenAPI document
// (internal/apitest) and failures reported to t.
func newServer(ctx context.Context, t apitest.TB, dir string) (*httptest.Server, func(), error) {
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		return nil, nil, err
	}
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		return nil, nil, err
	}
	s, err := server.Build(ctx, server.Config{Backend: b, KEK: kek, Name: "lpse.client.test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	ts := httptest.NewServer(apitest.Handler(t, s.Handler()))
	return ts, func() { ts.Close(); b.Close() }, nil
}

func startServer(t *testing.T) *httptest.Server {
	t.Helper()
	ts, stop, err := newServer(context.Background(), t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return ts
}

func nik(i int) string { return fmt.Sprintf("3171%02d1203850%03d", 1+i%90, 1+i) }

// world is a deployment with its people and one announced tender.
type world struct {
	anon, admin, verifier, pa, ppk *client.Client
	pokja                          []*client.Client
	bidders                        []*client.Client
	committee                      *age.HybridIdentity
	tender                         *api.Tender
}

func enrol(ctx context.Context, anon, reviewer *client.Client, r api.Registration) (*client.Client, error) {
	a, err := anon.Register(ctx, r)
	if err != nil {
		return nil, err
	}
	for k := range r.Documents {
		if err := reviewer.VerifyDocument(ctx, a.ID, k); err != nil {
			return nil, err
		}
	}
	if err := reviewer.Approve(ctx, a.ID); err != nil {
		return nil, err
	}
	return anon.Login(ctx, r.Email, r.Password)
}

func official(role api.Role, i int) api.Registration {
	email := fmt.Sprintf("%s%d@pemkot.test.go.id", role, i)
	return api.Registration{Role: role, Email: email, Password: password, Name: fmt.Sprintf("%s %d", role, i), NIK: nik(i),
		Documents: map[api.DocumentKind][]byte{api.DocSuratTugas: []byte("Surat tugas " + email)}}
}

func provider(i int) api.Registration {
	docs := map[api.DocumentKind][]byte{}
	for _, k := range []api.DocumentKind{api.DocKTP, api.DocAktaPendirian, api.DocNPWP, api.DocIzinUsaha} {
		docs[k] = []byte(fmt.Sprintf("scan %s CV Uji %d", k, i))
	}
	return api.Registration{Role: "provider", Email: fmt.Sprintf("direktur@cv-uji-%d.test.co.id", i), Password: password,
		Name: fmt.Sprintf("CV Uji %d", i), NIK: nik(40 + i),
		Provider:  &api.Provider{Kind: "company", NPWP: fmt.Sprintf("01.234.%03d.5-012.000", i), Licence: fmt.Sprintf("9120001234%03d", i)},
		Documents: docs}
}

// setup registers everyone and announces a tender whose submission
// window of the given length starts now.
func setup(ctx context.Context, url string, bidders int, window time.Duration) (*world, error) {
	begin := time.Now()
	// The test server runs its own local beacon, not quicknet: pin its
	// chain, fetched once, as its bidders would pin the chain the LPSE
	// publishes.
	chain, err := client.New(url).Chain(ctx)
	if err != nil {
		return nil, err
	}
	w := &world{anon: client.New(url, client.WithChain(chain))}
	boot := official("admin", 0)
	if _, err := w.anon.Bootstrap(ctx, boot); err != nil {
		return nil, err
	}
	if w.admin, err = w.anon.Login(ctx, boot.Email, password); err != nil {
		return nil, err
	}
	if w.verifier, err = enrol(ctx, w.anon, w.admin, official("verifier", 1)); err != nil {
		return nil, err
	}
	if w.pa, err = enrol(ctx, w.anon, w.verifier, official("pa-kpa", 2)); err != nil {
		return nil, err
	}
	if w.ppk, err = enrol(ctx, w.anon, w.verifier, official("ppk", 3)); err != nil {
		return nil, err
	}
	var members []string
	for i := range 3 {
		c, err := enrol(ctx, w.anon, w.verifier, official("pokja", 4+i))
		if err != nil {
			return nil, err
		}
		w.pokja = append(w.pokja, c)
		members = append(members, c.UserID())
	}
	for i := range bidders {
		c, err := enrol(ctx, w.anon, w.verifier, provider(i))
		if err != nil {
			return nil, err
		}
		w.bidders = append(w.bidders, c)
	}
	id := "T-UJI-1"
	if err := w.pa.AssignCommittee(ctx, id, members); err != nil {
		return nil, err
	}
	if w.committee, err = age.GenerateHybridIdentity(); err != nil {
		return nil, err
	}
	doc, err := w.pokja[0].UploadDocument(ctx, strings.NewReader("Dokumen Pemilihan "+id))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	// A machine slowed by load gets twice what the setup took: submitting
	// costs about what registering the accounts did (as demo's paced).
	deadline := now.Add(max(window, 2*time.Since(begin).Round(time.Second)))
	w.tender, err = w.pokja[0].Announce(ctx, api.Announcement{
		ID: id, Title: "Pengadaan Uji", Document: doc, CommitteeKey: w.committee.Recipient().String(),
		Schedule: api.Schedule{RegistrationEnd: deadline, ClarificationEnd: deadline, SubmissionStart: now,
			Deadline: deadline, Opening: deadline.Add(time.Second)},
	})
	if err != nil {
		return nil, err
	}
	for _, b := range w.bidders {
		if err := b.RegisterForTender(ctx, id); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// wantAPIError checks that err is an *APIError with status and code, and
// with a message that mentions each of words.
func wantAPIError(t *testing.T, what string, err error, status int, code api.Code, words ...string) {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != status || ae.Code != code {
		t.Errorf("%s: %v, want %d %s", what, err, status, code)
		return
	}
	for _, w := range words {
		if !strings.Contains(ae.Message, w) {
			t.Errorf("%s: message %q does not mention %q", what, ae.Message, w)
		}
	}
}
