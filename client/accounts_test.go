package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

// TestAccountAdmin drives token revocation, registration documents and
// sanctions against a real server.
func TestAccountAdmin(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	w, err := setup(ctx, ts.URL, 2, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("RevokeToken", func(t *testing.T) {
		own, err := w.anon.Login(ctx, provider(0).Email, password)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(own.TokenID(), "t-") || !strings.HasPrefix(own.Token(), own.TokenID()+".") {
			t.Fatalf("TokenID %q does not name token %q", own.TokenID(), own.Token())
		}
		if _, err := own.User(ctx, own.UserID()); err != nil {
			t.Fatal(err)
		}
		if err := own.RevokeToken(ctx, own.TokenID()); err != nil {
			t.Fatal(err)
		}
		_, err = own.User(ctx, own.UserID())
		wantAPIError(t, "call with a revoked token", err, 401, api.CodeTokenRevoked, "log in again")
		if _, err := w.bidders[0].User(ctx, w.bidders[0].UserID()); err != nil {
			t.Errorf("the user's other token: %v", err)
		}
		if err := w.bidders[0].RevokeToken(ctx, own.TokenID()); err != nil {
			t.Errorf("revoking a revoked token: %v", err)
		}

		other, err := w.anon.Login(ctx, provider(1).Email, password)
		if err != nil {
			t.Fatal(err)
		}
		err = w.bidders[0].RevokeToken(ctx, other.TokenID())
		wantAPIError(t, "revoking another user's token", err, 403, api.CodeForbidden, "admin")
		if _, err := other.User(ctx, other.UserID()); err != nil {
			t.Errorf("a refused revocation revoked the token: %v", err)
		}
		if err := w.admin.RevokeToken(ctx, other.TokenID()); err != nil {
			t.Fatal(err)
		}
		_, err = other.User(ctx, other.UserID())
		wantAPIError(t, "call with a token an admin revoked", err, 401, api.CodeTokenRevoked)

		err = w.admin.RevokeToken(ctx, "t-nosuchtoken")
		wantAPIError(t, "revoking an unknown token", err, 404, api.CodeNotFound, "t-nosuchtoken")
		err = w.anon.RevokeToken(ctx, w.bidders[1].TokenID())
		wantAPIError(t, "revoking without a token", err, 401, api.CodeUnauthenticated)
	})

	t.Run("UserDocument", func(t *testing.T) {
		id := w.bidders[0].UserID()
		for _, c := range []struct {
			name   string
			reader *client.Client
			user   string
			kind   api.DocumentKind
			want   []byte
		}{
			{"own", w.bidders[0], id, "ktp", provider(0).Documents["ktp"]},
			{"verifier of a provider", w.verifier, id, "npwp", provider(0).Documents["npwp"]},
			{"verifier of a pokja member", w.verifier, w.pokja[0].UserID(), "surat-tugas", official("pokja", 4).Documents["surat-tugas"]},
			{"admin of a verifier", w.admin, w.verifier.UserID(), "surat-tugas", official("verifier", 1).Documents["surat-tugas"]},
		} {
			var buf bytes.Buffer
			n, err := c.reader.UserDocument(ctx, c.user, c.kind, &buf, 1<<20)
			if err != nil || n != int64(len(c.want)) || !bytes.Equal(buf.Bytes(), c.want) {
				t.Errorf("%s: UserDocument = %q (%d), %v; want %q", c.name, buf.Bytes(), n, err, c.want)
			}
		}
		_, err := w.bidders[1].UserDocument(ctx, id, "ktp", io.Discard, 1<<20)
		wantAPIError(t, "another provider's document", err, 403, api.CodeForbidden, "reviewers")
		// The same refusal for an account that does not exist: the route
		// does not tell who does.
		_, err = w.bidders[1].UserDocument(ctx, "u-nobody", "ktp", io.Discard, 1<<20)
		wantAPIError(t, "an unknown account's document", err, 403, api.CodeForbidden, "reviewers")
		_, err = w.verifier.UserDocument(ctx, w.admin.UserID(), "surat-tugas", io.Discard, 1<<20)
		wantAPIError(t, "a verifier reading an admin's document", err, 403, api.CodeForbidden, "admin")
		_, err = w.verifier.UserDocument(ctx, id, "paspor", io.Discard, 1<<20)
		wantAPIError(t, "a kind the account has not", err, 404, api.CodeNotFound, "paspor")
		if _, err := w.bidders[0].UserDocument(ctx, id, "ktp", io.Discard, 5); !errors.Is(err, client.ErrResponseTooLarge) {
			t.Errorf("UserDocument over its limit: %v", err)
		}
	})

	t.Run("Deactivate", func(t *testing.T) {
		tenderID := w.tender.ID
		p, err := enrol(ctx, w.anon, w.verifier, provider(5))
		if err != nil {
			t.Fatal(err)
		}
		id := p.UserID()

		// Refusals, while the account is active.
		err = w.bidders[0].Deactivate(ctx, id, api.Deactivation{Reason: "Persaingan"})
		wantAPIError(t, "a provider deactivating", err, 403, api.CodeForbidden, "provider")
		err = w.verifier.Deactivate(ctx, id, api.Deactivation{})
		wantAPIError(t, "no reason", err, 400, api.CodeInvalid, "reason")
		err = w.verifier.Deactivate(ctx, id, api.Deactivation{Reason: "Terlambat", Until: time.Now().Add(-time.Hour)})
		wantAPIError(t, "a period in the past", err, 400, api.CodeInvalid, "past")
		err = w.verifier.Deactivate(ctx, id, api.Deactivation{Reason: "Daftar hitam", Blacklist: true})
		wantAPIError(t, "a verifier blacklisting without a request", err, 403, api.CodeForbidden, "RequestBlacklist")
		err = w.pokja[0].Deactivate(ctx, id, api.Deactivation{Reason: "Pelanggaran"})
		wantAPIError(t, "a pokja member deactivating", err, 403, api.CodeForbidden, "pokja")
		err = w.verifier.Deactivate(ctx, w.admin.UserID(), api.Deactivation{Reason: "Pelanggaran"})
		wantAPIError(t, "a verifier deactivating an admin", err, 403, api.CodeForbidden, "admin")
		_, err = w.pa.RequestBlacklist(ctx, w.ppk.UserID(), "Daftar hitam", time.Time{})
		wantAPIError(t, "blacklisting an official", err, 403, api.CodeForbidden, "only providers")
		err = w.verifier.Deactivate(ctx, "U-nope", api.Deactivation{Reason: "Pelanggaran"})
		wantAPIError(t, "an unknown account", err, 404, api.CodeUnknownUser)
		err = w.verifier.Reactivate(ctx, id, "Tidak ada sanksi")
		wantAPIError(t, "reactivating an active account", err, 409, api.CodeWrongState, "not deactivated")

		// A violation, indefinite.
		if err := w.verifier.Deactivate(ctx, id, api.Deactivation{Reason: "Dokumen palsu"}); err != nil {
			t.Fatal(err)
		}
		err = p.RegisterForTender(ctx, tenderID)
		wantAPIError(t, "a deactivated provider registering", err, 403, api.CodeDeactivated, "Dokumen palsu")
		u, err := w.verifier.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s := u.Sanction; u.Status != "deactivated" || s == nil || s.Blacklist || s.Reason != "Dokumen palsu" ||
			s.By != w.verifier.UserID() || !s.Until.IsZero() || s.At.IsZero() {
			t.Errorf("deactivated: User = %+v, Sanction %+v", u, u.Sanction)
		}
		err = w.pokja[0].Reactivate(ctx, id, "Klarifikasi diterima")
		wantAPIError(t, "a pokja member reactivating", err, 403, api.CodeForbidden, "pokja")
		if err := w.verifier.Reactivate(ctx, id, "Klarifikasi diterima"); err != nil {
			t.Fatal(err)
		}
		if u, err := w.verifier.User(ctx, id); err != nil || u.Status != "active" || u.Sanction != nil {
			t.Errorf("reactivated: User = %+v, %v", u, err)
		}

		// A blacklisting, for a period, requested by a committee member
		// and approved by the verifier.
		until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
		req, err := w.pokja[0].RequestBlacklist(ctx, id, "Daftar hitam", until)
		if err != nil {
			t.Fatal(err)
		}
		if req.User != id || req.By != w.pokja[0].UserID() || !req.Until.Equal(until) || req.Decision != nil {
			t.Errorf("RequestBlacklist = %+v", req)
		}
		_, err = w.pokja[0].BlacklistRequests(ctx)
		wantAPIError(t, "a pokja member listing blacklist requests", err, 403, api.CodeForbidden, "pokja")
		err = w.pokja[0].ApproveBlacklist(ctx, req.ID)
		wantAPIError(t, "a pokja member approving", err, 403, api.CodeForbidden, "pokja")
		if err := w.verifier.ApproveBlacklist(ctx, req.ID); err != nil {
			t.Fatal(err)
		}
		err = w.admin.RejectBlacklist(ctx, req.ID, "Terlambat")
		wantAPIError(t, "deciding twice", err, 409, api.CodeWrongState, "decided once")
		reqs, err := w.admin.BlacklistRequests(ctx)
		if err != nil || len(reqs) != 1 || reqs[0].ID != req.ID || reqs[0].Decision == nil || !reqs[0].Decision.Approved ||
			reqs[0].Decision.By != w.verifier.UserID() {
			t.Errorf("BlacklistRequests = %+v, %v", reqs, err)
		}
		err = p.RegisterForTender(ctx, tenderID)
		wantAPIError(t, "a blacklisted provider registering", err, 403, api.CodeBlacklisted, until.Format(time.RFC3339))
		u, err = w.verifier.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s := u.Sanction; u.Status != "deactivated" || s == nil || !s.Blacklist || !s.Until.Equal(until) ||
			s.By != w.verifier.UserID() || s.Request != req.ID {
			t.Errorf("blacklisted: User = %+v, Sanction %+v", u, u.Sanction)
		}
		if err := w.admin.Reactivate(ctx, id, "Putusan sanksi dibatalkan"); err != nil {
			t.Fatal(err)
		}
		if err := p.RegisterForTender(ctx, tenderID); err != nil {
			t.Fatalf("a reactivated provider registering: %v", err)
		}
	})
}
