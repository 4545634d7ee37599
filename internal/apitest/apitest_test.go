package apitest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/segel-lpse/segel/internal/apitest"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
)

// recorder is a TB that keeps what is reported.
type recorder struct {
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.errs
	r.errs = nil
	return e
}

func deployment(t testing.TB) http.Handler {
	t.Helper()
	b, err := vault.OpenEmbedded(context.Background(), vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.Build(context.Background(), server.Config{Backend: b, KEK: kek, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

// tamper changes the JSON answers of h for which change says so: it gets
// the request's path, and the status and decoded body of the answer.
func tamper(h http.Handler, change func(path string, status *int, body map[string]any) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		status, b := rec.Code, rec.Body.Bytes()
		var body map[string]any
		if json.Unmarshal(b, &body) == nil && change(r.URL.Path, &status, body) {
			b, _ = json.Marshal(body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		w.Write(b)
	})
}

// breaches are answers that break the document, each with what the
// report must say.
var breaches = []struct {
	name, path string
	change     func(status *int, body map[string]any)
	want       string
}{
	{"an undocumented field", "/healthz", func(_ *int, b map[string]any) { b["uptime"] = 3 }, "uptime"},
	{"a missing required field", "/readyz", func(_ *int, b map[string]any) { delete(b, "log_size") }, "log_size"},
	{"a value of the wrong type", "/readyz", func(_ *int, b map[string]any) { b["log_size"] = "3" }, "log_size"},
	{"an undocumented status", "/healthz", func(s *int, _ map[string]any) { *s = http.StatusAccepted }, "202"},
	{"an undocumented error code", "/v1/tenders/T-nope", func(_ *int, b map[string]any) { b["code"] = "late" }, "late"},
	{"a code of another status", "/v1/tenders/T-nope", func(s *int, _ map[string]any) { *s = http.StatusConflict }, "409"},
	{"a route's answer from the catch-all", "/v1/no-such-route", func(s *int, _ map[string]any) { *s = http.StatusOK }, "no such operation"},
}

// TestBreaches checks that both checks, at the server and at the
// client, report every breach, and nothing for honest answers.
func TestBreaches(t *testing.T) {
	h := deployment(t)
	for _, where := range []string{"Handler", "Transport"} {
		t.Run(where, func(t *testing.T) {
			for _, b := range breaches {
				var tb recorder
				srv := tamper(h, func(path string, status *int, body map[string]any) bool {
					if path != b.path {
						return false
					}
					b.change(status, body)
					return true
				})
				var ts *httptest.Server
				hc := http.DefaultClient
				if where == "Handler" {
					ts = httptest.NewServer(apitest.Handler(&tb, srv))
				} else {
					ts = httptest.NewServer(srv)
					hc = &http.Client{Transport: apitest.Transport(&tb, nil)}
				}
				get(t, hc, ts.URL+b.path)
				ts.Close()
				errs := tb.take()
				if len(errs) != 1 || !strings.Contains(errs[0], b.want) {
					t.Errorf("%s: reported %q, want one report naming %q", b.name, errs, b.want)
				}
			}
		})
	}
}

// TestHonest checks that honest answers of every kind pass: JSON, text,
// errors, the catch-all's 404 and 405, and an accepted JSON request.
func TestHonest(t *testing.T) {
	var tb recorder
	ts := httptest.NewServer(apitest.Handler(&tb, deployment(t)))
	defer ts.Close()
	for _, p := range []string{"/healthz", "/readyz", "/v1/tenders", "/v1/tenders/T-nope", "/v1/chain", "/v1/keys",
		"/beacon/info", "/beacon/public/latest", "/beacon/public/99999999", "/v1/no-such-route", "/openapi.json"} {
		get(t, http.DefaultClient, ts.URL+p)
	}
	req, _ := http.NewRequest("DELETE", ts.URL+"/v1/tenders", nil)
	do(t, http.DefaultClient, req)
	reg := `{"role":"admin","email":"admin@lpse.test.go.id","password":"rahasia-uji-segel-2026","name":"Admin","nik":"3171011203850001",` +
		`"documents":{"surat-tugas":"c2thbg=="}}`
	req, _ = http.NewRequest("POST", ts.URL+"/v1/bootstrap", strings.NewReader(reg))
	req.Header.Set("Content-Type", "application/json")
	if status := do(t, http.DefaultClient, req); status != http.StatusCreated {
		t.Errorf("bootstrap: %d, want 201", status)
	}
	if errs := tb.take(); len(errs) != 0 {
		t.Errorf("honest answers reported: %q", errs)
	}
}

func get(t *testing.T, hc *http.Client, url string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	do(t, hc, req)
}

func do(t *testing.T, hc *http.Client, req *http.Request) int {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
