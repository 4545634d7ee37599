// Package portal is the server side of the LPSE web portal. Today it
// holds what everything in the browser rests on: the static files that
// seal and verify in the browser — Go's WebAssembly loader wasm_exec.js,
// segel.wasm (package wasmapi compiled from portal/wasm) and its loader
// segel.js — served under StaticPrefix with their Subresource Integrity
// digests, and the build digest that names them all
// (doc/spec/portal.md).
//
// The generated files are committed, and a fresh clone gets the same
// bytes: go generate ./portal rebuilds them with the toolchain named in
// internal/genstatic, and CI fails on any difference.
package portal

import (
	"embed"
	"io/fs"
)

//go:generate go run ./internal/genstatic

//go:embed static
var embedded embed.FS

// StaticPrefix is the URL path under which Handler serves the files.
const StaticPrefix = "/portal/static/"

// Files returns the static files, as served: "segel.js", "segel.wasm",
// "wasm_exec.js".
func Files() fs.FS {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic(err)
	}
	return sub
}
