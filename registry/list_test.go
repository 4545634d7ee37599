package registry

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// TestUsers lists accounts as the staff's queue and search do: by
// status, role and text, oldest first, in pages; to verifiers and
// admins only, and refusing a query it cannot answer.
func TestUsers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		ctx := e.ctx
		var ps []User
		for i := 1; i <= 3; i++ {
			e.clock.Add(time.Minute)
			p, err := e.reg.Register(ctx, company(i))
			e.must(err)
			ps = append(ps, p)
		}
		e.must(e.reg.Reject(ctx, c.verifier.ID, ps[1].ID, "NPWP tidak terbaca"))
		ids := func(us []User) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.ID)
			}
			return out
		}
		for _, q := range []struct {
			name string
			q    UserQuery
			want []string
		}{
			{"the queue", UserQuery{Status: StatusPending}, []string{ps[0].ID, ps[2].ID}},
			{"the rejected", UserQuery{Status: StatusRejected}, []string{ps[1].ID}},
			{"providers", UserQuery{Role: RoleProvider}, ids(ps)},
			{"by name, any case", UserQuery{Text: "cv CONTOH 3"}, []string{ps[2].ID}},
			{"by email", UserQuery{Text: "direktur2@"}, []string{ps[1].ID}},
			{"by id", UserQuery{Text: ps[0].ID}, []string{ps[0].ID}},
			{"by NPWP as written", UserQuery{Text: "01.234.567.1-012"}, []string{ps[0].ID}},
			{"by NIK", UserQuery{Text: ps[2].NIK, Role: RoleProvider}, []string{ps[2].ID}},
			{"a page", UserQuery{Role: RoleProvider, Limit: 1, Offset: 1}, []string{ps[1].ID}},
			{"past the end", UserQuery{Role: RoleProvider, Offset: 3}, nil},
			{"nothing", UserQuery{Text: "tidak ada"}, nil},
		} {
			got, err := e.reg.Users(ctx, c.verifier.ID, q.q)
			e.must(err)
			if !slices.Equal(ids(got), q.want) {
				t.Errorf("%s: %v, want %v", q.name, ids(got), q.want)
			}
		}
		all, err := e.reg.Users(ctx, c.admin.ID, UserQuery{})
		e.must(err)
		if len(all) != 7 || !slices.Contains(ids(all), c.admin.ID) {
			t.Errorf("every account: %v", ids(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].Registered.Before(all[i-1].Registered) {
				t.Errorf("not oldest first: %v", ids(all))
			}
		}
		// A deactivation in force is the status deactivated.
		e.must(e.reg.Deactivate(ctx, c.verifier.ID, c.pokja.ID, Sanction{Reason: "pelanggaran"}))
		if got, _ := e.reg.Users(ctx, c.verifier.ID, UserQuery{Status: StatusDeactivated}); !slices.Equal(ids(got), []string{c.pokja.ID}) {
			t.Errorf("the deactivated: %v", ids(got))
		}
		for _, who := range []string{c.pa.ID, c.pokja.ID, ps[0].ID, "u-nobody"} {
			if _, err := e.reg.Users(ctx, who, UserQuery{}); !errors.Is(err, ErrForbidden) {
				t.Errorf("listed by %s: %v, want ErrForbidden", who, err)
			}
		}
		for name, q := range map[string]UserQuery{
			"a status": {Status: "waiting"}, "a role": {Role: "boss"}, "a limit": {Limit: MaxUserLimit + 1},
			"an offset": {Offset: -1}, "a long text": {Text: string(make([]byte, 201))},
		} {
			if _, err := e.reg.Users(ctx, c.verifier.ID, q); !errors.Is(err, ErrInvalid) {
				t.Errorf("unknown %s: %v, want ErrInvalid", name, err)
			}
		}
	})
}
