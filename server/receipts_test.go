package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/server"
)

// TestOfferReceiptRoute: the receipt comes back as the bytes that were
// signed (text/plain, no JSON string around it), for its bidder by id or
// as "me", and for the committee once submission has closed.
func TestOfferReceiptRoute(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Now()}
	f := newFixture(t, mustEmbedded(t), server.Config{Now: clk.Now})
	deadline := clk.Now().Add(time.Hour).Truncate(time.Second)
	tv := f.announce("T-KUITANSI", deadline)
	clk.set(time.Now()) // the announcement's submission starts a second before the wall clock's now
	path := "/v1/tenders/T-KUITANSI/offers/"
	p1 := f.users["provider"].id

	if got, body := f.do("provider", "GET", path+"me/receipt", "", nil); got != http.StatusNotFound || !strings.Contains(string(body), "no offer from "+p1) {
		t.Errorf("before any offer: %d %s, want 404 naming the bidder", got, brief(body))
	}
	var rc receiptView
	f.mustDo("provider", "POST", "/v1/tenders/T-KUITANSI/offers", "application/octet-stream",
		f.seal(tv, tv.Round, f.key.Recipient(), []byte("Penawaran: Rp 9.870.000.000")), &rc)
	for _, who := range []string{"me", p1} {
		req, err := http.NewRequest("GET", f.url+path+who+"/receipt", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+f.users["provider"].token)
		resp, err := f.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("GET %s: %d %s", who, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if string(body) != rc.Receipt {
			t.Errorf("GET %s answered\n%q\nwant the receipt of the submission, byte for byte\n%q", who, body, rc.Receipt)
		}
		if _, err := auditlog.VerifyReceipt(body, f.s.Keys.Receipt); err != nil {
			t.Errorf("GET %s: %v", who, err)
		}
	}
	// Another bidder, as itself or by "me", never gets it; the committee
	// not before closing.
	for _, c := range []struct {
		caller, who string
		want        int
	}{
		{"provider2", p1, 403},
		{"provider2", "me", 404},
		{"pokja", p1, 409},
		{"pokja-outsider", p1, 403},
		{"auditor", p1, 403},
	} {
		if got, body := f.do(c.caller, "GET", path+c.who+"/receipt", "", nil); got != c.want {
			t.Errorf("%s asks for %s: %d %s, want %d", c.caller, c.who, got, brief(body), c.want)
		}
	}

	clk.set(deadline.Add(time.Second))
	f.mustJSON("pokja", "POST", "/v1/tenders/T-KUITANSI/close", nil, nil)
	if got, body := f.do("pokja2", "GET", path+p1+"/receipt", "", nil); got != 200 || string(body) != rc.Receipt {
		t.Errorf("the committee after closing: %d %s, want the receipt", got, brief(body))
	}
	if got, body := f.do("pokja-outsider", "GET", path+p1+"/receipt", "", nil); got != 403 {
		t.Errorf("another committee after closing: %d %s, want 403", got, brief(body))
	}
}

// TestUserMe: "me" names the caller in GET /v1/users/{user} and its
// documents, for a caller who knows only its token (the portal's
// sessions); it never names anyone else, and needs a token.
func TestUserMe(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mustEmbedded(t), server.Config{})
	for _, name := range []string{"provider", "verifier", "auditor"} {
		var u struct {
			ID, Role string
		}
		f.mustJSON(name, "GET", "/v1/users/me", nil, &u)
		if u.ID != f.users[name].id || u.Role != string(f.users[name].role) {
			t.Errorf("%s asks for me: %+v, want its own account %s", name, u, f.users[name].id)
		}
	}
	if got, body := f.do("provider", "GET", "/v1/users/me/documents/ktp", "", nil); got != 200 || len(body) == 0 {
		t.Errorf("provider asks for its own KTP as me: %d %s", got, brief(body))
	}
	if got, body := f.do("", "GET", "/v1/users/me", "", nil); got != 401 {
		t.Errorf("anonymous asks for me: %d %s, want 401", got, brief(body))
	}
}
