package registry

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestWorkflow runs a provider's life through the registry on each backend:
// registration, verification, approval, login, tokens, submission checks,
// a blacklist on request that expires, a violation and a reactivation, and
// checks the log entries each decision appended.
func TestWorkflow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		ctx := e.ctx

		p, err := e.reg.Register(ctx, company(1))
		e.must(err)
		if p.Status != StatusPending || p.Email != "direktur1@cv-contoh.co.id" || p.Provider.NPWP != "012345671012000" {
			t.Fatalf("registered %+v", p)
		}
		if _, err := e.reg.Login(ctx, "direktur1@cv-contoh.co.id", testPassword); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("login while pending: %v, want ErrNotVerified", err)
		}
		if err := e.reg.CanSubmit(ctx, p.ID); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("CanSubmit while pending: %v, want ErrNotVerified", err)
		}

		// The verifier reads the scan, sees the original, verifies.
		rc, err := e.reg.OpenDocument(ctx, c.verifier.ID, p.ID, DocKTP)
		e.must(err)
		got, err := io.ReadAll(rc)
		e.must(err)
		rc.Close()
		if string(got) != "ktp" {
			t.Fatalf("OpenDocument = %q, want %q", got, "ktp")
		}
		for _, k := range []DocumentKind{DocKTP, DocNPWP, DocAktaPendirian} {
			e.must(e.reg.VerifyDocument(ctx, c.verifier.ID, p.ID, k))
		}
		before := e.snapshot()
		e.refused("approve with a document unverified", before, e.reg.Approve(ctx, c.verifier.ID, p.ID), ErrDocumentsUnverified)
		e.must(e.reg.VerifyDocument(ctx, c.verifier.ID, p.ID, DocIzinUsaha))
		e.must(e.reg.Approve(ctx, c.verifier.ID, p.ID))

		u, err := e.reg.Login(ctx, " DIREKTUR1@cv-contoh.co.id", testPassword)
		e.must(err)
		if u.ID != p.ID || u.Status != StatusActive || u.Decision == nil || u.Decision.By != c.verifier.ID {
			t.Fatalf("login = %+v", u)
		}
		tok, err := e.reg.IssueToken(ctx, u.ID, time.Hour)
		e.must(err)
		if a, err := e.reg.Authenticate(ctx, tok.Secret); err != nil || a.ID != p.ID {
			t.Fatalf("Authenticate = %v, %v", a.ID, err)
		}
		e.must(e.reg.CanSubmit(ctx, p.ID))

		// Blacklisted for 30 days: the PA/KPA requests, the verifier decides.
		until := e.clock.Now().Add(30 * 24 * time.Hour)
		req, err := e.reg.RequestBlacklist(ctx, c.pa.ID, p.ID, "dokumen palsu pada tender 10012345000", until)
		e.must(err)
		e.must(e.reg.CanSubmit(ctx, p.ID)) // a request alone changes nothing
		e.must(e.reg.ApproveBlacklist(ctx, c.verifier.ID, req.ID))
		for name, err := range map[string]error{
			"CanSubmit":    e.reg.CanSubmit(ctx, p.ID),
			"Login":        second(e.reg.Login(ctx, p.Email, testPassword)),
			"Authenticate": second(e.reg.Authenticate(ctx, tok.Secret)),
			"IssueToken":   second(e.reg.IssueToken(ctx, p.ID, time.Hour)),
		} {
			if !errors.Is(err, ErrBlacklisted) {
				t.Errorf("%s while blacklisted: %v, want ErrBlacklisted", name, err)
			}
		}
		if u, _ := e.reg.Lookup(ctx, p.ID); u.Status != StatusDeactivated || u.Sanction == nil ||
			u.Sanction.By != c.verifier.ID || u.Sanction.Request != req.ID || !u.Sanction.Until.Equal(until) {
			t.Errorf("Lookup while blacklisted = %+v", u)
		}
		// The period ends: active again without any action.
		e.clock.Add(30*24*time.Hour + time.Second)
		e.must(e.reg.CanSubmit(ctx, p.ID))

		// An indefinite deactivation for a violation, then reactivation.
		e.must(e.reg.Deactivate(ctx, c.admin.ID, p.ID, Sanction{Reason: "pelanggaran syarat penggunaan"}))
		if err := e.reg.CanSubmit(ctx, p.ID); !errors.Is(err, ErrDeactivated) {
			t.Errorf("CanSubmit while deactivated: %v, want ErrDeactivated", err)
		}
		e.must(e.reg.Reactivate(ctx, c.verifier.ID, p.ID, "keberatan diterima"))
		e.must(e.reg.CanSubmit(ctx, p.ID))

		// The log: what each decision appended, with who and when.
		var types []string
		for _, en := range e.log.all() {
			if en.Value("user") == p.ID {
				types = append(types, en.Type+" by="+en.Value("by"))
			}
		}
		v, a := c.verifier.ID, c.admin.ID
		want := []string{"user-registered by=",
			"user-verified by=" + v, "user-verified by=" + v, "user-verified by=" + v, "user-verified by=" + v,
			"user-approved by=" + v, "blacklist-requested by=" + c.pa.ID, "blacklist-approved by=" + v, "user-deactivated by=" + v,
			"user-deactivated by=" + a, "user-reactivated by=" + v}
		if diff := cmp.Diff(want, types); diff != "" {
			t.Errorf("log entries of the provider (-want +got):\n%s", diff)
		}
		for _, en := range e.log.all() {
			b, _ := en.Marshal()
			for _, secret := range []string{"Contoh", "cv-contoh", testNIKs[1], "012345671012000", "9120001234567", "@"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("log entry holds personal data %q:\n%s", secret, b)
				}
			}
		}
		last := e.log.all()[len(e.log.all())-2]
		if want := "violation until indefinite: pelanggaran syarat penggunaan"; last.Value("reason") != want {
			t.Errorf("deactivation reason logged as %q, want %q", last.Value("reason"), want)
		}
	})
}

func second[T any](_ T, err error) error { return err }
