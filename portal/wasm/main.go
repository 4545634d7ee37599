//go:build js && wasm

// Command wasm is the portal's WebAssembly build (portal/static/segel.wasm):
// package wasmapi bound to JavaScript. It sets one global object, segel,
// whose methods return promises; doc/spec/portal.md specifies them. Build
// it with go generate ./portal, never by hand: the committed file must be
// what the pinned toolchain makes of the source.
package main

import (
	"runtime"
	"syscall/js"

	"github.com/segel-lpse/segel/timelock"
)

// apiVersion is the version of the JavaScript interface: it changes when
// a method changes in a way a page's code must follow.
const apiVersion = 1

func main() {
	segel := js.Global().Get("Object").New()
	segel.Set("version", toJS(map[string]any{"api": apiVersion, "go": runtime.Version()}))
	segel.Set("quicknet", string(timelock.Quicknet.MarshalInfo()))
	for name, f := range map[string]func(args []js.Value) (any, error){
		"checkTender":     checkTender,
		"seal":            seal,
		"inspect":         inspect,
		"verifyReceipt":   verifyReceipt,
		"verifyProofFile": verifyProofFile,
		"verifyBundle":    verifyBundle,
		"checkFile":       checkFile,
		"generateKey":     generateKey,
		"answerChallenge": answerChallenge,
		"contribute":      contribute,
	} {
		segel.Set(name, asyncFunc(f))
	}
	js.Global().Set("segel", segel)
	select {}
}
