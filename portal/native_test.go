package portal_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/portal/internal/tendertest"
	"github.com/segel-lpse/segel/portal/wasmapi"
)

// TestNativeTender runs a real tender on a real server with package
// wasmapi, natively, as TestBrowserTender does in Chromium: offers sealed
// by Seal to the target CheckTender derives from the server's own tender
// JSON, their receipts and proof files verified against the deployment's
// keys, the offers opened by the server's ceremony to the same bytes, and
// the audit bundle the server serves verified from its tar archive.
func TestNativeTender(t *testing.T) {
	if testing.Short() {
		t.Skip("a real tender: about 15 s of submission window and beacon rounds")
	}
	ctx := context.Background()
	tn := tendertest.Start(t, 2, 10*time.Second) // room for a loaded machine
	checked, err := wasmapi.CheckTender(tn.Chain, tn.JSON, time.Now())
	if err != nil {
		t.Fatalf("CheckTender of the server's own tender: %v", err)
	}
	tb, _ := json.Marshal(checked.Target)
	target, err := wasmapi.ParseTarget(tb)
	if err != nil {
		t.Fatal(err)
	}
	if target.Round != tn.Target.Round || !target.Chain.Equal(tn.Target.Chain) {
		t.Fatalf("target %d on %v, the server's tender %d on %v", target.Round, target.Chain, tn.Target.Round, tn.Target.Chain)
	}

	docs := map[string][]byte{}
	var receipt, proof []byte
	var sealed *wasmapi.Sealed
	for i, b := range tn.Bidders {
		doc := make([]byte, 100<<10+i)
		rand.Read(doc)
		var out bytes.Buffer
		if sealed, err = wasmapi.Seal(&out, bytes.NewReader(doc), target); err != nil {
			t.Fatal(err)
		}
		if receipt, err = b.Submit(ctx, tn.ID, out.Bytes()); err != nil {
			t.Fatal(err)
		}
		docs[b.ID] = doc
		want := wasmapi.Expect{Tender: tn.ID, Bidder: b.ID, SHA256: sealed.SHA256, Size: sealed.Size}
		r, err := wasmapi.VerifyReceipt(receipt, tn.Keys, want)
		if err != nil {
			t.Fatalf("VerifyReceipt: %v", err)
		}
		if r.Tender != tn.ID || r.Bidder != b.ID || r.SHA256 != sealed.SHA256 || r.Size != sealed.Size || r.Checkpoint != nil {
			t.Errorf("VerifyReceipt = %+v", r)
		}
		if proof, err = tn.ProofFile(receipt); err != nil {
			t.Fatal(err)
		}
		p, err := wasmapi.VerifyProofFile(proof, tn.Keys, want)
		if err != nil {
			t.Fatalf("VerifyProofFile: %v", err)
		}
		if p.Index != r.Index || p.Checkpoint == nil || p.Checkpoint.Size <= r.Index || p.Checkpoint.Origin != r.Origin {
			t.Errorf("VerifyProofFile = %+v, checkpoint %+v", p, p.Checkpoint)
		}
	}

	// The last bidder's receipt and proof file, tampered with or checked
	// against what they do not bind.
	_, otherLog, _ := auditlog.GenerateKey("lpse.test/log")
	_, otherReceipt, _ := auditlog.GenerateKey("lpse.test/receipt")
	_, otherReport, _ := auditlog.GenerateKey("lpse.test/report")
	other, _ := audit.NewTrusted(otherLog, otherReceipt, otherReport, strings.Repeat("0", 64))
	otherKeys, _ := other.Marshal()
	last := tn.Bidders[len(tn.Bidders)-1]
	for _, tt := range []struct {
		name   string
		verify func() error
		code   string
		want   string
	}{
		{"receipt, size changed", func() error {
			bad := bytes.Replace(receipt, fmt.Appendf(nil, "size: %d\n", sealed.Size), fmt.Appendf(nil, "size: %d\n", sealed.Size+1), 1)
			if bytes.Equal(bad, receipt) {
				t.Fatal("the receipt's size line was not found")
			}
			_, err := wasmapi.VerifyReceipt(bad, tn.Keys, wasmapi.Expect{})
			return err
		}, "signature", ""},
		{"receipt, another deployment's keys", func() error { _, err := wasmapi.VerifyReceipt(receipt, otherKeys, wasmapi.Expect{}); return err }, "signature", ""},
		{"receipt, another bidder", func() error {
			_, err := wasmapi.VerifyReceipt(receipt, tn.Keys, wasmapi.Expect{Bidder: tn.Bidders[0].ID})
			return err
		}, "receipt-mismatch", "names bidder " + fmt.Sprintf("%q", last.ID)},
		{"receipt, another file", func() error {
			_, err := wasmapi.VerifyReceipt(receipt, tn.Keys, wasmapi.Expect{SHA256: strings.Repeat("ab", 32), Size: sealed.Size})
			return err
		}, "receipt-mismatch", "names sha256"},
		{"receipt, another size", func() error {
			_, err := wasmapi.VerifyReceipt(receipt, tn.Keys, wasmapi.Expect{Size: sealed.Size - 1})
			return err
		}, "receipt-mismatch", fmt.Sprintf("names size %d, the sealed file has %d bytes", sealed.Size, sealed.Size-1)},
		{"receipt, keys not a keys file", func() error {
			_, err := wasmapi.VerifyReceipt(receipt, []byte(otherReceipt), wasmapi.Expect{})
			return err
		}, "input", "pinned keys"},
		{"proof file, inclusion proof changed", func() error {
			i := bytes.LastIndex(proof, []byte("\n\n")) // before the checkpoint: inside the proof's hashes
			bad := bytes.Clone(proof)
			j := bytes.LastIndexByte(bad[:i], '\n') + 3
			if bad[j] == 'A' {
				bad[j] = 'B'
			} else {
				bad[j] = 'A'
			}
			_, err := wasmapi.VerifyProofFile(bad, tn.Keys, wasmapi.Expect{})
			return err
		}, "", ""},
		{"proof file, another deployment's keys", func() error { _, err := wasmapi.VerifyProofFile(proof, otherKeys, wasmapi.Expect{}); return err }, "signature", ""},
	} {
		err := tt.verify()
		if err == nil || tt.code != "" && wasmapi.Code(err) != tt.code || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v (code %q), want code %q saying %q", tt.name, err, wasmapi.Code(err), tt.code, tt.want)
		}
	}

	opened, failed, err := tn.Finish(ctx)
	if err != nil || opened != 2 || failed != 0 {
		t.Fatalf("opening: %d opened, %d failed, %v", opened, failed, err)
	}
	for id, doc := range docs {
		got, err := tn.Document(ctx, id)
		if err != nil || !bytes.Equal(got, doc) {
			t.Errorf("bidder %s: the committee reads %d bytes (%v), the bidder sealed %d", id, len(got), err, len(doc))
		}
	}

	bundle, err := tn.BundleTar()
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := wasmapi.TarFS(bytes.NewReader(bundle), int64(len(bundle)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := wasmapi.VerifyBundle(fsys, tn.Keys)
	if err != nil {
		t.Fatalf("VerifyBundle: %v", err)
	}
	if res.Tender != tn.ID || res.Offers != 2 || res.Opened != 2 || res.Receipts != 2 || !res.Pinned || len(res.Unpinned) != 0 {
		t.Errorf("VerifyBundle = %+v", res)
	}
	if res, err := wasmapi.VerifyBundle(fsys, nil); err != nil || res.Pinned || len(res.Unpinned) != 4 {
		t.Errorf("VerifyBundle, no keys = %+v, %v; want verified, unpinned", res, err)
	}
	if _, err := wasmapi.VerifyBundle(fsys, otherKeys); err == nil || wasmapi.Code(err) != "bundle" || !strings.Contains(err.Error(), "keys.txt") {
		t.Errorf("VerifyBundle, another deployment's keys = %v (code %q), want a refusal naming keys.txt", err, wasmapi.Code(err))
	}

	// The same bundle as a chosen directory's files.
	names, data := untar(t, bundle)
	var fs []wasmapi.File
	for _, n := range names {
		fs = append(fs, wasmapi.File{Path: "T-bundle/" + n, Size: int64(len(data[n])), Data: bytes.NewReader(data[n])})
	}
	dir, err := wasmapi.FilesFS(fs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wasmapi.VerifyBundle(dir, tn.Keys); err != nil {
		t.Errorf("VerifyBundle of a directory's files: %v", err)
	}

	// Tampered: a receipt's proof file with one more byte.
	var rc string
	for _, n := range names {
		if strings.HasPrefix(n, "receipts/") {
			rc = n
		}
	}
	data[rc] = append(data[rc], '\n')
	bad := retar(t, names, data)
	fsys, err = wasmapi.TarFS(bytes.NewReader(bad), int64(len(bad)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = wasmapi.VerifyBundle(fsys, tn.Keys)
	var ae *audit.Error
	if !errors.As(err, &ae) || ae.File != rc || wasmapi.Code(err) != "bundle" {
		t.Errorf("tampered %s: VerifyBundle = %v, want an *audit.Error naming it", rc, err)
	}
}
