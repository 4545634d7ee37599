package timelock

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoHTTPInOfflinePackages checks DESIGN.md's rule that the packages
// which seal and open files, and verify a tender offline, link no HTTP at
// all, not even through a dependency: drand's HTTP API lives in
// timelock/beaconhttp.
func TestNoHTTPInOfflinePackages(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	const module = "github.com/segel-lpse/segel/"
	for _, pkg := range []string{"timelock", "sealer", "auditlog", "audit"} {
		out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports", module+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		for dec.More() {
			var p struct {
				ImportPath string
				Imports    []string
			}
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			// Name the importer, so a failure says which dependency
			// brought HTTP in.
			if slices.Contains(p.Imports, "net/http") {
				t.Errorf("%s links net/http: %s imports it", pkg, p.ImportPath)
			}
		}
	}
}
