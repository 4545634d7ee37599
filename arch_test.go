package segel_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/segel-lpse/segel"

// rule is one row of DESIGN.md's package table. Packages are the
// packages matched by pattern, listed by go in dir (a module's root,
// relative to this one). A name in imports or deps stands for that
// package and everything under it; a name ending in "/" stands for
// everything under it only.
type rule struct {
	dir, pattern string
	// env is added to go list's environment: GOOS=js GOARCH=wasm for
	// what runs in a browser.
	env []string
	// imports may never appear among what a matched package itself
	// imports, where a dependency may legitimately use them (audit's
	// dependencies may log; tender's callers speak HTTP).
	imports []string
	// deps may never appear among a matched package's dependencies,
	// direct or not, unless allow names them.
	deps, allow []string
	// known are breaches of the rule the tree has today, each with the
	// issue that removes it. An entry that no longer breaches fails the
	// test, so that it is deleted with the breach.
	known map[string]string
}

var drivers = []string{"database/sql", "github.com/jackc/pgx", "github.com/lib/pq", "modernc.org/sqlite", "github.com/mattn/go-sqlite3"}

// browserForbids is what the portal's WebAssembly must not link: an HTTP
// client (the page fetches), storage, and the server side.
var browserForbids = append([]string{"net/http", module + "/vault", module + "/registry", module + "/tender",
	module + "/server", module + "/client", module + "/portal/internal/"}, drivers...)

var rules = []rule{
	// The packages that seal, open and verify offline link no HTTP at
	// all, not even through a dependency: drand's HTTP API is in
	// timelock/beaconhttp.
	{pattern: "./timelock", deps: []string{"net/http", module + "/"}, allow: []string{module + "/internal/"}},
	{pattern: "./timelock/...", deps: []string{module + "/"}, allow: []string{module + "/timelock", module + "/internal/"}},
	{pattern: "./sealer", imports: []string{"database/sql"},
		deps: []string{"net/http", module + "/vault", module + "/registry", module + "/tender", module + "/audit"}},
	{pattern: "./auditlog", deps: []string{"net/http", "database/sql", "log", "log/slog", "flag", module + "/"},
		allow: []string{module + "/auditlog", module + "/internal/canon"}},
	{pattern: "./audit", imports: []string{"database/sql", "log", "log/slog", "flag"},
		deps: []string{"net/http", module + "/"}, allow: []string{module + "/audit", module + "/auditlog", module + "/sealer", module + "/timelock", module + "/internal/canon", module + "/internal/sigcache"}},
	// A committee member's tool, CLI or browser, links no storage and
	// no HTTP: the server's answers are passed to it.
	{pattern: "./member", imports: []string{"database/sql", "log", "log/slog", "flag"},
		deps: append([]string{"net/http", module + "/vault", module + "/registry", module + "/tender", module + "/server", module + "/client"}, drivers...)},
	// The tender ↔ registry adapter speaks no HTTP.
	{pattern: "./directory", imports: []string{"net/http"}},
	{pattern: "./registry", deps: []string{"net/http", module + "/tender", module + "/cmd"}},
	{pattern: "./tender", imports: []string{"net/http"}, deps: []string{module + "/registry"}},
	// Notices and complaints are no tender's: the helpdesk links of ours
	// only the log, the vault and internal rules, stores only through
	// the vault, and asks its own Directory about users.
	{pattern: "./helpdesk", imports: []string{"database/sql"},
		deps: []string{"net/http", module + "/"}, allow: []string{module + "/helpdesk", module + "/auditlog", module + "/vault", module + "/internal/"}},
	// The wire: what a program speaking the API needs, and nothing of
	// Segel's storage or HTTP stack (DESIGN.md: "wire types … must not
	// import storage").
	{pattern: "./api", deps: append([]string{"net/http", module + "/"}, drivers...), allow: []string{module + "/api"}},
	{pattern: "./client", deps: append([]string{module + "/vault", module + "/tender", module + "/registry", module + "/server"}, drivers...)},
	// lpsed is flags and library calls: it imports no database driver
	// and runs no SQL; backup, restore and their verification are vault
	// operations.
	{pattern: "./cmd/lpsed", imports: drivers},
	// What the portal's WebAssembly runs in a browser: sealing and
	// verifying offline, no HTTP client (the page fetches), no storage.
	{pattern: "./portal", deps: append([]string{module + "/vault", module + "/registry", module + "/tender"}, drivers...)},
	{pattern: "./portal/wasmapi", deps: browserForbids},
	{pattern: "./portal/wasm", env: []string{"GOOS=js", "GOARCH=wasm"}, deps: browserForbids},
	{pattern: "./examples/...", imports: []string{module + "/internal"}},
	{dir: "bench", pattern: "./...", imports: []string{module + "/internal"}},
}

// under reports whether path is name or, unless name ends in "/", a
// package below it.
func under(path, name string) bool {
	if strings.HasSuffix(name, "/") {
		return strings.HasPrefix(path, name)
	}
	return path == name || strings.HasPrefix(path, name+"/")
}

func anyUnder(path string, names []string) bool {
	return slices.ContainsFunc(names, func(name string) bool { return under(path, name) })
}

// TestDependencyRules is the package table of DESIGN.md as a test. It
// never skips: a package it names that is missing (renamed, moved)
// fails it, as does a forbidden import.
func TestDependencyRules(t *testing.T) {
	for _, r := range rules {
		t.Run(strings.TrimPrefix(r.dir+"/"+r.pattern, "/"), func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,DepOnly", r.pattern)
			cmd.Dir = r.dir
			cmd.Env = append(os.Environ(), r.env...)
			out, err := cmd.Output()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("go list %s: %v\n%s", r.pattern, err, ee.Stderr)
			} else if err != nil {
				t.Fatalf("go list %s: %v", r.pattern, err)
			}
			var matched []string
			seen := map[string]bool{} // known breaches that still occur
			check := func(pkg, dep, how string) {
				if _, ok := r.known[dep]; ok {
					seen[dep] = true
					return
				}
				t.Errorf("%s %s %s, which DESIGN.md forbids", pkg, how, dep)
			}
			var deps []string
			dec := json.NewDecoder(strings.NewReader(string(out)))
			for {
				var p struct {
					ImportPath string
					Imports    []string
					DepOnly    bool
				}
				if err := dec.Decode(&p); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				if p.DepOnly {
					deps = append(deps, p.ImportPath)
					continue
				}
				matched = append(matched, p.ImportPath)
				for _, imp := range p.Imports {
					if anyUnder(imp, r.imports) {
						check(p.ImportPath, imp, "imports")
					}
				}
			}
			if len(matched) == 0 {
				t.Fatalf("%s matches no package: update the rules with the package table of DESIGN.md", r.pattern)
			}
			for _, dep := range deps {
				if anyUnder(dep, r.deps) && !anyUnder(dep, r.allow) && !slices.Contains(matched, dep) {
					check(r.pattern, dep, "depends on")
				}
			}
			for dep, why := range r.known {
				if !seen[dep] {
					t.Errorf("%s no longer breaks its rule with %s (%s): delete the known exception", r.pattern, dep, why)
				}
			}
		})
	}
}
