package registry

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// TestSanctionAuthority: officials deactivate nobody; verifiers deactivate
// providers and officials; only admins deactivate LPSE staff; the last
// active admin is deactivated by nobody (art. 9.4: officials request, the
// LPSE decides).
func TestSanctionAuthority(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		ctx := e.ctx
		ppk := e.active(official(RolePPK, 1), c.verifier.ID)
		q := e.active(company(3), c.verifier.ID)
		s := Sanction{Reason: "pelanggaran"}
		check := func(name string, want error, f func() error) {
			t.Helper()
			e.refused(name, e.snapshot(), f(), want)
		}

		// The sole admin, first: nobody may deactivate them.
		for _, by := range []User{c.verifier, c.pa, ppk, c.pokja, q, c.admin} {
			check(string(by.Role)+" deactivates the last active admin", ErrForbidden,
				func() error { return e.reg.Deactivate(ctx, by.ID, c.admin.ID, s) })
		}
		for _, by := range []User{c.pa, ppk, c.pokja} {
			for _, target := range []User{q, c.verifier, c.pokja, ppk} {
				if by.ID == target.ID {
					continue
				}
				check(string(by.Role)+" deactivates a "+string(target.Role), ErrForbidden,
					func() error { return e.reg.Deactivate(ctx, by.ID, target.ID, s) })
			}
		}

		a2 := e.active(official(RoleAdmin, 2), c.admin.ID)
		v2 := e.active(official(RoleVerifier, 0), c.admin.ID)
		check("a verifier deactivates an admin", ErrForbidden, func() error { return e.reg.Deactivate(ctx, c.verifier.ID, a2.ID, s) })
		check("a verifier deactivates another verifier", ErrForbidden, func() error { return e.reg.Deactivate(ctx, c.verifier.ID, v2.ID, s) })

		// A verifier sanctions providers and officials.
		e.must(e.reg.Deactivate(ctx, c.verifier.ID, q.ID, s))
		e.must(e.reg.Reactivate(ctx, c.verifier.ID, q.ID, "klarifikasi diterima"))
		e.must(e.reg.Deactivate(ctx, c.verifier.ID, ppk.ID, s))
		// An admin sanctions staff; a verifier may not lift it.
		e.must(e.reg.Deactivate(ctx, c.admin.ID, v2.ID, s))
		check("a verifier reactivates a verifier", ErrForbidden, func() error { return e.reg.Reactivate(ctx, c.verifier.ID, v2.ID, "x") })
		e.must(e.reg.Reactivate(ctx, a2.ID, v2.ID, "kembali bertugas"))
	})
}

// TestAdminsDeactivateEachOther: two admins deactivating each other at
// once leave one of them active, on each backend.
func TestAdminsDeactivateEachOther(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		a2 := e.active(official(RoleAdmin, 2), c.admin.ID)
		for round := range 3 {
			var wg sync.WaitGroup
			var errs [2]error
			pair := [2]User{c.admin, a2}
			for i := range 2 {
				wg.Go(func() {
					errs[i] = e.reg.Deactivate(e.ctx, pair[i].ID, pair[1-i].ID, Sanction{Reason: "saling menonaktifkan"})
				})
			}
			wg.Wait()
			active := 0
			for _, u := range pair {
				got, err := e.reg.Lookup(e.ctx, u.ID)
				e.must(err)
				if got.Status == StatusActive {
					active++
				}
			}
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, ErrForbidden):
					t.Errorf("round %d: %v, want nil or ErrForbidden", round, err)
				}
			}
			if active != 1 || won != 1 {
				t.Fatalf("round %d: %d admins active and %d deactivations succeeded (%v); want 1 and 1", round, active, won, errs)
			}
			// The survivor brings the other back for the next round.
			for i, err := range errs {
				if err == nil {
					e.must(e.reg.Reactivate(e.ctx, pair[i].ID, pair[1-i].ID, "kembali bertugas"))
				}
			}
		}
	})
}

// TestBlacklistRequests runs requests from filing to decision: only
// officials file, only verifiers and admins list and decide, each request
// is decided once, and every step is logged.
func TestBlacklistRequests(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		ctx := e.ctx
		ppk := e.active(official(RolePPK, 1), c.verifier.ID)
		q := e.active(company(3), c.verifier.ID)
		q2 := e.active(company(2), c.verifier.ID)
		pending, err := e.reg.Register(ctx, company(5))
		e.must(err)
		until := e.clock.Now().Add(365 * 24 * time.Hour)
		check := func(name string, want error, f func() error) {
			t.Helper()
			e.refused(name, e.snapshot(), f(), want)
		}
		file := func(by, user, reason string, until time.Time) func() error {
			return func() error { _, err := e.reg.RequestBlacklist(ctx, by, user, reason, until); return err }
		}
		check("a provider files", ErrForbidden, file(q2.ID, q.ID, "x", until))
		check("a verifier files", ErrForbidden, file(c.verifier.ID, q.ID, "x", until))
		check("against an official", ErrRoleMismatch, file(c.pokja.ID, ppk.ID, "x", until))
		check("against a pending provider", ErrWrongState, file(c.pokja.ID, pending.ID, "x", until))
		check("against nobody", ErrUnknownUser, file(c.pokja.ID, "u-nobody", "x", until))
		check("without a reason", ErrInvalid, file(c.pokja.ID, q.ID, "", until))
		check("until the past", ErrInvalid, file(c.pokja.ID, q.ID, "x", e.clock.Now().Add(-time.Second)))

		n := len(e.log.all())
		req, err := e.reg.RequestBlacklist(ctx, c.pokja.ID, q.ID, "dokumen palsu pada tender 10012345000", until)
		e.must(err)
		if req.User != q.ID || req.By != c.pokja.ID || !req.At.Equal(e.clock.Now()) || req.Decision != nil {
			t.Errorf("filed %+v", req)
		}
		e.must(e.reg.CanSubmit(ctx, q.ID)) // a request alone changes nothing
		e.clock.Add(time.Minute)
		req2, err := e.reg.RequestBlacklist(ctx, ppk.ID, q2.ID, "wanprestasi", time.Time{})
		e.must(err)

		check("a pokja lists", ErrForbidden, func() error { _, err := e.reg.BlacklistRequests(ctx, c.pokja.ID); return err })
		list, err := e.reg.BlacklistRequests(ctx, c.verifier.ID)
		e.must(err)
		if diff := cmp.Diff([]BlacklistRequest{req, req2}, list); diff != "" {
			t.Errorf("BlacklistRequests (-want +got):\n%s", diff)
		}

		check("the requester approves", ErrForbidden, func() error { return e.reg.ApproveBlacklist(ctx, c.pokja.ID, req.ID) })
		check("a PA/KPA approves", ErrForbidden, func() error { return e.reg.ApproveBlacklist(ctx, c.pa.ID, req.ID) })
		check("approve an unknown request", vault.ErrNotFound, func() error { return e.reg.ApproveBlacklist(ctx, c.verifier.ID, "b-nothing") })
		check("reject without a reason", ErrInvalid, func() error { return e.reg.RejectBlacklist(ctx, c.verifier.ID, req.ID, "") })

		e.must(e.reg.ApproveBlacklist(ctx, c.verifier.ID, req.ID))
		if err := e.reg.CanSubmit(ctx, q.ID); !errors.Is(err, ErrBlacklisted) {
			t.Errorf("CanSubmit after approval: %v, want ErrBlacklisted", err)
		}
		u, err := e.reg.Lookup(ctx, q.ID)
		e.must(err)
		want := &Sanction{Blacklist: true, Reason: req.Reason, By: c.verifier.ID, At: e.clock.Now(), Until: until, Request: req.ID}
		if diff := cmp.Diff(want, u.Sanction); diff != "" {
			t.Errorf("sanction after approval (-want +got):\n%s", diff)
		}
		check("approve twice", ErrWrongState, func() error { return e.reg.ApproveBlacklist(ctx, c.admin.ID, req.ID) })
		check("reject after approval", ErrWrongState, func() error { return e.reg.RejectBlacklist(ctx, c.admin.ID, req.ID, "x") })

		e.must(e.reg.RejectBlacklist(ctx, c.admin.ID, req2.ID, "bukti tidak cukup"))
		e.must(e.reg.CanSubmit(ctx, q2.ID))
		check("reject twice", ErrWrongState, func() error { return e.reg.RejectBlacklist(ctx, c.verifier.ID, req2.ID, "x") })
		check("approve after rejection", ErrWrongState, func() error { return e.reg.ApproveBlacklist(ctx, c.verifier.ID, req2.ID) })

		// A request against a provider deactivated meanwhile waits, or is
		// rejected.
		e.clock.Add(time.Minute)
		req3, err := e.reg.RequestBlacklist(ctx, c.pa.ID, q.ID, "wanprestasi lain", time.Time{})
		e.must(err)
		check("approve against a blacklisted provider", ErrWrongState, func() error { return e.reg.ApproveBlacklist(ctx, c.verifier.ID, req3.ID) })

		list, err = e.reg.BlacklistRequests(ctx, c.admin.ID)
		e.must(err)
		if len(list) != 3 || list[0].Decision == nil || !list[0].Decision.Approved || list[0].Decision.By != c.verifier.ID ||
			list[1].Decision == nil || list[1].Decision.Approved || list[1].Decision.Reason != "bukti tidak cukup" || list[2].Decision != nil {
			t.Errorf("BlacklistRequests after the decisions = %+v", list)
		}

		var got []string
		for _, en := range e.log.all()[n:] {
			got = append(got, en.Type+" "+en.Value("request")+" "+en.Value("user")+" by="+en.Value("by")+" "+en.Value("reason"))
		}
		wantLog := []string{
			"blacklist-requested " + req.ID + " " + q.ID + " by=" + c.pokja.ID + " until " + canon.FormatTime(until) + ": dokumen palsu pada tender 10012345000",
			"blacklist-requested " + req2.ID + " " + q2.ID + " by=" + ppk.ID + " until indefinite: wanprestasi",
			"blacklist-approved " + req.ID + " " + q.ID + " by=" + c.verifier.ID + " ",
			"user-deactivated  " + q.ID + " by=" + c.verifier.ID + " blacklist until " + canon.FormatTime(until) + ": dokumen palsu pada tender 10012345000",
			"blacklist-rejected " + req2.ID + " " + q2.ID + " by=" + c.admin.ID + " bukti tidak cukup",
			"blacklist-requested " + req3.ID + " " + q.ID + " by=" + c.pa.ID + " until indefinite: wanprestasi lain",
		}
		if diff := cmp.Diff(wantLog, got); diff != "" {
			t.Errorf("log (-want +got):\n%s", diff)
		}
	})
}

// TestBlacklistDecidedOnce: an approval and a rejection of one request at
// the same time; exactly one of them is recorded and logged.
func TestBlacklistDecidedOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		q := e.active(company(3), c.verifier.ID)
		req, err := e.reg.RequestBlacklist(e.ctx, c.pa.ID, q.ID, "dokumen palsu", time.Time{})
		e.must(err)
		n := len(e.log.all())
		var wg sync.WaitGroup
		var approve, reject error
		wg.Go(func() { approve = e.reg.ApproveBlacklist(e.ctx, c.verifier.ID, req.ID) })
		wg.Go(func() { reject = e.reg.RejectBlacklist(e.ctx, c.admin.ID, req.ID, "bukti tidak cukup") })
		wg.Wait()
		if (approve == nil) == (reject == nil) {
			t.Fatalf("approve: %v; reject: %v; want exactly one to succeed", approve, reject)
		}
		if err := errors.Join(approve, reject); !errors.Is(err, ErrWrongState) {
			t.Errorf("the losing decision: %v, want ErrWrongState", err)
		}
		var types []string
		for _, en := range e.log.all()[n:] {
			types = append(types, en.Type)
		}
		want := []string{"blacklist-rejected"}
		if approve == nil {
			want = []string{"blacklist-approved", "user-deactivated"}
		}
		if diff := cmp.Diff(want, types); diff != "" {
			t.Errorf("log (-want +got):\n%s", diff)
		}
	})
}

// TestNoSelfReviewByNIK: a reviewer never decides about an account of their
// own person (the same NIK) — a provider whose director they are, another
// staff account of theirs, a sanction or a blacklisting — whatever account
// id they act under.
func TestNoSelfReviewByNIK(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		ctx := e.ctx
		v2 := e.active(official(RoleVerifier, 0), c.admin.ID)
		check := func(name string, f func() error) {
			t.Helper()
			e.refused(name, e.snapshot(), f(), ErrForbidden)
		}

		// The verifier's own company (testNIKs[6] is the verifier's).
		own, err := e.reg.Register(ctx, company(6))
		e.must(err)
		check("verify a document of one's own company", func() error { return e.reg.VerifyDocument(ctx, c.verifier.ID, own.ID, DocKTP) })
		for _, d := range own.Documents {
			e.must(e.reg.VerifyDocument(ctx, v2.ID, own.ID, d.Kind))
		}
		check("approve one's own company", func() error { return e.reg.Approve(ctx, c.verifier.ID, own.ID) })
		check("reject one's own company", func() error { return e.reg.Reject(ctx, c.verifier.ID, own.ID, "x") })
		e.must(e.reg.Approve(ctx, v2.ID, own.ID))

		// Sanctions and their lifting.
		e.must(e.reg.Deactivate(ctx, v2.ID, own.ID, Sanction{Reason: "pelanggaran"}))
		check("reactivate one's own company", func() error { return e.reg.Reactivate(ctx, c.verifier.ID, own.ID, "x") })
		e.must(e.reg.Reactivate(ctx, v2.ID, own.ID, "klarifikasi diterima"))
		check("deactivate one's own company", func() error { return e.reg.Deactivate(ctx, c.verifier.ID, own.ID, Sanction{Reason: "x"}) })

		// A blacklisting of one's own company, or on one's own request.
		req, err := e.reg.RequestBlacklist(ctx, c.pa.ID, own.ID, "dokumen palsu", time.Time{})
		e.must(err)
		check("approve the blacklisting of one's own company", func() error { return e.reg.ApproveBlacklist(ctx, c.verifier.ID, req.ID) })
		check("reject the blacklisting of one's own company", func() error { return e.reg.RejectBlacklist(ctx, c.verifier.ID, req.ID, "x") })
		twin := e.active(official(RolePokja, 0), c.verifier.ID) // testNIKs[0] is v2's
		q := e.active(company(3), c.verifier.ID)
		req2, err := e.reg.RequestBlacklist(ctx, twin.ID, q.ID, "dokumen palsu", time.Time{})
		e.must(err)
		check("decide one's own request", func() error { return e.reg.ApproveBlacklist(ctx, v2.ID, req2.ID) })
		e.must(e.reg.ApproveBlacklist(ctx, c.verifier.ID, req2.ID))

		// An admin and another staff account of theirs (testNIKs[7] is the
		// bootstrap admin's).
		staff, err := e.reg.Register(ctx, official(RoleVerifier, 7))
		e.must(err)
		check("an admin verifies their own staff account", func() error {
			return e.reg.VerifyDocument(ctx, c.admin.ID, staff.ID, DocSuratTugas)
		})
	})
}

// TestStaffApprovalSeated: a person who sits on a committee with an active
// pokja account is not approved as LPSE staff until that account is
// deactivated (art. 21.3).
func TestStaffApprovalSeated(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		ctx := e.ctx
		m2 := e.active(official(RolePokja, 2), c.verifier.ID)
		m3 := e.active(official(RolePokja, 3), c.verifier.ID)
		e.must(e.reg.AssignCommittee(ctx, c.pa.ID, "10012345000", []string{c.pokja.ID, m2.ID, m3.ID}))

		// m3's person applies to be a verifier; an admin is the reviewer.
		app := official(RoleVerifier, 3)
		app.Email = "verifikator3@lpse.go.id"
		staff, err := e.reg.Register(ctx, app)
		e.must(err)
		e.must(e.reg.VerifyDocument(ctx, c.admin.ID, staff.ID, DocSuratTugas))
		e.refused("approve a committee member as staff", e.snapshot(), e.reg.Approve(ctx, c.admin.ID, staff.ID), ErrSeparationOfDuties)

		// Someone on no committee is approved.
		e.active(official(RoleAdmin, 1), c.admin.ID)
		// Once the pokja account is deactivated, the person may join.
		e.must(e.reg.Deactivate(ctx, c.verifier.ID, m3.ID, Sanction{Reason: "diangkat menjadi verifikator LPSE"}))
		e.must(e.reg.Approve(ctx, c.admin.ID, staff.ID))

		// The same on reactivation: the verifier leaves the LPSE, their
		// pokja account serves again, and the staff account may not come
		// back while it does.
		e.must(e.reg.Deactivate(ctx, c.admin.ID, staff.ID, Sanction{Reason: "pindah tugas"}))
		e.must(e.reg.Reactivate(ctx, c.verifier.ID, m3.ID, "kembali menjadi pokja"))
		e.must(e.reg.CheckAssignable(ctx, m3.ID, RolePokja))
		e.refused("reactivate a committee member as staff", e.snapshot(),
			e.reg.Reactivate(ctx, c.admin.ID, staff.ID, "kembali bertugas"), ErrSeparationOfDuties)
	})
}
