package server_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
)

// clock is a test clock the server, its beacon and its engine share.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// twice sends the same request as two callers at once and checks that one
// is answered ok and the other ok too (only if idempotent) or with one of
// refused.
func (f *fixture) twice(what string, callers [2]string, path string, body []byte, ok int, idempotent bool, refused ...int) {
	f.t.Helper()
	var status [2]int
	var answer [2][]byte
	var ready, done sync.WaitGroup
	ready.Add(1)
	for i, c := range callers {
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Wait()
			status[i], answer[i] = f.do(c, "POST", path, "application/json", body)
		}()
	}
	ready.Done()
	done.Wait()
	oks := 0
	for i, s := range status {
		switch {
		case s == ok:
			oks++
		case !containsInt(refused, s):
			f.t.Errorf("%s: HTTP %d %s, want %d or one of %v", what, s, brief(answer[i]), ok, refused)
		}
	}
	if oks != 1 && !(idempotent && oks == 2) {
		f.t.Errorf("%s: %d of 2 concurrent requests succeeded (%v), want 1", what, oks, status)
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func mustJSONBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConcurrentStateChanges sends every state-changing request of a
// tender (announce with one explicit id, amend, close, open, result,
// award, cancel) twice at once, as a double click or two committee
// members would: one is done and logged, the other is refused before it
// writes anything, and the tender's audit bundle from GET …/bundle
// verifies with each entry once.
func TestConcurrentStateChanges(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		clk := &clock{now: time.Now()}
		f := newFixture(t, b, server.Config{Now: clk.Now})
		clk.set(time.Now()) // the announcement's submission starts a second before the wall clock's now
		const id = "T-RACE"
		deadline := clk.Now().Add(time.Hour)
		f.mustJSON("pa-kpa", "POST", "/v1/committees/"+id, map[string]any{"members": f.ids("pokja", "pokja2", "pokja3")}, nil)
		f.twice("announce", [2]string{"pokja", "pokja2"}, "/v1/tenders",
			mustJSONBody(t, f.announcement(id, deadline, f.key.Recipient())), 201, false, 400, 409)
		var tv tenderView
		f.mustJSON("", "GET", "/v1/tenders/"+id, nil, &tv)
		for _, p := range []string{"provider", "provider2"} {
			f.mustJSON(p, "POST", "/v1/tenders/"+id+"/participants", nil, nil)
			f.mustDo(p, "POST", "/v1/tenders/"+id+"/offers", "application/octet-stream",
				f.seal(tv, tv.Round, f.key.Recipient(), []byte("Penawaran "+p)), nil)
		}

		var doc struct{ SHA256 string }
		f.mustDo("pokja", "POST", "/v1/documents", "application/octet-stream", []byte("Adendum 1 "+id), &doc)
		// Serialised, the second changes nothing: 400.
		f.twice("amend", [2]string{"pokja", "pokja3"}, "/v1/tenders/"+id+"/amend",
			mustJSONBody(t, map[string]string{"document": doc.SHA256}), 200, false, 400, 409)

		clk.set(deadline.Add(time.Second))
		f.twice("close", [2]string{"pokja", "pokja2"}, "/v1/tenders/"+id+"/close", nil, 200, true, 409)

		clk.set(tv.RoundTime.Add(time.Second))
		open := mustJSONBody(t, map[string]any{"identity": f.key.String(), "witnesses": f.ids("pokja", "pokja2", "pokja3")})
		f.twice("open", [2]string{"pokja", "pokja2"}, "/v1/tenders/"+id+"/open", open, 200, false, 409)
		f.twice("result", [2]string{"pokja", "pokja3"}, "/v1/tenders/"+id+"/result",
			mustJSONBody(t, map[string]string{"winner": f.users["provider"].id, "text": "Pemenang: provider"}), 200, false, 409)
		clk.set(clk.Now().Add(time.Second)) // objection period of 0 days
		f.twice("award", [2]string{"ppk", "ppk"}, "/v1/tenders/"+id+"/award",
			mustJSONBody(t, map[string]string{"text": "SPPBJ"}), 200, false, 409)

		bundle, err := client.New(f.url).Bundle(context.Background(), id, filepath.Join(t.TempDir(), "bundle"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := audit.Verify(bundle, *f.s.Keys)
		if err != nil {
			t.Fatalf("the tender's bundle does not verify: %v", err)
		}
		if res.Offers != 2 || res.Opened != 2 {
			t.Errorf("bundle: %d offers, %d opened; want 2 and 2", res.Offers, res.Opened)
		}
		count := map[string]int{}
		for _, le := range bundle.Entries {
			if e, err := auditlog.ParseEntry(le.Data); err == nil {
				count[e.Type]++
			}
		}
		for _, typ := range []string{"tender-announced", "tender-amended", "submission-closed", "beacon-signature-used",
			"opening-report", "result-announced", "tender-awarded"} {
			if count[typ] != 1 {
				t.Errorf("the bundle has %d %s entries, want 1", count[typ], typ)
			}
		}

		// Cancelling twice at once: one cancellation.
		f.announce("T-RACE-C", clk.Now().Add(time.Hour))
		f.twice("cancel", [2]string{"pokja", "pokja2"}, "/v1/tenders/T-RACE-C/cancel",
			mustJSONBody(t, map[string]string{"reason": "anggaran dialihkan"}), 200, false, 409)
		entries, err := f.s.Log.Entries(context.Background(), 0, f.s.Log.Size())
		if err != nil {
			t.Fatal(err)
		}
		cancelled := 0
		for _, data := range entries {
			if e, err := auditlog.ParseEntry(data); err == nil && e.Type == "tender-cancelled" && e.Value("tender") == "T-RACE-C" {
				cancelled++
			}
		}
		if cancelled != 1 {
			t.Errorf("the log has %d tender-cancelled entries, want 1", cancelled)
		}
	})
}
