package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/demo"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
)

// The crash tests run the real lpsed binary, SIGKILL it in the middle of a
// burst of submissions, restart it on the same storage and check that
// nothing it acknowledged was lost: every receipt returned before the kill
// names an offer-received entry with the same bytes in the log, its sealed
// file is stored, and each bidder's last acknowledged offer is the one
// opened unless a later one (whose receipt the kill swallowed) replaced it.

func TestCrashEmbedded(t *testing.T) { testCrash(t, "") }

func TestCrashPostgres(t *testing.T) { testCrash(t, vaulttest.PostgresDSN(t)) }

const (
	crashBidders = 20
	crashOffers  = 10 // per bidder, each one replacing the previous
	crashKillAt  = 70 // receipts returned before the SIGKILL
)

// lpsedProc is a running lpsed.
type lpsedProc struct {
	cmd *exec.Cmd
	url string
}

func startLpsed(t *testing.T, bin, addr, data, dsn, kek, logName string) *lpsedProc {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), logName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	cmd := exec.Command(bin, "--addr", addr, "--data", data, "--postgres="+dsn, "--name", "lpse.crash", "--local-period", "1s",
		"--rate-limits=false") // every bidder registers from this one address
	cmd.Env = append(os.Environ(), "SEGEL_KEK="+kek)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &lpsedProc{cmd: cmd, url: "http://" + addr}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := demo.WaitReady(ctx, p.url); err != nil {
		b, _ := os.ReadFile(logf.Name())
		t.Fatalf("%v\nlpsed log:\n%s", err, b)
	}
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// buildLpsed builds this command into a temporary directory.
func buildLpsed(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lpsed")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ack is one acknowledged submission.
type ack struct {
	bidder  int
	receipt auditlog.Receipt
	signed  []byte
}

func testCrash(t *testing.T, dsn string) {
	if testing.Short() {
		t.Skip("builds and runs lpsed; skipped with -short")
	}
	ctx := context.Background()
	bin := buildLpsed(t)
	data, addr, kek := t.TempDir(), freeAddr(t), vault.GenerateKEK()
	p := startLpsed(t, bin, addr, data, dsn, kek, "lpsed-1.log")

	const window = 40 * time.Second
	t0 := time.Now()
	tn, err := demo.Setup(ctx, p.url, crashBidders, window)
	if err != nil {
		t.Fatal(err)
	}
	// Seal everything first, so that the burst is only submissions: on
	// every core, since the window is already running.
	sealed := make([][][]byte, crashBidders)
	plain := map[[32]byte]string{}
	var (
		sealMu  sync.Mutex
		sealErr error
		sealWG  sync.WaitGroup
		sem     = make(chan struct{}, runtime.GOMAXPROCS(0))
	)
	for b := range crashBidders {
		sealed[b] = make([][]byte, crashOffers+1) // the last one is for after the restart
		for k := range crashOffers + 1 {
			sealWG.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				doc := fmt.Sprintf("Penawaran %s nomor %d: harga Rp %d", tn.Bidders[b].ID, k, 1000+b*10+k)
				s, err := tn.Seal(doc)
				sealMu.Lock()
				defer sealMu.Unlock()
				if err != nil {
					sealErr = err
					return
				}
				sealed[b][k] = s
				plain[sha256.Sum256(s)] = doc
			})
		}
	}
	sealWG.Wait()
	if sealErr != nil {
		t.Fatal(sealErr)
	}

	// The burst: every bidder submits its offers one after the other, all
	// bidders at once; the server is killed once crashKillAt receipts are
	// back. Submissions in flight then fail: they were not acknowledged.
	var (
		mu       sync.Mutex
		acks     []ack
		firstErr error // of a submission before the kill
		count    atomic.Int64
		killed   = make(chan struct{})
		wg       sync.WaitGroup
	)
	submit := func(b, k int) error {
		signed, err := tn.Bidders[b].Submit(ctx, tn.ID, sealed[b][k])
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
			return err
		}
		rc, err := auditlog.VerifyReceipt(signed, tn.Keys.Receipt)
		if err != nil {
			t.Errorf("bidder %d offer %d: receipt does not verify with the published receipt key: %v", b, k, err)
			return err
		}
		if rc.SHA256 != sha256.Sum256(sealed[b][k]) || rc.Tender != tn.ID || rc.Bidder != tn.Bidders[b].ID {
			t.Errorf("bidder %d offer %d: receipt %+v names another offer", b, k, rc)
		}
		mu.Lock()
		acks = append(acks, ack{b, rc, signed})
		mu.Unlock()
		return nil
	}
	t.Logf("setup and sealing took %v", time.Since(t0).Round(time.Millisecond))
	start := time.Now()
	for b := range crashBidders {
		wg.Go(func() {
			for k := range crashOffers {
				if submit(b, k) != nil {
					return
				}
				if count.Add(1) == crashKillAt {
					close(killed)
				}
			}
		})
	}
	// Every bidder stops at its first refusal; if all stop before the kill
	// (a loaded machine ran past the window while sealing), say why rather
	// than wait for the test's timeout.
	burstDone := make(chan struct{})
	go func() { wg.Wait(); close(burstDone) }()
	select {
	case <-killed:
	case <-burstDone:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("every bidder stopped before %d receipts (%d returned); first refusal: %v", crashKillAt, len(acks), firstErr)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	wg.Wait()
	preKill := len(acks)
	t.Logf("killed after %d receipts (%d returned in all) in %v", crashKillAt, preKill, time.Since(start).Round(time.Millisecond))
	if preKill >= crashBidders*crashOffers {
		t.Fatalf("the burst finished before the kill; nothing was tested")
	}

	// Restart on the same storage; half the bidders submit once more, the
	// others' last acknowledged offer dates from before the kill.
	p = startLpsed(t, bin, addr, data, dsn, kek, "lpsed-2.log")
	for b := 0; b < crashBidders; b += 2 {
		if err := submit(b, crashOffers); err != nil {
			t.Fatalf("after the restart, bidder %d cannot submit: %v", b, err)
		}
	}
	if time.Now().After(tn.Deadline) {
		t.Fatalf("the submission window (%v) ended before the test got here; raise it", window)
	}
	time.Sleep(time.Until(tn.Deadline.Add(500 * time.Millisecond)))
	offers, err := tn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if offers != crashBidders {
		t.Errorf("closed with %d offers, want one per bidder: %d", offers, crashBidders)
	}
	opened, failed, err := tn.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if opened != crashBidders || failed != 0 {
		t.Errorf("opening: %d opened, %d failed; want %d opened", opened, failed, crashBidders)
	}
	bundle, err := tn.Bundle(ctx, filepath.Join(t.TempDir(), "bundle"))
	if err != nil {
		t.Fatal(err)
	}
	// The log append, the engine's offer index and the kept receipt are
	// separate writes; a kill between them must not break the audit trail:
	// tender settles a recorded intent against the log and the bundle
	// re-signs receipts that were never kept.
	if res, err := audit.Verify(bundle, *tn.Keys); err != nil {
		t.Errorf("the bundle after the crash does not verify: %v", err)
	} else {
		t.Logf("bundle: %d entries, %d receipts, %d superseded, %d opened", res.Entries, res.Receipts, res.Superseded, res.Opened)
	}

	// Every acknowledged offer is in the log, verbatim.
	entries := map[int64][]byte{}
	for _, e := range bundle.Entries {
		entries[e.Index] = e.Data
	}
	last := map[int]auditlog.Receipt{}
	for _, a := range acks {
		want, err := a.receipt.Entry().Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := entries[a.receipt.Index]; !ok || !bytes.Equal(got, want) {
			t.Errorf("receipt for entry %d (bidder %d): the log holds %q, want %q", a.receipt.Index, a.bidder, got, want)
		}
		if l, ok := last[a.bidder]; !ok || a.receipt.Index > l.Index {
			last[a.bidder] = a.receipt
		}
	}
	// Each bidder's opened offer is its last acknowledged one, or a later
	// one whose receipt was lost to the kill.
	report, err := audit.VerifyOpeningReport(bundle.OpeningReport, tn.Keys.Report)
	if err != nil {
		t.Fatal(err)
	}
	openedBy := map[string]audit.OpenedOffer{}
	for _, o := range report.Offers {
		openedBy[o.Bidder] = o
	}
	for b, rc := range last {
		o, ok := openedBy[tn.Bidders[b].ID]
		switch {
		case !ok:
			t.Errorf("bidder %d: acknowledged offer at %d, but none was opened", b, rc.Index)
		case o.Index < rc.Index:
			t.Errorf("bidder %d: opened the offer at %d, older than the acknowledged one at %d", b, o.Index, rc.Index)
		case o.Index == rc.Index && o.SHA256 != rc.SHA256:
			t.Errorf("bidder %d: opened offer at %d has another digest than its receipt", b, o.Index)
		case o.Outcome != audit.OutcomeOpened:
			t.Errorf("bidder %d: offer %s", b, o.Outcome)
		}
		doc, err := tn.Document(ctx, tn.Bidders[b].ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := plain[o.SHA256]; string(doc) != want {
			t.Errorf("bidder %d: opened document %q, want %q", b, doc, want)
		}
	}

	// Every acknowledged sealed file is stored, superseded ones included.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("lpsed after SIGTERM: %v", err)
	}
	kind, loc := kindEmbedded, data
	if dsn != "" {
		kind, loc = kindPostgres, dsn
	}
	backend := openBackend(t, kind, loc)
	for _, a := range acks {
		if _, err := backend.Stat(ctx, a.receipt.SHA256); err != nil {
			t.Errorf("acknowledged offer %x (entry %d): %v", a.receipt.SHA256, a.receipt.Index, err)
		}
	}
}
