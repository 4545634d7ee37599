package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
	"golang.org/x/mod/sumdb/note"
)

// TestHelpdesk checks each of the helpdesk's questions against what a
// real registry decides, on both backends, for every role and for
// accounts pending, deactivated and unknown.
func TestHelpdesk(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) vault.Backend{
		"embedded": func(t *testing.T) vault.Backend {
			b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		"postgres": func(t *testing.T) vault.Backend {
			b, err := vault.OpenPostgres(t.Context(), vault.PostgresConfig{DSN: vaulttest.PostgresDSN(t)})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	} {
		t.Run(name, func(t *testing.T) {
			b := open(t)
			t.Cleanup(func() { b.Close() })
			testHelpdesk(t, b)
		})
	}
}

func testHelpdesk(t *testing.T, b vault.Backend) {
	ctx := t.Context()
	reg := newRegistry(t, b)
	u := accounts(t, ctx, reg)
	h := NewHelpdesk(reg)
	for _, tt := range []struct {
		user         string
		staff, users error // nil: accepted
	}{
		{u["admin"], nil, nil},
		{u["verifier"], nil, nil},
		{u["provider"], registry.ErrRoleMismatch, nil},
		{u["pa-kpa"], registry.ErrRoleMismatch, nil},
		{u["pokja"], registry.ErrRoleMismatch, nil},
		{u["ppk"], registry.ErrRoleMismatch, nil},
		{u["auditor"], registry.ErrRoleMismatch, registry.ErrRoleMismatch},
		{u["pejabat-pengadaan"], registry.ErrRoleMismatch, registry.ErrRoleMismatch},
		{u["pending provider"], registry.ErrRoleMismatch, registry.ErrNotVerified},
		{u["pending pokja"], registry.ErrRoleMismatch, registry.ErrNotVerified},
		{u["deactivated provider"], registry.ErrRoleMismatch, registry.ErrDeactivated},
		{u["deactivated pokja"], registry.ErrRoleMismatch, registry.ErrDeactivated},
		{u["deactivated verifier"], registry.ErrDeactivated, registry.ErrDeactivated},
		{"u-nobody", registry.ErrUnknownUser, registry.ErrUnknownUser},
	} {
		who := tt.user
		for k, v := range u {
			if v == tt.user {
				who = k
			}
		}
		for _, q := range []struct {
			name string
			err  error
			want error
		}{
			{"CheckStaff", h.CheckStaff(ctx, tt.user), tt.staff},
			{"CheckUser", h.CheckUser(ctx, tt.user), tt.users},
		} {
			if q.want == nil && q.err != nil || q.want != nil && !errors.Is(q.err, q.want) {
				t.Errorf("%s(%s) = %v, want %v", q.name, who, q.err, q.want)
			}
		}
	}
}

func newRegistry(t *testing.T, b vault.Backend) *registry.Registry {
	t.Helper()
	ctx := t.Context()
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := vault.NewKeyring(ctx, b, kek)
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := auditlog.GenerateKey("lpse.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: b.AuditLog("main"), Origin: "lpse.test/log", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.New(registry.Config{Records: b, Documents: vault.NewDocuments(b, keys, "docs"), Log: l,
		Password: registry.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// accounts registers one account of each role, active, and some pending
// or deactivated, and returns their ids by description.
func accounts(t *testing.T, ctx context.Context, reg *registry.Registry) map[string]string {
	t.Helper()
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
	register := func(role registry.Role) registry.User {
		u, err := reg.Register(ctx, app(role))
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	approve := func(u registry.User, reviewer string) string {
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
	ids := map[string]string{"admin": admin.ID}
	ids["verifier"] = approve(register(registry.RoleVerifier), admin.ID)
	v := ids["verifier"]
	for _, role := range []registry.Role{registry.RoleProvider, registry.RolePAKPA, registry.RolePokja, registry.RolePPK, registry.RoleAuditor, registry.RolePejabatPengadaan} {
		ids[string(role)] = approve(register(role), v)
	}
	ids["pending provider"] = register(registry.RoleProvider).ID
	ids["pending pokja"] = register(registry.RolePokja).ID
	for _, k := range []struct {
		name, by string
		role     registry.Role
	}{
		{"deactivated provider", v, registry.RoleProvider},
		{"deactivated pokja", v, registry.RolePokja},
		{"deactivated verifier", admin.ID, registry.RoleVerifier},
	} {
		ids[k.name] = approve(register(k.role), k.by)
		if err := reg.Deactivate(ctx, k.by, ids[k.name], registry.Sanction{Reason: "pelanggaran"}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}
