package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
)

// state is what a refused request must leave unchanged: the audit log's
// size (as the server and /readyz report it) and every tender.
func (f *fixture) state() string {
	f.t.Helper()
	_, ready := f.do("", "GET", "/readyz", "", nil)
	_, tenders := f.do("", "GET", "/v1/tenders", "", nil)
	return fmt.Sprintf("log size %d\nreadyz %s\ntenders %s", f.s.Log.Size(), ready, tenders)
}

// refused sends a request that must be refused with status and code, and
// checks that it changed nothing.
func (f *fixture) refused(name, caller, method, path, ctype string, body []byte, status int, code string) {
	f.t.Helper()
	before := f.state()
	got, b := f.do(caller, method, path, ctype, body)
	var e struct{ Code, Error string }
	json.Unmarshal(b, &e)
	if got != status || e.Code != code {
		f.t.Errorf("%s: %s %s: got %d %q (%s), want %d %q", name, method, path, got, e.Code, brief(b), status, code)
	}
	if e.Error == "" {
		f.t.Errorf("%s: %s %s: the refusal has no error message: %s", name, method, path, brief(b))
	}
	if after := f.state(); after != before {
		f.t.Errorf("%s: %s %s: the refusal changed the state:\nbefore: %s\nafter:  %s", name, method, path, brief([]byte(before)), brief([]byte(after)))
	}
}

// TestBadJSON sends every JSON route malformed, unknown, trailing,
// mistyped and oversized bodies, as a caller the route admits: each gets
// its 4xx and changes nothing.
func TestBadJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mustEmbedded(t), server.Config{})
	const tn = "T-JSON"
	f.announce(tn, time.Now().Add(time.Hour))
	params := strings.NewReplacer("{tender}", tn, "{user}", f.users["provider"].id, "{kind}", "question",
		"{digest}", strings.Repeat("ab", 32), "{complaint}", "C-20260101-none", "{token}", f.users["provider"].tokenID)
	n := 0
	for _, rt := range f.s.Routes() {
		if rt.Body != "application/json" {
			continue
		}
		n++
		caller := f.admitted(rt.Roles)
		path := params.Replace(rt.Path)
		limit := 1 << 20
		if rt.Path == "/v1/register" || rt.Path == "/v1/bootstrap" {
			limit = (15<<20+2)/3*4 + 64<<10 // documents travel in the body, base64
			if rt.Path == "/v1/bootstrap" || testing.Short() {
				limit = 0 // the same handler as /v1/register; 20 MiB is slow under -race
			}
		}
		over := []byte(`{"title":"` + strings.Repeat("a", limit) + `"}`)
		for _, c := range []struct {
			name, ctype, body string
			status            int
			code              string
		}{
			{"malformed", "application/json", `{"`, 400, "bad-request"},
			{"not an object", "application/json", `[1,2]`, 400, "bad-request"},
			{"empty", "application/json", ``, 400, "bad-request"},
			{"unknown field", "application/json", `{"zzz_unknown":1}`, 400, "bad-request"},
			{"trailing value", "application/json", `{} {}`, 400, "bad-request"},
			{"trailing garbage", "application/json", `{} x`, 400, "bad-request"},
			{"trailing brace", "application/json", `{}}`, 400, "bad-request"},
			{"trailing bracket", "application/json", `{}]`, 400, "bad-request"},
			{"text/plain", "text/plain", `{}`, 415, "unsupported-media-type"},
			{"no content type", "", `{}`, 415, "unsupported-media-type"},
			{"json with a charset", "application/json; charset=utf-8", `{"zzz_unknown":1}`, 400, "bad-request"},
			{"oversized", "application/json", string(over), 413, "too-large"},
		} {
			if c.name == "oversized" && limit == 0 {
				continue
			}
			f.refused(rt.Method+" "+rt.Path+" "+c.name, caller, rt.Method, path, c.ctype, []byte(c.body), c.status, c.code)
		}
	}
	if n < 10 {
		t.Errorf("only %d JSON routes in the table; the test expects many more", n)
	}

	// Binary and text routes refuse the wrong media types, and proofs an
	// oversized receipt.
	f.refused("document as JSON", "pokja", "POST", "/v1/documents", "application/json", []byte(`{}`), 415, "unsupported-media-type")
	f.refused("offer as JSON", "provider", "POST", "/v1/tenders/"+tn+"/offers", "application/json", []byte(`{}`), 415, "unsupported-media-type")
	f.refused("offer without type", "provider", "POST", "/v1/tenders/"+tn+"/offers", "", []byte(`x`), 415, "unsupported-media-type")
	f.refused("proof as JSON", "", "POST", "/v1/proofs", "application/json", []byte(`{}`), 415, "unsupported-media-type")
	f.refused("oversized receipt", "", "POST", "/v1/proofs", "text/plain", bytes.Repeat([]byte("a"), auditlog.MaxReceiptSize+1), 413, "too-large")
	f.refused("forged receipt", "", "POST", "/v1/proofs", "text/plain", []byte("lpse.test/receipts\nnot a receipt\n"), 400, "bad-request")
	// An unknown token is not the caller's authentication failing.
	f.refused("revoke an unknown token", "provider", "POST", "/v1/tokens/t-zzzzzzzzzzzzzzzz/revoke", "", nil, 404, "not-found")

	// A chunk needs the offset it starts at.
	for _, q := range []string{"", "?offset=-1", "?offset=x", "?offset=01x"} {
		f.refused("chunk at "+q, "provider", "PUT", "/v1/uploads/up-none"+q, "application/octet-stream", []byte("x"), 400, "bad-request")
	}

	// A digest has one spelling, lowercase hex, in a body and in a path:
	// upper case, a character short or long, or not hex at all is a 400
	// that names what a digest is.
	good := strings.Repeat("ab", 32)
	for _, d := range []string{strings.ToUpper(good), good[:63], good + "a", "adendum-1"} {
		body := []byte(`{"document":"` + d + `"}`)
		f.refused("amendment with document "+d, "pokja", "POST", "/v1/tenders/"+tn+"/amend", "application/json", body, 400, "bad-request")
		body = []byte(`{"sha256":"` + d + `","size":10}`)
		f.refused("commitment to "+d, "provider", "POST", "/v1/tenders/"+tn+"/commitments", "application/json", body, 400, "bad-request")
		f.refused("tender document "+d, "", "GET", "/v1/tenders/"+tn+"/documents/"+d, "", nil, 400, "bad-request")
		f.refused("answer to "+d, "pokja", "POST", "/v1/tenders/"+tn+"/messages/question/"+d+"/answer", "application/json", []byte(`{"text":"Ya."}`), 400, "bad-request")
	}
	if _, b := f.do("", "GET", "/v1/tenders/"+tn+"/documents/"+strings.ToUpper(good), "", nil); !strings.Contains(string(b), "lowercase hex") {
		t.Errorf("an upper-case digest: %s, want a message saying a digest is lowercase hex", b)
	}
}

// admitted returns a fixture caller the route's roles admit, preferring
// the tender's committee and the provider.
func (f *fixture) admitted(roles []registry.Role) string {
	switch {
	case roles == nil:
		return "anonymous"
	case len(roles) == 0:
		return "provider"
	}
	for _, c := range callers {
		for _, r := range roles {
			if c.role == r {
				return c.name
			}
		}
	}
	f.t.Fatalf("no fixture caller has a role among %v", roles)
	return ""
}

// headerLen is the length of a sealed file's age header, up to and
// including the line of its MAC.
func headerLen(t *testing.T, sealed []byte) int {
	t.Helper()
	i := bytes.Index(sealed, []byte("\n--- "))
	if i < 0 {
		t.Fatal("sealed file has no age header end")
	}
	j := bytes.IndexByte(sealed[i+1:], '\n')
	return i + 1 + j + 1
}

// TestBadOffers submits refused offers — cut headers, wrong keys and
// rounds, the wrong media type, one byte over the size cap, a duplicate,
// a late one — and checks each gets its code and changes nothing; and
// that an offer cut in its payload, which the server cannot tell from a
// whole one, is accepted as received and fails at the opening with a
// witness report.
func TestBadOffers(t *testing.T) {
	t.Parallel()
	const maxOffer = 16 << 10
	backends(t, func(t *testing.T, b vault.Backend) {
		// The server's clock is the test's: a loaded machine cannot make
		// an offer late, nor an opening early.
		clk := &clock{now: time.Now()}
		f := newFixture(t, b, server.Config{MaxOfferSize: maxOffer, Now: clk.Now})
		lateDeadline := clk.Now().Add(30 * time.Minute).Truncate(time.Second)
		late := f.announce("T-LATE", lateDeadline)
		deadline := clk.Now().Add(time.Hour).Truncate(time.Second)
		tv := f.announce("T-BAD", deadline)
		clk.set(time.Now()) // the announcements' submission starts a second before the wall clock's now
		offers := "/v1/tenders/T-BAD/offers"
		key := f.key.Recipient()
		other, err := age.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		valid := f.seal(tv, tv.Round, key, []byte("Penawaran A: Rp 1.000.000.000"))
		hl := headerLen(t, valid)
		// Sizes around the cap: a one-chunk payload adds its length.
		base := len(f.seal(tv, tv.Round, key, bytes.Repeat([]byte("x"), 100))) - 100
		capOffer := bytes.Repeat([]byte("x"), maxOffer-base)
		atCap := f.seal(tv, tv.Round, key, capOffer)
		overCap := f.seal(tv, tv.Round, key, bytes.Repeat([]byte("y"), maxOffer-base+1))
		if len(atCap) != maxOffer || len(overCap) != maxOffer+1 {
			t.Fatalf("sealed sizes %d and %d, want %d and %d", len(atCap), len(overCap), maxOffer, maxOffer+1)
		}
		wrongKey := f.seal(tv, tv.Round, other.Recipient(), []byte("Penawaran A"))
		wrongRound := f.seal(tv, tv.Round+1, key, []byte("Penawaran A"))
		bin := "application/octet-stream"
		for _, c := range []struct {
			name, ctype string
			body        []byte
			status      int
			code        string
		}{
			{"empty", bin, []byte{}, 422, "wrong-seal"},
			{"cut in the header's first line", bin, valid[:10], 422, "wrong-seal"},
			{"cut mid-header", bin, valid[:hl/2], 422, "wrong-seal"},
			{"cut before the MAC line ends", bin, valid[:hl-2], 422, "wrong-seal"},
			// (A change inside a stanza's body is not the server's to
			// see: the header MAC needs the file key. It fails at the
			// opening, with a witness report.)
			{"version line changed", bin, flip(valid, 4), 422, "wrong-seal"},
			{"another committee key", bin, wrongKey, 422, "wrong-seal"},
			{"another round", bin, wrongRound, 422, "wrong-seal"},
			{"JSON content type", "application/json", valid, 415, "unsupported-media-type"},
			{"one byte over the cap", bin, overCap, 413, "too-large"},
		} {
			f.refused(c.name, "provider", "POST", offers, c.ctype, c.body, c.status, c.code)
		}

		// Accepted offers: the receipt names exactly the bytes received.
		accept := func(name, caller string, body []byte) {
			t.Helper()
			size := f.s.Log.Size()
			var rc receiptView
			f.mustDo(caller, "POST", offers, bin, body, &rc)
			sum := sha256.Sum256(body)
			if rc.Size != int64(len(body)) || rc.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: receipt for %d bytes %s, want %d bytes %x", name, rc.Size, rc.SHA256, len(body), sum)
			}
			if f.s.Log.Size() <= size {
				t.Errorf("%s: accepted, but the log did not grow from %d", name, size)
			}
		}
		accept("valid", "provider", valid)
		f.refused("the same offer again", "provider", "POST", offers, bin, valid, 409, "duplicate")
		accept("exactly at the cap", "provider", atCap)
		// Cut in the payload: the header is whole, so the server cannot
		// know the payload is short until the opening.
		whole := f.seal(tv, tv.Round, key, bytes.Repeat([]byte("Penawaran B "), 200))
		cut := whole[:headerLen(t, whole)+(len(whole)-headerLen(t, whole))/2]
		accept("cut mid-payload", "provider2", cut)

		// Late: after T-LATE's deadline.
		clk.set(lateDeadline.Add(time.Second))
		f.refused("late", "provider", "POST", "/v1/tenders/T-LATE/offers", bin, f.seal(late, late.Round, key, []byte("terlambat")), 409, "late")
		f.refused("not sealed, late", "provider", "POST", "/v1/tenders/T-LATE/offers", bin, []byte("x"), 409, "late")

		// The opening: the whole offer opens, the cut one fails with a
		// witness report.
		clk.set(tv.RoundTime.Add(time.Second))
		var op struct{ Opened, Failed int }
		f.mustJSON("pokja", "POST", "/v1/tenders/T-BAD/open", map[string]any{"identity": f.key.String(), "witnesses": f.ids("pokja", "pokja2", "pokja3")}, &op)
		if op.Opened != 1 || op.Failed != 1 {
			t.Errorf("opening: %d opened, %d failed; want 1 and 1 (provider2's cut offer)", op.Opened, op.Failed)
		}
		if got, body := f.do("", "GET", "/v1/tenders/T-BAD/witness/"+f.users["provider2"].id, "", nil); got != 200 {
			t.Errorf("witness report of the cut offer: got %d %s, want 200", got, brief(body))
		}
		if got, body := f.do("pokja", "GET", "/v1/tenders/T-BAD/offers/"+f.users["provider"].id+"/document", "", nil); got != 200 || !bytes.Equal(body, capOffer) {
			t.Errorf("opened document of the offer at the cap: got %d, %d bytes, want 200 and its %d bytes", got, len(body), len(capOffer))
		}
	})
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func sleepUntil(when time.Time) { time.Sleep(time.Until(when)) }
