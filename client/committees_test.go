package client_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
)

// TestCommittees lists the pokja members a PA/KPA may assign and the
// committees assigned, against a real server: every committee for the
// PA/KPA, a member's own for a pokja member, nothing for others.
func TestCommittees(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	w, err := setup(ctx, ts.URL, 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	members := []string{w.pokja[0].UserID(), w.pokja[1].UserID(), w.pokja[2].UserID()}
	for _, c := range []struct {
		who  string
		list func(context.Context) ([]api.Official, error)
	}{{"the PA/KPA", w.pa.Pokja}, {"a pokja member", w.pokja[1].Pokja}} {
		got, err := c.list(ctx)
		if err != nil {
			t.Fatalf("Pokja to %s: %v", c.who, err)
		}
		var ids []string
		for _, o := range got {
			if o.Name == "" || o.Role != api.RolePokja {
				t.Errorf("Pokja to %s: %+v", c.who, o)
			}
			ids = append(ids, o.ID)
		}
		for _, m := range members {
			if !slices.Contains(ids, m) {
				t.Errorf("Pokja to %s = %v, without member %s", c.who, ids, m)
			}
		}
	}
	_, err = w.ppk.Pokja(ctx)
	wantAPIError(t, "a PPK listing pokja", err, 403, api.CodeForbidden)
	_, err = w.anon.Committees(ctx)
	wantAPIError(t, "listing committees anonymously", err, 401, api.CodeUnauthenticated)

	before := time.Now().Add(-time.Second)
	if err := w.pa.AssignCommittee(ctx, "T-UJI-PANITIA", members); err != nil {
		t.Fatal(err)
	}
	all, err := w.pa.Committees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(c api.CommitteeAssignment) bool { return c.Tender == "T-UJI-PANITIA" })
	if i < 0 || !slices.Equal(all[i].Members, members) || all[i].By != w.pa.UserID() || all[i].At.Before(before) {
		t.Fatalf("Committees to the PA/KPA = %+v", all)
	}
	mine, err := w.pokja[2].Committees(ctx)
	if err != nil || !slices.ContainsFunc(mine, func(c api.CommitteeAssignment) bool { return c.Tender == "T-UJI-PANITIA" }) {
		t.Errorf("Committees to a member = %+v, %v", mine, err)
	}
	for _, c := range mine {
		if !slices.Contains(c.Members, w.pokja[2].UserID()) {
			t.Errorf("Committees to a member lists one they do not sit on: %+v", c)
		}
	}
	_, err = w.ppk.Committees(ctx)
	wantAPIError(t, "a PPK listing committees", err, 403, api.CodeForbidden)
}
