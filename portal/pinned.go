package portal

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/timelock"
)

// pinnedScript is /portal/pinned.js: the deployment's beacon chain and
// public keys as constants of the pages' code, for sealing
// (segel.checkTender) and verifying (segel.verifyReceipt, verifyBundle)
// in the browser. They are the deployment's configuration, not the
// build's: the same bytes as /v1/chain and /v1/keys, which bidders and
// auditors compare with what the LPSE published (doc/spec/portal.md §7).
// A page never takes the chain or the keys from an API answer.
func pinnedScript(name string, chain, keys []byte) ([]byte, *audit.Trusted, error) {
	c, err := timelock.ParseChainInfo(chain)
	if err != nil {
		return nil, nil, fmt.Errorf("portal: Config.Chain: %w", err)
	}
	trusted, err := audit.ParseTrusted(keys)
	if err != nil {
		return nil, nil, fmt.Errorf("portal: Config.Keys: %w", err)
	}
	if trusted.Chain != c.HashHex() {
		return nil, nil, fmt.Errorf("portal: Config.Keys names chain %s, Config.Chain is %s", trusted.Chain, c.HashHex())
	}
	k, err := json.Marshal(string(keys))
	if err != nil {
		return nil, nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// The beacon chain and the public keys of %s, pinned in the pages' code:\n", name)
	fmt.Fprintf(&b, "// offers are sealed to this chain (%s) and receipts and bundles are\n", c.HashHex())
	fmt.Fprintf(&b, "// verified against these keys, whatever an API answer says.\n")
	fmt.Fprintf(&b, "\"use strict\";\nwindow.segelPinned = Object.freeze({\n\tchain: %s,\n\tkeys: %s,\n});\n", bytes.TrimSpace(c.MarshalInfo()), k)
	return b.Bytes(), trusted, nil
}

func sri(b []byte) string {
	s := sha512.Sum384(b)
	return "sha384-" + base64.StdEncoding.EncodeToString(s[:])
}

func (s *Site) servePinned(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	sum := sha256.Sum256(s.pinned)
	h.Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	http.ServeContent(w, r, "pinned.js", time.Time{}, bytes.NewReader(s.pinned))
}
