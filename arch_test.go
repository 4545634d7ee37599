package segel_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/segel-lpse/segel"

// The dependency rules of DESIGN.md, as a test. Rules on Segel's own
// packages hold for all dependencies, direct or not; rules on the
// standard library (no HTTP, no SQL) hold for what a package itself
// imports, since timelock's drand beacon legitimately speaks HTTP.
var rules = map[string]struct{ deps, imports []string }{
	"timelock": {deps: []string{module + "/"}},
	"sealer":   {deps: []string{module + "/vault", module + "/registry", module + "/tender", module + "/audit"}, imports: []string{"net/http", "database/sql"}},
	"auditlog": {deps: []string{module + "/"}, imports: []string{"net/http", "database/sql"}},
	"audit":    {deps: []string{module + "/vault", module + "/registry", module + "/tender"}, imports: []string{"net/http", "database/sql"}},
	"registry": {deps: []string{module + "/tender"}, imports: []string{"net/http"}},
	"tender":   {deps: []string{module + "/registry"}, imports: []string{"net/http"}},
}

func TestDependencyRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	for pkg, rule := range rules {
		if _, err := os.Stat(pkg); err != nil {
			continue // not written yet
		}
		out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports", "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list ./%s: %v", pkg, err)
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
			if p.ImportPath == module+"/"+pkg {
				for _, imp := range p.Imports {
					for _, ban := range rule.imports {
						if imp == ban {
							t.Errorf("%s imports %s, which DESIGN.md forbids", pkg, imp)
						}
					}
				}
				continue
			}
			if strings.HasPrefix(p.ImportPath, module+"/internal/") {
				continue // shared encodings, not a layer
			}
			for _, ban := range rule.deps {
				if strings.HasPrefix(p.ImportPath, ban) {
					t.Errorf("%s depends on %s, which DESIGN.md forbids", pkg, p.ImportPath)
				}
			}
		}
	}
}
