// Command genstatic builds the portal's generated static files
// reproducibly, with the pinned Go toolchain: portal/static/segel.wasm from
// portal/wasm, and portal/static/wasm_exec.js from that toolchain. Anyone
// with the source gets the same bytes (doc/spec/portal.md, "Reproducible
// build").
//
//	go generate ./portal                          write the files
//	go run ./portal/internal/genstatic -check     rebuild, fail on any difference (CI)
//	go run ./portal/internal/genstatic -digest    print the build digest of the source (and its
//	                                              manifest, on standard error)
//
// The build runs go build with GOTOOLCHAIN set to Toolchain, so the go
// command fetches that exact release if the local one differs (or says it
// cannot), with -trimpath, no VCS stamping, no build id, and no
// environment (GOFLAGS, GOWASM, GOEXPERIMENT) that could change the output.
package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/segel-lpse/segel/portal"
)

// Toolchain is the Go release that builds the committed files. Changing
// it changes segel.wasm and wasm_exec.js: regenerate and commit them in
// the same change.
const Toolchain = "go1.26.8"

const (
	pkg       = "github.com/segel-lpse/segel/portal"
	wasmPkg   = pkg + "/wasm"
	wasmFile  = "segel.wasm"
	execFile  = "wasm_exec.js"
	regenHint = "go generate ./portal"
)

func main() {
	check := flag.Bool("check", false, "rebuild into a temporary directory and fail if the committed files differ")
	digest := flag.Bool("digest", false, "rebuild into a temporary directory and print the build digest of the static files")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: genstatic [-check | -digest]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 || *check && *digest {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*check, *digest); err != nil {
		fmt.Fprintf(os.Stderr, "genstatic: %v\n", err)
		os.Exit(1)
	}
}

func run(check, digest bool) error {
	static, err := staticDir()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "genstatic-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	built, err := build(tmp)
	if err != nil {
		return err
	}
	rel := func(name string) string { return "portal/static/" + name }
	switch {
	case check:
		var bad []string
		for _, name := range []string{wasmFile, execFile} {
			committed, err := os.ReadFile(filepath.Join(static, name))
			if errors.Is(err, fs.ErrNotExist) {
				bad = append(bad, fmt.Sprintf("%s is missing", rel(name)))
				continue
			} else if err != nil {
				return err
			}
			if !bytes.Equal(committed, built[name]) {
				bad = append(bad, fmt.Sprintf("%s differs from a fresh build of the source (committed: %d bytes, SHA-256 %x; built: %d bytes, SHA-256 %x)",
					rel(name), len(committed), sha256.Sum256(committed), len(built[name]), sha256.Sum256(built[name])))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("%s\nregenerate with `%s` (Go %s) and commit the result", strings.Join(bad, "\n"), regenHint, Toolchain)
		}
		fmt.Printf("genstatic: %s and %s are what %s builds from the source\n", rel(wasmFile), rel(execFile), Toolchain)
		return nil
	case digest:
		// The served files: the generated ones as built, the others
		// (segel.js) from the source tree.
		m := fstest.MapFS{}
		err := fs.WalkDir(os.DirFS(static), ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(filepath.Join(static, filepath.FromSlash(name)))
			m[name] = &fstest.MapFile{Data: b}
			return err
		})
		if err != nil {
			return err
		}
		for name, b := range built {
			m[name] = &fstest.MapFile{Data: b}
		}
		man, err := portal.Manifest(m)
		if err != nil {
			return err
		}
		d, err := portal.Digest(m)
		if err != nil {
			return err
		}
		// The manifest on stderr, to compare file by file with what a
		// deployment serves; the digest alone on stdout.
		os.Stderr.Write(man)
		fmt.Println(d)
		return nil
	}
	for name, b := range built {
		if err := os.WriteFile(filepath.Join(static, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// staticDir returns the source directory of portal/static.
func staticDir() (string, error) {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		return "", fmt.Errorf("finding %s: %v%s", pkg, err, stderr(err))
	}
	return filepath.Join(strings.TrimSpace(string(out)), "static"), nil
}

// build builds segel.wasm into dir with the pinned toolchain and returns
// it with that toolchain's wasm_exec.js.
func build(dir string) (map[string][]byte, error) {
	env := pinnedEnv()
	goenv := exec.Command("go", "env", "GOVERSION", "GOROOT")
	goenv.Env = env
	out, err := goenv.Output()
	if err != nil {
		return nil, fmt.Errorf("the portal's WebAssembly is built with %s, and the go command could not switch to it "+
			"(it fetches it from the module proxy unless GOTOOLCHAIN forbids; install %s if this machine is offline): %v%s",
			Toolchain, Toolchain, err, stderr(err))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != Toolchain {
		return nil, fmt.Errorf("go env under GOTOOLCHAIN=%s reports %q, want %s", Toolchain, lines[0], Toolchain)
	}
	goroot := lines[1]
	wasm := filepath.Join(dir, wasmFile)
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", wasm, wasmPkg)
	cmd.Env = append(env, "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %s: %v\n%s", wasmPkg, err, out)
	}
	b, err := os.ReadFile(wasm)
	if err != nil {
		return nil, err
	}
	js, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", execFile))
	if err != nil {
		return nil, fmt.Errorf("%s of %s: %v", execFile, Toolchain, err)
	}
	return map[string][]byte{wasmFile: b, execFile: js}, nil
}

// pinnedEnv is the environment without what could change the build's
// output, and with the pinned toolchain.
func pinnedEnv() []string {
	drop := map[string]bool{"GOFLAGS": true, "GOOS": true, "GOARCH": true, "GOWASM": true, "GOEXPERIMENT": true,
		"CGO_ENABLED": true, "GOTOOLCHAIN": true, "GO111MODULE": true, "GOWORK": true}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	return append(env, "GOTOOLCHAIN="+Toolchain, "GOFLAGS=", "GOWASM=", "GOEXPERIMENT=", "CGO_ENABLED=0", "GO111MODULE=on", "GOWORK=off")
}

func stderr(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return "\n" + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}
