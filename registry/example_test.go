package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
	"golang.org/x/mod/sumdb/note"
)

// newRegistry wires a Registry the way lpsed does: the embedded vault, its
// encrypted Documents, and an audit log. The log here keeps its tree in
// memory; lpsed gives it the backend's durable storage.
func newRegistry(ctx context.Context, dir string) (*registry.Registry, *keepLast) {
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	kek, _ := vault.ParseKEK(vault.GenerateKEK())
	keys, err := vault.NewKeyring(ctx, b, kek)
	if err != nil {
		log.Fatal(err)
	}
	skey, _, _ := auditlog.GenerateKey("lpse.example.go.id/log")
	signer, _ := note.NewSigner(skey)
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: auditlog.NewMemoryStorage(),
		Origin: "lpse.example.go.id/log", Signer: signer})
	if err != nil {
		log.Fatal(err)
	}
	k := &keepLast{Log: l}
	r, err := registry.New(registry.Config{
		Records:   b,
		Documents: vault.NewDocuments(b, keys, "registry-documents"),
		Log:       k,
	})
	if err != nil {
		log.Fatal(err)
	}
	return r, k
}

// keepLast is an audit log that remembers the last entry, for the examples.
type keepLast struct {
	*auditlog.Log
	last []byte
}

func (k *keepLast) Append(ctx context.Context, entries ...[]byte) ([]int64, error) {
	k.last = entries[len(entries)-1]
	return k.Log.Append(ctx, entries...)
}

func scan(kind registry.DocumentKind) registry.Document {
	return registry.Document{Kind: kind, Body: strings.NewReader("scan of " + string(kind))}
}

// A provider registers, a verifier checks each original and approves, and
// the provider can then log in and submit.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(dir)
	reg, _ := newRegistry(ctx, dir)

	admin, err := reg.Bootstrap(ctx, registry.Application{Role: registry.RoleAdmin,
		Email: "admin@lpse.example.go.id", Password: "correct horse battery", Name: "Admin LPSE",
		NIK: "3171011203850001", Documents: []registry.Document{scan(registry.DocSuratTugas)}})
	if err != nil {
		log.Fatal(err)
	}
	verifier, _ := reg.Register(ctx, registry.Application{Role: registry.RoleVerifier,
		Email: "verifikator@lpse.example.go.id", Password: "another long passphrase", Name: "Verifikator",
		NIK: "3273015708900002", Documents: []registry.Document{scan(registry.DocSuratTugas)}})
	reg.VerifyDocument(ctx, admin.ID, verifier.ID, registry.DocSuratTugas)
	reg.Approve(ctx, admin.ID, verifier.ID)

	p, err := reg.Register(ctx, registry.Application{
		Role: registry.RoleProvider, Email: "Direktur@CV-Maju.co.id", Password: "kata sandi yang panjang",
		Name: "CV Maju", NIK: "3578022501750003",
		Provider: &registry.Provider{Kind: registry.Company, NPWP: "01.234.567.8-012.000", Licence: "9120001234567"},
		Documents: []registry.Document{scan(registry.DocKTP), scan(registry.DocAktaPendirian),
			scan(registry.DocNPWP), scan(registry.DocIzinUsaha)},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Status, p.Email, p.Provider.NPWP)
	fmt.Println(errors.Is(reg.CanSubmit(ctx, p.ID), registry.ErrNotVerified))

	for _, d := range p.Documents {
		if err := reg.VerifyDocument(ctx, verifier.ID, p.ID, d.Kind); err != nil {
			log.Fatal(err)
		}
	}
	if err := reg.Approve(ctx, verifier.ID, p.ID); err != nil {
		log.Fatal(err)
	}
	u, err := reg.Login(ctx, "direktur@cv-maju.co.id", "kata sandi yang panjang")
	fmt.Println(u.Status, err, reg.CanSubmit(ctx, p.ID))
	// Output:
	// pending direktur@cv-maju.co.id 012345678012000
	// true
	// active <nil> <nil>
}

// LPSE staff never sit on a procurement committee (art. 21.3).
func ExampleRegistry_CheckAssignable() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(dir)
	reg, _ := newRegistry(ctx, dir)
	admin, _ := reg.Bootstrap(ctx, registry.Application{Role: registry.RoleAdmin,
		Email: "admin@lpse.example.go.id", Password: "correct horse battery", Name: "Admin LPSE",
		NIK: "3171011203850001", Documents: []registry.Document{scan(registry.DocSuratTugas)}})

	err := reg.CheckAssignable(ctx, admin.ID, registry.RolePokja)
	fmt.Println(errors.Is(err, registry.ErrSeparationOfDuties))
	// Output: true
}

// A blacklisting for a period: a PA/KPA requests it, a verifier approves
// it, and both are logged without personal data.
func ExampleRegistry_ApproveBlacklist() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(dir)
	reg, l := newRegistry(ctx, dir)
	pass := "kata sandi yang panjang"
	admin, _ := reg.Bootstrap(ctx, registry.Application{Role: registry.RoleAdmin, Email: "admin@lpse.example.go.id",
		Password: pass, Name: "Admin", NIK: "3171011203850001", Documents: []registry.Document{scan(registry.DocSuratTugas)}})
	active := func(app registry.Application, by string) registry.User {
		u, err := reg.Register(ctx, app)
		if err != nil {
			log.Fatal(err)
		}
		for _, d := range u.Documents {
			reg.VerifyDocument(ctx, by, u.ID, d.Kind)
		}
		if err := reg.Approve(ctx, by, u.ID); err != nil {
			log.Fatal(err)
		}
		return u
	}
	v := active(registry.Application{Role: registry.RoleVerifier, Email: "v@lpse.example.go.id", Password: pass,
		Name: "V", NIK: "3273015708900002", Documents: []registry.Document{scan(registry.DocSuratTugas)}}, admin.ID)
	pa := active(registry.Application{Role: registry.RolePAKPA, Email: "kpa@pemkot.example.go.id", Password: pass,
		Name: "KPA", NIK: "3578022501750003", Documents: []registry.Document{scan(registry.DocSuratTugas)}}, v.ID)
	p := active(registry.Application{Role: registry.RoleProvider, Email: "budi@contoh.co.id", Password: pass,
		Name: "Budi", NIK: "5171034410880004",
		Provider:  &registry.Provider{Kind: registry.Individual, NPWP: "5171034410880004"},
		Documents: []registry.Document{scan(registry.DocKTP), scan(registry.DocNPWP)}}, v.ID)

	until := time.Now().Add(365 * 24 * time.Hour)
	req, err := reg.RequestBlacklist(ctx, pa.ID, p.ID, "wanprestasi kontrak 2026/17", until)
	if err != nil {
		log.Fatal(err)
	}
	err = reg.ApproveBlacklist(ctx, v.ID, req.ID)
	fmt.Println(err, errors.Is(reg.CanSubmit(ctx, p.ID), registry.ErrBlacklisted))

	e := l.last
	fmt.Println(l.Size(), bytes.Contains(e, []byte("Budi")), strings.SplitN(string(e), "\n", 2)[0])
	// Output:
	// <nil> true
	// 15 false segel-entry/v1 user-deactivated
}

func ExampleNormalizeNPWP() {
	fmt.Println(registry.NormalizeNPWP("01.234.567.8-012.000"))
	_, err := registry.NormalizeNPWP("01-234-567-8.012.000")
	fmt.Println(errors.Is(err, registry.ErrInvalid))
	// Output:
	// 012345678012000 <nil>
	// true
}

func ExampleCheckNIK() {
	fmt.Println(registry.CheckNIK("3273015708900002"))                                 // a woman born 17 August 1990
	fmt.Println(errors.Is(registry.CheckNIK("3171013102850001"), registry.ErrInvalid)) // 31 February
	// Output:
	// <nil>
	// true
}

func ExampleNormalizeEmail() {
	fmt.Println(registry.NormalizeEmail(" Budi.Santoso@Contoh.CO.ID "))
	// Output: budi.santoso@contoh.co.id <nil>
}

// A pokja member registers its own opening key: the registry encrypts a
// challenge to the public key, the member's tool decrypts it with the
// secret key, which never leaves the member's device, and only then is the
// key recorded and logged.
func ExampleRegistry_RegisterKey() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(dir)
	reg, l := newRegistry(ctx, dir)
	pass := "kata sandi yang panjang"
	admin, _ := reg.Bootstrap(ctx, registry.Application{Role: registry.RoleAdmin, Email: "admin@lpse.example.go.id",
		Password: pass, Name: "Admin", NIK: "3171011203850001", Documents: []registry.Document{scan(registry.DocSuratTugas)}})
	pokja, _ := reg.Register(ctx, registry.Application{Role: registry.RolePokja, Email: "pokja@pemkot.example.go.id",
		Password: pass, Name: "Anggota Pokja", NIK: "3273015708900002", Documents: []registry.Document{scan(registry.DocSuratTugas)}})
	v, _ := reg.Register(ctx, registry.Application{Role: registry.RoleVerifier, Email: "v@lpse.example.go.id",
		Password: pass, Name: "V", NIK: "3578022501750003", Documents: []registry.Document{scan(registry.DocSuratTugas)}})
	reg.VerifyDocument(ctx, admin.ID, v.ID, registry.DocSuratTugas)
	reg.Approve(ctx, admin.ID, v.ID)
	reg.VerifyDocument(ctx, v.ID, pokja.ID, registry.DocSuratTugas)
	reg.Approve(ctx, v.ID, pokja.ID)

	// On the member's device: segel keygen, or age's own.
	key, _ := age.GenerateHybridIdentity()

	ch, err := reg.ChallengeKey(ctx, pokja.ID, key.Recipient().String())
	if err != nil {
		log.Fatal(err)
	}
	answer, err := member.AnswerKeyChallenge(ch.File, key) // on the member's device
	if err != nil {
		log.Fatal(err)
	}
	k, err := reg.RegisterKey(ctx, pokja.ID, answer)
	fmt.Println(err, k.KeyID == sealer.KeyID(key.Recipient()))
	fmt.Println(strings.SplitN(string(l.last), "\n", 2)[0])
	// Output:
	// <nil> true
	// segel-entry/v1 committee-key-registered
}
