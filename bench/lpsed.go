package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/tender"
)

// lpsedProc is lpsed running as its own process, so that its CPU is read
// from /proc/PID/stat and the client's share of the machine is exact.
type lpsedProc struct {
	cmd   *exec.Cmd
	url   string
	debug string // base URL of its profiles, with -lpsed-profile
	log   string
	drop  func() error // drops lpsed's PostgreSQL database, if it has one
}

// startLPSED builds cmd/lpsed from the parent module (bench's go.mod
// replaces it with ../) and starts it on a free loopback port with its own
// data directory under dir and, with -postgres, its own new database on
// that server (dropped by Close).
func startLPSED(ctx context.Context, c Config, dir string) (p *lpsedProc, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "lpsed")
	if out, err := exec.CommandContext(ctx, "go", "build", "-C", "..", "-o", bin, "./cmd/lpsed").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building lpsed: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	p = &lpsedProc{url: "http://" + addr, log: filepath.Join(dir, "lpsed.log"), drop: func() error { return nil }}
	dsn := ""
	if c.Postgres != "" {
		if dsn, p.drop, err = freshDatabase(ctx, c.Postgres); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				p.drop()
			}
		}()
	}
	logf, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	args := []string{"--addr", addr, "--data", filepath.Join(dir, "data"), "--postgres=" + dsn,
		"--name", "lpse.bench", "--local-period", c.Period.String(), "--max-offer", strconv.FormatInt(int64(c.MaxSize)+1<<20, 10),
		"--rate-limits=false"} // the bench registers and logs in every bidder from one address
	if c.LPSEDProfile {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		debug := ln.Addr().String()
		ln.Close()
		p.debug = "http://" + debug
		args = append(args, "--debug-addr", debug)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := client.New(p.url).WaitReady(wctx); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w; lpsed log:\n%s", err, p.logTail())
	}
	return p, nil
}

// profile fetches lpsed's profiles over the next d into dir, in the
// background; wait returns when they are written.
func (p *lpsedProc) profile(ctx context.Context, d time.Duration, dir string) (wait func() error) {
	if p.debug == "" {
		return func() error { return nil }
	}
	secs := strconv.Itoa(int(d.Round(time.Second).Seconds()))
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i, kind := range []string{"profile", "block", "mutex"} {
		name := map[string]string{"profile": "cpu"}[kind]
		if name == "" {
			name = kind
		}
		wg.Go(func() {
			errs[i] = fetchTo(ctx, p.debug+"/debug/pprof/"+kind+"?seconds="+secs, filepath.Join(dir, "lpsed-"+name+".pprof"))
		})
	}
	return func() error { wg.Wait(); return errors.Join(errs...) }
}

func fetchTo(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func (p *lpsedProc) logTail() string {
	b, _ := os.ReadFile(p.log)
	return string(b[max(0, len(b)-2000):])
}

// cpu is lpsed's user+system CPU so far, from /proc/PID/stat (fields 14
// and 15, in USER_HZ = 100 ticks per second on Linux).
func (p *lpsedProc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// Close stops lpsed gracefully (it finishes requests in flight) and drops
// its database.
func (p *lpsedProc) Close() error {
	return errors.Join(p.stop(), p.drop())
}

func (p *lpsedProc) stop() error {
	if p.cmd == nil || p.cmd.ProcessState != nil { // not ours, or stopped
		return nil
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("lpsed: %v; log:\n%s", err, p.logTail())
		}
		return nil
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-done
		return errors.New("lpsed did not stop within 30 s of SIGTERM; killed")
	}
}

const lpsedPassword = "rahasia-bench-segel-2026"

// lpsedWorld is the people and tenders the rush against lpsed uses, all
// made through the API as an LPSE's staff and bidders would.
type lpsedWorld struct {
	url       string
	anon      *client.Client
	pokja     *client.Client
	members   []string
	committee *age.HybridIdentity
	bidders   map[string]*client.Client // by the bench's bidder name
	ids       map[string]string         // user id, by the bench's bidder name
	tenders   []*api.Tender
	keys      *audit.Trusted
	tag       int // 0 for an lpsed of its own; else makes this run's people and tenders unique on a shared server
}

// Identity numbers of the run's people: valid (registry.CheckNIK,
// NormalizeNPWP, checkLicence) and, for a tag other than 0, distinct from
// other runs' on the same server. The tag picks the NIK's date of birth
// and the NPWP's and NIB's tails.
func (w *lpsedWorld) nik(i int) string {
	if w.tag == 0 {
		return fmt.Sprintf("317101120385%04d", 1+i)
	}
	t := w.tag
	return fmt.Sprintf("317101%02d%02d%02d%04d", 1+t%28, 1+t/28%12, t/336%100, 1+i)
}

func (w *lpsedWorld) npwp(i int) string {
	return fmt.Sprintf("01.%03d.%03d.5-%03d.%03d", i/1000, i%1000, w.tag/1000%1000, w.tag%1000)
}

func (w *lpsedWorld) licence(i int) string { return fmt.Sprintf("9%06d%06d", w.tag%1000000, i) }

func (w *lpsedWorld) email(name, domain string) string {
	if w.tag == 0 {
		return name + "@" + domain
	}
	return fmt.Sprintf("%s.run%06d@%s", name, w.tag, domain)
}

func (w *lpsedWorld) tenderID(i int) string {
	if w.tag == 0 {
		return fmt.Sprintf("T-RUSH-%03d", i+1)
	}
	return fmt.Sprintf("T-RUSH-%06d-%03d", w.tag, i+1)
}

// lpsedAccounts registers and verifies a verifier, a PA/KPA, three pokja
// and the bidders, and logs them in. An lpsed of the bench's own is
// bootstrapped with an admin first; on another (admin not nil) the
// admin's account is used and tag (not 0) keeps this run's people apart
// from earlier runs'.
func lpsedAccounts(ctx context.Context, url string, admin *client.Client, tag int, bidders []string, stderr io.Writer) (*lpsedWorld, *client.Client, error) {
	// Pin the chain this lpsed publishes, fetched once, as an LPSE's
	// bidders pin the chain info it publishes: the bench's own lpsed runs
	// a local beacon, not quicknet, the client's default.
	chain, err := client.New(url).Chain(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("pinning the beacon chain: %w", err)
	}
	w := &lpsedWorld{url: url, anon: client.New(url, client.WithChain(chain)), bidders: map[string]*client.Client{}, ids: map[string]string{}, tag: tag}
	anon := w.anon
	official := func(role api.Role, i int) api.Registration {
		email := w.email(fmt.Sprintf("%s%d", role, i), "lpse.bench.go.id")
		return api.Registration{Role: role, Email: email, Password: lpsedPassword, Name: fmt.Sprintf("%s %d", role, i), NIK: w.nik(i),
			Documents: map[api.DocumentKind][]byte{api.DocSuratTugas: []byte("Surat tugas " + email)}}
	}
	enrol := func(reviewer *client.Client, r api.Registration) (*client.Client, error) {
		a, err := anon.Register(ctx, r)
		if err != nil {
			return nil, err
		}
		for k := range r.Documents {
			if err := reviewer.VerifyDocument(ctx, a.ID, k); err != nil {
				return nil, err
			}
		}
		if err := reviewer.Approve(ctx, a.ID); err != nil {
			return nil, err
		}
		return anon.Login(ctx, r.Email, r.Password)
	}
	if admin == nil {
		boot := official("admin", 0)
		if _, err := anon.Bootstrap(ctx, boot); err != nil {
			return nil, nil, fmt.Errorf("bootstrap (lpsed needs an empty database): %w", err)
		}
		var err error
		if admin, err = anon.Login(ctx, boot.Email, lpsedPassword); err != nil {
			return nil, nil, err
		}
	}
	verifier, err := enrol(admin, official("verifier", 1))
	if err != nil {
		return nil, nil, err
	}
	pa, err := enrol(verifier, official("pa-kpa", 2))
	if err != nil {
		return nil, nil, err
	}
	for i := range 3 {
		p, err := enrol(verifier, official("pokja", 3+i))
		if err != nil {
			return nil, nil, err
		}
		w.members = append(w.members, p.UserID())
		if i == 0 {
			w.pokja = p
		}
	}
	bar := newProgress(stderr, "lpsed: accounts", len(bidders))
	defer bar.Done()
	var mu sync.Mutex
	errs := make([]error, 4)
	work := make(chan int)
	var wg sync.WaitGroup
	for k := range errs {
		wg.Go(func() {
			for i := range work {
				if errs[k] != nil {
					continue
				}
				docs := map[api.DocumentKind][]byte{}
				for _, d := range []api.DocumentKind{api.DocKTP, api.DocAktaPendirian, api.DocNPWP, api.DocIzinUsaha} {
					docs[d] = []byte("scan " + string(d) + " " + bidders[i])
				}
				c, err := enrol(verifier, api.Registration{
					Role: "provider", Email: w.email(bidders[i], "penyedia.bench.co.id"), Password: lpsedPassword, Name: "CV " + bidders[i], NIK: w.nik(100 + i),
					Provider:  &api.Provider{Kind: "company", NPWP: w.npwp(i), Licence: w.licence(i)},
					Documents: docs,
				})
				errs[k] = err
				mu.Lock()
				if c != nil {
					w.bidders[bidders[i]], w.ids[bidders[i]] = c, c.UserID()
				}
				mu.Unlock()
				bar.Add(1)
			}
		})
	}
	for i := range bidders {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if w.committee, err = age.GenerateHybridIdentity(); err != nil {
		return nil, nil, err
	}
	if w.keys, err = anon.Keys(ctx); err != nil {
		return nil, nil, err
	}
	return w, pa, nil
}

// announce announces n tenders with the given deadline, opening one
// beacon period later, and registers every bidder for each.
func (w *lpsedWorld) announce(ctx context.Context, pa *client.Client, n int, deadline time.Time, period time.Duration) error {
	now := time.Now().UTC().Truncate(time.Second)
	for i := range n {
		id := w.tenderID(i)
		if err := pa.AssignCommittee(ctx, id, w.members); err != nil {
			return err
		}
		doc, err := w.pokja.UploadDocument(ctx, strings.NewReader("Dokumen pemilihan "+id))
		if err != nil {
			return err
		}
		t, err := w.pokja.Announce(ctx, api.Announcement{
			ID: id, Title: "Paket tenggat " + id, Document: doc, CommitteeKey: w.committee.Recipient().String(),
			Schedule: api.Schedule{SubmissionStart: now, RegistrationEnd: deadline, ClarificationEnd: deadline,
				Deadline: deadline, Opening: deadline.Add(period), ObjectionDays: 3},
		})
		if err != nil {
			return fmt.Errorf("announcing %s: %w", id, err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(w.bidders))
		slots := make(chan struct{}, 8)
		for _, b := range w.bidders {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				if err := b.RegisterForTender(ctx, id); err != nil {
					errs <- fmt.Errorf("registering %s for %s: %w", b.UserID(), id, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
		w.tenders = append(w.tenders, t)
	}
	return nil
}

// lpsedSubmitter posts each pre-sealed file as its bidder, through
// package client, and returns the receipt the answer carries
// (unverified: verifyLPSED checks it against the keys from /v1/keys).
type lpsedSubmitter struct{ bidders map[string]*client.Client }

func (s lpsedSubmitter) submit(ctx context.Context, o *rushOffer) (*tender.Receipt, error) {
	f, err := os.Open(o.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rc, err := s.bidders[o.bidder].SubmitOffer(ctx, o.tender, f)
	if err != nil {
		return nil, err
	}
	return &tender.Receipt{Signed: []byte(rc.Receipt), Receipt: auditlog.Receipt{Index: rc.Index, SHA256: rc.SHA256, Size: rc.Size}}, nil
}

// withTransport gives every bidder's client one shared transport that
// keeps up to conns connections to lpsed.
func (w *lpsedWorld) withTransport(conns int) {
	tr := &http.Transport{MaxConnsPerHost: conns, MaxIdleConnsPerHost: conns, DisableCompression: true}
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Minute}
	for name, b := range w.bidders {
		w.bidders[name] = client.New(w.url, client.WithHTTPClient(hc), client.WithToken(b.Token()))
	}
}

// sealFor seals every offer's plaintext to its lpsed tender's target into
// dir: the same sizes and arrival times as the other rushes (same seed),
// other bytes (another chain and committee).
func sealFor(c Config, w *lpsedWorld, targets map[string]sealer.Target, offers []*rushOffer, dir string, stderr io.Writer) ([]*rushOffer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	sz := sizes(c.Seed, 1<<32, c.Bidders, c.RushMedian, c.RushSigma, c.MaxSize)
	out := make([]*rushOffer, len(offers))
	bar := newProgress(stderr, "lpsed: seal", len(offers))
	defer bar.Done()
	work := make(chan int)
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for k := range errs {
		wg.Go(func() {
			var doc []byte
			var buf bytes.Buffer
			for i := range work {
				if errs[k] != nil {
					continue
				}
				o := *offers[i]
				o.tender = w.tenderID(i % c.RushTenders)
				o.path = filepath.Join(dir, fmt.Sprintf("%06d.age", i))
				doc = plaintext(doc, sz[i], c.Seed, 1<<20+i%c.RushTenders, i)
				var err error
				if o.sent, err = sealTo(&buf, doc, targets[o.tender]); err == nil {
					err = os.WriteFile(o.path, buf.Bytes(), 0o644)
				}
				errs[k] = err
				out[i] = &o
				bar.Add(1)
			}
		})
	}
	for i := range offers {
		work <- i
	}
	close(work)
	wg.Wait()
	return out, errors.Join(errs...)
}
