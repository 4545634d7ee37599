// Package portal is the LPSE web portal (doc/spec/portal.md).
//
// Site is the pages: server-rendered html/template pages for the public,
// providers, LPSE staff, officials and auditors, in Bahasa Indonesia by
// default and English on a switch, with small plain scripts. Every page
// is a client of the JSON API (package client over an in-process
// transport, with the signed-in visitor's token), so a page can do
// nothing the API does not allow; sessions are API tokens in a Secure,
// HttpOnly, SameSite=Strict cookie; every form carries a CSRF token bound
// to the session; every page has a strict Content-Security-Policy.
//
// The static files are what everything in the browser rests on: Go's
// WebAssembly loader wasm_exec.js, segel.wasm (package wasmapi compiled
// from portal/wasm) and its loader segel.js, which seal and verify in the
// browser, and the pages' own scripts and style — served under
// StaticPrefix with their Subresource Integrity digests, and named all
// together by the build digest.
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
// "wasm_exec.js", and the pages' scripts and style.
func Files() fs.FS {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic(err)
	}
	return sub
}
