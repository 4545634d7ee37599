package directory_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/directory"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
	"golang.org/x/mod/sumdb/note"
)

// backends runs f on the embedded backend and on PostgreSQL.
func backends(t *testing.T, f func(t *testing.T, b vault.Backend)) {
	t.Run("embedded", func(t *testing.T) {
		b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		f(t, b)
	})
	t.Run("postgres", func(t *testing.T) {
		b, err := vault.OpenPostgres(t.Context(), vault.PostgresConfig{DSN: vaulttest.PostgresDSN(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		f(t, b)
	})
}

// people is a registry with the accounts a tender needs.
type people struct {
	reg                          *registry.Registry
	log                          *auditlog.Log
	admin, verifier, kpa, bidder string
	pokja                        []string
}

func newPeople(t *testing.T, b vault.Backend) *people {
	ctx := t.Context()
	kek, _ := vault.ParseKEK(vault.GenerateKEK())
	keys, err := vault.NewKeyring(ctx, b, kek)
	if err != nil {
		t.Fatal(err)
	}
	skey, _, _ := auditlog.GenerateKey("lpse.test/log")
	signer, _ := note.NewSigner(skey)
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: b.AuditLog("main"), Origin: "lpse.test/log", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.New(registry.Config{Records: b, Documents: vault.NewDocuments(b, keys, "docs"), Log: l,
		Password: registry.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	p := &people{reg: reg, log: l}
	nik := 10
	app := func(role registry.Role) registry.Application {
		nik++
		a := registry.Application{Role: role, Email: fmt.Sprintf("u%d@pemkot.go.id", nik), Password: "kata sandi yang panjang",
			Name: fmt.Sprintf("User %d", nik), NIK: fmt.Sprintf("31710112038500%02d", nik),
			Documents: []registry.Document{{Kind: registry.DocSuratTugas, Body: strings.NewReader("sk")}}}
		if role == registry.RoleProvider {
			a.Provider = &registry.Provider{Kind: registry.Individual, NPWP: a.NIK}
			a.Documents = []registry.Document{{Kind: registry.DocKTP, Body: strings.NewReader("ktp")}, {Kind: registry.DocNPWP, Body: strings.NewReader("npwp")}}
		}
		return a
	}
	active := func(role registry.Role, reviewer string) string {
		u, err := reg.Register(ctx, app(role))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range u.Documents {
			if err := reg.VerifyDocument(ctx, reviewer, u.ID, d.Kind); err != nil {
				t.Fatal(err)
			}
		}
		if err := reg.Approve(ctx, reviewer, u.ID); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	admin, err := reg.Bootstrap(ctx, app(registry.RoleAdmin))
	if err != nil {
		t.Fatal(err)
	}
	p.admin = admin.ID
	p.verifier = active(registry.RoleVerifier, p.admin)
	p.kpa = active(registry.RolePAKPA, p.verifier)
	p.bidder = active(registry.RoleProvider, p.verifier)
	for range 3 {
		p.pokja = append(p.pokja, active(registry.RolePokja, p.verifier))
	}
	return p
}

func (p *people) registerKey(t *testing.T, user string) *age.HybridIdentity {
	t.Helper()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := p.reg.ChallengeKey(t.Context(), user, id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	answer, err := member.AnswerKeyChallenge(ch.File, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.reg.RegisterKey(t.Context(), user, answer); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestDirectory checks each answer against what the registry decides.
func TestDirectory(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		ctx := t.Context()
		p := newPeople(t, b)
		d := directory.New(p.reg)
		for _, tc := range []struct {
			name string
			err  error
			want error
		}{
			{"provider may submit", d.CheckProvider(ctx, p.bidder), nil},
			{"pokja may not submit", d.CheckProvider(ctx, p.pokja[0]), registry.ErrRoleMismatch},
			{"pa-kpa role", d.CheckRole(ctx, p.kpa, tender.RolePAKPA), nil},
			{"pokja assignable", d.CheckAssignable(ctx, p.pokja[0], tender.RoleCommittee), nil},
			{"staff never on a committee", d.CheckAssignable(ctx, p.verifier, tender.RoleCommittee), registry.ErrSeparationOfDuties},
			{"nobody", d.CheckProvider(ctx, "u-nobody"), registry.ErrUnknownUser},
		} {
			if tc.want == nil && tc.err != nil || tc.want != nil && !errors.Is(tc.err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
			}
		}

		if _, err := d.Committee(ctx, "T-1"); err == nil || !strings.Contains(err.Error(), "no committee is assigned") {
			t.Errorf("Committee before assignment: %v", err)
		}
		if err := p.reg.AssignCommittee(ctx, p.kpa, "T-1", p.pokja); err != nil {
			t.Fatal(err)
		}
		k0 := p.registerKey(t, p.pokja[0])
		got, err := d.Committee(ctx, "T-1")
		if err != nil {
			t.Fatal(err)
		}
		want := []tender.Member{{User: p.pokja[0], Key: k0.Recipient().String()}, {User: p.pokja[1]}, {User: p.pokja[2]}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Committee = %v, want %v", got, want)
		}
		k0b := p.registerKey(t, p.pokja[0])
		if got, _ := d.Committee(ctx, "T-1"); got[0].Key != k0b.Recipient().String() {
			t.Error("Committee does not give the key in force after a rotation")
		}
	})
}

// TestAnnounceFromRegistry announces a v2 tender whose committee and keys
// come from the registry through the Directory alone: the caller names
// neither.
func TestAnnounceFromRegistry(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		ctx := t.Context()
		p := newPeople(t, b)
		now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		key, _ := timelock.GenerateLocalKey()
		beacon, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: now.Add(-time.Hour), Period: 3 * time.Second,
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		skey, _, _ := auditlog.GenerateKey("lpse.test/reports")
		s, _ := note.NewSigner(skey)
		e, err := tender.New(tender.Config{Records: b, Blobs: b, Log: p.log, ReceiptSigner: s, ReportSigner: s,
			Beacon: beacon, Directory: directory.New(p.reg), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := b.Put(ctx, bytes.NewReader([]byte("dokumen pemilihan")), 1<<10)
		if err != nil {
			t.Fatal(err)
		}
		a := tender.Announcement{ID: "T-2", Title: "Jembatan", Document: doc.Digest, Method: tender.MethodSingleFile,
			Schedule: tender.Schedule{SubmissionStart: now, RegistrationEnd: now.Add(time.Hour), ClarificationEnd: now.Add(time.Hour),
				Deadline: now.Add(2 * time.Hour), Opening: now.Add(3 * time.Hour)}}
		if _, err := e.Announce(ctx, p.pokja[0], a); !errors.Is(err, tender.ErrForbidden) {
			t.Errorf("Announce with no committee assigned: %v, want ErrForbidden", err)
		}
		if err := p.reg.AssignCommittee(ctx, p.kpa, "T-2", p.pokja); err != nil {
			t.Fatal(err)
		}
		for _, m := range p.pokja[:2] {
			p.registerKey(t, m)
		}
		if _, err := e.Announce(ctx, p.pokja[0], a); !errors.Is(err, tender.ErrInvalid) || !strings.Contains(err.Error(), p.pokja[2]) {
			t.Errorf("Announce while %s has no key: %v, want ErrInvalid naming the member", p.pokja[2], err)
		}
		p.registerKey(t, p.pokja[2])
		tn, err := e.Announce(ctx, p.pokja[0], a)
		if err != nil {
			t.Fatal(err)
		}
		if !tn.V2() || len(tn.Members) != 3 || tn.Threshold != 2 {
			t.Errorf("announced %+v, want a v2 tender of 2 of the 3 members", tn)
		}
	})
}
