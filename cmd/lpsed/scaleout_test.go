package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
	"golang.org/x/mod/sumdb/tlog"
)

// TestScaleOut runs the scale-out doc/lpsed.md describes ("Running several
// instances") as real processes: three lpsed --shared on one PostgreSQL
// database with one KEK, a client acting as the load balancer (round robin,
// the next instance when one does not answer, no sticky sessions), a burst
// of sealed submissions during which one instance is killed with SIGKILL,
// then closing and opening asked of the two survivors at once. It checks
// that every receipt, and its proof file asked of another instance, verify
// against the published keys; that every acknowledged offer is opened;
// that the survivors serve one log; and that each survivor's bundle of the
// tender verifies, with one closing and one opening in it.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three lpsed; skipped with -short")
	}
	dsn := vaulttest.PostgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	bin := buildLpsed(t)
	kek := vault.GenerateKEK()

	// All three start at once on the empty database, as they would behind
	// a load balancer: the first start (schema, keys, the local beacon's
	// schedule) must not race.
	procs := make([]*exec.Cmd, scaleInstances)
	urls := make([]string, scaleInstances)
	logs := t.TempDir()
	for i := range procs {
		procs[i], urls[i] = startShared(t, bin, dsn, kek, filepath.Join(logs, fmt.Sprintf("lpsed-%d.log", i)))
	}
	for i, u := range urls {
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		err := client.New(u, client.WithHTTPClient(&http.Client{Timeout: 2 * time.Second})).WaitReady(wctx)
		wcancel()
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	lb := &balancer{urls: urls, http: &http.Client{Timeout: 20 * time.Second}}

	// One deployment: the same public keys and beacon chain everywhere.
	var keys *audit.Trusted
	for i, u := range urls {
		c := client.New(u, client.WithHTTPClient(lb.http))
		k, err := c.Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if keys == nil {
			keys = k
			continue
		}
		a, _ := keys.Marshal()
		b, _ := k.Marshal()
		if !bytes.Equal(a, b) {
			t.Fatalf("instance %d publishes other keys:\n%s\ninstance 0:\n%s", i, b, a)
		}
	}

	t0 := time.Now()
	tn := scaleSetup(t, ctx, lb, scaleBidders)
	t.Logf("setup of %d bidders over %d instances took %v", scaleBidders, scaleInstances, time.Since(t0).Round(time.Millisecond))

	// Seal every offer before the burst, so that the burst is only
	// submissions.
	sealed := make([][]byte, scaleBidders)
	plain := map[[32]byte]string{}
	for b := range sealed {
		doc := fmt.Sprintf("Penawaran %s: harga Rp %d", tn.bidders[b].id, 1000+b)
		var f bytes.Buffer
		if _, err := sealer.Seal(&f, strings.NewReader(doc), tn.target); err != nil {
			t.Fatal(err)
		}
		sealed[b], plain[sha256.Sum256(f.Bytes())] = f.Bytes(), doc
	}

	const victim = 2
	acks := scaleBurst(t, ctx, lb, tn, keys, sealed, procs[victim], victim)
	lb.down(victim)
	if err := client.New(urls[victim], client.WithHTTPClient(lb.http)).Healthz(ctx); err == nil {
		t.Errorf("the killed instance still answers /healthz")
	}

	// Closing, then opening, asked of both survivors at the same time.
	sleepCtx(ctx, time.Until(tn.deadline.Add(300*time.Millisecond)))
	closes := both(lb.alive(), func(i int) error {
		_, err := tn.pokja.at(urls[i]).Close(ctx, tn.id)
		return err
	})
	checkConcurrent(t, "close", closes)
	sleepCtx(ctx, time.Until(tn.target.Chain.TimeOf(tn.target.Round).Add(300*time.Millisecond)))
	opens := both(lb.alive(), func(i int) error {
		_, err := tn.pokja.at(urls[i]).Open(ctx, tn.id, tn.committee, tn.members)
		return err
	})
	checkConcurrent(t, "open", opens)

	// Each survivor's bundle verifies against the pinned keys, and all hold
	// the same entries of the tender.
	var bundles []*audit.Bundle
	for _, i := range lb.alive() {
		anon := client.New(urls[i], client.WithHTTPClient(lb.http))
		b, err := anon.Bundle(ctx, tn.id, filepath.Join(t.TempDir(), "bundle"))
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		if res, err := audit.Verify(b, *keys); err != nil {
			t.Errorf("instance %d: the bundle does not verify: %v", i, err)
		} else {
			t.Logf("instance %d: bundle of %d entries, %d receipts, %d opened", i, res.Entries, res.Receipts, res.Opened)
		}
		bundles = append(bundles, b)
	}
	for _, typ := range []string{"submission-closed", "beacon-signature-used"} {
		if n := countEntries(bundles[0], typ); n != 1 {
			t.Errorf("the log has %d %s entries for the tender, want 1 (closing and opening asked twice at once)", n, typ)
		}
	}
	for j, b := range bundles[1:] {
		if !sameEntries(bundles[0], b) {
			t.Errorf("survivors %d and %d give bundles with different entries", lb.alive()[0], lb.alive()[j+1])
		}
	}

	checkOpened(t, ctx, lb, tn, keys, bundles[0], acks, plain)
	checkOneLog(t, ctx, lb, keys, bundles[0], openBackend(t, kindPostgres, dsn).AuditLog("main"))
	for _, i := range lb.alive() {
		resp, err := lb.http.Get(urls[i] + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("instance %d: /readyz answers %d", i, resp.StatusCode)
		}
	}
}

// scaleBurst has every bidder submit its sealed offer once, through the
// balancer, a few at a time; every third one by a resumable upload whose
// calls go to three different instances. It kills the victim, instance v,
// with SIGKILL once a third of the receipts are back; the balancer then
// sends its requests elsewhere. Each receipt, and its proof file asked of
// another instance, must verify against keys. It returns the acknowledged
// offers by bidder.
func scaleBurst(t *testing.T, ctx context.Context, lb *balancer, tn *scaleTender, keys *audit.Trusted, sealed [][]byte, victim *exec.Cmd, v int) map[int]auditlog.Receipt {
	t.Helper()
	var (
		mu      sync.Mutex
		acks    = map[int]auditlog.Receipt{} // bidder → acknowledged offer
		unacked = map[int]error{}            // bidder → why it has no receipt
		count   atomic.Int64
		killed  = make(chan struct{})
		once    sync.Once
		wg      sync.WaitGroup
		sem     = make(chan struct{}, 12)
	)
	if time.Until(tn.deadline) < 3*time.Second {
		t.Fatalf("the submission window ends at %v, too soon for the burst: raise scaleWindow", tn.deadline)
	}
	start, before := time.Now(), lb.failovers.Load()
	for b := range scaleBidders {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var rc *api.Receipt
			var err error
			if b%3 == 0 {
				rc, err = lb.upload(ctx, tn.bidders[b].token, tn.id, sealed[b], b)
			} else {
				rc, err = lb.submit(ctx, tn.bidders[b].token, tn.id, sealed[b], b)
			}
			if err != nil {
				mu.Lock()
				unacked[b] = err
				mu.Unlock()
				return
			}
			r, err := auditlog.VerifyReceipt([]byte(rc.Receipt), keys.Receipt)
			if err != nil {
				t.Errorf("bidder %d: the receipt does not verify with the receipt key of /v1/keys: %v", b, err)
				return
			}
			if r.SHA256 != sha256.Sum256(sealed[b]) || r.Tender != tn.id || r.Bidder != tn.bidders[b].id || r.Index != rc.Index {
				t.Errorf("bidder %d: receipt %+v names another offer", b, r)
			}
			// The receipt's proof file, from the next instance, which has
			// likely not appended since this entry was.
			var proof []byte
			if err := lb.do(b+1, "", func(c *client.Client) (err error) { proof, err = c.ProofFile(ctx, []byte(rc.Receipt)); return err }); err != nil {
				t.Errorf("bidder %d: proof file: %v", b, err)
			} else if pr, _, err := auditlog.VerifyProofFile(proof, auditlog.Keys{Log: keys.Log, Receipt: keys.Receipt}); err != nil || pr != r {
				t.Errorf("bidder %d: the proof file does not verify: %v", b, err)
			}
			mu.Lock()
			acks[b] = r
			mu.Unlock()
			if count.Add(1) == scaleBidders/3 {
				once.Do(func() { close(killed) })
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-killed:
	case <-done:
		t.Fatalf("the burst ended with %d receipts, before a third of the %d were back: %v", len(acks), scaleBidders, unacked)
	}
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	victim.Wait()
	killedAt := count.Load()
	<-done
	failovers := lb.failovers.Load() - before
	t.Logf("burst of %d submissions in %v: instance %d killed after %d receipts; %d acknowledged, %d not; %d calls failed over",
		scaleBidders, time.Since(start).Round(time.Millisecond), v, killedAt, len(acks), len(unacked), failovers)
	for b, err := range unacked {
		t.Logf("bidder %d not acknowledged: %v", b, err)
	}
	if killedAt >= scaleBidders || failovers == 0 {
		t.Fatal("the burst ended before the kill; nothing was tested")
	}
	// Only the kill may cost a receipt: of the offers in flight to the
	// victim (at most the burst's concurrency), the retry of one it logged
	// is a duplicate, and of one it was logging finds its intent (409
	// busy, for a minute).
	if len(unacked) > cap(sem) {
		t.Errorf("%d of %d submissions were not acknowledged; the kill explains at most %d", len(unacked), scaleBidders, cap(sem))
	}
	if time.Now().After(tn.deadline) {
		t.Fatalf("the submission window ended at %v, before the burst did; raise scaleWindow", tn.deadline)
	}
	return acks
}

// checkOpened checks that every acknowledged offer is in the log verbatim
// and is the one opened, and that every opened document is the bidder's.
func checkOpened(t *testing.T, ctx context.Context, lb *balancer, tn *scaleTender, keys *audit.Trusted, bundle *audit.Bundle, acks map[int]auditlog.Receipt, plain map[[32]byte]string) {
	t.Helper()
	entries := map[int64][]byte{}
	for _, e := range bundle.Entries {
		entries[e.Index] = e.Data
	}
	report, err := audit.VerifyOpeningReport(bundle.OpeningReport, keys.Report)
	if err != nil {
		t.Fatal(err)
	}
	opened := map[string]audit.OpenedOffer{}
	for _, o := range report.Offers {
		opened[o.Bidder] = o
	}
	for b, rc := range acks {
		want, err := rc.Entry().Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if got := entries[rc.Index]; !bytes.Equal(got, want) {
			t.Errorf("bidder %d: receipt for entry %d; the log holds %q there, want %q", b, rc.Index, got, want)
		}
		o, ok := opened[tn.bidders[b].id]
		switch {
		case !ok:
			t.Errorf("bidder %d: acknowledged offer at %d is not in the opening report", b, rc.Index)
			continue
		case o.Index != rc.Index || o.SHA256 != rc.SHA256:
			t.Errorf("bidder %d: opened the offer at %d, acknowledged the one at %d", b, o.Index, rc.Index)
		case o.Outcome != audit.OutcomeOpened:
			t.Errorf("bidder %d: offer %s", b, o.Outcome)
		}
		var doc bytes.Buffer
		member := tn.pokja.at(lb.urls[lb.alive()[b%2]])
		if _, err := member.OfferDocument(ctx, tn.id, tn.bidders[b].id, &doc, 1<<20); err != nil {
			t.Errorf("bidder %d: %v", b, err)
		} else if doc.String() != plain[rc.SHA256] {
			t.Errorf("bidder %d: opened document %q, want %q", b, doc.String(), plain[rc.SHA256])
		}
	}
	for _, o := range report.Offers {
		if _, ok := plain[o.SHA256]; !ok {
			t.Errorf("the opening report lists an offer nobody sealed: %+v", o)
		}
	}

}

// checkOneLog checks that the live instances serve one log: their
// checkpoints verify with the pinned log key and are the hashes of the
// first entries of the one stored tree, so each extends the other; and
// none is older than the bundle's final checkpoint.
func checkOneLog(t *testing.T, ctx context.Context, lb *balancer, keys *audit.Trusted, bundle *audit.Bundle, store auditlog.Storage) {
	t.Helper()
	hashes := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) { return store.ReadHashes(ctx, ix) })
	for _, i := range lb.alive() {
		signed, err := client.New(lb.urls[i], client.WithHTTPClient(lb.http)).Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := auditlog.VerifyCheckpoint(signed, keys.Log)
		if err != nil {
			t.Fatalf("instance %d: checkpoint: %v", i, err)
		}
		h, err := tlog.TreeHash(cp.Size, hashes)
		if err != nil {
			t.Fatal(err)
		}
		if h != cp.Hash {
			t.Errorf("instance %d signs a checkpoint of size %d that is not the stored tree", i, cp.Size)
		}
		if final := bundle.Checkpoints[len(bundle.Checkpoints)-1]; cp.Size < final.Size {
			t.Errorf("instance %d: checkpoint of size %d, older than the bundle's %d: it does not see the others' entries", i, cp.Size, final.Size)
		}
	}
}

const (
	scaleInstances = 3
	scaleBidders   = 30
	// scaleWindow is the submission window, from the announcement: the
	// bidders' registrations for the tender, the sealing and the burst fit
	// in it, also with -race.
	scaleWindow = 15 * time.Second
)

// startShared starts an instance of a shared deployment on dsn, logging
// to logPath, without waiting for it to serve. The test's cleanup kills
// it, and shows its log if the test failed.
func startShared(t *testing.T, bin, dsn, kek, logPath string) (*exec.Cmd, string) {
	t.Helper()
	addr := freeAddr(t)
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// Each instance has its own --data: with --postgres it holds nothing
	// but is where /metrics measures free disk.
	cmd := exec.Command(bin, "--addr", addr, "--data", t.TempDir(), "--postgres="+dsn, "--shared",
		"--name", "lpse.scaleout", "--local-period", "1s")
	cmd.Env = append(os.Environ(), "SEGEL_KEK="+kek, "SEGEL_KEK_FILE=")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s:\n%s", filepath.Base(logPath), b)
		}
	})
	return cmd, "http://" + addr
}

// scaleTender is a tender announced through the balancer.
type scaleTender struct {
	id        string
	deadline  time.Time
	target    sealer.Target
	committee *age.HybridIdentity
	members   []string
	pokja     member
	bidders   []scaleBidder
}

type scaleBidder struct{ id, token string }

// member is a logged-in user whose token is used at any instance.
type member struct {
	token string
	http  *http.Client
}

func (m member) at(url string) *client.Client {
	return client.New(url, client.WithHTTPClient(m.http), client.WithToken(m.token))
}

const scalePassword = "rahasia-scaleout-segel-2026"

// scaleSetup registers and verifies the officials and bidders providers,
// each call through the balancer (so a registration, its verification and
// the login land on different instances), and announces a tender whose
// submission window of scaleWindow starts now.
func scaleSetup(t *testing.T, ctx context.Context, lb *balancer, bidders int) *scaleTender {
	t.Helper()
	var n atomic.Int64
	next := func() int { return int(n.Add(1)) }
	anon := func(call func(c *client.Client) error) {
		t.Helper()
		if err := lb.do(next(), "", call); err != nil {
			t.Fatal(err)
		}
	}
	login := func(email string) member {
		var c *client.Client
		anon(func(a *client.Client) (err error) { c, err = a.Login(ctx, email, scalePassword); return err })
		return member{token: c.Token(), http: lb.http}
	}
	nikOf := func(i int) string { return fmt.Sprintf("3171%02d1203850%03d", 1+i%90, 1+i) }
	anon(func(c *client.Client) error {
		_, err := c.Bootstrap(ctx, api.Registration{
			Role: "admin", Email: "admin@lpse.scaleout.go.id", Password: scalePassword, Name: "Admin LPSE", NIK: nikOf(0),
			Documents: map[api.DocumentKind][]byte{api.DocSuratTugas: []byte("SK Kepala LPSE 1/2026")},
		})
		return err
	})
	as := func(m member, call func(c *client.Client) error) error {
		return lb.do(next(), m.token, call)
	}
	enrol := func(reviewer member, r api.Registration) (member, string, error) {
		var acct *api.Account
		if err := lb.do(next(), "", func(c *client.Client) (err error) { acct, err = c.Register(ctx, r); return err }); err != nil {
			return member{}, "", err
		}
		for kind := range r.Documents {
			if err := as(reviewer, func(c *client.Client) error { return c.VerifyDocument(ctx, acct.ID, kind) }); err != nil {
				return member{}, "", err
			}
		}
		if err := as(reviewer, func(c *client.Client) error { return c.Approve(ctx, acct.ID) }); err != nil {
			return member{}, "", err
		}
		var u *client.Client
		if err := lb.do(next(), "", func(c *client.Client) (err error) { u, err = c.Login(ctx, r.Email, r.Password); return err }); err != nil {
			return member{}, "", err
		}
		return member{token: u.Token(), http: lb.http}, u.UserID(), nil
	}
	official := func(reviewer member, role api.Role, i int) (member, string) {
		email := fmt.Sprintf("%s%d@pemkot.scaleout.go.id", role, i)
		m, id, err := enrol(reviewer, api.Registration{
			Role: role, Email: email, Password: scalePassword, Name: fmt.Sprintf("%s %d", role, i), NIK: nikOf(i),
			Documents: map[api.DocumentKind][]byte{api.DocSuratTugas: []byte("Surat tugas " + email)},
		})
		if err != nil {
			t.Fatal(err)
		}
		return m, id
	}
	admin := login("admin@lpse.scaleout.go.id")
	verifier, _ := official(admin, "verifier", 1)
	pa, _ := official(verifier, "pa-kpa", 10)
	tn := &scaleTender{}
	for i := range 3 {
		m, id := official(verifier, "pokja", 11+i)
		if i == 0 {
			tn.pokja = m
		}
		tn.members = append(tn.members, id)
	}

	// Providers register concurrently, as they would.
	tn.bidders = make([]scaleBidder, bidders)
	var wg sync.WaitGroup
	errs := make(chan error, bidders)
	sem := make(chan struct{}, 8)
	for i := range bidders {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			docs := map[api.DocumentKind][]byte{}
			for _, k := range []api.DocumentKind{api.DocKTP, api.DocAktaPendirian, api.DocNPWP, api.DocIzinUsaha} {
				docs[k] = []byte(fmt.Sprintf("scan %s CV Skala %d", k, i))
			}
			m, id, err := enrol(verifier, api.Registration{
				Role: "provider", Email: fmt.Sprintf("direktur@cv-skala-%d.co.id", i), Password: scalePassword,
				Name: fmt.Sprintf("CV Skala %d", i), NIK: nikOf(40 + i), Documents: docs,
				Provider: &api.Provider{Kind: "company", NPWP: fmt.Sprintf("01.234.%03d.5-012.000", i), Licence: fmt.Sprintf("9120001234%03d", i)},
			})
			if err != nil {
				errs <- fmt.Errorf("provider %d: %w", i, err)
				return
			}
			tn.bidders[i] = scaleBidder{id: id, token: m.token}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	tn.id = "T-SCALE-" + strings.ReplaceAll(time.Now().UTC().Format("20060102-150405.000"), ".", "-")
	if err := as(pa, func(c *client.Client) error { return c.AssignCommittee(ctx, tn.id, tn.members) }); err != nil {
		t.Fatal(err)
	}
	var err error
	if tn.committee, err = age.GenerateHybridIdentity(); err != nil {
		t.Fatal(err)
	}
	var doc api.Digest
	if err := as(tn.pokja, func(c *client.Client) (err error) {
		doc, err = c.UploadDocument(ctx, strings.NewReader("Dokumen Pemilihan "+tn.id))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	tn.deadline = now.Add(scaleWindow)
	if err := as(tn.pokja, func(c *client.Client) error {
		_, err := c.Announce(ctx, api.Announcement{
			ID: tn.id, Title: "Tender " + tn.id, Document: doc, CommitteeKey: tn.committee.Recipient().String(),
			Schedule: api.Schedule{
				RegistrationEnd: tn.deadline, ClarificationEnd: tn.deadline, SubmissionStart: now,
				Deadline: tn.deadline, Opening: tn.deadline.Add(2 * time.Second),
			},
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	errs = make(chan error, bidders)
	for i, b := range tn.bidders {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs <- lb.do(i, b.token, func(c *client.Client) error { return c.RegisterForTender(ctx, tn.id) })
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The deployment runs a local beacon: its chain is pinned once, as its
	// bidders would pin it, and every target is checked against that.
	var chain timelock.Chain
	anon(func(c *client.Client) (err error) { chain, err = c.Chain(ctx); return err })
	target, err := client.New(lb.urls[0], client.WithHTTPClient(lb.http), client.WithChain(chain)).Target(ctx, tn.id)
	if err != nil {
		t.Fatal(err)
	}
	tn.target = target
	return tn
}

// both runs call for the first two of instances at the same time.
func both(instances []int, call func(i int) error) [2]error {
	var errs [2]error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for k := range 2 {
		wg.Go(func() {
			<-start
			errs[k] = call(instances[k])
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// checkConcurrent checks the answers to one request sent to two instances
// at once: at least one does it, and the other does it too (the same
// outcome) or refuses with a clear code; no server error.
func checkConcurrent(t *testing.T, what string, errs [2]error) {
	t.Helper()
	ok := 0
	for i, err := range errs {
		var ae *client.APIError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &ae) && ae.Status < 500 && ae.Code != "":
			t.Logf("%s at instance %d: refused while the other ran it: %v", what, i, err)
		default:
			t.Errorf("%s at instance %d at the same time as at the other: %v", what, i, err)
		}
	}
	if ok == 0 {
		t.Fatalf("%s asked of two instances at once: neither did it: %v", what, errs)
	}
}

func countEntries(b *audit.Bundle, typ string) int {
	n := 0
	for _, e := range b.Entries {
		if ent, err := auditlog.ParseEntry(e.Data); err == nil && ent.Type == typ {
			n++
		}
	}
	return n
}

func sameEntries(a, b *audit.Bundle) bool {
	if len(a.Entries) != len(b.Entries) {
		return false
	}
	for i := range a.Entries {
		if a.Entries[i].Index != b.Entries[i].Index || !bytes.Equal(a.Entries[i].Data, b.Entries[i].Data) {
			return false
		}
	}
	return true
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}
