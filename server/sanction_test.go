package server_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/server"
)

// status returns the status of account id, as the verifier sees it.
func (f *fixture) status(id string) string {
	f.t.Helper()
	var u struct{ Status string }
	f.mustJSON("verifier", "GET", "/v1/users/"+id, nil, &u)
	return u.Status
}

// TestSanctionsOverHTTP: no official deactivates anyone; a verifier
// deactivates no LPSE staff; the only admin is deactivated by nobody
// (issue: a pokja on no committee could lock out the whole LPSE).
func TestSanctionsOverHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mustEmbedded(t), server.Config{})
	f.enrol(len(callers), "verifier2", registry.RoleVerifier)
	body := map[string]string{"reason": "pelanggaran"}
	for _, by := range []string{"pokja-outsider", "pokja", "ppk", "pa-kpa", "verifier", "admin"} {
		for _, target := range []string{"admin", "verifier", "verifier2", "ppk", "pokja2", "provider"} {
			if by == "verifier" && target != "admin" && target != "verifier2" || by == "admin" && target != "admin" {
				continue // allowed: tried below
			}
			b, _ := json.Marshal(body)
			if got, answer := f.do(by, "POST", "/v1/users/"+f.users[target].id+"/deactivate", "application/json", b); got != 403 {
				t.Errorf("%s deactivates %s: %d %s, want 403", by, target, got, brief(answer))
			}
		}
	}
	for _, c := range callers {
		if got := f.status(f.users[c.name].id); got != "active" {
			t.Fatalf("after the refusals %s is %s, want active", c.name, got)
		}
	}
	// What staff may do.
	f.mustJSON("verifier", "POST", "/v1/users/"+f.users["pokja2"].id+"/deactivate", body, nil)
	f.mustJSON("verifier", "POST", "/v1/users/"+f.users["pokja2"].id+"/reactivate", map[string]string{"reason": "klarifikasi"}, nil)
	f.mustJSON("admin", "POST", "/v1/users/"+f.users["verifier2"].id+"/deactivate", body, nil)
	if got, answer := f.do("verifier", "POST", "/v1/users/"+f.users["verifier2"].id+"/reactivate", "application/json",
		[]byte(`{"reason":"kembali"}`)); got != 403 {
		t.Errorf("a verifier reactivates a verifier: %d %s, want 403", got, brief(answer))
	}
	// A blacklisting is requested, never done by deactivation.
	if got, answer := f.do("verifier", "POST", "/v1/users/"+f.users["provider"].id+"/deactivate", "application/json",
		[]byte(`{"reason":"daftar hitam","blacklist":true}`)); got != 403 {
		t.Errorf("a verifier blacklists by deactivation: %d %s, want 403", got, brief(answer))
	}
}

// TestAdminsDeactivateEachOtherOverHTTP: two admins who deactivate each
// other at once leave one of them active.
func TestAdminsDeactivateEachOtherOverHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mustEmbedded(t), server.Config{})
	f.enrol(len(callers), "admin2", registry.RoleAdmin)
	pair := [2]string{"admin", "admin2"}
	var codes [2]int
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			codes[i], _ = f.do(pair[i], "POST", "/v1/users/"+f.users[pair[1-i]].id+"/deactivate", "application/json",
				[]byte(`{"reason":"saling menonaktifkan"}`))
		})
	}
	wg.Wait()
	active := 0
	for _, name := range pair {
		if f.status(f.users[name].id) == "active" {
			active++
		}
	}
	if active != 1 || codes[0]+codes[1] != 200+403 {
		t.Errorf("answers %v and %d admins active; want one 200, one 403 and one admin active", codes, active)
	}
}

// TestBlacklistRequestsOverHTTP runs a request from an official to a
// decision by a verifier, and a rejection, and checks the log.
func TestBlacklistRequestsOverHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mustEmbedded(t), server.Config{})
	p1, p2 := f.users["provider"].id, f.users["provider2"].id
	start := f.s.Log.Size()
	until := time.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)

	type requestView struct {
		ID, User, By, Reason string
		Until, At            time.Time
		Decision             *struct {
			Approved   bool
			By, Reason string
		}
	}
	var r1, r2 requestView
	f.mustJSON("pokja-outsider", "POST", "/v1/users/"+p1+"/blacklist-requests",
		map[string]any{"reason": "dokumen palsu pada tender 10012345000", "until": until}, &r1)
	if r1.User != p1 || r1.By != f.users["pokja-outsider"].id || !r1.Until.Equal(until) || r1.Decision != nil || !strings.HasPrefix(r1.ID, "b-") {
		t.Errorf("filed %+v", r1)
	}
	f.mustJSON("ppk", "POST", "/v1/users/"+p2+"/blacklist-requests", map[string]any{"reason": "wanprestasi"}, &r2)
	for _, c := range []struct {
		name, caller, method, path, body string
		want                             int
	}{
		{"a provider files", "provider2", "POST", "/v1/users/" + p1 + "/blacklist-requests", `{"reason":"x"}`, 403},
		{"a verifier files", "verifier", "POST", "/v1/users/" + p1 + "/blacklist-requests", `{"reason":"x"}`, 403},
		{"against an official", "pokja", "POST", "/v1/users/" + f.users["ppk"].id + "/blacklist-requests", `{"reason":"x"}`, 403},
		{"a pokja lists", "pokja", "GET", "/v1/blacklist-requests", "", 403},
		{"the requester approves", "pokja-outsider", "POST", "/v1/blacklist-requests/" + r1.ID + "/approve", "", 403},
		{"an unknown request", "verifier", "POST", "/v1/blacklist-requests/b-none/approve", "", 404},
	} {
		ctype := ""
		if c.body != "" {
			ctype = "application/json"
		}
		if got, answer := f.do(c.caller, c.method, c.path, ctype, []byte(c.body)); got != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, got, brief(answer), c.want)
		}
	}
	if got := f.status(p1); got != "active" {
		t.Fatalf("provider is %s after a request alone, want active", got)
	}

	var list []requestView
	f.mustJSON("verifier", "GET", "/v1/blacklist-requests", nil, &list)
	if len(list) != 2 || list[0].ID != r1.ID || list[1].ID != r2.ID {
		t.Errorf("GET /v1/blacklist-requests = %+v", list)
	}

	f.mustJSON("verifier", "POST", "/v1/blacklist-requests/"+r1.ID+"/approve", nil, nil)
	if got, answer := f.do("admin", "POST", "/v1/blacklist-requests/"+r1.ID+"/approve", "", nil); got != 409 {
		t.Errorf("approve twice: %d %s, want 409", got, brief(answer))
	}
	if got, answer := f.do("provider", "GET", "/v1/users/"+p1, "", nil); got != 403 || !strings.Contains(string(answer), `"blacklisted"`) {
		t.Errorf("the blacklisted provider's token: %d %s, want 403 blacklisted", got, brief(answer))
	}
	f.mustJSON("admin", "POST", "/v1/blacklist-requests/"+r2.ID+"/reject", map[string]string{"reason": "bukti tidak cukup"}, nil)
	if got, answer := f.do("verifier", "POST", "/v1/blacklist-requests/"+r2.ID+"/reject", "application/json", []byte(`{"reason":"lagi"}`)); got != 409 {
		t.Errorf("reject twice: %d %s, want 409", got, brief(answer))
	}
	if got := f.status(p2); got != "active" {
		t.Errorf("provider2 is %s after a rejected request, want active", got)
	}
	f.mustJSON("admin", "GET", "/v1/blacklist-requests", nil, &list)
	if d := list[0].Decision; d == nil || !d.Approved || d.By != f.users["verifier"].id {
		t.Errorf("decision of the approved request: %+v", d)
	}
	if d := list[1].Decision; d == nil || d.Approved || d.Reason != "bukti tidak cukup" {
		t.Errorf("decision of the rejected request: %+v", d)
	}

	raw, err := f.s.Log.Entries(t.Context(), start, f.s.Log.Size())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range raw {
		e, err := auditlog.ParseEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Type+" "+e.Value("request")+" by="+e.Value("by"))
	}
	v, a := f.users["verifier"].id, f.users["admin"].id
	want := []string{
		"blacklist-requested " + r1.ID + " by=" + f.users["pokja-outsider"].id,
		"blacklist-requested " + r2.ID + " by=" + f.users["ppk"].id,
		"blacklist-approved " + r1.ID + " by=" + v,
		"user-deactivated  by=" + v,
		"blacklist-rejected " + r2.ID + " by=" + a,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
