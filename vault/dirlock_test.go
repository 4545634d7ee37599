package vault_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/vault"
)

// TestEmbeddedLocksDir: a second OpenEmbedded of a directory fails while
// the first is open, naming the directory and the holder, without
// disturbing the first; after Close it succeeds.
func TestEmbeddedLocksDir(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no flock here: the directory is not locked")
	}
	dir := t.TempDir()
	ctx := t.Context()
	first, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Through another spelling of the same directory, too.
	for _, d := range []string{dir, filepath.Join(dir, "blobs", "..")} {
		second, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: d})
		if err == nil {
			second.Close()
			first.Close()
			t.Fatalf("OpenEmbedded(%s) succeeded while %s is open", d, dir)
		}
		for _, want := range []string{dir, "in use by another process", fmt.Sprintf("pid %d", os.Getpid())} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("second OpenEmbedded(%s): %v; want it to say %q", d, err, want)
			}
		}
	}
	if err := first.Update(ctx, func(tx vault.Tx) error { return tx.Put("t", "k", []byte("v")) }); err != nil {
		t.Fatalf("the first opener after a refused second: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatalf("OpenEmbedded after Close: %v", err)
	}
	defer again.Close()
	var got []byte
	if err := again.View(ctx, func(tx vault.Tx) error { got, err = tx.Get("t", "k"); return err }); err != nil || string(got) != "v" {
		t.Fatalf("reopened: %q, %v; want the first opener's write", got, err)
	}
}
