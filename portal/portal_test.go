package portal_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/segel-lpse/segel/portal"
)

// TestDigest checks the build digest against a vector made with
// coreutils: (sha256sum a.js b/c.txt) | sha256sum.
func TestDigest(t *testing.T) {
	fsys := fstest.MapFS{"b/c.txt": {Data: []byte("hello\n")}, "a.js": {Data: nil}}
	m, err := portal.Manifest(fsys)
	if err != nil {
		t.Fatal(err)
	}
	wantManifest := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.js\n" +
		"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  b/c.txt\n"
	if string(m) != wantManifest {
		t.Errorf("Manifest =\n%s\nwant\n%s", m, wantManifest)
	}
	d, err := portal.Digest(fsys)
	if want := "af5bc0ee487dd90fcd6b71626e1eda5f2a67a6d47e98183c28032a96dcecdfa3"; err != nil || d != want {
		t.Errorf("Digest = %s, %v; want %s", d, err, want)
	}
	// Files are ordered bytewise, not by path components: "a.js" <
	// "a/b" < "a0" as strings.
	fsys = fstest.MapFS{"a0": {}, "a/b": {}, "a.js": {}}
	m, _ = portal.Manifest(fsys)
	if i, j, k := bytes.Index(m, []byte("  a.js\n")), bytes.Index(m, []byte("  a/b\n")), bytes.Index(m, []byte("  a0\n")); i < 0 || !(i < j && j < k) {
		t.Errorf("Manifest order:\n%s", m)
	}
}

// TestBuildDigest checks that the digest of what the binary serves is
// that of the source directory, and that sha256sum agrees with the
// manifest of the real files.
func TestBuildDigest(t *testing.T) {
	src, err := portal.Digest(os.DirFS("static"))
	if err != nil {
		t.Fatal(err)
	}
	if got := portal.BuildDigest(); got != src {
		t.Errorf("BuildDigest = %s, the source's static files give %s", got, src)
	}
	// doc/spec/portal.md's command, verbatim.
	const pipeline = `find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum | sha256sum`
	for _, tool := range []string{"sh", "find", "sed", "sort", "xargs", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s to run the documented command with", tool)
		}
	}
	cmd := exec.Command("sh", "-c", pipeline)
	cmd.Dir = "static"
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSuffix(string(out), "  -\n"); got != src {
		t.Errorf("%s prints %q, Digest is %s", pipeline, out, src)
	}
}

func TestIntegrity(t *testing.T) {
	for _, name := range []string{"segel.js", "segel.wasm", "wasm_exec.js"} {
		b, err := fs.ReadFile(portal.Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha512.Sum384(b)
		want := "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
		if got, ok := portal.Integrity(name); !ok || got != want {
			t.Errorf("Integrity(%s) = %s, %v; want %s", name, got, ok, want)
		}
	}
	if v, ok := portal.Integrity("nope.js"); ok || v != "" {
		t.Errorf("Integrity(nope.js) = %q, %v", v, ok)
	}
}

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func TestHandler(t *testing.T) {
	h := portal.Handler()
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm", ".css": "text/css; charset=utf-8"}
	err := fs.WalkDir(portal.Files(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		want, _ := fs.ReadFile(portal.Files(), name)
		resp := get(t, h, "GET", portal.StaticPrefix+name, nil)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("GET %s: %s, %d bytes, encoding %q", name, resp.Status, len(body), resp.Header.Get("Content-Encoding"))
		}
		ct, ok := types[path.Ext(name)]
		if !ok {
			t.Errorf("%s: no media type for %s files: add it to contentTypes", name, path.Ext(name))
		}
		for k, v := range map[string]string{"Content-Type": ct, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache", "Vary": "Accept-Encoding"} {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("GET %s: %s: %q, want %q", name, k, got, v)
			}
		}
		etag := resp.Header.Get("ETag")

		resp = get(t, h, "GET", portal.StaticPrefix+name, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
		zr, err := gzip.NewReader(resp.Body)
		if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("GET %s with gzip: encoding %q, %v", name, resp.Header.Get("Content-Encoding"), err)
		}
		body, _ = io.ReadAll(zr)
		if !bytes.Equal(body, want) || resp.Header.Get("ETag") == etag || resp.Header.Get("Content-Type") != ct {
			t.Errorf("GET %s with gzip: %d bytes decoded, ETag %s (identity: %s)", name, len(body), resp.Header.Get("ETag"), etag)
		}
		if resp := get(t, h, "GET", portal.StaticPrefix+name, map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %s, want 304", name, resp.Status)
		}
		if resp := get(t, h, "HEAD", portal.StaticPrefix+name, nil); resp.StatusCode != 200 || resp.ContentLength != int64(len(want)) {
			t.Errorf("HEAD %s: %s, length %d", name, resp.Status, resp.ContentLength)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, path string
		code         int
	}{
		{"POST", portal.StaticPrefix + "segel.js", http.StatusMethodNotAllowed},
		{"GET", portal.StaticPrefix + "nope.js", http.StatusNotFound},
		{"GET", portal.StaticPrefix, http.StatusNotFound},
		{"GET", portal.StaticPrefix + "../portal.go", http.StatusNotFound},
		{"GET", "/elsewhere/segel.js", http.StatusNotFound},
	} {
		if resp := get(t, h, tt.method, tt.path, nil); resp.StatusCode != tt.code {
			t.Errorf("%s %s: %s, want %d", tt.method, tt.path, resp.Status, tt.code)
		}
	}
	if resp := get(t, h, "POST", portal.StaticPrefix+"segel.js", nil); resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("405 without Allow: %v", resp.Header)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                     false,
		"gzip":                 true,
		"GZIP":                 true,
		"br, gzip, deflate":    true,
		"gzip;q=0":             false,
		"gzip; q=0.000":        false,
		"gzip;q=0.001":         true,
		"*":                    true,
		"*;q=0":                false,
		"*, gzip;q=0":          false,
		"gzip;q=0, *":          false,
		"br":                   false,
		"identity":             false,
		"x-gzip":               true,
		"deflate, *;q=0.1":     true,
		"gzip;q=1.0, identity": true,
	} {
		if got := portal.AcceptsGzip(header); got != want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}
