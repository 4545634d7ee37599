package audit_test

import (
	"bytes"
	"errors"
	"github.com/segel-lpse/segel/internal/mutate"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/audit"
)

// verifyDir reads and verifies the bundle in dir against run's keys.
func verifyDir(run *tenderRun, dir string) (*audit.Result, error) {
	b, err := audit.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	return audit.Verify(b, *run.trusted)
}

// bundleFiles writes run's bundle to a new directory and returns it and the
// paths of its files, relative and slash-separated.
func bundleFiles(t *testing.T, run *tenderRun) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	if err := run.bundle.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	var files []string
	filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	return dir, files
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// pair names the file a check may blame instead of the one tampered with.
func pair(file string) string {
	for _, p := range [][2]string{{"entries/", "inclusion/"}, {"inclusion/", "entries/"}} {
		if rest, ok := strings.CutPrefix(file, p[0]); ok {
			return p[1] + rest
		}
	}
	return file
}

// TestTamperEveryFile flips a byte of, and deletes, every file of a bundle
// with real sealed offers, failures and superseded offers.
func TestTamperEveryFile(t *testing.T) {
	run := runTender(t, tenderOptions{offers: 4, resubmits: 2, failures: 2, seal: true})
	dir, files := bundleFiles(t, run)
	if _, err := verifyDir(run, dir); err != nil {
		t.Fatalf("untouched bundle: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []int{len(data) / 2, len(data) - 1} {
			if len(data) == 0 {
				break
			}
			d := copyDir(t, dir)
			mut := bytes.Clone(data)
			mut[at] ^= 0x04
			os.WriteFile(filepath.Join(d, f), mut, 0o644)
			_, err := verifyDir(run, d)
			var ae *audit.Error
			switch {
			case err == nil:
				t.Errorf("%s: byte %d flipped: accepted", f, at)
			case !errors.As(err, &ae):
				t.Errorf("%s: byte %d flipped: error %v is not an *audit.Error", f, at, err)
			case !strings.Contains(err.Error(), f) && !strings.Contains(err.Error(), pair(f)) && !strings.HasPrefix(f, "checkpoints/"):
				t.Errorf("%s: byte %d flipped: error does not name the file: %v", f, at, err)
			}
		}
		d := copyDir(t, dir)
		os.Remove(filepath.Join(d, f))
		_, err = verifyDir(run, d)
		if strings.HasPrefix(f, "sealed/") {
			if err != nil {
				t.Errorf("%s deleted: sealed files are optional, got %v", f, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s deleted: accepted", f)
		}
	}
	t.Logf("%d files flipped and deleted", len(files))
}

func TestReadDirRefusesUnknownFiles(t *testing.T) {
	run := runTender(t, tenderOptions{offers: 2, failures: 1})
	dir, _ := bundleFiles(t, run)
	for _, extra := range []string{"notes.txt", "entries/notes.txt", "entries/007.txt", "receipts/1.proof",
		"other/1.txt", "sealed/readme", "consistency/1-2-3.txt", "checkpoints/-1.txt", "witness/1"} {
		d := copyDir(t, dir)
		os.MkdirAll(filepath.Dir(filepath.Join(d, extra)), 0o755)
		os.WriteFile(filepath.Join(d, extra), []byte("x\n"), 0o644)
		_, err := audit.ReadDir(d)
		if !errors.Is(err, audit.ErrUnknownFile) || !strings.Contains(err.Error(), strings.TrimSuffix(extra, "/1.txt")) {
			t.Errorf("%s added: got %v, want ErrUnknownFile naming it", extra, err)
		}
	}
	d := copyDir(t, dir)
	if err := os.Symlink("/etc/passwd", filepath.Join(d, "offers2.txt")); err == nil {
		if _, err := audit.ReadDir(d); !errors.Is(err, audit.ErrUnknownFile) {
			t.Errorf("symlink: got %v, want ErrUnknownFile", err)
		}
	}
	// A witness report for an offer that did not fail, a receipt for an
	// entry that is not an offer-received one.
	for _, extra := range []string{"witness/0.txt", "receipts/0.txt"} {
		d := copyDir(t, dir)
		os.WriteFile(filepath.Join(d, extra), []byte("x\n"), 0o644)
		if _, err := verifyDir(run, d); !errors.Is(err, audit.ErrUnknownFile) {
			t.Errorf("%s added: got %v, want ErrUnknownFile", extra, err)
		}
	}
}

func TestReadDirCaps(t *testing.T) {
	run := runTender(t, tenderOptions{offers: 1})
	dir, _ := bundleFiles(t, run)
	for _, c := range []struct {
		file string
		max  int
	}{{"keys.txt", audit.MaxKeysSize}, {"witness/9.txt", audit.MaxWitnessReportSize}, {"entries/1.txt", 64 << 10}} {
		for _, n := range []int{c.max, c.max + 1} {
			d := copyDir(t, dir)
			os.WriteFile(filepath.Join(d, c.file), bytes.Repeat([]byte("x"), n), 0o644)
			_, err := audit.ReadDir(d)
			tooBig := err != nil && strings.Contains(err.Error(), "more than")
			if tooBig != (n > c.max) {
				t.Errorf("%s of %d bytes: got %v", c.file, n, err)
			}
		}
	}
}

// TestTamperMeaning makes the engine lie while signing and logging
// everything, or rearranges valid files: each bundle must fail, naming the
// problem.
func TestTamperMeaning(t *testing.T) {
	base := tenderOptions{offers: 5, resubmits: 2, failures: 2}
	tests := []struct {
		name      string
		opts      func(*tenderOptions)
		tamper    func(*tenderRun)
		trusted   func(*tenderRun) audit.Trusted
		file, msg string
	}{
		{name: "drop an offer-opened entry",
			tamper: func(r *tenderRun) { dropEntry(r, "offer-opened") },
			file:   "entries/", msg: "neither opened nor failed"},
		{name: "drop an offer-received entry and its receipt",
			tamper: func(r *tenderRun) {
				i := r.current[2].index
				delete(r.bundle.Receipts, i)
				dropIndex(r, i)
			},
			file: "entries/", msg: "5 offers, but 4 bidders have a current offer"},
		{name: "drop the opening-report entry",
			tamper: func(r *tenderRun) { dropEntry(r, "opening-report") },
			file:   "entries/", msg: "result-announced entry: not allowed before the opening report"},
		{name: "entry of another tender",
			tamper: func(r *tenderRun) {
				e := &r.bundle.Entries[len(r.bundle.Entries)-1]
				e.Data = bytes.Replace(e.Data, []byte(tenderID), []byte("10099999000"), 1)
			},
			file: "entries/", msg: "not of tender"},
		{name: "swap receipts between bidders",
			tamper: func(r *tenderRun) {
				a, b := r.current[0].index, r.current[3].index
				r.bundle.Receipts[a], r.bundle.Receipts[b] = r.bundle.Receipts[b], r.bundle.Receipts[a]
			},
			file: "receipts/", msg: "receipt of entry"},
		{name: "swap witness reports",
			tamper: func(r *tenderRun) {
				a, b := r.current[3].index, r.current[4].index
				r.bundle.Witness[a], r.bundle.Witness[b] = r.bundle.Witness[b], r.bundle.Witness[a]
			},
			file: "witness/", msg: "is not the report"},
		{name: "witness report of another offer, logged",
			opts: func(o *tenderOptions) {
				o.lie.witness = func(r *tenderRun, w *audit.WitnessReport) {
					w.Bidder, w.Index, w.SHA256, w.Size = r.current[0].bidder, r.current[0].index, r.current[0].sha, r.current[0].size
				}
			},
			file: "witness/", msg: "not of the failed offer"},
		{name: "witness report with another fault",
			opts: func(o *tenderOptions) {
				o.lie.witness = func(r *tenderRun, w *audit.WitnessReport) { w.Fault = audit.FaultSystem }
			},
			file: "witness/", msg: "fault system, the offer-failed entry says file"},
		{name: "opening report omits an offer",
			opts: func(o *tenderOptions) {
				o.lie.report = func(r *tenderRun, rep *audit.OpeningReport) { rep.Offers = rep.Offers[:len(rep.Offers)-1] }
			},
			file: "opening-report.txt", msg: "4 offers listed, the log has 5"},
		{name: "opening report lists a superseded offer as opened",
			opts: func(o *tenderOptions) {
				o.lie.report = func(r *tenderRun, rep *audit.OpeningReport) {
					s := r.replaced[0]
					rep.Offers[0].Index, rep.Offers[0].SHA256, rep.Offers[0].Size = s.index, s.sha, s.size
				}
			},
			file: "opening-report.txt", msg: "the log's current offer is"},
		{name: "log opens a superseded offer",
			opts: func(o *tenderOptions) { o.lie.openSuperseded = true },
			file: "entries/", msg: "has no current offer"},
		{name: "opening report with another outcome",
			opts: func(o *tenderOptions) {
				o.lie.report = func(r *tenderRun, rep *audit.OpeningReport) { rep.Offers[1].Digest[0] ^= 1 }
			},
			file: "opening-report.txt", msg: "the log says opened"},
		{name: "opening report replaced by another signed one",
			tamper: func(r *tenderRun) {
				rep := *r.opening
				rep.Time = rep.Time.Add(1)
				r.bundle.OpeningReport, _ = rep.Sign(r.reportS)
			},
			file: "opening-report.txt", msg: "is not the report"},
		{name: "wrong beacon signature",
			opts: func(o *tenderOptions) {
				o.lie.signature = func(sig []byte) []byte { sig = bytes.Clone(sig); sig[len(sig)-1] ^= 1; return sig }
			},
			file: "entries/", msg: "not the chain's signature of round"},
		{name: "offer replaced without offer-superseded",
			opts: func(o *tenderOptions) { o.lie.noSupersededEntry = true },
			file: "entries/", msg: "replaced without an offer-superseded entry"},
		{name: "no checkpoint between closing and opening",
			opts: func(o *tenderOptions) { o.lie.noClosingCheckpoint = true },
			file: "checkpoints/", msg: "no checkpoint fixes the offers"},
		{name: "drop the final checkpoint",
			tamper: func(r *tenderRun) { r.bundle.Checkpoints = r.bundle.Checkpoints[:len(r.bundle.Checkpoints)-1] },
			file:   "entries/", msg: "does not prove"},
		{name: "pinned keys of another LPSE",
			trusted: func(r *tenderRun) audit.Trusted {
				other := runTender(t, tenderOptions{})
				return *other.trusted
			},
			file: "keys.txt", msg: "is not the pinned key"},
		{name: "pinned chain differs",
			trusted: func(r *tenderRun) audit.Trusted {
				tr := *r.trusted
				tr.Chain = strings.Repeat("0", 64)
				return tr
			},
			file: "keys.txt", msg: "is not the pinned chain"},
		{name: "report key pinned, bundle's unpinned keys.txt has none",
			tamper: func(r *tenderRun) { r.bundle.Keys = nil },
			trusted: func(r *tenderRun) audit.Trusted {
				return audit.Trusted{Log: r.trusted.Log, Receipt: r.trusted.Receipt, Chain: r.trusted.Chain}
			},
			file: "keys.txt", msg: "no report key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			if tc.opts != nil {
				tc.opts(&o)
			}
			run := runTender(t, o)
			if tc.tamper != nil {
				tc.tamper(run)
			}
			trusted := *run.trusted
			if tc.trusted != nil {
				trusted = tc.trusted(run)
			}
			_, err := audit.Verify(run.bundle, trusted)
			var ae *audit.Error
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want an *audit.Error", err)
			}
			if !strings.HasPrefix(ae.File, tc.file) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v\nwant file %q… and %q", err, tc.file, tc.msg)
			}
		})
	}
}

func dropEntry(r *tenderRun, typ string) {
	for _, e := range r.bundle.Entries {
		if bytes.HasPrefix(e.Data, []byte("segel-entry/v1 "+typ+"\n")) {
			dropIndex(r, e.Index)
			return
		}
	}
	panic("no " + typ)
}

func dropIndex(r *tenderRun, i int64) {
	es := r.bundle.Entries[:0]
	for _, e := range r.bundle.Entries {
		if e.Index != i {
			es = append(es, e)
		}
	}
	r.bundle.Entries = es
}

// TestTamperFiles rearranges lines of files in a written bundle.
func TestTamperFiles(t *testing.T) {
	run := runTender(t, tenderOptions{offers: 3, failures: 1})
	dir, _ := bundleFiles(t, run)
	swapLines := func(file string, i, j int) func(d string) {
		return func(d string) {
			p := filepath.Join(d, file)
			data, _ := os.ReadFile(p)
			lines := strings.SplitAfter(string(data), "\n")
			lines[i], lines[j] = lines[j], lines[i]
			os.WriteFile(p, []byte(strings.Join(lines, "")), 0o644)
		}
	}
	for _, tc := range []struct {
		name, file, msg string
		tamper          func(d string)
	}{
		{"reorder offers in the opening report", "opening-report.txt", "signature", swapLines("opening-report.txt", 7, 8)},
		{"reorder offers.txt", "offers.txt", "not what the log", swapLines("offers.txt", 1, 2)},
		{"drop an entry and its proof", "entries/", "", func(d string) {
			os.Remove(filepath.Join(d, "entries", strings.TrimPrefix(lastOpened(run), "entries/")))
			os.Remove(filepath.Join(d, "inclusion", strings.TrimPrefix(lastOpened(run), "entries/")))
		}},
	} {
		d := copyDir(t, dir)
		tc.tamper(d)
		_, err := verifyDir(run, d)
		var ae *audit.Error
		if !errors.As(err, &ae) || !strings.HasPrefix(ae.File, tc.file) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want an error on %s with %q", tc.name, err, tc.file, tc.msg)
		}
	}
}

func lastOpened(r *tenderRun) string {
	for _, e := range r.bundle.Entries {
		if bytes.HasPrefix(e.Data, []byte("segel-entry/v1 offer-opened\n")) {
			return "entries/" + strconvI(e.Index) + ".txt"
		}
	}
	panic("no offer-opened")
}

// TestReceiptMutations changes every byte of a receipt's proof file in a
// bundle, and truncates it everywhere: Verify must reject each.
func TestReceiptMutations(t *testing.T) {
	run := runTender(t, tenderOptions{offers: 1})
	i := run.current[0].index
	valid := run.bundle.Receipts[i]
	mutate.CheckAllRejected(t, valid, func(b []byte) error {
		run.bundle.Receipts[i] = b
		_, err := audit.Verify(run.bundle, *run.trusted)
		return err
	})
}

// TestSealedHeaderRule checks the rule of audit-bundle.md §4.12: a sealed
// file that fails inspection is accepted only with a witness report saying so.
func TestSealedHeaderRule(t *testing.T) {
	o := tenderOptions{offers: 3, failures: 1, seal: true, garbage: true}
	run := runTender(t, o)
	res, err := audit.Verify(run.bundle, *run.trusted)
	if err != nil || res.Sealed != 3 {
		t.Fatalf("garbage offer with a header witness report: got %+v, %v", res, err)
	}
	o.lie.witness = func(r *tenderRun, w *audit.WitnessReport) { w.Step = audit.StepPayload }
	run = runTender(t, o)
	_, err = audit.Verify(run.bundle, *run.trusted)
	if err == nil || !strings.Contains(err.Error(), "does not pass inspection, and no witness report says so") {
		t.Errorf("garbage offer witnessed at step payload: got %v", err)
	}
	o = tenderOptions{offers: 3, failures: 1, seal: true}
	o.lie.witness = func(r *tenderRun, w *audit.WitnessReport) { w.Step = audit.StepInspect }
	run = runTender(t, o)
	_, err = audit.Verify(run.bundle, *run.trusted)
	if err == nil || !strings.Contains(err.Error(), "the header passes inspection, but") {
		t.Errorf("good header witnessed as failing inspection: got %v", err)
	}
}
