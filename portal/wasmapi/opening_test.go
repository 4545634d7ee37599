package wasmapi_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/internal/openingtest"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/portal/wasmapi"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
)

// v2World is a real server with a two-file tender of a 3-of-5 committee
// whose members registered keys made by wasmapi.GenerateKey, answering
// the registry's challenge with wasmapi.AnswerChallenge.
type v2World struct {
	url    string
	p      *openingtest.People
	keys   [][]byte // the members' key files
	pinned []byte   // the chain's info, as the page pins it
	trust  []byte   // the pinned keys, segel-keys/v1
	tender *api.Tender
	// refused: seal has checked, once, that a server's own committee is
	// refused against the log.
	refused bool
}

func newV2World(t *testing.T, s openingtest.Schedule) *v2World {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	kek, _ := vault.ParseKEK(vault.GenerateKEK())
	srv, err := server.Build(ctx, server.Config{Backend: b, KEK: kek, Name: "lpse.test", DataDir: dir,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	w := &v2World{url: ts.URL}
	if w.p, err = openingtest.Setup(ctx, ts.URL, 5, 3); err != nil {
		t.Fatal(err)
	}
	for i, m := range w.p.Members {
		kf, err := wasmapi.GenerateKey(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ch, err := m.ChallengeKey(ctx, kf.Recipient)
		if err != nil {
			t.Fatal(err)
		}
		ans, err := wasmapi.AnswerChallenge([]byte(ch.Challenge), ch.Recipient, []byte(kf.File))
		if err != nil {
			t.Fatalf("member %d answering its challenge: %v", i+1, err)
		}
		raw, _ := hex.DecodeString(ans.Answer)
		if _, err := m.AnswerKeyChallenge(ctx, raw); err != nil {
			t.Fatalf("member %d registering: %v", i+1, err)
		}
		w.keys = append(w.keys, []byte(kf.File))
	}
	chain, err := w.p.Anon.Chain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.pinned = chain.MarshalInfo()
	tr, err := w.p.Anon.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w.trust, err = tr.Marshal(); err != nil {
		t.Fatal(err)
	}
	if w.tender, err = w.p.Announce(ctx, api.MethodTwoFile, 3, s); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *v2World) get(t *testing.T, c *client.Client, path string) []byte {
	t.Helper()
	b, err := openingtest.Get(context.Background(), c, w.url, path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seal seals doc as bidder b's file part file, self-checks it, submits it
// and verifies the version 2 receipt, all as the page does.
func (w *v2World) seal(t *testing.T, b *client.Client, file int, doc string) (*wasmapi.Sealed, []byte) {
	t.Helper()
	tj := w.get(t, nil, "/v1/tenders/"+w.tender.ID)
	lg := w.get(t, nil, "/v1/tenders/"+w.tender.ID+"/log")
	c, err := wasmapi.CheckFileLogged(w.pinned, w.trust, tj, lg, b.UserID(), file, time.Now())
	if err != nil {
		t.Fatalf("CheckFileLogged(file %d): %v", file, err)
	}
	if !w.refused {
		w.refused = true
		w.refusesServersCommittee(t, tj, lg, b.UserID(), file)
	}
	tb, _ := json.Marshal(c.Target)
	target, err := wasmapi.ParseTarget(tb)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s, err := wasmapi.Seal(&out, strings.NewReader(doc), target)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 2 || s.File != file || s.Bidder != b.UserID() || s.Tender != w.tender.ID || s.Threshold != 3 || s.Members != 5 {
		t.Errorf("Sealed = %+v", s)
	}
	in, err := wasmapi.Inspect(bytes.NewReader(out.Bytes()), int64(out.Len()), target, int64(len(doc)), true)
	if err != nil || in.SHA256 != s.SHA256 || in.Header != s.Header {
		t.Fatalf("self-check: %+v, %v", in, err)
	}
	rc, err := b.SubmitFile(context.Background(), w.tender.ID, file, bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	r, err := wasmapi.VerifyReceipt([]byte(rc.Receipt), w.trust, wasmapi.Expect{
		Tender: w.tender.ID, Bidder: b.UserID(), SHA256: s.SHA256, Size: s.Size, File: file, Header: s.Header})
	if err != nil || r.File != file || r.Header != s.Header {
		t.Fatalf("receipt: %+v, %v", r, err)
	}
	// The same receipt is not File II's, nor another header's.
	other := 3 - file
	if _, err := wasmapi.VerifyReceipt([]byte(rc.Receipt), w.trust, wasmapi.Expect{File: other, Header: s.Header}); !errors.Is(err, wasmapi.ErrReceiptMismatch) {
		t.Errorf("receipt of file %d taken for file %d: %v", file, other, err)
	}
	if _, err := wasmapi.VerifyReceipt([]byte(rc.Receipt), w.trust, wasmapi.Expect{File: file, Header: strings.Repeat("0", 64)}); !errors.Is(err, wasmapi.ErrReceiptMismatch) {
		t.Errorf("receipt taken for another header: %v", err)
	}
	return s, out.Bytes()
}

// contribute is member i's turn (0-based) in the browser, sent to the
// server; it returns what wasmapi.Contribute computed.
func (w *v2World) contribute(t *testing.T, i, file int) *wasmapi.Contribution {
	t.Helper()
	m := w.p.Members[i]
	ev := w.get(t, m, fmt.Sprintf("/v1/tenders/%s/files/%d/evidence", w.tender.ID, file))
	c, err := wasmapi.Contribute(ev, w.trust, w.pinned, w.tender.ID, file, w.keys[i], nil)
	if err != nil {
		t.Fatalf("member %d, file %d: %v", i+1, file, err)
	}
	if strings.Contains(c.Batch, "AGE-SECRET-KEY") {
		t.Fatal("the batch holds a secret key")
	}
	sent, err := m.SendContributions(context.Background(), w.tender.ID, file, []byte(c.Batch))
	if err != nil {
		t.Fatal(err)
	}
	if sent.List.String() != c.List || sent.Contributed != c.Contributed {
		t.Errorf("server took list %s (%d contributed), the page computed %s (%d)", sent.List, sent.Contributed, c.List, c.Contributed)
	}
	return c
}

func waitRound(t *testing.T, tn *api.Tender, file int) {
	t.Helper()
	time.Sleep(time.Until(tn.Parts[file-1].RoundTime.Add(300 * time.Millisecond)))
}

// TestTwoFileInBrowserCode runs a two-file tender of a 3-of-5 committee
// with what the pages run in WebAssembly: keys made and registered,
// both files sealed by three bidders, File I opened by three members'
// batches (two absent), one bidder failed, File II opened for the two
// who passed, and the refusals a hostile server meets on the way.
func TestTwoFileInBrowserCode(t *testing.T) {
	if testing.Short() {
		t.Skip("a real two-file tender: about 15 seconds")
	}
	ctx := context.Background()
	w := newV2World(t, openingtest.Schedule{Window: 6 * time.Second, Opening: time.Second, FileII: 2 * time.Second})
	id := w.tender.ID
	if len(w.tender.Parts) != 2 {
		t.Fatalf("a two-file tender with %d parts", len(w.tender.Parts))
	}
	var files [3][3][]byte
	for i, b := range w.p.Bidders {
		_, files[i][1] = w.seal(t, b, 1, fmt.Sprintf("Dokumen administrasi dan teknis PT Dua File %d", i))
		_, files[i][2] = w.seal(t, b, 2, fmt.Sprintf("HARGA-RAHASIA-%d: Rp %d.000.000", i, 900+i))
	}

	// File I's own refusals before the deadline: a file sealed as File I
	// checked as File II, or as another bidder's.
	tj := w.get(t, nil, "/v1/tenders/"+id)
	c1, _ := wasmapi.CheckFile(w.pinned, tj, w.p.Bidders[0].UserID(), 1, time.Now())
	var f1 bytes.Buffer
	t1, _ := wasmapi.ParseTarget(mustJSON(c1.Target))
	wasmapi.Seal(&f1, strings.NewReader("dokumen"), t1)
	for _, tc := range []struct {
		name   string
		bidder string
		file   int
	}{{"File I as File II", w.p.Bidders[0].UserID(), 2}, {"another bidder's", w.p.Bidders[1].UserID(), 1}} {
		c, err := wasmapi.CheckFile(w.pinned, tj, tc.bidder, tc.file, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		tt, _ := wasmapi.ParseTarget(mustJSON(c.Target))
		_, err = wasmapi.Inspect(bytes.NewReader(f1.Bytes()), int64(f1.Len()), tt, -1, false)
		if !errors.Is(err, wasmapi.ErrSelfCheck) || !errors.Is(err, sealer.ErrMismatch) {
			t.Errorf("%s: Inspect = %v, want a self-check mismatch", tc.name, err)
		}
	}

	// File I opens once its round is out.
	waitRound(t, w.tender, 1)
	if _, err := w.p.Members[0].StartOpening(ctx, id, 1); err != nil {
		t.Fatal(err)
	}
	// A hostile server shows a header as another bidder's: refused, and
	// nothing computed.
	ev := w.get(t, w.p.Members[0], "/v1/tenders/"+id+"/files/1/evidence")
	var e api.Evidence
	json.Unmarshal(ev, &e)
	e.Headers[0].Bidder, e.Headers[1].Bidder = e.Headers[1].Bidder, e.Headers[0].Bidder
	if _, err := wasmapi.Contribute(mustJSON(e), w.trust, w.pinned, id, 1, w.keys[0], nil); !errors.Is(err, member.ErrRefused) {
		t.Errorf("headers swapped between bidders: %v, want refused", err)
	}
	// A key file of no member: refused.
	stranger, _ := wasmapi.GenerateKey(time.Now())
	if _, err := wasmapi.Contribute(ev, w.trust, w.pinned, id, 1, []byte(stranger.File), nil); !errors.Is(err, member.ErrRefused) {
		t.Errorf("a stranger's key: %v, want refused", err)
	}
	for _, i := range []int{0, 2, 4} { // members 2 and 4 are absent
		c := w.contribute(t, i, 1)
		if c.Files != 3 || c.Contributed != 3 || c.Member == 0 || c.Threshold != 3 || c.Members != 5 {
			t.Errorf("member %d's batch: %+v", i+1, c)
		}
	}
	op, err := w.p.Members[0].CompleteOpening(ctx, id, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if op.Opened != 3 || op.Failed != 0 {
		t.Fatalf("File I: %d opened, %d failed", op.Opened, op.Failed)
	}

	// The evaluation: bidder 1 fails.
	var results []api.BidderResult
	for i, b := range w.p.Bidders {
		results = append(results, api.BidderResult{Bidder: b.UserID(), Passed: i != 1, Reasons: "Evaluasi administrasi dan teknis"})
	}
	prop, err := w.p.Members[0].ProposeEvaluation(ctx, id, results)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{2, 4} {
		if _, err := w.p.Members[i].ApproveEvaluation(ctx, id, prop.Digest); err != nil {
			t.Fatal(err)
		}
	}

	// File II opens for the two who passed.
	waitRound(t, w.tender, 2)
	if _, err := w.p.Members[2].StartOpening(ctx, id, 2); err != nil {
		t.Fatal(err)
	}
	// A hostile server adds the failed bidder's File II — its true header,
	// as logged — to the evidence: the page computes nothing.
	ev = w.get(t, w.p.Members[2], "/v1/tenders/"+id+"/files/2/evidence")
	json.Unmarshal(ev, &e)
	if len(e.Headers) != 2 {
		t.Fatalf("File II's evidence shows %d headers, want the 2 who passed", len(e.Headers))
	}
	failed := w.p.Bidders[1].UserID()
	forged := e
	head, err := age.ExtractHeader(bytes.NewReader(files[1][2]))
	if err != nil {
		t.Fatal(err)
	}
	forged.Headers = append(forged.Headers, api.SealedHeader{Bidder: failed, File: 2, Index: failedIndex(t, e, failed), Header: string(head)})
	slices.SortFunc(forged.Headers, func(a, b api.SealedHeader) int { return cmp.Compare(a.Index, b.Index) })
	_, err = wasmapi.Contribute(mustJSON(forged), w.trust, w.pinned, id, 2, w.keys[2], nil)
	if !errors.Is(err, member.ErrRefused) || !strings.Contains(err.Error(), "did not pass") {
		t.Errorf("the failed bidder's File II offered: %v, want refused", err)
	}
	for _, i := range []int{2, 3, 4} {
		if c := w.contribute(t, i, 2); c.Files != 2 || c.Contributed != 2 {
			t.Errorf("member %d's File II batch: %+v", i+1, c)
		}
	}
	op, err = w.p.Members[2].CompleteOpening(ctx, id, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if op.Opened != 2 || op.Withheld != 1 {
		t.Errorf("File II: %d opened, %d withheld; want 2 and 1", op.Opened, op.Withheld)
	}
}

// failedIndex is the log index of bidder's File II in the evidence's
// entries.
func failedIndex(t *testing.T, e api.Evidence, bidder string) int64 {
	t.Helper()
	for _, le := range e.Entries {
		e, err := auditlog.ParseEntry([]byte(le.Data))
		if err == nil && e.Type == "file-received" && e.Value("bidder") == bidder && e.Value("file") == "2" {
			return le.Index
		}
	}
	t.Fatalf("no File II of %s in the log", bidder)
	return 0
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// refusesServersCommittee checks doc/spec/opening.md §2.2 in the browser's
// code: a tender naming a committee of the server's own keys, its text,
// digest, id and members consistent, is refused against the real log, as
// is one whose part's opening and round moved together, or a log checked
// with another key.
func (w *v2World) refusesServersCommittee(t *testing.T, tj, lg []byte, bidder string, file int) {
	t.Helper()
	var theirs []*age.HybridRecipient
	for range 5 {
		k, _ := age.GenerateHybridIdentity()
		theirs = append(theirs, k.Recipient())
	}
	own, err := sealer.NewCommittee(3, theirs)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := own.MarshalText()
	var tn api.Tender
	if err := json.Unmarshal(tj, &tn); err != nil {
		t.Fatal(err)
	}
	tn.CommitteeText, tn.CommitteeDigest, tn.CommitteeKeyID = string(text), api.Digest(sha256.Sum256(text)), own.ID()
	for i, r := range own.Members() {
		tn.Members[i].Recipient = r.String()
	}
	swapped, _ := json.Marshal(tn)
	if _, err := wasmapi.CheckFile(w.pinned, swapped, bidder, file, time.Now()); err != nil {
		t.Fatalf("the swapped committee is consistent in itself, CheckFile = %v", err)
	}
	if _, err := wasmapi.CheckFileLogged(w.pinned, w.trust, swapped, lg, bidder, file, time.Now()); !errors.Is(err, sealer.ErrUnsafeTarget) ||
		!strings.Contains(err.Error(), "names committee "+own.ID()) {
		t.Errorf("the server's own committee: CheckFileLogged = %v, want ErrUnsafeTarget", err)
	}
	json.Unmarshal(tj, &tn)
	chain, _ := timelock.ParseChainInfo(w.pinned)
	p := &tn.Parts[file-1]
	p.Opening = p.Opening.Add(time.Hour)
	p.Round = chain.RoundAt(p.Opening)
	later, _ := json.Marshal(tn)
	if _, err := wasmapi.CheckFileLogged(w.pinned, w.trust, later, lg, bidder, file, time.Now()); !errors.Is(err, sealer.ErrUnsafeTarget) ||
		!strings.Contains(err.Error(), "but its log names round") {
		t.Errorf("a later opening and round: CheckFileLogged = %v, want ErrUnsafeTarget", err)
	}
	other := bytes.Replace(w.trust, []byte("lpse.test/log"), []byte("lpse.test/lain"), 1)
	if _, err := wasmapi.CheckFileLogged(w.pinned, other, tj, lg, bidder, file, time.Now()); err == nil {
		t.Errorf("a log checked with another log key: accepted")
	}
}
