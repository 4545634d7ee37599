package helpdesk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/helpdesk"
	"github.com/segel-lpse/segel/vault"
	"golang.org/x/mod/sumdb/note"
)

// staffOnly is a Directory for the example: "lpse-admin" is LPSE staff,
// "penyedia-1" a provider in good standing. A deployment uses
// directory.NewHelpdesk over its registry.
type staffOnly struct{}

func (staffOnly) CheckStaff(_ context.Context, user string) error {
	if user != "lpse-admin" {
		return fmt.Errorf("%s is not LPSE staff", user)
	}
	return nil
}

func (staffOnly) CheckUser(_ context.Context, user string) error {
	if user != "lpse-admin" && user != "penyedia-1" {
		return fmt.Errorf("%s is not a user in good standing", user)
	}
	return nil
}

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "helpdesk-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	skey, _, err := auditlog.GenerateKey("lpse.example/log")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		log.Fatal(err)
	}
	auditLog, err := auditlog.Open(ctx, auditlog.Config{Storage: store.AuditLog("main"), Origin: "lpse.example/log", Signer: signer})
	if err != nil {
		log.Fatal(err)
	}
	desk, err := helpdesk.New(helpdesk.Config{Records: store, Blobs: store, Log: auditLog, Directory: staffOnly{}})
	if err != nil {
		log.Fatal(err)
	}

	// LPSE staff announce a maintenance window; anyone reads it.
	n, err := desk.PublishNotice(ctx, "lpse-admin", helpdesk.NoticeMaintenance, "Pemeliharaan server", "SPSE tidak tersedia Sabtu 22.00–24.00 WIB.")
	if err != nil {
		log.Fatal(err)
	}
	r, err := desk.NoticeText(ctx, n.ID)
	if err != nil {
		log.Fatal(err)
	}
	text, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %s\n", n.Kind, text)

	// A provider complains; staff take it on and resolve it.
	c, err := desk.FileComplaint(ctx, "penyedia-1", "Tidak bisa mengunggah", "Unggahan berhenti di 80%.")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Status)
	if _, err := desk.UpdateComplaint(ctx, "penyedia-1", c.ID, helpdesk.ComplaintInProgress, "Saya sendiri."); errors.Is(err, helpdesk.ErrForbidden) {
		fmt.Println("refused: only LPSE staff update complaints")
	}
	for _, step := range []helpdesk.ComplaintStatus{helpdesk.ComplaintInProgress, helpdesk.ComplaintResolved} {
		if c, err = desk.UpdateComplaint(ctx, "lpse-admin", c.ID, step, "Ditangani."); err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Status)
	}
	fmt.Println("log entries:", auditLog.Size())

	// Output:
	// maintenance: SPSE tidak tersedia Sabtu 22.00–24.00 WIB.
	// open
	// refused: only LPSE staff update complaints
	// in-progress
	// resolved
	// log entries: 4
}
