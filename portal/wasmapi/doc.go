// Package wasmapi is what the portal's WebAssembly build (portal/wasm)
// does in a bidder's or an auditor's browser, without syscall/js, so that
// it is tested natively: check a tender a server published against the
// chain pinned in the page's code, seal a document to it and self-check
// the sealed file, verify a signed receipt and an offer proof file against
// pinned keys, and verify an audit bundle (a tar archive or a directory's
// files) with the same package audit as segel verify, offline.
//
// Its inputs are what a page holds: JSON from the page's code or the
// server, the text of a receipt, files as io.ReaderAt. Its outputs are
// structs whose JSON form is what the page receives. The JavaScript
// interface and what each call checks are specified in doc/spec/portal.md.
//
// Errors wrap ErrInput for what the page gave that cannot be used (bad
// JSON, a target without a committee key), and otherwise the sentinels of
// the packages that checked: sealer.ErrUnsafeTarget, sealer.ErrMalformed,
// auditlog.ErrSignature, audit's *Error naming a bundle's file. Code maps
// an error to the short code the page shows a translated message for.
package wasmapi
