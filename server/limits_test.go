package server_test

import (
	"bytes"

	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/vault"
)

// TestRateLimits: the routes anyone may call are limited per client
// address, answered 429 with Retry-After and a message saying the limit;
// the limit refills with time, and a forwarded address counts only when
// the server is told to trust that header.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	base := time.Now()
	now := func() time.Time { return base.Add(time.Duration(offset.Load())) } // still, unless moved
	hour := time.Hour
	build := func(header string) string {
		kek, err := vault.ParseKEK(vault.GenerateKEK())
		if err != nil {
			t.Fatal(err)
		}
		s, err := server.Build(t.Context(), server.Config{Backend: mustEmbedded(t), KEK: kek, Now: now,
			Limits: server.Limits{Register: server.RateLimit{Burst: 2, Every: hour}, Login: server.RateLimit{Burst: 3, Every: hour},
				Proofs: server.RateLimit{Burst: 1, Every: hour}, ClientIPHeader: header}})
		if err != nil {
			t.Fatal(err)
		}
		ts := serve(t, s)
		return ts.URL
	}
	post := func(url, path, ctype, forwarded string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest("POST", url+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ctype)
		if forwarded != "" {
			req.Header.Set("X-Forwarded-For", forwarded)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ Code, Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode == http.StatusTooManyRequests {
			if e.Code != "rate-limited" || !strings.Contains(e.Error, "try again in") {
				t.Errorf("POST %s: 429 with %q %q", path, e.Code, e.Error)
			}
			return resp.StatusCode, resp.Header.Get("Retry-After"), e.Error
		}
		return resp.StatusCode, "", e.Error
	}
	// status 0: anything but 429 (the request itself is refused).
	want := func(name string, got int, retry string, status int) {
		t.Helper()
		if status == 0 && got == 429 || status != 0 && got != status {
			t.Errorf("%s: HTTP %d, want %d", name, got, status)
		}
		if status == 429 && retry != "3600" {
			t.Errorf("%s: Retry-After %q, want 3600", name, retry)
		}
	}

	url := build("")
	for i := range 2 {
		got, retry, _ := post(url, "/v1/register", "application/json", "")
		want(fmt.Sprintf("registration %d", i+1), got, retry, 0) // {} is not an application
	}
	got, retry, msg := post(url, "/v1/register", "application/json", "")
	want("third registration", got, retry, 429)
	if !strings.Contains(msg, "2 are allowed at once, then one every 1h0m0s") {
		t.Errorf("429 message %q does not state the limit", msg)
	}
	got, retry, _ = post(url, "/v1/bootstrap", "application/json", "")
	want("bootstrap after two registrations", got, retry, 429)
	// Not configured to trust it, the server ignores a forwarded address.
	got, retry, _ = post(url, "/v1/register", "application/json", "198.51.100.7")
	want("registration with a forged X-Forwarded-For", got, retry, 429)
	for i := range 3 {
		got, retry, _ := post(url, "/v1/login", "application/json", "")
		want(fmt.Sprintf("login %d", i+1), got, retry, 0)
	}
	got, retry, _ = post(url, "/v1/login", "application/json", "")
	want("fourth login", got, retry, 429)
	got, retry, _ = post(url, "/v1/proofs", "text/plain", "")
	want("first proof", got, retry, 0)
	got, retry, _ = post(url, "/v1/proofs", "text/plain", "")
	want("second proof", got, retry, 429)
	// An hour later there is one more of each.
	offset.Add(int64(hour))
	got, retry, _ = post(url, "/v1/register", "application/json", "")
	want("registration an hour later", got, retry, 0)
	got, retry, _ = post(url, "/v1/register", "application/json", "")
	want("second registration an hour later", got, retry, 429)

	// Behind a trusted proxy, each client has its own bucket: the last
	// address of X-Forwarded-For, the one the proxy added.
	url = build("X-Forwarded-For")
	for i := range 2 {
		got, retry, _ := post(url, "/v1/register", "application/json", "203.0.113.5")
		want(fmt.Sprintf("client A registration %d", i+1), got, retry, 0)
	}
	got, retry, _ = post(url, "/v1/register", "application/json", "10.0.0.1, 203.0.113.5")
	want("client A, whatever it claims first", got, retry, 429)
	got, retry, _ = post(url, "/v1/register", "application/json", "203.0.113.6")
	want("client B", got, retry, 0)
}

// TestBodyLimits: every route caps its body and answers 413 naming the
// limit: before reading a declared length, while reading an undeclared
// one; each registration document has its own cap.
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	lim := server.Limits{MaxDocumentSize: 64 << 10, MaxRegistration: 160 << 10,
		Register: server.RateLimit{Burst: -1}, Login: server.RateLimit{Burst: -1}, Proofs: server.RateLimit{Burst: -1}}
	f := newFixture(t, mustEmbedded(t), server.Config{Limits: lim})
	regBody := int64(160<<10+2)/3*4 + 64<<10
	app := func(ktp int) []byte {
		b, err := json.Marshal(map[string]any{"role": "provider", "email": "baru@cv-baru.test.co.id", "password": testPassword,
			"name": "CV Baru", "nik": testNIK(77), "provider": map[string]string{"kind": "company", "npwp": "01.234.777.5-012.000", "licence": "9120001234777"},
			"documents": map[string][]byte{"ktp": bytes.Repeat([]byte("k"), ktp), "akta-pendirian": []byte("akta"), "npwp": []byte("npwp"), "izin-usaha": []byte("nib")}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A document one byte over its cap; then the body over its cap.
	f.refused("document over its cap", "", "POST", "/v1/register", "application/json", app(64<<10+1), 413, "too-large")
	_, b := f.do("", "POST", "/v1/register", "application/json", app(64<<10+1))
	if !bytes.Contains(b, []byte("65536 bytes")) {
		t.Errorf("413 for a document does not name its limit: %s", b)
	}
	over := append([]byte(`{"name":"`), bytes.Repeat([]byte("a"), int(regBody))...)
	f.refused("registration over its cap", "", "POST", "/v1/register", "application/json", over, 413, "too-large")
	_, b = f.do("", "POST", "/v1/register", "application/json", over)
	if want := fmt.Sprintf("over this endpoint's limit of %d bytes: the documents together may have %d bytes", regBody, 160<<10); !bytes.Contains(b, []byte(want)) {
		t.Errorf("413 for a registration: %s; want it to say %q", b, want)
	}
	// Within its caps the same registration is taken.
	if got, b := f.do("", "POST", "/v1/register", "application/json", app(64<<10)); got != 201 {
		t.Errorf("registration at the caps: HTTP %d %s", got, brief(b))
	}

	// A body of undeclared length (chunked) is cut at the cap.
	req, err := http.NewRequest("POST", f.url+"/v1/login", io.MultiReader(strings.NewReader(`{"email":"`), bytes.NewReader(bytes.Repeat([]byte("a"), 2<<20))))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Code, Error string }
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != 413 || e.Code != "too-large" || !strings.Contains(e.Error, "limit of 1048576 bytes") {
		t.Errorf("POST /v1/login with a 2 MiB chunked body: HTTP %d %q %q, want 413 naming the limit", resp.StatusCode, e.Code, e.Error)
	}
	// A route without a body refuses a declared one.
	f.refused("a body where none is taken", "verifier", "POST", "/v1/users/"+f.users["provider"].id+"/approve", "application/json",
		bytes.Repeat([]byte(" "), 8<<10), 413, "too-large")
}

// TestUploadLimitsHTTP: over HTTP, a tender's cap on uploads is 409
// too-many-uploads, and a chunk after the deadline is 409 late.
func TestUploadLimitsHTTP(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	f := newFixture(t, mustEmbedded(t), server.Config{Uploads: tender.UploadLimits{PerTender: 1},
		Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	f.announce("T-UP", time.Now().Add(time.Hour))
	var u struct{ ID string }
	f.mustJSON("provider", "POST", "/v1/tenders/T-UP/uploads", map[string]any{"size": 1000}, &u)
	f.refused("a second upload beyond the tender's cap", "provider2", "POST", "/v1/tenders/T-UP/uploads", "application/json", []byte(`{"size":1000}`), 409, "too-many-uploads")
	f.mustDo("provider", "PUT", "/v1/uploads/"+u.ID+"?offset=0", "application/octet-stream", bytes.Repeat([]byte("x"), 100), nil)
	offset.Add(int64(2 * time.Hour))
	f.refused("a chunk after the deadline", "provider", "PUT", "/v1/uploads/"+u.ID+"?offset=100", "application/octet-stream", bytes.Repeat([]byte("x"), 100), 409, "late")
}
