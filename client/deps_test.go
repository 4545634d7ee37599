package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps storage out of the client: a bidder's tool built
// on it must not carry Segel's vault, engines or database drivers.
func TestDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, ban := range []string{"github.com/segel-lpse/segel/vault", "github.com/segel-lpse/segel/tender",
			"github.com/segel-lpse/segel/registry", "github.com/segel-lpse/segel/server", "database/sql"} {
			if dep == ban || strings.HasPrefix(dep, ban+"/") {
				t.Errorf("client depends on %s", dep)
			}
		}
	}
}
