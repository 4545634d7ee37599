package vault_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/vault"
)

func TestParseKEK(t *testing.T) {
	key := make([]byte, 33)
	for i := range key {
		key[i] = byte(i * 7)
	}
	good := []string{
		hex.EncodeToString(key[:32]),
		strings.ToUpper(hex.EncodeToString(key[:32])),
		base64.StdEncoding.EncodeToString(key[:32]),
		"  " + hex.EncodeToString(key[:32]) + "\n",
		base64.StdEncoding.EncodeToString(key[:32]) + "\r\n",
		vault.GenerateKEK(),
	}
	for _, s := range good {
		if _, err := vault.ParseKEK(s); err != nil {
			t.Errorf("ParseKEK(%q): %v", s, err)
		}
	}
	bad := []string{
		"",
		hex.EncodeToString(key[:31]),
		hex.EncodeToString(key[:33]),
		hex.EncodeToString(key[:32])[1:],
		hex.EncodeToString(key[:32]) + "0",
		base64.StdEncoding.EncodeToString(key[:31]),
		base64.StdEncoding.EncodeToString(key[:33]),
		base64.RawStdEncoding.EncodeToString(key[:32]),
		base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff}),
		"g" + hex.EncodeToString(key[:32])[1:],
		strings.Repeat("=", 44),
		"0123456789abcdef0123456789abcdef", // 16 bytes
	}
	for _, s := range bad {
		if _, err := vault.ParseKEK(s); err == nil {
			t.Errorf("ParseKEK(%q) succeeded", s)
		} else if !strings.HasPrefix(err.Error(), "vault: key-encryption key") {
			t.Errorf("ParseKEK(%q) error %q lacks context", s, err)
		}
	}
	if a, b := vault.GenerateKEK(), vault.GenerateKEK(); a == b {
		t.Errorf("GenerateKEK returned the same key twice")
	}
}

func TestLoadKEKFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "kek")
	if err := os.WriteFile(p, []byte(vault.GenerateKEK()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := vault.LoadKEKFile(p); err != nil {
		t.Errorf("LoadKEKFile: %v", err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, []byte(strings.Repeat(" ", 2000)), 0o600)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("abcd"), 0o600)
	for _, p := range []string{big, short, filepath.Join(dir, "missing")} {
		if _, err := vault.LoadKEKFile(p); err == nil {
			t.Errorf("LoadKEKFile(%s) succeeded", filepath.Base(p))
		}
	}
}

// TestWrongKEK checks that a KEK other than the deployment's is refused
// with a message that says so and does not read like data loss, while
// errors.Is(err, vault.ErrCorrupt) still holds for callers that branch.
func TestWrongKEK(t *testing.T) {
	ctx := t.Context()
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	kek, _ := vault.ParseKEK(vault.GenerateKEK())
	other, _ := vault.ParseKEK(vault.GenerateKEK())
	if _, err := vault.NewKeyring(ctx, b, kek); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"NewKeyring": func() error { _, err := vault.NewKeyring(ctx, b, other); return err }(),
		"RewrapKEK":  vault.RewrapKEK(ctx, b, other, kek),
	} {
		if !errors.Is(err, vault.ErrCorrupt) {
			t.Errorf("%s with another KEK: err = %v, want ErrCorrupt", name, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "wrong KEK? (the data is intact") || strings.Contains(msg, "corrupt") {
			t.Errorf("%s with another KEK: %q, want it to say wrong KEK, data intact, and not corrupt", name, msg)
		}
	}
}
