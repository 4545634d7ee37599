package client_test

import (
	"context"
	"crypto/sha256"
	"reflect"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

// TestNotices publishes and lists public notices against a real server.
func TestNotices(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	w, err := setup(ctx, ts.URL, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if ns, err := w.anon.Notices(ctx); err != nil || len(ns) != 0 {
		t.Fatalf("Notices before any = %+v, %v", ns, err)
	}
	text1 := "SPSE tidak dapat diakses Sabtu 5 Desember 2026 pukul 22.00–24.00 WIB."
	n1, err := w.verifier.PublishNotice(ctx, api.NoticeMaintenance, "Pemeliharaan server", text1)
	if err != nil {
		t.Fatal(err)
	}
	if n1.ID == "" || n1.Kind != api.NoticeMaintenance || n1.Title != "Pemeliharaan server" || n1.By != w.verifier.UserID() ||
		n1.Document != sha256.Sum256([]byte(text1)) || n1.Time.IsZero() {
		t.Errorf("PublishNotice = %+v", n1)
	}
	if got, err := w.anon.NoticeText(ctx, n1.ID); err != nil || got != text1 {
		t.Errorf("NoticeText = %q, %v; want %q", got, err, text1)
	}
	_, err = w.anon.NoticeText(ctx, "N-nope")
	wantAPIError(t, "an unknown notice's text", err, 404, api.CodeNotFound, "N-nope")
	text2 := "Gangguan jaringan 09.00–09.40 WIB; batas waktu yang jatuh di dalamnya diperpanjang."
	n2, err := w.admin.PublishNotice(ctx, api.NoticeOutage, "Gangguan jaringan", text2)
	if err != nil {
		t.Fatal(err)
	}

	// Refusals, which publish nothing.
	_, err = w.bidders[0].PublishNotice(ctx, api.NoticeGeneral, "Promo", "Diskon")
	wantAPIError(t, "a provider publishing", err, 403, api.CodeForbidden, "provider")
	_, err = w.anon.PublishNotice(ctx, api.NoticeGeneral, "Promo", "Diskon")
	wantAPIError(t, "publishing anonymously", err, 401, api.CodeUnauthenticated)
	_, err = w.verifier.PublishNotice(ctx, "promo", "Promo", "Diskon")
	wantAPIError(t, "an unknown kind", err, 400, api.CodeInvalid, `"promo"`)
	_, err = w.verifier.PublishNotice(ctx, api.NoticeGeneral, "Dua\nbaris", "Teks")
	wantAPIError(t, "a title of two lines", err, 400, api.CodeInvalid, "title")

	ns, err := w.anon.Notices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2 || !sameNotice(ns[0], *n2) || !sameNotice(ns[1], *n1) {
		t.Errorf("Notices = %+v, want newest first %+v, %+v", ns, *n2, *n1)
	}
	if ns[0].Document != sha256.Sum256([]byte(text2)) || ns[0].By != w.admin.UserID() {
		t.Errorf("Notices[0] = %+v", ns[0])
	}

	// Withdrawn: by staff, once, with a reason; still listed, marked.
	_, err = w.bidders[0].WithdrawNotice(ctx, n1.ID, "Dibatalkan")
	wantAPIError(t, "a provider withdrawing a notice", err, 403, api.CodeForbidden)
	_, err = w.verifier.WithdrawNotice(ctx, n1.ID, "")
	wantAPIError(t, "a withdrawal without a reason", err, 400, api.CodeInvalid, "reason")
	_, err = w.verifier.WithdrawNotice(ctx, "N-none", "Dibatalkan")
	wantAPIError(t, "withdrawing an unknown notice", err, 404, api.CodeNotFound)
	wn, err := w.verifier.WithdrawNotice(ctx, n1.ID, "Pemeliharaan dibatalkan.")
	if err != nil || wn.Withdrawn == nil || wn.Withdrawn.By != w.verifier.UserID() || wn.Withdrawn.Reason != "Pemeliharaan dibatalkan." {
		t.Fatalf("WithdrawNotice = %+v, %v", wn, err)
	}
	_, err = w.admin.WithdrawNotice(ctx, n1.ID, "Lagi")
	wantAPIError(t, "withdrawing twice", err, 409, api.CodeWrongState, "withdrawn")
	ns, err = w.anon.Notices(ctx)
	if err != nil || len(ns) != 2 || ns[1].Withdrawn == nil || ns[0].Withdrawn != nil {
		t.Errorf("Notices after a withdrawal = %+v, %v", ns, err)
	}
}

func sameNotice(a, b api.Notice) bool {
	ok := a.Time.Equal(b.Time)
	a.Time, b.Time = time.Time{}, time.Time{}
	return ok && a.Withdrawn == nil && b.Withdrawn == nil && a == b
}

// TestComplaints files complaints and moves one through its statuses
// against a real server.
func TestComplaints(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	w, err := setup(ctx, ts.URL, 2, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bidder := w.bidders[0]
	_, err = w.anon.Complaints(ctx)
	wantAPIError(t, "listing anonymously", err, 401, api.CodeUnauthenticated)
	if cs, err := bidder.Complaints(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("Complaints before any = %+v, %v", cs, err)
	}

	text := "Unggah penawaran berhenti di 80% sejak pukul 10.00."
	c0, err := bidder.FileComplaint(ctx, "Tidak bisa unggah penawaran", text)
	if err != nil {
		t.Fatal(err)
	}
	if c0.ID == "" || c0.By != bidder.UserID() || c0.Subject != "Tidak bisa unggah penawaran" || c0.Status != api.ComplaintOpen ||
		c0.Document != sha256.Sum256([]byte(text)) || c0.Filed.IsZero() || len(c0.Updates) != 0 {
		t.Errorf("FileComplaint = %+v", c0)
	}
	c1, err := w.pokja[0].FileComplaint(ctx, "Akun terkunci", "Akun saya terkunci setelah ganti kata sandi.")
	if err != nil {
		t.Fatal(err)
	}
	if cs, err := bidder.Complaints(ctx); err != nil || len(cs) != 1 || !sameComplaint(cs[0], *c0) {
		t.Errorf("a provider's Complaints = %+v, %v; want only its own %+v", cs, err, *c0)
	}
	if cs, err := w.verifier.Complaints(ctx); err != nil || len(cs) != 2 || !sameComplaint(cs[0], *c0) || !sameComplaint(cs[1], *c1) {
		t.Errorf("staff's Complaints = %+v, %v; want both, oldest first", cs, err)
	}

	// Refusals, which change nothing.
	_, err = bidder.FileComplaint(ctx, "Kosong", " ")
	wantAPIError(t, "an empty complaint", err, 400, api.CodeInvalid, "text is empty")
	_, err = bidder.UpdateComplaint(ctx, c0.ID, api.ComplaintInProgress, "Sendiri")
	wantAPIError(t, "a provider updating", err, 403, api.CodeForbidden, "provider")
	_, err = w.verifier.UpdateComplaint(ctx, c0.ID, api.ComplaintResolved, "Langsung selesai")
	wantAPIError(t, "open to resolved", err, 409, api.CodeWrongState, "open → in-progress")
	_, err = w.verifier.UpdateComplaint(ctx, c0.ID, "closed", "Ditutup")
	wantAPIError(t, "an unknown status", err, 400, api.CodeInvalid, `"closed"`)
	_, err = w.verifier.UpdateComplaint(ctx, "C-nope", api.ComplaintInProgress, "Ditangani")
	wantAPIError(t, "an unknown complaint", err, 404, api.CodeNotFound, "C-nope")

	r1, r2 := "Sedang diperiksa tim teknis.", "Batas unggah dinaikkan; silakan coba lagi."
	u1, err := w.verifier.UpdateComplaint(ctx, c0.ID, api.ComplaintInProgress, r1)
	if err != nil {
		t.Fatal(err)
	}
	if u1.Status != api.ComplaintInProgress || len(u1.Updates) != 1 || u1.Updates[0].By != w.verifier.UserID() ||
		u1.Updates[0].Status != api.ComplaintInProgress || u1.Updates[0].Document != sha256.Sum256([]byte(r1)) {
		t.Errorf("UpdateComplaint to in-progress = %+v", u1)
	}
	u2, err := w.admin.UpdateComplaint(ctx, c0.ID, api.ComplaintResolved, r2)
	if err != nil {
		t.Fatal(err)
	}
	if u2.Status != api.ComplaintResolved || len(u2.Updates) != 2 || u2.Updates[1].By != w.admin.UserID() ||
		u2.Updates[1].Document != sha256.Sum256([]byte(r2)) {
		t.Errorf("UpdateComplaint to resolved = %+v", u2)
	}
	_, err = w.verifier.UpdateComplaint(ctx, c0.ID, api.ComplaintRejected, "Ditolak")
	wantAPIError(t, "moving a resolved complaint", err, 409, api.CodeWrongState, "resolved")

	// The texts: the filer and staff read the complaint and the responses.
	for _, c := range []struct {
		who    *client.Client
		digest [32]byte
		want   string
	}{
		{bidder, c0.Document, text}, {bidder, u2.Updates[0].Document, r1}, {bidder, u2.Updates[1].Document, r2},
		{w.verifier, c0.Document, text}, {w.admin, u2.Updates[1].Document, r2},
	} {
		if got, err := c.who.ComplaintDocument(ctx, c0.ID, c.digest); err != nil || got != c.want {
			t.Errorf("ComplaintDocument(%x…) as %s = %q, %v; want %q", c.digest[:4], c.who.UserID(), got, err, c.want)
		}
	}
	_, err = w.bidders[1].ComplaintDocument(ctx, c0.ID, c0.Document)
	wantAPIError(t, "another user reading a complaint", err, 403, api.CodeForbidden, "filed")
	_, err = w.bidders[1].ComplaintDocument(ctx, "C-nope", c0.Document)
	wantAPIError(t, "another user reading an unknown complaint", err, 403, api.CodeForbidden, "filed")
	_, err = bidder.ComplaintDocument(ctx, c0.ID, c1.Document)
	wantAPIError(t, "another complaint's text by its digest", err, 404, api.CodeNotFound, c0.ID)
	_, err = w.anon.ComplaintDocument(ctx, c0.ID, c0.Document)
	wantAPIError(t, "reading a complaint anonymously", err, 401, api.CodeUnauthenticated)
	if cs, err := bidder.Complaints(ctx); err != nil || len(cs) != 1 || !sameComplaint(cs[0], *u2) {
		t.Errorf("Complaints after resolution = %+v, %v; want %+v", cs, err, *u2)
	}
}

// sameComplaint compares complaints with their times by Equal.
func sameComplaint(a, b api.Complaint) bool {
	if !a.Filed.Equal(b.Filed) || len(a.Updates) != len(b.Updates) {
		return false
	}
	a.Filed, b.Filed = time.Time{}, time.Time{}
	a.Updates, b.Updates = append([]api.ComplaintUpdate(nil), a.Updates...), append([]api.ComplaintUpdate(nil), b.Updates...)
	for i := range a.Updates {
		if !a.Updates[i].Time.Equal(b.Updates[i].Time) {
			return false
		}
		a.Updates[i].Time, b.Updates[i].Time = time.Time{}, time.Time{}
	}
	return reflect.DeepEqual(a, b)
}
