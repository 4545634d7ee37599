package portal_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/segel-lpse/segel/internal/browsertest"
	"github.com/segel-lpse/segel/portal"
	"github.com/segel-lpse/segel/portal/internal/tendertest"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// csp is the page's Content-Security-Policy, as doc/spec/portal.md §2
// documents it.
const csp = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; style-src 'self'; " +
	"img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// site serves a test page the way a portal page will be served — the
// portal's static files with Subresource Integrity, under its
// Content-Security-Policy, beside a real server's API, which then serves
// the static files too — with the chain and keys pinned in the page's code
// (pinned.js).
type site struct {
	*httptest.Server
	mu      sync.Mutex
	uploads map[string][]byte // POST /test/upload/{name}
	lies    map[string][]byte // GET /test/liar/{name}: a tender JSON
}

func newSite(t testing.TB, api http.Handler, pinnedChain, pinnedKeys []byte) *site {
	t.Helper()
	s := &site{uploads: map[string][]byte{}, lies: map[string][]byte{}}
	pinned := fmt.Appendf(nil, "\"use strict\";\n// Pinned in the page's code, never fetched from the server.\nconst PINNED_CHAIN = %s;\nconst PINNED_KEYS = %s;\n",
		pinnedChain, mustJSON(t, string(pinnedKeys)))
	testJS, err := os.ReadFile("testdata/browser/test.js")
	if err != nil {
		t.Fatal(err)
	}
	page := template.Must(template.ParseFiles("testdata/browser/index.html"))
	integrity := func(name string) string {
		v, ok := portal.Integrity(name)
		if !ok {
			t.Fatalf("no integrity for %s", name)
		}
		return v
	}
	vals := map[string]string{
		"WasmExec": integrity("wasm_exec.js"), "SegelJS": integrity("segel.js"), "SegelWasm": integrity("segel.wasm"),
		"Pinned": sri(pinned), "TestJS": sri(testJS),
	}
	js := func(b []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Write(b)
		}
	}
	mux := http.NewServeMux()
	if api == nil {
		mux.Handle(portal.StaticPrefix, portal.Handler())
	} // else lpsed serves them, as it does in a deployment
	mux.HandleFunc("GET /test/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := page.Execute(w, vals); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("GET /test/pinned.js", js(pinned))
	mux.HandleFunc("GET /test/test.js", js(testJS))
	mux.HandleFunc("POST /test/upload/{name}", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		s.mu.Lock()
		s.uploads[r.PathValue("name")] = b
		s.mu.Unlock()
	})
	mux.HandleFunc("GET /test/liar/{name}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		b, ok := s.lies[r.PathValue("name")]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	if api != nil {
		mux.Handle("/", api)
	}
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// warmUp makes the gzip encoding of segel.wasm, which takes a while (much
// longer under the race detector), before anything is timed: a tender's
// submission window, or a page's loading.
func warmUp() {
	r := httptest.NewRequest("GET", portal.StaticPrefix+"segel.wasm", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	portal.Handler().ServeHTTP(httptest.NewRecorder(), r)
}

func (s *site) upload(t testing.TB, name string) []byte {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.uploads[name]
	if !ok {
		t.Fatalf("the page uploaded no %s", name)
	}
	return b
}

func sri(b []byte) string {
	return "sha384-" + base64Sum384(b)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// outcome is how a call to the page's attempt helper ended.
type outcome struct {
	OK      bool            `json:"ok"`
	Value   json.RawMessage `json:"value"`
	Name    string          `json:"name"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	File    string          `json:"file"`
	Check   string          `json:"check"`
}

// try runs body, the statements of an async function that has segel (the
// loaded WebAssembly's interface) in scope, through attempt.
func try(t testing.TB, ctx context.Context, body string) outcome {
	t.Helper()
	expr := "attempt(async () => { const segel = await window.segelReady; " + body + " })"
	o, err := chromedp.Run(ctx, chromedp.Evaluate[outcome](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", body, err)
	}
	return o
}

// must is try for a call that must succeed; it decodes the value into v.
func must(t testing.TB, ctx context.Context, body string, v any) {
	t.Helper()
	o := try(t, ctx, body)
	if !o.OK {
		t.Fatalf("%s\nfailed: %s (%s): %s", body, o.Name, o.Code, o.Message)
	}
	if v != nil {
		if err := json.Unmarshal(o.Value, v); err != nil {
			t.Fatalf("%s: %v in %s", body, err, o.Value)
		}
	}
}

// refused is try for a call that must fail with code, saying each of want.
func refused(t testing.TB, ctx context.Context, what, body, code string, want ...string) outcome {
	t.Helper()
	o := try(t, ctx, body)
	if o.OK || o.Name != "SegelError" || o.Code != code {
		t.Errorf("%s: ok=%v %s code %q: %s; want a SegelError with code %q", what, o.OK, o.Name, o.Code, o.Message, code)
		return o
	}
	for _, w := range want {
		if !strings.Contains(o.Message, w) {
			t.Errorf("%s: %q\ndoes not say %q", what, o.Message, w)
		}
	}
	return o
}

func setFiles(t testing.TB, ctx context.Context, input string, paths ...string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(input), paths)); err != nil {
		t.Fatalf("choosing %v in %s: %v", paths, input, err)
	}
}

func openPage(t testing.TB, ctx context.Context, s *site) {
	t.Helper()
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/test/")); err != nil {
		t.Fatal(err)
	}
	var v struct {
		API int    `json:"api"`
		Go  string `json:"go"`
	}
	must(t, ctx, `return segel.version;`, &v)
	t.Logf("page and WebAssembly loaded in %v: API %d, %s", time.Since(start).Round(time.Millisecond), v.API, v.Go)
	if v.API != 1 {
		t.Errorf("segel.version.api = %d, want 1", v.API)
	}
	evalAllowed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.evalAllowed`))
	if err != nil || evalAllowed {
		t.Errorf("eval allowed in the page (%v): the Content-Security-Policy is not in force", err)
	}
}

// checkCSP checks that the only violation of the page's policy was the
// eval test.js tried on purpose, which shows violations are reported.
func checkCSP(t testing.TB, ctx context.Context) {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.cspViolations`))
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 1 || v[0] != "script-src eval" {
		t.Errorf("Content-Security-Policy violations: %q, want only test.js's eval", v)
	}
}

// TestBrowserTender runs a real tender's bidder and auditor steps in
// headless Chromium, with the portal's WebAssembly: the tender checked
// against the pinned chain (and lies refused), two documents sealed in the
// browser and opened by the server's ceremony to the same bytes, a damaged
// sealed file refused by the self-check and by the server-side Inspect,
// receipts and proof files verified against the pinned keys (tampered ones
// refused), and the audit bundle verified with the network off (tampered:
// refused, naming the file).
func TestBrowserTender(t *testing.T) {
	if testing.Short() {
		t.Skip("a real tender in a real browser: about 30 s")
	}
	ctx := browsertest.New(t)
	warmUp()
	tn := tendertest.Start(t, 2, 20*time.Second)
	s := newSite(t, tn.Handler, tn.Chain, tn.Keys)
	openPage(t, ctx, s)
	tenderURL := "/v1/tenders/" + tn.ID

	// 1. The tender, fetched from the server, checked against the pinned
	// chain; then the same tender with lies.
	var checked struct {
		Tender         string          `json:"tender"`
		Target         json.RawMessage `json:"target"`
		CommitteeKeyID string          `json:"committee_key_id"`
		Opens          time.Time       `json:"opens"`
	}
	must(t, ctx, `const r = await fetch(`+string(mustJSON(t, tenderURL))+`);
		window.checked = await segel.checkTender(PINNED_CHAIN, await r.json());
		return window.checked;`, &checked)
	if checked.Tender != tn.ID || checked.CommitteeKeyID != sealer.KeyID(tn.Target.Committee) || !checked.Opens.Equal(tn.Target.Chain.TimeOf(tn.Target.Round)) {
		t.Errorf("checkTender = %+v", checked)
	}
	var honest map[string]any
	json.Unmarshal(tn.JSON, &honest)
	lie := func(name string, change func(map[string]any)) string {
		m := map[string]any{}
		json.Unmarshal(tn.JSON, &m)
		change(m)
		s.mu.Lock()
		s.lies[name] = mustJSON(t, m)
		s.mu.Unlock()
		return `return segel.checkTender(PINNED_CHAIN, await (await fetch("/test/liar/` + name + `")).text());`
	}
	round := uint64(honest["round"].(float64))
	refused(t, ctx, "a round early", lie("early", func(m map[string]any) { m["round"] = round - 1 }), "unsafe-target",
		fmt.Sprintf("tender %s names round %d", tn.ID, round-1), fmt.Sprintf("is %d (RoundAt(opening))", round), "ask the LPSE to correct the tender")
	refused(t, ctx, "quicknet's hash", lie("quicknet", func(m map[string]any) {
		m["chain"] = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
	}), "unsafe-target", `names beacon chain "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971", but this client is pinned to `+tn.Target.Chain.HashHex())
	refused(t, ctx, "pinned to quicknet", `return segel.checkTender(segel.quicknet, await (await fetch(`+string(mustJSON(t, tenderURL))+`)).json());`,
		"unsafe-target", "pinned to 52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971 (quicknet)")
	refused(t, ctx, "not JSON", `return segel.checkTender(PINNED_CHAIN, "<html>");`, "input", "tender")

	// 2. Each bidder's document, sealed in the browser and uploaded.
	dir := t.TempDir()
	type sealedInfo struct {
		Size         int64  `json:"size"`
		SHA256       string `json:"sha256"`
		DocumentSize int64  `json:"document_size"`
		Round        uint64 `json:"round"`
		SelfCheck    struct {
			DocumentSize int64 `json:"document_size"`
			HeaderSize   int64 `json:"header_size"`
		} `json:"self_check"`
		Progress []int64 `json:"progress"`
	}
	docs := map[string][]byte{}
	infos := map[string]sealedInfo{}
	receipts := map[string][]byte{}
	proofs := map[string][]byte{}
	for i, b := range tn.Bidders {
		doc := make([]byte, 3<<20+i*77777)
		rand.Read(doc)
		p := filepath.Join(dir, fmt.Sprintf("penawaran-%d.pdf", i))
		if err := os.WriteFile(p, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		setFiles(t, ctx, "#doc", p)
		var info sealedInfo
		must(t, ctx, fmt.Sprintf(`const progress = [];
			const r = await segel.seal(document.getElementById("doc").files[0], window.checked.target,
				{onProgress: (n, total) => progress.push(n)});
			window.sealed[%[1]q] = r.sealed;
			const up = await fetch("/test/upload/%[1]s", {method: "POST", body: r.sealed});
			if (!up.ok) throw new Error("upload: " + up.status);
			return {...r, sealed: undefined, progress};`, b.ID), &info)
		got := s.upload(t, b.ID)
		sum := sha256.Sum256(got)
		if info.Size != int64(len(got)) || info.SHA256 != hex.EncodeToString(sum[:]) || info.DocumentSize != int64(len(doc)) ||
			info.SelfCheck.DocumentSize != int64(len(doc)) || info.Round != tn.Target.Round {
			t.Errorf("bidder %d: seal = %+v; uploaded %d bytes, SHA-256 %x", i, info, len(got), sum)
		}
		if n := len(info.Progress); n < 3 || info.Progress[n-1] != int64(len(doc)) {
			t.Errorf("bidder %d: progress %v, want a report per MiB up to %d", i, info.Progress, len(doc))
		}
		h, err := sealer.Inspect(bytes.NewReader(got), tn.Target.Chain)
		if err != nil || tn.Target.Check(h) != nil {
			t.Fatalf("bidder %d: the sealed file fails the server's checks: %v", i, err)
		}
		if receipts[b.ID], err = b.Submit(context.Background(), tn.ID, got); err != nil {
			t.Fatal(err)
		}
		if proofs[b.ID], err = tn.ProofFile(receipts[b.ID]); err != nil {
			t.Fatal(err)
		}
		docs[b.ID], infos[b.ID] = doc, info
	}

	// 3. A damaged sealed file: refused by the in-browser self-check and
	// by sealer.Inspect, as the server runs it.
	b0 := tn.Bidders[0].ID
	hs := infos[b0].SelfCheck.HeaderSize
	refused(t, ctx, "a header byte changed", fmt.Sprintf(`const bad = await damage(window.sealed[%q], 60);
		await fetch("/test/upload/damaged", {method: "POST", body: bad});
		return segel.inspect(bad, window.checked.target);`, b0), "self-check", "do not submit it")
	if _, err := sealer.Inspect(bytes.NewReader(s.upload(t, "damaged")), tn.Target.Chain); err == nil {
		t.Error("sealer.Inspect accepts the file the browser damaged")
	}
	refused(t, ctx, "one byte cut", fmt.Sprintf(`const s = window.sealed[%q];
		return segel.inspect(s.slice(0, s.size - 1), window.checked.target, {document_size: %d});`, b0, len(docs[b0])),
		"self-check", "cut or padded")
	refused(t, ctx, "a payload byte changed, then hashed", fmt.Sprintf(`const r = await segel.inspect(await damage(window.sealed[%q], %d), window.checked.target, {sha256: true});
		if (r.sha256 === %q) throw new Error("same digest");
		throw Object.assign(new Error("the digest differs: " + r.sha256), {name: "SegelError", code: "digest"});`, b0, hs+100, infos[b0].SHA256),
		"digest", "the digest differs")
	var whole struct {
		SHA256 string `json:"sha256"`
	}
	must(t, ctx, fmt.Sprintf(`return segel.inspect(window.sealed[%q], window.checked.target, {document_size: %d, sha256: true});`, b0, len(docs[b0])), &whole)
	if whole.SHA256 != infos[b0].SHA256 {
		t.Errorf("inspect's SHA-256 %s, seal's %s", whole.SHA256, infos[b0].SHA256)
	}

	// 4. Receipts and proof files, verified against the pinned keys and
	// what the page sealed.
	for _, b := range tn.Bidders {
		expect := mustJSON(t, map[string]any{"tender": tn.ID, "bidder": b.ID, "sha256": infos[b.ID].SHA256, "size": infos[b.ID].Size})
		var r struct {
			Index      int64           `json:"index"`
			Bidder     string          `json:"bidder"`
			Checkpoint json.RawMessage `json:"checkpoint"`
		}
		must(t, ctx, fmt.Sprintf(`return segel.verifyReceipt(%s, PINNED_KEYS, %s);`, mustJSON(t, string(receipts[b.ID])), expect), &r)
		if r.Bidder != b.ID || r.Checkpoint != nil {
			t.Errorf("verifyReceipt = %+v", r)
		}
		must(t, ctx, fmt.Sprintf(`return segel.verifyProofFile(new Blob([%s]), PINNED_KEYS, %s);`, mustJSON(t, string(proofs[b.ID])), expect), &r)
		if r.Checkpoint == nil {
			t.Errorf("verifyProofFile names no checkpoint")
		}
	}
	rc, pf := string(receipts[b0]), string(proofs[b0])
	tamper := func(s string) string { // a character of the signature's base64
		i := strings.LastIndex(s, "— ") + len("— ") + 20
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	refused(t, ctx, "tampered receipt", fmt.Sprintf(`return segel.verifyReceipt(%s, PINNED_KEYS);`, mustJSON(t, tamper(rc))), "signature")
	refused(t, ctx, "tampered proof file", fmt.Sprintf(`return segel.verifyProofFile(%s, PINNED_KEYS);`, mustJSON(t, tamper(pf))), "signature")
	refused(t, ctx, "another bidder's receipt", fmt.Sprintf(`return segel.verifyReceipt(%s, PINNED_KEYS, {bidder: %q});`, mustJSON(t, rc), tn.Bidders[1].ID),
		"receipt-mismatch", "names bidder")
	refused(t, ctx, "a receipt for another file", fmt.Sprintf(`return segel.verifyProofFile(%s, PINNED_KEYS, {sha256: %q});`, mustJSON(t, pf), infos[tn.Bidders[1].ID].SHA256),
		"receipt-mismatch", "names sha256")

	// 5. The opening: the server's ceremony opens what the browser sealed.
	opened, failed, err := tn.Finish(context.Background())
	if err != nil || opened != 2 || failed != 0 {
		t.Fatalf("opening: %d opened, %d failed, %v", opened, failed, err)
	}
	for id, doc := range docs {
		got, err := tn.Document(context.Background(), id)
		if err != nil || !bytes.Equal(got, doc) {
			t.Errorf("bidder %s: the committee reads %d bytes (%v), the browser sealed %d", id, len(got), err, len(doc))
		}
	}

	// 6. The audit bundle, as the server serves it (a .tar) and as a
	// directory, verified with the network off; then tampered with.
	tarball, err := tn.BundleTar()
	if err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(dir, "bundle-"+tn.ID+".tar")
	os.WriteFile(tarPath, tarball, 0o644)
	names, data := untar(t, tarball)
	bundleDir := filepath.Join(dir, "bundle-"+tn.ID)
	for _, n := range names {
		os.MkdirAll(filepath.Dir(filepath.Join(bundleDir, n)), 0o755)
		os.WriteFile(filepath.Join(bundleDir, n), data[n], 0o644)
	}
	var witnessless string
	for _, n := range names {
		if strings.HasPrefix(n, "entries/") {
			witnessless = n // the last entry: the opening's
		}
	}
	data[witnessless] = bytes.Replace(data[witnessless], []byte("opened"), []byte("OPENED"), 1)
	badPath := filepath.Join(dir, "tampered.tar")
	os.WriteFile(badPath, retar(t, names, data), 0o644)
	setFiles(t, ctx, "#bundle", tarPath, badPath)
	setFiles(t, ctx, "#dir", bundleDir)

	offline(t, ctx)
	refused(t, ctx, "a fetch, offline", `try { await fetch("/v1/keys"); } catch (e) {
		throw Object.assign(new Error("offline: " + e.message), {name: "SegelError", code: "offline"}); }
		return "fetched";`, "offline")
	var res struct {
		Tender   string   `json:"tender"`
		Offers   int      `json:"offers"`
		Opened   int      `json:"opened"`
		Receipts int      `json:"receipts"`
		Pinned   bool     `json:"pinned"`
		Unpinned []string `json:"unpinned"`
	}
	must(t, ctx, `return segel.verifyBundle(document.getElementById("bundle").files[0], PINNED_KEYS);`, &res)
	if res.Tender != tn.ID || res.Offers != 2 || res.Opened != 2 || res.Receipts != 2 || !res.Pinned {
		t.Errorf("verifyBundle(.tar) = %+v", res)
	}
	must(t, ctx, `const files = document.getElementById("dir").files;
		if (files.length < 10 || !files[0].webkitRelativePath.startsWith("bundle-")) throw new Error("the directory input holds " + files.length + " files");
		return segel.verifyBundle(files, PINNED_KEYS);`, &res)
	if res.Tender != tn.ID || !res.Pinned {
		t.Errorf("verifyBundle(directory) = %+v", res)
	}
	must(t, ctx, `return segel.verifyBundle(document.getElementById("bundle").files[0]);`, &res)
	if res.Pinned || len(res.Unpinned) != 4 {
		t.Errorf("verifyBundle without keys = %+v, want unpinned", res)
	}
	o := refused(t, ctx, "a tampered bundle", `return segel.verifyBundle(document.getElementById("bundle").files[1], PINNED_KEYS);`, "bundle", witnessless)
	if o.File != witnessless || o.Check == "" {
		t.Errorf("a tampered bundle: file %q, check %q; want %s and a check", o.File, o.Check, witnessless)
	}
	checkCSP(t, ctx)
}

// offline cuts the page off the network, as DevTools' Offline does.
func offline(t testing.TB, ctx context.Context) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
	if err != nil {
		t.Fatalf("going offline: %v", err)
	}
}

// TestBrowserSeal seals documents of the sizes around age's chunk size in
// the browser, to a local beacon's round, and opens them with the Go
// sealer to the same bytes; an AbortSignal stops a sealing.
func TestBrowserSeal(t *testing.T) {
	ctx := browsertest.New(t)
	key, err := timelock.GenerateLocalKey()
	if err != nil {
		t.Fatal(err)
	}
	var clock time.Time
	beacon, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: time.Unix(1_760_000_000, 0), Period: 3 * time.Second,
		Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	committee, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	chain := beacon.Chain()
	round := chain.RoundAt(time.Now().Add(24 * time.Hour))
	target := mustJSON(t, map[string]any{"chain": json.RawMessage(chain.MarshalInfo()), "round": round, "committee_key": committee.Recipient().String()})
	warmUp()
	s := newSite(t, nil, chain.MarshalInfo(), nil)
	openPage(t, ctx, s)
	dir := t.TempDir()
	for _, n := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 2<<20 + 5} {
		doc := make([]byte, n)
		rand.Read(doc)
		p := filepath.Join(dir, fmt.Sprintf("doc-%d", n))
		os.WriteFile(p, doc, 0o644)
		setFiles(t, ctx, "#doc", p)
		var info struct {
			Size int64 `json:"size"`
		}
		must(t, ctx, fmt.Sprintf(`const r = await segel.seal(document.getElementById("doc").files[0], %s);
			await fetch("/test/upload/%d", {method: "POST", body: r.sealed});
			return r;`, target, n), &info)
		sealed := s.upload(t, fmt.Sprint(n))
		clock = chain.TimeOf(round)
		r, err := sealer.Open(context.Background(), bytes.NewReader(sealed), beacon, committee)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, doc) || info.Size != int64(len(sealed)) {
			t.Errorf("%d bytes: opened to %d bytes (%v); seal said %d bytes, uploaded %d", n, len(got), err, info.Size, len(sealed))
		}
	}
	refused(t, ctx, "aborted", fmt.Sprintf(`const a = new AbortController(); a.abort();
		return segel.seal(document.getElementById("doc").files[0], %s, {signal: a.signal});`, target), "aborted", "aborted by the page")
	refused(t, ctx, "no committee key", `return segel.seal(document.getElementById("doc").files[0], {chain: PINNED_CHAIN, round: 5});`,
		"input", "no committee_key")
	refused(t, ctx, "not a file", fmt.Sprintf(`return segel.seal("the document", %s);`, target), "input", "File or a Blob")
	checkCSP(t, ctx)
}
