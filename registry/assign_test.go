package registry

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSeparationOfDuties keeps LPSE staff off committees and PPK posts
// (art. 21.3), whether they use their staff account or another account of
// the same person, and only while the staff account is active.
func TestSeparationOfDuties(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		ctx := e.ctx
		// Two more pokja members, and one who is also the verifier (same
		// NIK), approved by another verifier.
		m2 := e.active(official(RolePokja, 2), c.verifier.ID)
		m3 := e.active(official(RolePokja, 3), c.verifier.ID)
		v2 := e.active(official(RoleVerifier, 0), c.admin.ID)
		twin := e.active(official(RolePokja, 6), v2.ID) // testNIKs[6] is the verifier's
		ppk := e.active(official(RolePPK, 1), c.verifier.ID)
		p := e.active(company(1), c.verifier.ID)

		for _, tc := range []struct {
			user string
			role Role
			want error
		}{
			{c.pokja.ID, RolePokja, nil},
			{ppk.ID, RolePPK, nil},
			{c.verifier.ID, RolePokja, ErrSeparationOfDuties},
			{c.admin.ID, RolePPK, ErrSeparationOfDuties},
			{c.verifier.ID, RolePejabatPengadaan, ErrSeparationOfDuties},
			{twin.ID, RolePokja, ErrSeparationOfDuties},
			{c.pokja.ID, RoleVerifier, ErrSeparationOfDuties},
			{c.pokja.ID, RolePPK, ErrRoleMismatch},
			{p.ID, RolePokja, ErrRoleMismatch},
			{c.pokja.ID, RoleAuditor, ErrRoleMismatch},
			{c.pokja.ID, "ketua", ErrInvalid},
			{"u-nobody", RolePokja, ErrUnknownUser},
		} {
			err := e.reg.CheckAssignable(ctx, tc.user, tc.role)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("CheckAssignable(%s, %s) = %v, want %v", tc.user, tc.role, err, tc.want)
			}
		}

		check := func(name string, want error, by string, members ...string) {
			t.Helper()
			before := e.snapshot()
			e.refused(name, before, e.reg.AssignCommittee(ctx, by, "10012345000", members), want)
		}
		check("a staff member on the committee", ErrSeparationOfDuties, c.pa.ID, c.pokja.ID, m2.ID, c.verifier.ID)
		check("the verifier's other account", ErrSeparationOfDuties, c.pa.ID, c.pokja.ID, m2.ID, twin.ID)
		check("assigned by an admin", ErrForbidden, c.admin.ID, c.pokja.ID, m2.ID, m3.ID)
		check("assigned by a pokja", ErrForbidden, c.pokja.ID, c.pokja.ID, m2.ID, m3.ID)
		check("two members", ErrInvalid, c.pa.ID, c.pokja.ID, m2.ID)
		check("four members", ErrInvalid, c.pa.ID, c.pokja.ID, m2.ID, m3.ID, ppk.ID)
		check("a member twice", ErrInvalid, c.pa.ID, c.pokja.ID, m2.ID, m2.ID)
		check("a PPK as member", ErrRoleMismatch, c.pa.ID, c.pokja.ID, m2.ID, ppk.ID)
		before := e.snapshot()
		e.refused("bad tender ref", before, e.reg.AssignCommittee(ctx, c.pa.ID, "../x", []string{c.pokja.ID, m2.ID, m3.ID}), ErrInvalid)

		e.must(e.reg.AssignCommittee(ctx, c.pa.ID, "10012345000", []string{c.pokja.ID, m2.ID, m3.ID}))
		got, err := e.reg.Committee(ctx, "10012345000")
		e.must(err)
		if diff := cmp.Diff([]string{c.pokja.ID, m2.ID, m3.ID}, got); diff != "" {
			t.Errorf("Committee (-want +got):\n%s", diff)
		}

		// When the verifier's staff account is deactivated (they left the
		// LPSE), their pokja account may serve.
		e.must(e.reg.Deactivate(ctx, c.admin.ID, c.verifier.ID, Sanction{Reason: "pindah tugas"}))
		e.must(e.reg.CheckAssignable(ctx, twin.ID, RolePokja))
		// A deactivated member may not.
		e.must(e.reg.Deactivate(ctx, v2.ID, m2.ID, Sanction{Reason: "pelanggaran"}))
		if err := e.reg.CheckAssignable(ctx, m2.ID, RolePokja); !errors.Is(err, ErrDeactivated) {
			t.Errorf("CheckAssignable of a deactivated pokja: %v, want ErrDeactivated", err)
		}
	})
}

// TestConcurrentRegistration registers the same email from many goroutines:
// exactly one wins, on each backend.
func TestConcurrentRegistration(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				a := company(i)
				a.Email = "sama@contoh.co.id"
				_, errs[i] = e.reg.Register(e.ctx, a)
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrDuplicateEmail):
				t.Errorf("registration %d: %v, want nil or ErrDuplicateEmail", i, err)
			}
		}
		if won != 1 {
			t.Errorf("%d registrations of one email succeeded, want 1", won)
		}
		s := e.snapshot()
		if len(s.Tables[tableUsers]) != 1 || len(s.Tables[tableEmails]) != 1 || len(e.log.all()) != 1 {
			t.Errorf("after the race: %d users, %d emails, %d entries; want 1 each",
				len(s.Tables[tableUsers]), len(s.Tables[tableEmails]), len(e.log.all()))
		}
	})
}

// TestAuditOutbox: when the log refuses an append the decision stands,
// the caller gets ErrAuditLog, and FlushAudit appends the entry later.
func TestAuditOutbox(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		p, err := e.reg.Register(e.ctx, company(1))
		e.must(err)
		e.log.fail = true
		if err := e.reg.Reject(e.ctx, c.verifier.ID, p.ID, "npwp tidak terbaca"); !errors.Is(err, ErrAuditLog) {
			t.Fatalf("Reject with the log down: %v, want ErrAuditLog", err)
		}
		if u, _ := e.reg.Lookup(e.ctx, p.ID); u.Status != StatusRejected {
			t.Errorf("status %s after a rejection the log missed, want rejected", u.Status)
		}
		n := len(e.log.all())
		if _, err := e.reg.FlushAudit(e.ctx); err == nil {
			t.Errorf("FlushAudit with the log down succeeded")
		}
		e.log.fail = false
		got, err := e.reg.FlushAudit(e.ctx)
		if err != nil || got != 1 {
			t.Fatalf("FlushAudit = %d, %v; want 1, nil", got, err)
		}
		es := e.log.all()
		if len(es) != n+1 || es[n].Type != "user-rejected" || es[n].Value("user") != p.ID {
			t.Errorf("after FlushAudit the log ends with %+v", es[len(es)-1])
		}
		if got, err := e.reg.FlushAudit(e.ctx); got != 0 || err != nil {
			t.Errorf("second FlushAudit = %d, %v; want 0, nil", got, err)
		}
	})
}

// TestBootstrap logs the first admin as registered and approved by itself.
func TestBootstrap(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		before := e.snapshot()
		_, err := e.reg.Bootstrap(e.ctx, official(RoleVerifier, 1))
		e.refused("bootstrap a verifier", before, err, ErrInvalid)
		a := e.bootstrap()
		var got []string
		for _, en := range e.log.all() {
			got = append(got, fmt.Sprintf("%s %s by=%s", en.Type, en.Value("user"), en.Value("by")))
		}
		want := []string{"user-registered " + a.ID + " by=", "user-approved " + a.ID + " by=" + a.ID}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("bootstrap entries (-want +got):\n%s", diff)
		}
		if a.Status != StatusActive {
			t.Errorf("bootstrap admin is %s, want active", a.Status)
		}
	})
}

// TestAssignableAndCommittees lists whom a PA/KPA may put on a committee
// (active pokja accounts, not LPSE staff's other accounts, not the
// deactivated) and the assignments made: all of them to a PA/KPA, a
// member's own to a pokja member, none to anyone else.
func TestAssignableAndCommittees(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		ctx := e.ctx
		m2 := e.active(official(RolePokja, 2), c.verifier.ID)
		m3 := e.active(official(RolePokja, 3), c.verifier.ID)
		gone := e.active(official(RolePokja, 1), c.verifier.ID)
		twin := e.active(official(RolePokja, 6), e.active(official(RoleVerifier, 0), c.admin.ID).ID) // the verifier's NIK
		pending, err := e.reg.Register(ctx, official(RolePokja, 8))
		e.must(err)
		ppk := e.active(official(RolePPK, 1), c.verifier.ID)
		e.must(e.reg.Deactivate(ctx, c.verifier.ID, gone.ID, Sanction{Reason: "pelanggaran"}))

		ids := func(us []User) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.ID)
			}
			return out
		}
		for _, by := range []string{c.pa.ID, c.pokja.ID} {
			got, err := e.reg.Assignable(ctx, by, RolePokja)
			e.must(err)
			// Sorted by name: "pokja 2", "pokja 3", "pokja 4".
			if diff := cmp.Diff([]string{m2.ID, m3.ID, c.pokja.ID}, ids(got)); diff != "" {
				t.Errorf("Assignable(pokja) to %s (-want +got), not %s, %s nor %s:\n%s", by, twin.ID, gone.ID, pending.ID, diff)
			}
			for _, u := range got {
				if u.Documents != nil || u.Name == "" {
					t.Errorf("Assignable: %+v", u)
				}
			}
		}
		got, err := e.reg.Assignable(ctx, c.pa.ID, RolePPK)
		e.must(err)
		if diff := cmp.Diff([]string{ppk.ID}, ids(got)); diff != "" {
			t.Errorf("Assignable(ppk) (-want +got):\n%s", diff)
		}
		for _, tc := range []struct {
			by   string
			role Role
			want error
		}{
			{ppk.ID, RolePokja, ErrForbidden},
			{c.verifier.ID, RolePokja, ErrForbidden},
			{c.pa.ID, RoleVerifier, ErrRoleMismatch},
			{c.pa.ID, "ketua", ErrInvalid},
		} {
			if _, err := e.reg.Assignable(ctx, tc.by, tc.role); !errors.Is(err, tc.want) {
				t.Errorf("Assignable by %s of %s: %v, want %v", tc.by, tc.role, err, tc.want)
			}
		}

		e.must(e.reg.AssignCommittee(ctx, c.pa.ID, "T-2", []string{c.pokja.ID, m2.ID, m3.ID}))
		e.must(e.reg.AssignCommittee(ctx, c.pa.ID, "T-1", []string{m2.ID, m3.ID, c.pokja.ID}))
		all, err := e.reg.Committees(ctx, c.pa.ID)
		e.must(err)
		if len(all) != 2 || all[0].Tender != "T-1" || all[1].Tender != "T-2" || all[0].By != c.pa.ID || all[0].At.IsZero() ||
			!slices.Equal(all[0].Members, []string{m2.ID, m3.ID, c.pokja.ID}) {
			t.Errorf("Committees to the PA/KPA: %+v", all)
		}
		// T-1 reassigned without c.pokja (a PA/KPA's other person's account).
		m5 := e.active(official(RolePokja, 13), c.verifier.ID)
		e.must(e.reg.AssignCommittee(ctx, c.pa.ID, "T-1", []string{m2.ID, m3.ID, m5.ID}))
		mine, err := e.reg.Committees(ctx, c.pokja.ID)
		e.must(err)
		if len(mine) != 1 || mine[0].Tender != "T-2" {
			t.Errorf("Committees to a member of T-2 only: %+v", mine)
		}
		if theirs, err := e.reg.Committees(ctx, m2.ID); err != nil || len(theirs) != 2 {
			t.Errorf("Committees to a member of both: %+v %v", theirs, err)
		}
		for _, by := range []string{ppk.ID, c.verifier.ID, gone.ID} {
			if _, err := e.reg.Committees(ctx, by); !errors.Is(err, ErrForbidden) {
				t.Errorf("Committees to %s: %v, want ErrForbidden", by, err)
			}
		}
	})
}
