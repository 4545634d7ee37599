package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
)

// TestTender drives a whole tender through every method, against a real
// server on the embedded backend.
func TestTender(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a deadline and a beacon round (~6 s)")
	}
	ctx := context.Background()
	ts := startServer(t)
	w, err := setup(ctx, ts.URL, 3, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	id := w.tender.ID

	u, err := w.verifier.User(ctx, w.bidders[0].UserID())
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != "active" || u.Role != "provider" || len(u.Documents) != 4 || u.Documents[0].VerifiedBy != w.verifier.UserID() {
		t.Errorf("User = %+v, want an active provider with 4 verified documents", u)
	}
	if w.bidders[0].Role() != "provider" || w.bidders[0].Token() == "" {
		t.Errorf("login: role %q, token %q", w.bidders[0].Role(), w.bidders[0].Token())
	}
	keys, err := w.anon.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.anon.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	tl, err := w.anon.Tenders(ctx)
	if err != nil || len(tl) != 1 || tl[0].ID != id {
		t.Fatalf("Tenders = %v, %v", tl, err)
	}
	target, err := w.bidders[0].Target(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if target.Chain.HashHex() != keys.Chain {
		t.Errorf("target chain %s, keys name %s", target.Chain.HashHex(), keys.Chain)
	}

	// Questions.
	q, err := w.bidders[1].Ask(ctx, id, api.Question, "Apakah jaminan penawaran wajib?")
	if err != nil {
		t.Fatal(err)
	}
	if q.Kind != api.Question || q.By != w.bidders[1].UserID() || q.Document != sha256.Sum256([]byte("Apakah jaminan penawaran wajib?")) || q.Answer != nil {
		t.Errorf("Ask = %+v", q)
	}
	if a, err := w.pokja[1].Reply(ctx, id, api.Question, q.Document, "Tidak."); err != nil {
		t.Fatal(err)
	} else if a.Answer == nil || a.Answer.By != w.pokja[1].UserID() || a.Document != q.Document {
		t.Errorf("Reply = %+v, want the question with its answer", a)
	}
	msgs, err := w.anon.Messages(ctx, id, api.Question)
	if err != nil || len(msgs) != 1 || msgs[0].Answer == nil || msgs[0].By != w.bidders[1].UserID() {
		t.Fatalf("Messages = %+v, %v", msgs, err)
	}
	for digest, want := range map[api.Digest]string{msgs[0].Document: "Apakah jaminan penawaran wajib?", msgs[0].Answer.Document: "Tidak."} {
		var buf bytes.Buffer
		if _, err := w.anon.TenderDocument(ctx, id, digest, &buf, 1<<20); err != nil || buf.String() != want {
			t.Errorf("TenderDocument of a message = %q, %v; want %q", buf.String(), err, want)
		}
	}

	// Three offers, three ways: a file, a chunked stream, a resumable upload.
	sealed := make([][]byte, 3)
	for i := range sealed {
		var buf bytes.Buffer
		if _, err := sealer.Seal(&buf, strings.NewReader("Penawaran "+w.bidders[i].UserID()), target); err != nil {
			t.Fatal(err)
		}
		sealed[i] = buf.Bytes()
	}
	path := filepath.Join(t.TempDir(), "offer.age")
	if err := os.WriteFile(path, sealed[0], 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var receipts []*api.Receipt
	rc, err := w.bidders[0].SubmitOffer(ctx, id, f)
	if err != nil {
		t.Fatal(err)
	}
	receipts = append(receipts, rc)
	rc, err = w.bidders[1].SubmitOffer(ctx, id, io.MultiReader(bytes.NewReader(sealed[1][:100]), bytes.NewReader(sealed[1][100:])))
	if err != nil {
		t.Fatal(err)
	}
	receipts = append(receipts, rc)
	d2 := sha256.Sum256(sealed[2])
	cm, err := w.bidders[2].Commit(ctx, id, d2, int64(len(sealed[2])))
	if err != nil {
		t.Fatal(err)
	}
	if cm.Size != int64(len(sealed[2])) || cm.DeliverBefore.IsZero() {
		t.Errorf("Commit = %+v", cm)
	}
	up, err := w.bidders[2].BeginUpload(ctx, id, int64(len(sealed[2])))
	if err != nil {
		t.Fatal(err)
	}
	half := int64(len(sealed[2]) / 2)
	if up, err = w.bidders[2].PutChunk(ctx, up.ID, 0, bytes.NewReader(sealed[2][:half])); err != nil || up.Received != half {
		t.Fatalf("PutChunk = %+v, %v", up, err)
	}
	if up, err = w.bidders[2].UploadStatus(ctx, up.ID); err != nil || up.Received != half {
		t.Fatalf("UploadStatus = %+v, %v", up, err)
	}
	if _, err := w.bidders[2].PutChunk(ctx, up.ID, half, bytes.NewReader(sealed[2][half:])); err != nil {
		t.Fatal(err)
	}
	rc, err = w.bidders[2].FinishUpload(ctx, up.ID)
	if err != nil {
		t.Fatal(err)
	}
	receipts = append(receipts, rc)
	for i, rc := range receipts {
		r, err := auditlog.VerifyReceipt([]byte(rc.Receipt), keys.Receipt)
		if err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		if r.SHA256 != sha256.Sum256(sealed[i]) || r.SHA256 != rc.SHA256 || r.Index != rc.Index || r.Size != rc.Size || r.Bidder != w.bidders[i].UserID() {
			t.Errorf("receipt %d: %+v; answer %+v", i, r, rc)
		}
		proof, err := w.anon.ProofFile(ctx, []byte(rc.Receipt))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := auditlog.VerifyProofFile(proof, auditlog.Keys{Log: keys.Log, Receipt: keys.Receipt}); err != nil {
			t.Errorf("proof file %d: %v", i, err)
		}
	}
	// Refusals carry their code.
	if _, err := w.bidders[0].SubmitOffer(ctx, id, strings.NewReader("not an offer")); client.ErrorCode(err) != api.CodeWrongSeal {
		t.Errorf("garbage offer: %v, want %s", err, api.CodeWrongSeal)
	}

	// After the deadline: late, closing, too early, opening.
	time.Sleep(time.Until(w.tender.Schedule.Deadline.Add(300 * time.Millisecond)))
	if _, err := w.bidders[0].SubmitOffer(ctx, id, bytes.NewReader(sealed[0])); client.ErrorCode(err) != api.CodeLate {
		t.Errorf("late offer: %v, want %s", err, api.CodeLate)
	}
	tn, err := w.pokja[0].Close(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if tn.Offers == nil || *tn.Offers != 3 {
		t.Fatalf("closed with %v offers, want 3", tn.Offers)
	}
	members := []string{w.pokja[0].UserID(), w.pokja[1].UserID(), w.pokja[2].UserID()}
	if time.Now().Before(tn.RoundTime) {
		_, err := w.pokja[0].Open(ctx, id, w.committee, members)
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.Code != api.CodeTooEarly || ae.Status != http.StatusTooEarly {
			t.Errorf("opening before the round: %v, want 425 %s", err, api.CodeTooEarly)
		}
	}
	time.Sleep(time.Until(tn.RoundTime.Add(300 * time.Millisecond)))
	op, err := w.pokja[0].Open(ctx, id, w.committee, members)
	if err != nil {
		t.Fatal(err)
	}
	if op.Opened != 3 || op.Failed != 0 || op.Report == "" {
		t.Errorf("Open = %+v", op)
	}
	rep, err := w.anon.OpeningReport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := audit.VerifyOpeningReport(rep, keys.Report); err != nil || len(r.Offers) != 3 {
		t.Errorf("opening report: %v", err)
	}
	if _, err := w.anon.Witness(ctx, id, w.bidders[0].UserID()); client.ErrorCode(err) != api.CodeNotFound {
		t.Errorf("witness of an opened offer: %v, want %s", err, api.CodeNotFound)
	}
	var doc bytes.Buffer
	if _, err := w.pokja[1].OfferDocument(ctx, id, w.bidders[0].UserID(), &doc, 1<<20); err != nil || doc.String() != "Penawaran "+w.bidders[0].UserID() {
		t.Errorf("OfferDocument = %q, %v", doc.String(), err)
	}
	if _, err := w.pokja[1].OfferDocument(ctx, id, w.bidders[0].UserID(), io.Discard, 5); !errors.Is(err, client.ErrResponseTooLarge) {
		t.Errorf("OfferDocument over its limit: %v", err)
	}
	if _, err := w.pokja[0].Result(ctx, id, w.bidders[0].UserID(), "Pemenang"); err != nil {
		t.Fatal(err)
	}
	if tn, err = w.ppk.Award(ctx, id, "SPPBJ 1"); err != nil {
		t.Fatal(err)
	}
	if tn.Winner != w.bidders[0].UserID() {
		t.Errorf("winner %q", tn.Winner)
	}
	for digest, want := range map[api.Digest]string{tn.ResultText: "Pemenang", tn.AwardText: "SPPBJ 1"} {
		var buf bytes.Buffer
		if _, err := w.anon.TenderDocument(ctx, id, digest, &buf, 1<<20); err != nil || buf.String() != want {
			t.Errorf("TenderDocument(%.8s…) = %q, %v; want %q", digest.String(), buf.String(), err, want)
		}
	}
	if _, err := w.pokja[0].Cancel(ctx, id, "terlambat"); client.ErrorCode(err) != api.CodeWrongState {
		t.Errorf("cancelling an awarded tender: %v, want %s", err, api.CodeWrongState)
	}
	b, err := w.anon.Bundle(ctx, id, filepath.Join(t.TempDir(), "bundle"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(b, *keys)
	if err != nil {
		t.Fatal(err)
	}
	if res.Offers != 3 || res.Opened != 3 || res.Receipts != 3 {
		t.Errorf("bundle: %+v", res)
	}
}

// TestErrors checks that refusals decode into *APIError with the
// server's status and code.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	anon := client.New(ts.URL + "/")
	admin := official("admin", 0)
	if _, err := anon.Bootstrap(ctx, admin); err != nil {
		t.Fatal(err)
	}
	adm, err := anon.Login(ctx, admin.Email, password)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := enrol(ctx, anon, adm, official("verifier", 1))
	if err != nil {
		t.Fatal(err)
	}
	pa, err := enrol(ctx, anon, ver, official("pa-kpa", 2))
	if err != nil {
		t.Fatal(err)
	}
	rej := provider(7)
	a, err := anon.Register(ctx, rej)
	if err != nil {
		t.Fatal(err)
	}
	if err := ver.Reject(ctx, a.ID, "dokumen tidak terbaca"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		call   func() error
		status int
		code   api.Code
	}{
		{"bad password", func() error { _, err := anon.Login(ctx, admin.Email, "salah-salah-salah"); return err }, 401, api.CodeBadCredentials},
		{"no token", func() error { _, err := anon.Close(ctx, "T-1"); return err }, 401, api.CodeUnauthenticated},
		{"wrong role", func() error { _, err := pa.Close(ctx, "T-1"); return err }, 403, api.CodeForbidden},
		{"no tender", func() error { _, err := anon.Tender(ctx, "T-nope"); return err }, 404, api.CodeNotFound},
		{"no route", func() error { return client.New(ts.URL + "/v2").Healthz(ctx) }, 404, "no-route"},
		{"second bootstrap", func() error { _, err := anon.Bootstrap(ctx, official("admin", 9)); return err }, 409, api.CodeWrongState},
		{"duplicate email", func() error { _, err := anon.Register(ctx, official("pa-kpa", 2)); return err }, 409, "duplicate-email"},
		{"bad nik", func() error { r := official("ppk", 3); r.NIK = "1"; _, err := anon.Register(ctx, r); return err }, 400, api.CodeInvalid},
		{"rejected", func() error { _, err := anon.Login(ctx, rej.Email, password); return err }, 403, "rejected"},
		{"not a committee member", func() error { return pa.AssignCommittee(ctx, "T-1", []string{pa.UserID()}) }, 0, ""},
	} {
		err := c.call()
		var ae *client.APIError
		if c.status == 0 {
			if !errors.As(err, &ae) || ae.Status/100 != 4 {
				t.Errorf("%s: %v, want a 4xx", c.name, err)
			}
			continue
		}
		if !errors.As(err, &ae) || ae.Status != c.status || ae.Code != c.code || client.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %d %s", c.name, err, c.status, c.code)
			continue
		}
		if ae.Message == "" || !strings.Contains(err.Error(), string(c.code)) {
			t.Errorf("%s: message %q, error %q", c.name, ae.Message, err)
		}
	}
}

// TestResponseCaps checks that non-JSON errors still decode and that
// oversized answers are refused.
func TestResponseCaps(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/tenders":
			w.Write([]byte("["))
			w.Write(bytes.Repeat([]byte(`{"id":"x"},`), 2<<20))
		case "/v1/keys":
			w.Write(bytes.Repeat([]byte("k"), 5<<10))
		default:
			http.Error(w, "gateway down", http.StatusBadGateway)
		}
	}))
	defer ts.Close()
	ctx := context.Background()
	c := client.New(ts.URL, client.WithHTTPClient(ts.Client()), client.WithToken("tok"))
	if _, err := c.Tenders(ctx); !errors.Is(err, client.ErrResponseTooLarge) {
		t.Errorf("huge list: %v", err)
	}
	if _, err := c.Keys(ctx); !errors.Is(err, client.ErrResponseTooLarge) {
		t.Errorf("huge keys: %v", err)
	}
	var ae *client.APIError
	if _, err := c.Tender(ctx, "x"); !errors.As(err, &ae) || ae.Status != 502 || ae.Code != "" || ae.Message != "gateway down" {
		t.Errorf("plain-text error: %#v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Tender(cctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
