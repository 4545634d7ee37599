package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/vault"
)

// A fixture is a running deployment with one active account of every
// registry role, logged in, and a committee key.
type fixture struct {
	t     *testing.T
	s     *server.Server
	url   string
	hc    *http.Client
	users map[string]*account // by caller name: "provider", "pokja-outsider", …
	key   *age.HybridIdentity // the committee's key of the fixture's tenders
}

type account struct {
	name, id, token, tokenID string
	role                     registry.Role
}

const testPassword = "rahasia-uji-segel-2026"

// testNIK is a NIK valid under doc/spec/registry.md §4.2, one per i.
func testNIK(i int) string { return fmt.Sprintf("3171%02d1203850%03d", 1+i%90, 1+i) }

// callers are the fixture's accounts, in the order they are made: the
// reviewer of each comes before it. pokja, pokja2 and pokja3 form the
// committee of the fixture's tenders; pokja-outsider is on no committee.
var callers = []struct {
	name string
	role registry.Role
}{
	{"admin", registry.RoleAdmin},
	{"verifier", registry.RoleVerifier},
	{"pa-kpa", registry.RolePAKPA},
	{"pokja", registry.RolePokja},
	{"pokja2", registry.RolePokja},
	{"pokja3", registry.RolePokja},
	{"pokja-outsider", registry.RolePokja},
	{"pejabat-pengadaan", registry.RolePejabatPengadaan},
	{"ppk", registry.RolePPK},
	{"auditor", registry.RoleAuditor},
	{"provider", registry.RoleProvider},
	{"provider2", registry.RoleProvider},
}

// newFixture builds a deployment on b from cfg (Backend, KEK, Name and
// Logger are filled in) and enrols every caller through the API.
func newFixture(t *testing.T, b vault.Backend, cfg server.Config) *fixture {
	t.Helper()
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Backend, cfg.KEK, cfg.Name = b, kek, "lpse.test"
	if cfg.Limits == (server.Limits{}) {
		// The fixture registers and logs in a dozen people from one
		// address; TestRateLimits tests the limits.
		off := server.RateLimit{Burst: -1}
		cfg.Limits = server.Limits{Register: off, Login: off, Proofs: off}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	s, err := server.Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := serve(t, s)
	key, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, s: s, url: ts.URL, hc: ts.Client(), users: map[string]*account{}, key: key}
	for i, c := range callers {
		f.enrol(i, c.name, c.role)
	}
	return f
}

func (f *fixture) enrol(i int, name string, role registry.Role) {
	f.t.Helper()
	email := fmt.Sprintf("%s@lpse.test.go.id", name)
	app := map[string]any{"role": role, "email": email, "password": testPassword, "name": "Uji " + name, "nik": testNIK(i)}
	kinds := []string{"surat-tugas"}
	if role == registry.RoleProvider {
		kinds = []string{"ktp", "akta-pendirian", "npwp", "izin-usaha"}
		app["provider"] = map[string]string{"kind": "company", "npwp": fmt.Sprintf("01.234.%03d.5-012.000", i), "licence": fmt.Sprintf("9120001234%03d", i)}
	}
	docs := map[string][]byte{}
	for _, k := range kinds {
		docs[k] = []byte("scan " + k + " " + name)
	}
	app["documents"] = docs
	var u struct{ ID string }
	if role == registry.RoleAdmin && f.users["admin"] == nil {
		f.mustJSON("", "POST", "/v1/bootstrap", app, &u)
	} else {
		f.mustJSON("", "POST", "/v1/register", app, &u)
		reviewer := f.users["verifier"]
		if role == registry.RoleVerifier || role == registry.RoleAdmin {
			reviewer = f.users["admin"]
		}
		for _, k := range kinds {
			f.mustJSON(reviewer.name, "POST", "/v1/users/"+u.ID+"/documents/"+k+"/verify", nil, nil)
		}
		f.mustJSON(reviewer.name, "POST", "/v1/users/"+u.ID+"/approve", nil, nil)
	}
	f.users[name] = &account{name: name, role: role}
	f.users[name].id, f.users[name].token, f.users[name].tokenID = f.login(email)
}

func (f *fixture) login(email string) (id, token, tokenID string) {
	f.t.Helper()
	var tok struct {
		Token   string `json:"token"`
		TokenID string `json:"token_id"`
		User    string `json:"user"`
	}
	f.mustJSON("", "POST", "/v1/login", map[string]string{"email": email, "password": testPassword}, &tok)
	return tok.User, tok.Token, tok.TokenID
}

// do sends a request as caller ("" or "anonymous" for none, "bad-token"
// for a made-up token) and returns the status and body.
func (f *fixture) do(caller, method, path, ctype string, body []byte) (int, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	switch caller {
	case "", "anonymous":
	case "bad-token":
		req.Header.Set("Authorization", "Bearer t-aaaaaaaaaaaaaaaa.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	default:
		u := f.users[caller]
		if u == nil {
			f.t.Fatalf("no caller %q", caller)
		}
		req.Header.Set("Authorization", "Bearer "+u.token)
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// mustJSON sends in as JSON (no body if nil) and decodes a 2xx answer
// into out; any other answer fails the test.
func (f *fixture) mustJSON(caller, method, path string, in, out any) {
	f.t.Helper()
	var body []byte
	ctype := ""
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			f.t.Fatal(err)
		}
		ctype = "application/json"
	}
	f.mustDo(caller, method, path, ctype, body, out)
}

func (f *fixture) mustDo(caller, method, path, ctype string, body []byte, out any) {
	f.t.Helper()
	status, b := f.do(caller, method, path, ctype, body)
	if status/100 != 2 {
		f.t.Fatalf("%s %s as %s: HTTP %d: %s", method, path, caller, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("%s %s: answer %q: %v", method, path, b, err)
		}
	}
}

type tenderView struct {
	ID        string
	State     string
	Round     uint64
	RoundTime time.Time `json:"round_time"`
	Offers    *int
}

// announce assigns the committee pokja, pokja2, pokja3 to id and has
// pokja announce it with the fixture's committee key, submission open
// from now until deadline, opening one second later; both providers
// register for it.
func (f *fixture) announce(id string, deadline time.Time) tenderView {
	f.t.Helper()
	return f.announceWith(id, deadline, f.key.Recipient())
}

func (f *fixture) announceWith(id string, deadline time.Time, key *age.HybridRecipient) tenderView {
	f.t.Helper()
	f.mustJSON("pa-kpa", "POST", "/v1/committees/"+id, map[string]any{"members": f.ids("pokja", "pokja2", "pokja3")}, nil)
	var tv tenderView
	f.mustJSON("pokja", "POST", "/v1/tenders", f.announcement(id, deadline, key), &tv)
	for _, p := range []string{"provider", "provider2"} {
		f.mustJSON(p, "POST", "/v1/tenders/"+id+"/participants", nil, nil)
	}
	return tv
}

func (f *fixture) announcement(id string, deadline time.Time, key *age.HybridRecipient) map[string]any {
	f.t.Helper()
	var doc struct{ SHA256 string }
	f.mustDo("pokja", "POST", "/v1/documents", "application/octet-stream", []byte("Dokumen Pemilihan "+id), &doc)
	deadline = deadline.UTC()
	now := time.Now().UTC().Add(-time.Second)
	return map[string]any{
		"id": id, "title": "Pengadaan uji " + id, "document": doc.SHA256, "committee_key": key.String(),
		"schedule": api.Schedule{RegistrationEnd: deadline, ClarificationEnd: deadline, SubmissionStart: now,
			Deadline: deadline, Opening: deadline.Add(time.Second)},
	}
}

func (f *fixture) ids(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, f.users[n].id)
	}
	return out
}

// seal seals offer to tender tv's round under key.
func (f *fixture) seal(tv tenderView, round uint64, key *age.HybridRecipient, offer []byte) []byte {
	f.t.Helper()
	var b bytes.Buffer
	if _, err := sealer.Seal(&b, bytes.NewReader(offer), sealer.Target{Chain: f.s.Beacon.Chain(), Round: round, Committee: key}); err != nil {
		f.t.Fatal(err)
	}
	return b.Bytes()
}

type receiptView struct {
	Receipt  string
	Index    int64
	SHA256   string
	Size     int64
	Received time.Time
}

// The access rules of the API, pinned: one entry per route of the table,
// keyed "METHOD path". roles is the table's roles ("public", "any", or the
// role ids) — repeated here so that widening a route in the table fails
// this test until the change is made here too, on purpose. only, if set,
// is the object-level rule: the callers, among those the roles admit, who
// may act on the request's object. req is a request that passes the
// route's checks far enough to show the access decision and that changes
// nothing (or nothing that matters to the matrix).
type access struct {
	roles string
	only  []string
	req   request
}

type request struct {
	path, ctype string
	body        []byte
}

func jsonReq(path, body string) request {
	return request{path: path, ctype: "application/json", body: []byte(body)}
}

func get(path string) request { return request{path: path} }

// accessRules returns the rules for the fixture's objects: tender tn
// (open for submission), tender cancelled (the same committee), and the
// provider's account.
func accessRules(f *fixture, tn, cancelled, spareToken string) map[string]access {
	p1 := f.users["provider"].id
	committee := []string{"pokja", "pokja2", "pokja3"}
	other, err := age.GenerateHybridIdentity()
	if err != nil {
		f.t.Fatal(err)
	}
	openBody, _ := json.Marshal(map[string]any{"identity": other.String(), "witnesses": f.ids(committee...)})
	announceBody, _ := json.Marshal(f.announcement(tn, time.Now().Add(time.Hour), f.key.Recipient()))
	someDigest := strings.Repeat("ab", 32)
	t := "/v1/tenders/" + tn
	return map[string]access{
		"GET /healthz":           {roles: "public", req: get("/healthz")},
		"GET /readyz":            {roles: "public", req: get("/readyz")},
		"GET /metrics":           {roles: "public", req: get("/metrics")},
		"GET /openapi.json":      {roles: "public", req: get("/openapi.json")},
		"GET /v1/keys":           {roles: "public", req: get("/v1/keys")},
		"GET /v1/chain":          {roles: "public", req: get("/v1/chain")},
		"GET /v1/log/checkpoint": {roles: "public", req: get("/v1/log/checkpoint")},
		"POST /v1/proofs":        {roles: "public", req: request{"/v1/proofs", "text/plain", []byte("not a receipt")}},
		"GET /v1/portal/builds":  {roles: "public", req: get("/v1/portal/builds")},
		"POST /v1/bootstrap":     {roles: "public", req: jsonReq("/v1/bootstrap", `{}`)},
		"POST /v1/register":      {roles: "public", req: jsonReq("/v1/register", `{}`)},
		"POST /v1/login":         {roles: "public", req: jsonReq("/v1/login", ``)},

		// Own tokens, or any for an admin.
		"POST /v1/tokens/{token}/revoke": {roles: "any", only: []string{"provider2", "admin"}, req: request{path: "/v1/tokens/" + spareToken + "/revoke"}},
		// An account is shown to its owner and LPSE reviewers; its
		// documents to its owner and its reviewer (a verifier, for a
		// provider: doc/spec/registry.md §2).
		"GET /v1/users":                                 {roles: "verifier admin", req: get("/v1/users?status=pending")},
		"GET /v1/users/{user}":                          {roles: "any", only: []string{"provider", "verifier", "admin"}, req: get("/v1/users/" + p1)},
		"GET /v1/users/{user}/documents/{kind}":         {roles: "any", only: []string{"provider", "verifier"}, req: get("/v1/users/" + p1 + "/documents/ktp")},
		"POST /v1/users/{user}/documents/{kind}/verify": {roles: "verifier admin", only: []string{"verifier"}, req: request{path: "/v1/users/" + p1 + "/documents/ktp/verify"}},
		"POST /v1/users/{user}/approve":                 {roles: "verifier admin", only: []string{"verifier"}, req: request{path: "/v1/users/" + p1 + "/approve"}},
		"POST /v1/users/{user}/reject":                  {roles: "verifier admin", only: []string{"verifier"}, req: jsonReq("/v1/users/"+p1+"/reject", `{"reason":"dokumen tidak cocok"}`)},
		"POST /v1/users/{user}/deactivate":              {roles: "verifier admin", req: jsonReq("/v1/users/"+p1+"/deactivate", `{"reason":""}`)},
		"POST /v1/users/{user}/reactivate":              {roles: "verifier admin", req: jsonReq("/v1/users/"+p1+"/reactivate", `{"reason":""}`)},
		// Officials request blacklistings; LPSE staff list and decide them.
		"POST /v1/users/{user}/blacklist-requests":      {roles: "pa-kpa ppk pokja", req: jsonReq("/v1/users/"+p1+"/blacklist-requests", `{"reason":""}`)},
		"GET /v1/blacklist-requests":                    {roles: "verifier admin", req: get("/v1/blacklist-requests")},
		"POST /v1/blacklist-requests/{request}/approve": {roles: "verifier admin", req: request{path: "/v1/blacklist-requests/b-none/approve"}},
		"POST /v1/blacklist-requests/{request}/reject":  {roles: "verifier admin", req: jsonReq("/v1/blacklist-requests/b-none/reject", `{"reason":""}`)},
		"POST /v1/committees/{tender}":                  {roles: "pa-kpa", req: jsonReq("/v1/committees/"+tn, `{"members":[]}`)},
		"GET /v1/committees":                            {roles: "pa-kpa pokja", req: get("/v1/committees")},
		"GET /v1/pokja":                                 {roles: "pa-kpa pokja", req: get("/v1/pokja")},

		"POST /v1/documents":       {roles: "pokja", req: request{"/v1/documents", "application/octet-stream", []byte("lampiran")}},
		"GET /v1/tenders":          {roles: "public", req: get("/v1/tenders")},
		"POST /v1/tenders":         {roles: "pokja", only: committee, req: request{"/v1/tenders", "application/json", announceBody}},
		"GET /v1/tenders/{tender}": {roles: "public", req: get(t)},
		"POST /v1/tenders/{tender}/amend": {roles: "pokja", only: committee,
			req: jsonReq(t+"/amend", `{"document":"`+someDigest+`"}`)},
		"POST /v1/tenders/{tender}/cancel":          {roles: "pokja", only: committee, req: jsonReq("/v1/tenders/"+cancelled+"/cancel", `{"reason":"dibatalkan"}`)},
		"POST /v1/tenders/{tender}/participants":    {roles: "provider", req: request{path: t + "/participants"}},
		"POST /v1/tenders/{tender}/offers":          {roles: "provider", req: request{t + "/offers", "application/octet-stream", []byte("not sealed")}},
		"POST /v1/tenders/{tender}/close":           {roles: "pokja", only: committee, req: request{path: t + "/close"}},
		"POST /v1/tenders/{tender}/open":            {roles: "pokja", only: committee, req: request{t + "/open", "application/json", openBody}},
		"GET /v1/tenders/{tender}/opening-report":   {roles: "public", req: get(t + "/opening-report")},
		"GET /v1/tenders/{tender}/witness/{bidder}": {roles: "public", req: get(t + "/witness/" + p1)},
		// The opened offer, for the tender's committee only: never another
		// bidder, nor the bidder itself, nor another committee.
		"GET /v1/tenders/{tender}/offers/{bidder}/document": {roles: "pokja", only: committee, req: get(t + "/offers/" + p1 + "/document")},
		"GET /v1/tenders/{tender}/bundle":                   {roles: "public", req: get(t + "/bundle")},
		"GET /v1/tenders/{tender}/messages/{kind}":          {roles: "public", req: get(t + "/messages/question")},
		"POST /v1/tenders/{tender}/messages/{kind}":         {roles: "provider", req: jsonReq(t+"/messages/objection", `{"text":"keberatan"}`)},
		"POST /v1/tenders/{tender}/messages/{kind}/{digest}/answer": {roles: "pokja", only: committee,
			req: jsonReq(t+"/messages/question/"+someDigest+"/answer", `{"text":"jawaban"}`)},
		"POST /v1/tenders/{tender}/result":            {roles: "pokja", only: committee, req: jsonReq(t+"/result", `{"winner":"`+p1+`","text":"pemenang"}`)},
		"POST /v1/tenders/{tender}/award":             {roles: "ppk", req: jsonReq(t+"/award", `{"text":"SPPBJ"}`)},
		"GET /v1/tenders/{tender}/ocds":               {roles: "public", req: get(t + "/ocds")},
		"GET /v1/tenders/{tender}/documents/{digest}": {roles: "public", req: get(t + "/documents/" + someDigest)},

		// Commitments and resumable uploads: the bidder's own only. The
		// requests are refused after the permission check (size 0, no
		// such upload), so they leave the fixture unchanged.
		"POST /v1/tenders/{tender}/commitments": {roles: "provider", req: jsonReq(t+"/commitments", `{"sha256":"`+someDigest+`","size":0}`)},
		"POST /v1/tenders/{tender}/uploads":     {roles: "provider", req: jsonReq(t+"/uploads", `{"size":0}`)},
		"GET /v1/uploads/{upload}":              {roles: "provider", req: get("/v1/uploads/up-none")},
		"PUT /v1/uploads/{upload}":              {roles: "provider", req: request{"/v1/uploads/up-none?offset=0", "application/octet-stream", []byte("x")}},
		"POST /v1/uploads/{upload}/finish":      {roles: "provider", req: request{path: "/v1/uploads/up-none/finish"}},

		"GET /v1/plans":                 {roles: "public", req: get("/v1/plans")},
		"GET /v1/plans/{plan}/text":     {roles: "public", req: get("/v1/plans/RUP-none/text")},
		"GET /v1/notices/{notice}/text": {roles: "public", req: get("/v1/notices/N-none/text")},
		// A complaint's texts are for its filer and LPSE staff; for one
		// that does not exist, others are refused before that is told.
		"GET /v1/complaints/{complaint}/documents/{digest}": {roles: "any", only: []string{"verifier", "admin"}, req: get("/v1/complaints/C-none/documents/" + someDigest)},
		"POST /v1/plans": {roles: "pa-kpa", req: jsonReq("/v1/plans", `{"title":"","budget":0,"text":""}`)},

		"GET /v1/notices":                    {roles: "public", req: get("/v1/notices")},
		"POST /v1/notices":                   {roles: "verifier admin", req: jsonReq("/v1/notices", `{}`)},
		"POST /v1/notices/{notice}/withdraw": {roles: "verifier admin", req: jsonReq("/v1/notices/N-none/withdraw", `{"reason":"uji"}`)},
		"GET /v1/complaints":                 {roles: "any", req: get("/v1/complaints")},
		// The helpdesk takes complaints from the roles its Directory
		// accepts (directory.Helpdesk.CheckUser): providers, LPSE staff, PA/KPA, committee
		// members, PPK — not auditors nor pejabat pengadaan, although the
		// route admits any role.
		"POST /v1/complaints": {roles: "any",
			only: []string{"provider", "provider2", "admin", "verifier", "pa-kpa", "pokja", "pokja2", "pokja3", "pokja-outsider", "ppk"},
			req:  jsonReq("/v1/complaints", `{"subject":"Tidak bisa unggah","text":"Unggahan gagal."}`)},
		"POST /v1/complaints/{complaint}": {roles: "verifier admin", req: jsonReq("/v1/complaints/C-20260101-none", `{"status":"in-progress","response":"ditangani"}`)},

		// Members' opening keys: their own, by pokja members.
		"POST /v1/committee-keys/challenge":   {roles: "pokja", req: jsonReq("/v1/committee-keys/challenge", `{"recipient":"age1pq1x"}`)},
		"POST /v1/committee-keys":             {roles: "pokja", req: jsonReq("/v1/committee-keys", `{"answer":"00"}`)},
		"GET /v1/users/{user}/committee-keys": {roles: "any", req: get("/v1/users/" + f.users["pokja"].id + "/committee-keys")},
		// File parts: bidders submit their own; the tender's committee
		// opens (T-ACCESS is a version 1 tender: the requests are refused
		// after the access decision, as invalid for it).
		"POST /v1/tenders/{tender}/files/{file}/offers":      {roles: "provider", req: request{t + "/files/1/offers", "application/octet-stream", []byte("not sealed")}},
		"POST /v1/tenders/{tender}/files/{file}/commitments": {roles: "provider", req: jsonReq(t+"/files/1/commitments", `{"sha256":"`+someDigest+`","size":0}`)},
		"POST /v1/tenders/{tender}/files/{file}/opening":     {roles: "pokja", only: committee, req: request{path: t + "/files/1/opening"}},
		"GET /v1/tenders/{tender}/files/{file}/evidence":     {roles: "pokja", only: committee, req: get(t + "/files/1/evidence")},
		"GET /v1/tenders/{tender}/log":                       {roles: "public", req: get(t + "/log")},
		"POST /v1/tenders/{tender}/files/{file}/contributions": {roles: "pokja", only: committee,
			req: request{t + "/files/1/contributions", "text/plain", []byte("not a batch")}},
		"POST /v1/tenders/{tender}/files/{file}/complete":                {roles: "pokja", only: committee, req: jsonReq(t+"/files/1/complete", `{}`)},
		"GET /v1/tenders/{tender}/files/{file}/opening-report":           {roles: "public", req: get(t + "/files/1/opening-report")},
		"GET /v1/tenders/{tender}/files/{file}/witness/{bidder}":         {roles: "public", req: get(t + "/files/1/witness/" + p1)},
		"GET /v1/tenders/{tender}/files/{file}/offers/{bidder}/document": {roles: "pokja", only: committee, req: get(t + "/files/1/offers/" + p1 + "/document")},
		"GET /v1/tenders/{tender}/files/{file}/offers/{bidder}/receipt": {roles: "provider pokja", only: append([]string{"provider"}, committee...),
			req: get(t + "/files/1/offers/" + p1 + "/receipt")},
		"POST /v1/tenders/{tender}/evaluations": {roles: "pokja", only: committee, req: jsonReq(t+"/evaluations", `{"results":[]}`)},
		"POST /v1/tenders/{tender}/evaluations/{digest}/approve": {roles: "pokja", only: committee,
			req: request{path: t + "/evaluations/" + someDigest + "/approve"}},
		"POST /v1/tenders/{tender}/stage-two": {roles: "pokja", only: committee,
			req: jsonReq(t+"/stage-two", `{"deadline":"2030-01-01T00:00:00Z","opening":"2030-01-01T00:00:01Z"}`)},

		// A receipt, for its bidder; for the committee after closing (409
		// before), never for another bidder nor another committee.
		"GET /v1/tenders/{tender}/offers/{bidder}/receipt": {roles: "provider pokja", only: append([]string{"provider"}, committee...), req: get(t + "/offers/" + p1 + "/receipt")},
	}
}

func rolesString(roles []registry.Role) string {
	switch {
	case roles == nil:
		return "public"
	case len(roles) == 0:
		return "any"
	}
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, " ")
}

// TestAccessMatrix walks every route of the table as every kind of
// caller and checks who is let through: 401 without a valid token on an
// authenticated route, 403 for a role or an object the caller may not
// act on, and anything but 401/403 (nor a server error) for the others.
// It also checks that no answer, to anyone, carries a sealed offer of the
// open tender, nor its receipt data to anyone but its bidder.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	b, err := vault.OpenEmbedded(context.Background(), vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	f := newFixture(t, b, server.Config{})

	const tn, cancelled = "T-ACCESS", "T-CANCELLED"
	tv := f.announce(tn, time.Now().Add(time.Hour))
	f.announce(cancelled, time.Now().Add(time.Hour))
	f.mustJSON("pokja", "POST", "/v1/tenders/"+cancelled+"/cancel", map[string]string{"reason": "uji"}, nil)
	// A sealed offer of the open tender, which only its bidder has seen.
	sealed := f.seal(tv, tv.Round, f.key.Recipient(), []byte("Penawaran rahasia: Rp 1.234.000.000"))
	var rc receiptView
	f.mustDo("provider", "POST", "/v1/tenders/"+tn+"/offers", "application/octet-stream", sealed, &rc)
	secrets := map[string][]byte{
		"the sealed file's last 32 bytes": sealed[len(sealed)-32:],
		"the offer's SHA-256":             []byte(rc.SHA256),
		"the receipt's signature line":    []byte(rc.Receipt[strings.LastIndex(strings.TrimSpace(rc.Receipt), "\n")+1:]),
	}
	// provider2 gets a second token, for the revoke route.
	_, _, spare := f.login("provider2@lpse.test.go.id")

	rules := accessRules(f, tn, cancelled, spare)
	routes := f.s.Routes()
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		a, ok := rules[key]
		if !ok {
			t.Errorf("route %s has no access rule in this test: add one to accessRules", key)
			continue
		}
		if got := rolesString(rt.Roles); got != a.roles {
			t.Errorf("%s: the table admits %q, this test pins %q: change both on purpose", key, got, a.roles)
			continue
		}
		names := append([]string{"anonymous", "bad-token"}, f.callerNames()...)
		for _, c := range names {
			want := allowed(rt.Roles, a.only, c, f)
			status, body := f.do(c, rt.Method, a.req.path, a.req.ctype, a.req.body)
			switch {
			case want == 0 && (status == 401 || status == 403 || status >= 500):
				t.Errorf("%s as %s: got %d %s, want it let through (not 401/403/5xx)", key, c, status, brief(body))
			case want == 0 && status == 404 && bytes.Contains(body, []byte(`"no-route"`)):
				t.Errorf("%s as %s: the mux has no such route: %s", key, c, brief(body))
			case want != 0 && status != want:
				t.Errorf("%s as %s: got %d %s, want %d", key, c, status, brief(body), want)
			}
			for what, secret := range secrets {
				if c == "provider" && what != "the sealed file's last 32 bytes" {
					continue // the bidder's own receipt data
				}
				if bytes.Contains(body, secret) {
					t.Errorf("%s as %s: the answer carries %s of provider's sealed offer", key, c, what)
				}
			}
		}
	}
	for key := range rules {
		if !seen[key] {
			t.Errorf("access rule for %s, which is not in the table", key)
		}
	}
}

// allowed returns 0 when caller c may call a route with roles and the
// object rule only, and otherwise the status it must get.
func allowed(roles []registry.Role, only []string, c string, f *fixture) int {
	if roles == nil {
		return 0
	}
	u := f.users[c]
	if u == nil { // anonymous, bad-token
		return http.StatusUnauthorized
	}
	if len(roles) > 0 && !slices.Contains(roles, u.role) {
		return http.StatusForbidden
	}
	if only != nil && !slices.Contains(only, c) {
		return http.StatusForbidden
	}
	return 0
}

func (f *fixture) callerNames() []string {
	var out []string
	for _, c := range callers {
		out = append(out, c.name)
	}
	return out
}

func brief(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// TestNoRouteServesSealedOffers checks the table itself: a route that
// could hand out an offer (its path names offers, sealed files or
// receipts) must be one this test knows and has judged. Today none serves
// a sealed file: the offers route only takes uploads, and the document
// route serves the opened plaintext to the tender's committee, after the
// opening (TestAccessMatrix checks who gets through).
func TestNoRouteServesSealedOffers(t *testing.T) {
	judged := map[string]string{
		"POST /v1/tenders/{tender}/offers":                  "upload only; answers with the caller's own receipt",
		"GET /v1/tenders/{tender}/offers/{bidder}/document": "opened plaintext, committee only, after the opening",
		"POST /v1/tenders/{tender}/uploads":                 "begins the caller's upload; answers with its id and progress",
		"GET /v1/uploads/{upload}":                          "progress of the caller's own upload, no bytes; another bidder's is not found",
		"PUT /v1/uploads/{upload}":                          "takes a chunk of the caller's own upload; answers with progress",
		"POST /v1/uploads/{upload}/finish":                  "submits the caller's own upload; answers with its receipt",
		// No bytes of the offer: its receipt.
		"GET /v1/tenders/{tender}/offers/{bidder}/receipt": "the bidder's own current receipt; the committee's after closing",
		// The same, per file part of a v2 tender.
		"POST /v1/tenders/{tender}/files/{file}/offers":                  "upload only; answers with the caller's own receipt",
		"GET /v1/tenders/{tender}/files/{file}/offers/{bidder}/receipt":  "the bidder's own current receipt of the part; the committee's after the part closed",
		"GET /v1/tenders/{tender}/files/{file}/offers/{bidder}/document": "opened plaintext of the part, committee only, after its opening",
	}
	// GET routes that hand out bytes of an offer must be the committee's.
	servesBytes := map[string]bool{"GET /v1/tenders/{tender}/offers/{bidder}/document": true,
		"GET /v1/tenders/{tender}/files/{file}/offers/{bidder}/document": true}
	s := build(t, mustEmbedded(t))
	for _, rt := range s.Routes() {
		key := rt.Method + " " + rt.Path
		p := strings.ToLower(rt.Path)
		if !strings.Contains(p, "offer") && !strings.Contains(p, "sealed") && !strings.Contains(p, "receipt") && !strings.Contains(p, "upload") {
			continue
		}
		why, ok := judged[key]
		if !ok {
			t.Errorf("route %s may serve offers or receipts; judge it here and in TestAccessMatrix", key)
			continue
		}
		t.Logf("%s: %s", key, why)
		if servesBytes[key] && rolesString(rt.Roles) != "pokja" {
			t.Errorf("%s is open to %q, want the committee (pokja) only", key, rolesString(rt.Roles))
		}
	}
}

func mustEmbedded(t *testing.T) vault.Backend {
	t.Helper()
	b, err := vault.OpenEmbedded(context.Background(), vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestAccessSpotChecks names the rules the matrix covers that matter most.
func TestAccessSpotChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mustEmbedded(t), server.Config{})
	p1 := f.users["provider"].id
	tv := f.announce("T-SPOT", time.Now().Add(time.Hour))
	sealed := f.seal(tv, tv.Round, f.key.Recipient(), []byte("penawaran"))
	f.mustDo("provider", "POST", "/v1/tenders/T-SPOT/offers", "application/octet-stream", sealed, nil)
	for _, c := range []struct {
		name, caller, path string
		want               int
	}{
		{"a provider reads another's account", "provider2", "/v1/users/" + p1, 403},
		{"a provider reads another's documents", "provider2", "/v1/users/" + p1 + "/documents/ktp", 403},
		// The same answer for an id that does not exist: nobody but
		// reviewers learns which ids do.
		{"a provider reads an unknown account", "provider2", "/v1/users/u-nobody", 403},
		{"a provider reads an unknown account's documents", "provider2", "/v1/users/u-nobody/documents/ktp", 403},
		{"a provider reads another's offer", "provider2", "/v1/tenders/T-SPOT/offers/" + p1 + "/document", 403},
		{"a bidder reads its own offer back", "provider", "/v1/tenders/T-SPOT/offers/" + p1 + "/document", 403},
		{"another committee's pokja reads an offer", "pokja-outsider", "/v1/tenders/T-SPOT/offers/" + p1 + "/document", 403},
		{"an auditor reads an account", "auditor", "/v1/users/" + p1, 403},
		{"anonymous reads an account", "anonymous", "/v1/users/" + p1, 401},
		{"the committee reads an offer before the opening", "pokja", "/v1/tenders/T-SPOT/offers/" + p1 + "/document", 404},
		{"anonymous reads the tender", "anonymous", "/v1/tenders/T-SPOT", 200},
		{"anonymous reads the checkpoint", "anonymous", "/v1/log/checkpoint", 200},
		{"anonymous reads the keys", "anonymous", "/v1/keys", 200},
		{"anonymous reads the notices", "anonymous", "/v1/notices", 200},
		{"a provider lists accounts", "provider", "/v1/users", 403},
		{"an auditor lists accounts", "auditor", "/v1/users?status=pending", 403},
		{"a pokja lists accounts", "pokja", "/v1/users?q=cv", 403},
		{"anonymous lists accounts", "anonymous", "/v1/users", 401},
		{"a verifier lists accounts", "verifier", "/v1/users?status=active&role=provider&q=a&limit=10&offset=0", 200},
		{"a verifier lists a status that is none", "verifier", "/v1/users?status=waiting", 400},
		{"a verifier lists with a limit that is no number", "verifier", "/v1/users?limit=ten", 400},
	} {
		if got, body := f.do(c.caller, "GET", c.path, "", nil); got != c.want {
			t.Errorf("%s: GET %s as %s: got %d %s, want %d", c.name, c.path, c.caller, got, brief(body), c.want)
		}
	}
	if got, body := f.do("provider2", "GET", "/v1/tenders/T-SPOT/offers/"+p1+"/document", "", nil); bytes.Contains(body, sealed[len(sealed)-32:]) {
		t.Errorf("another bidder got the sealed offer (HTTP %d)", got)
	}
}

// TestEmptyListsAreArrays: a list with nothing in it is [], as GET
// /v1/tenders always answered, not null.
func TestEmptyListsAreArrays(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mustEmbedded(t), server.Config{})
	f.announce("T-EMPTY", time.Now().Add(time.Hour))
	for _, c := range []struct{ caller, path string }{
		{"anonymous", "/v1/plans"},
		{"anonymous", "/v1/notices"},
		{"provider", "/v1/complaints"},
		{"verifier", "/v1/complaints"},
		{"verifier", "/v1/users?q=nobody-has-this"},
		{"anonymous", "/v1/tenders/T-EMPTY/messages/question"},
	} {
		got, body := f.do(c.caller, "GET", c.path, "", nil)
		if got != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
			t.Errorf("GET %s as %s: %d %s, want 200 []", c.path, c.caller, got, brief(body))
		}
	}
}

// TestBuildChecksPublisher: a misconfigured OCDS publisher stops Build,
// instead of failing every e-reporting export as the caller's mistake.
func TestBuildChecksPublisher(t *testing.T) {
	t.Parallel()
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []tender.Publisher{
		{Name: "LPSE Uji"}, // no URI
		{Name: "LPSE Uji", URI: "https://lpse.test", OCIDPrefix: "OCDS-X"},
	} {
		_, err := server.Build(context.Background(), server.Config{Backend: mustEmbedded(t), KEK: kek, Name: "lpse.test", Publisher: p})
		if !errors.Is(err, tender.ErrInvalid) || !strings.Contains(err.Error(), "Publisher") {
			t.Errorf("Build with publisher %+v: %v, want an error naming Config.Publisher", p, err)
		}
	}
}

// TestDocumentDamagedIsNoSuccess: a stored document found damaged while
// it is sent must not reach the client as a complete answer (the vault
// finds a damaged copy at its end, after the status line is out).
func TestDocumentDamagedIsNoSuccess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := vault.OpenEmbedded(context.Background(), vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	f := newFixture(t, b, server.Config{})
	f.announce("T-RUSAK", time.Now().Add(time.Hour))
	doc := sha256.Sum256([]byte("Dokumen Pemilihan T-RUSAK"))
	path := "/v1/tenders/T-RUSAK/documents/" + hex.EncodeToString(doc[:])
	if got, body := f.do("anonymous", "GET", path, "", nil); got != 200 || string(body) != "Dokumen Pemilihan T-RUSAK" {
		t.Fatalf("GET the tender document: %d %q", got, body)
	}
	h := hex.EncodeToString(doc[:])
	stored := filepath.Join(dir, "blobs", h[:2], h[2:])
	damaged, err := os.ReadFile(stored)
	if err != nil {
		t.Fatal(err)
	}
	damaged[3] ^= 0x20
	if err := os.WriteFile(stored, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := f.hc.Get(f.url + path)
	if err != nil {
		return // refused outright: fine
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode == http.StatusOK {
		t.Errorf("a damaged document was answered 200 with %q and a clean end", body)
	}
}
