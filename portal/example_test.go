package portal_test

import (
	"fmt"
	"testing/fstest"

	"github.com/segel-lpse/segel/portal"
)

// The digest is what sha256sum makes of its own output:
//
//	sha256sum segel.js segel.wasm | sha256sum
func ExampleDigest() {
	served := fstest.MapFS{
		"segel.js":   {Data: []byte("// loader\n")},
		"segel.wasm": {Data: []byte("\x00asm\x01\x00\x00\x00")},
	}
	m, _ := portal.Manifest(served)
	d, _ := portal.Digest(served)
	fmt.Printf("%s%s\n", m, d)
	// Output:
	// 71f8b0d38e2fda2916610bb08a12d7d69b6b56b28df34f9b58fde3351cd4eed7  segel.js
	// 93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476  segel.wasm
	// f231c30e63701b6ae051ed36e8fdb581cf0e9852565b9857e884c118d768cbb2
}

func ExampleIntegrity() {
	v, ok := portal.Integrity("segel.wasm")
	fmt.Println(ok, v[:7], len(v))
	// Output: true sha384- 71
}
