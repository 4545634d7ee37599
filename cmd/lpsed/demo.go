package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
	"golang.org/x/mod/sumdb/note"
)

// runDemo walks one offer through Segel's core and narrates it.
func runDemo(ctx context.Context, out io.Writer, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "segel-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	store, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		return err
	}
	defer store.Close()

	key, err := timelock.GenerateLocalKey()
	if err != nil {
		return err
	}
	beacon, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: time.Now().Add(-time.Minute), Period: time.Second})
	if err != nil {
		return err
	}
	chain := beacon.Chain()
	committee, err := age.GenerateHybridIdentity()
	if err != nil {
		return err
	}
	opening := time.Now().Add(3 * time.Second)
	target := sealer.Target{Chain: chain, Round: chain.RoundAt(opening), Committee: committee.Recipient()}
	say("tender T-DEMO-1 opens at %s: beacon %s round %d, committee key %s",
		chain.TimeOf(target.Round).Format(time.TimeOnly), chain, target.Round, sealer.KeyID(target.Committee))

	// The bidder seals the offer on their own machine.
	offer := "Penawaran harga PT Contoh Jaya: Rp 1.234.000.000, masa berlaku 60 hari."
	var sealed bytes.Buffer
	if _, err := sealer.Seal(&sealed, strings.NewReader(offer), target); err != nil {
		return err
	}
	say("bidder sealed a %d-byte offer into a %d-byte file (time AND committee)", len(offer), sealed.Len())

	// The server checks the header against the tender, stores the file
	// durably, logs it and returns a receipt.
	h, err := sealer.Inspect(bytes.NewReader(sealed.Bytes()), chain)
	if err == nil {
		err = target.Check(h)
	}
	if err != nil {
		return fmt.Errorf("server refused the offer: %w", err)
	}
	blob, err := store.Put(ctx, bytes.NewReader(sealed.Bytes()), 64<<20)
	if err != nil {
		return err
	}
	logKey, logVerifier, err := newKey("demo.segel.example/log")
	if err != nil {
		return err
	}
	rcptKey, rcptVerifier, err := newKey("demo.segel.example/receipts")
	if err != nil {
		return err
	}
	lg, err := auditlog.Open(ctx, auditlog.Config{Storage: auditlog.NewMemoryStorage(), Origin: "demo.segel.example/log", Signer: logKey})
	if err != nil {
		return err
	}
	rc := auditlog.Receipt{Origin: "demo.segel.example/log", Tender: "T-DEMO-1", Bidder: "u-contoh-jaya",
		SHA256: blob.Digest, Size: blob.Size, Received: time.Now().UTC().Truncate(time.Second)}
	entry, err := rc.Entry().Marshal()
	if err != nil {
		return err
	}
	idx, err := lg.Append(ctx, entry)
	if err != nil {
		return err
	}
	rc.Index = idx[0]
	receipt, err := auditlog.SignReceipt(rc, rcptKey)
	if err != nil {
		return err
	}
	proof, err := lg.ProofFile(ctx, receipt)
	if err != nil {
		return err
	}
	if _, _, err := auditlog.VerifyProofFile(proof, auditlog.Keys{Log: logVerifier, Receipt: rcptVerifier}); err != nil {
		return fmt.Errorf("proof file does not verify: %w", err)
	}
	say("server stored blob sha256:%x…, logged it at index %d and gave a receipt whose proof verifies offline", blob.Digest[:8], rc.Index)

	// Nobody can open it early — not even with the committee's key.
	stored := func() io.Reader {
		r, err := store.Open(ctx, blob.Digest)
		if err != nil {
			return strings.NewReader("")
		}
		b, _ := io.ReadAll(r)
		r.Close()
		return bytes.NewReader(b)
	}
	_, err = sealer.Open(ctx, stored(), beacon, committee)
	if !errors.Is(err, timelock.ErrTooEarly) {
		return fmt.Errorf("opening before the round: got %v, want ErrTooEarly", err)
	}
	say("committee tries to open early: refused (%v)", err)

	wait := time.Until(chain.TimeOf(target.Round))
	say("waiting %.1fs for round %d…", wait.Seconds(), target.Round)
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return ctx.Err()
	}
	r, err := sealer.Open(ctx, stored(), beacon, committee)
	if err != nil {
		return err
	}
	doc, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if string(doc) != offer {
		return errors.New("opened offer differs from what was sealed")
	}
	sum := sha256.Sum256(doc)
	say("opened at round %d: %q (sha256:%x…)", target.Round, doc, sum[:8])
	return nil
}

func newKey(name string) (note.Signer, note.Verifier, error) {
	skey, vkey, err := auditlog.GenerateKey(name)
	if err != nil {
		return nil, nil, err
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, err
	}
	v, err := auditlog.NewVerifier(vkey)
	return s, v, err
}
