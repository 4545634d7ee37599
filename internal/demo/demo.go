// Package demo runs a whole tender against a Segel server through its
// HTTP API, as the people of an LPSE would: registration and
// verification, committee assignment, announcement, questions, a dozen
// sealed offers (one deliberately broken), closing, the opening
// ceremony, the witness report, the result and the award; then it fetches
// the audit bundle and verifies it offline against the published keys.
// lpsed demo and the server's tests run it.
package demo

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/timelock"
)

// Config configures Run.
type Config struct {
	// URL is the server's base URL, such as "http://127.0.0.1:8080".
	URL string
	// Out receives the narration; nothing if nil.
	Out io.Writer
	// BundleDir, if set, receives the tender's audit bundle (a new or
	// empty directory), ready for segel verify.
	BundleDir string
	// Bidders is the number of providers making offers; 12 if zero.
	Bidders int
	// Window is the submission window; 6 s if zero.
	Window time.Duration
}

// Result summarises a finished demo.
type Result struct {
	Tender         string
	Offers, Opened int
	Failed         int
	Verified       *audit.Result
}

const password = "rahasia-demo-segel-2026"

// NIKs valid under doc/spec/registry.md §4.2, one per account.
func nik(i int) string {
	return fmt.Sprintf("3171%02d1203850%03d", 1+i%90, 1+i)
}

// Run runs the demo tender.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Bidders == 0 {
		cfg.Bidders = 12
	}
	if cfg.Window == 0 {
		cfg.Window = 6 * time.Second
	}
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	d := &run{cfg: cfg, hc: &http.Client{Timeout: time.Minute}}
	anon := d.client("")

	// 1. Accounts: the first admin, staff, officials, providers.
	admin, err := d.bootstrap(ctx)
	if err != nil {
		return nil, err
	}
	verifier, err := d.official(ctx, admin, "verifier", 1)
	if err != nil {
		return nil, err
	}
	officials := map[string]*userClient{}
	for i, role := range []string{"pa-kpa", "pokja", "pokja", "pokja", "ppk"} {
		c, err := d.official(ctx, verifier, role, 10+i)
		if err != nil {
			return nil, err
		}
		officials[fmt.Sprintf("%s-%d", role, i)] = c
	}
	pa, ppk := officials["pa-kpa-0"], officials["ppk-4"]
	pokja := []*userClient{officials["pokja-1"], officials["pokja-2"], officials["pokja-3"]}
	var bidders []*userClient
	for i := range cfg.Bidders {
		c, err := d.provider(ctx, verifier, i)
		if err != nil {
			return nil, err
		}
		bidders = append(bidders, c)
	}
	say("registered and verified: 1 admin, 1 verifier, 1 PA/KPA, 3 pokja, 1 PPK, %d providers", len(bidders))

	// 2. Committee, its key (made on the committee's own machine), the tender.
	id := "T-DEMO-" + time.Now().UTC().Format("20060102-150405")
	members := []string{pokja[0].user, pokja[1].user, pokja[2].user}
	if err := pa.postJSON(ctx, "/v1/committees/"+id, map[string]any{"members": members}, nil); err != nil {
		return nil, err
	}
	committee, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, err
	}
	var doc struct{ SHA256 string }
	err = pokja[0].do(ctx, "POST", "/v1/documents", "application/octet-stream",
		strings.NewReader("Dokumen Pemilihan: Rehabilitasi Jembatan Kali Code, HPS Rp 2.500.000.000"), &doc)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	deadline := now.Add(cfg.Window)
	sched := tender.Schedule{
		RegistrationEnd: deadline, ClarificationEnd: deadline, SubmissionStart: now,
		Deadline: deadline, Opening: deadline.Add(2 * time.Second), ObjectionDays: 0,
	}
	var tn tenderView
	err = pokja[0].postJSON(ctx, "/v1/tenders", map[string]any{
		"id": id, "title": "Rehabilitasi Jembatan Kali Code", "document": doc.SHA256,
		"committee_key": committee.Recipient().String(), "schedule": sched,
	}, &tn)
	if err != nil {
		return nil, err
	}
	say("tender %s announced: deadline %s, opening %s = beacon round %d", id,
		deadline.Format(time.TimeOnly), sched.Opening.Format(time.TimeOnly), tn.Round)

	// 3. Bidders register, one asks a question, the committee answers.
	for _, b := range bidders {
		if err := b.postJSON(ctx, "/v1/tenders/"+id+"/participants", nil, nil); err != nil {
			return nil, err
		}
	}
	var q struct{ Digest string }
	if err := bidders[0].postJSON(ctx, "/v1/tenders/"+id+"/messages/question", map[string]string{"text": "Apakah jaminan penawaran wajib?"}, &q); err != nil {
		return nil, err
	}
	if err := pokja[1].postJSON(ctx, "/v1/tenders/"+id+"/messages/question/"+q.Digest+"/answer", map[string]string{"text": "Tidak, untuk nilai di bawah Rp 10 miliar."}, nil); err != nil {
		return nil, err
	}

	// 4. Every bidder seals on their own machine and submits.
	var chainInfo []byte
	if err := anon.get(ctx, "/v1/chain", &chainInfo); err != nil {
		return nil, err
	}
	chain, err := timelock.ParseChainInfo(chainInfo)
	if err != nil {
		return nil, err
	}
	if chain.HashHex() != tn.Chain {
		return nil, errors.New("demo: the tender names another chain than the server publishes")
	}
	var keysText []byte
	if err := anon.get(ctx, "/v1/keys", &keysText); err != nil {
		return nil, err
	}
	keys, err := audit.ParseTrusted(keysText)
	if err != nil {
		return nil, err
	}
	target := sealer.Target{Chain: chain, Round: tn.Round, Committee: committee.Recipient()}
	broken := len(bidders) / 2
	for i, b := range bidders {
		var file bytes.Buffer
		offer := fmt.Sprintf("Penawaran %s: harga Rp %d.000.000, masa pelaksanaan 120 hari", b.user, 2100+37*i)
		if _, err := sealer.Seal(&file, strings.NewReader(offer), target); err != nil {
			return nil, err
		}
		sealed := file.Bytes()
		if i == broken {
			// Damaged after sealing (a faulty upload tool, say): the header
			// still passes every check, the payload will not open.
			sealed[len(sealed)-3] ^= 0x40
		}
		var rc struct {
			Receipt string
			Index   int64
		}
		if err := b.do(ctx, "POST", "/v1/tenders/"+id+"/offers", "application/octet-stream", bytes.NewReader(sealed), &rc); err != nil {
			return nil, err
		}
		if _, err := auditlog.VerifyReceipt([]byte(rc.Receipt), keys.Receipt); err != nil {
			return nil, fmt.Errorf("demo: receipt of %s does not verify: %w", b.user, err)
		}
		var proof []byte
		if err := anon.do(ctx, "POST", "/v1/proofs", "text/plain", strings.NewReader(rc.Receipt), &proof); err != nil {
			return nil, err
		}
		if _, _, err := auditlog.VerifyProofFile(proof, auditlog.Keys{Log: keys.Log, Receipt: keys.Receipt}); err != nil {
			return nil, fmt.Errorf("demo: proof file of %s does not verify: %w", b.user, err)
		}
	}
	say("%d sealed offers submitted, each with a signed receipt and a proof file that verify offline (offer %d damaged on purpose)", len(bidders), broken+1)

	// 5. Closing and opening.
	if err := sleepUntil(ctx, deadline.Add(500*time.Millisecond)); err != nil {
		return nil, err
	}
	if err := pokja[0].postJSON(ctx, "/v1/tenders/"+id+"/close", nil, &tn); err != nil {
		return nil, err
	}
	say("submission closed with %d offers", *tn.Offers)

	// Too early: closed, but the round's signature does not exist yet, so
	// nobody can open, whatever anyone's clock says.
	openReq := map[string]any{"identity": committee.String(), "witnesses": members}
	err = pokja[0].postJSON(ctx, "/v1/tenders/"+id+"/open", openReq, nil)
	var ae *apiError
	if !errors.As(err, &ae) || ae.Code != "too-early" {
		return nil, fmt.Errorf("demo: opening before the round: got %v, want too-early", err)
	}
	say("committee tries to open before round %d: refused (%s)", tn.Round, ae.Msg)
	if err := sleepUntil(ctx, chain.TimeOf(tn.Round).Add(200*time.Millisecond)); err != nil {
		return nil, err
	}
	var opening struct {
		Opened, Failed int
		Report         string
	}
	if err := pokja[0].postJSON(ctx, "/v1/tenders/"+id+"/open", openReq, &opening); err != nil {
		return nil, err
	}
	say("opened at round %d: %d offers opened, %d failed", tn.Round, opening.Opened, opening.Failed)
	var witness []byte
	if err := anon.get(ctx, "/v1/tenders/"+id+"/witness/"+bidders[broken].user, &witness); err != nil {
		return nil, err
	}
	w, err := audit.VerifyWitnessReport(witness, keys.Report)
	if err != nil {
		return nil, err
	}
	say("witness report for %s: step %s, fault lies with the %s", w.Bidder, w.Step, w.Fault)
	var plain []byte
	if err := pokja[1].get(ctx, "/v1/tenders/"+id+"/offers/"+bidders[0].user+"/document", &plain); err != nil {
		return nil, err
	}
	say("committee reads %s's offer: %q", bidders[0].user, plain)

	// 6. Result and award.
	winner := bidders[0].user
	if err := pokja[0].postJSON(ctx, "/v1/tenders/"+id+"/result", map[string]string{"winner": winner, "text": "Pemenang: " + winner}, nil); err != nil {
		return nil, err
	}
	if err := ppk.postJSON(ctx, "/v1/tenders/"+id+"/award", map[string]string{"text": "SPPBJ nomor 027/DEMO"}, &tn); err != nil {
		return nil, err
	}
	say("result announced and contract awarded to %s (tender state: %s)", winner, tn.State)

	// 7. The audit bundle, verified offline against the published keys.
	dir := cfg.BundleDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "segel-demo-bundle-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "bundle")
	}
	var tarball bytes.Buffer
	if err := anon.get(ctx, "/v1/tenders/"+id+"/bundle", &tarball); err != nil {
		return nil, err
	}
	if err := untar(&tarball, dir); err != nil {
		return nil, err
	}
	b, err := audit.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	res, err := audit.Verify(b, *keys)
	if err != nil {
		return nil, fmt.Errorf("demo: the audit bundle does not verify: %w", err)
	}
	say("audit bundle in %s verifies offline: %d entries, %d checkpoints, %d receipts, %d opened, %d failed",
		dir, res.Entries, res.Checkpoints, res.Receipts, res.Opened, res.Failed)
	return &Result{Tender: id, Offers: res.Offers, Opened: res.Opened, Failed: res.Failed, Verified: res}, nil
}

type tenderView struct {
	ID     string
	State  string
	Round  uint64
	Chain  string
	Offers *int
}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-time.After(time.Until(t)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// untar writes a tar archive of regular files into a new directory dir.
func untar(r io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			return fmt.Errorf("demo: bundle archive has a bad path %q", h.Name)
		}
		p := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("demo: bundle archive has a non-regular entry %q", h.Name)
		}
	}
}
