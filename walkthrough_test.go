package segel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/internal/apitest"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
)

// walkthroughURL is the server URL doc/api.md uses; the test puts its
// own server's in its place.
const walkthroughURL = "http://127.0.0.1:8080"

// A block is a fenced code block of doc/api.md.
type block struct {
	lang, text string
	line       int
}

var fence = regexp.MustCompile("(?m)^```([a-z]*)\n")

// blocks returns the sh and json blocks of a Markdown document, in order.
func blocks(doc string) ([]block, error) {
	var out []block
	for rest, off := doc, 0; ; {
		m := fence.FindStringSubmatchIndex(rest)
		if m == nil {
			return out, nil
		}
		lang := rest[m[2]:m[3]]
		body := rest[m[1]:]
		end := strings.Index(body, "\n```")
		if end < 0 {
			return nil, fmt.Errorf("line %d: a fenced block is not closed", 1+strings.Count(doc[:off+m[0]], "\n"))
		}
		if lang == "sh" || lang == "json" {
			out = append(out, block{lang: lang, text: body[:end+1], line: 2 + strings.Count(doc[:off+m[0]], "\n")})
		}
		adv := m[1] + end + len("\n```")
		rest, off = rest[adv:], off+adv
	}
}

// TestWalkthrough runs doc/api.md: every sh block, in order, in one bash
// session against a fresh server, whose every answer is also checked
// against its OpenAPI document; each json block must match what the sh
// block before it printed: the same fields, and the same values except
// where the page writes "…". It needs bash, curl, jq and coreutils;
// without them it skips loudly, unless SEGEL_REQUIRE_WALKTHROUGH is set
// (as .ci/run sets it).
func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a tender in real time (~1 min)")
	}
	for _, tool := range []string{"bash", "curl", "jq", "base64", "date", "tar", "sha256sum", "stat", "cmp"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SEGEL_REQUIRE_WALKTHROUGH") != "" {
				t.Fatalf("doc/api.md needs %s, which is missing", tool)
			}
			t.Skipf("SKIPPING doc/api.md: no %s (install curl and jq, or set SEGEL_REQUIRE_WALKTHROUGH to make this a failure)", tool)
		}
	}
	doc, err := os.ReadFile("doc/api.md")
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blocks(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "segel"), "./cmd/segel").CombinedOutput(); err != nil {
		t.Fatalf("building segel: %v\n%s", err, out)
	}

	ctx := context.Background()
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.Build(ctx, server.Config{Backend: b, KEK: kek, Name: "lpse.example.go.id", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(apitest.Handler(t, s.Handler()))
	t.Cleanup(ts.Close)

	// One script: each sh block's output goes to its own file, and a
	// marker says which block ran last.
	work := t.TempDir()
	var script strings.Builder
	fmt.Fprintf(&script, "set -euo pipefail\nexport PATH=%s:$PATH\ncd %s\n", strconv.Quote(bin), strconv.Quote(work))
	var shs []int // indexes in bs of the sh blocks
	for i, bl := range bs {
		if bl.lang != "sh" {
			continue
		}
		shs = append(shs, i)
		fmt.Fprintf(&script, "echo %d > .block\n{\n%s} > .out.%d 2> .err.%d\n", i, strings.ReplaceAll(bl.text, walkthroughURL, ts.URL), i, i)
	}
	if len(shs) == 0 || !strings.Contains(bs[shs[0]].text, walkthroughURL) {
		t.Fatalf("doc/api.md: the first sh block must set LPSE=%s, which the test replaces", walkthroughURL)
	}
	script.WriteString("echo done > .block\n")
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, "bash", "-c", script.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	last, _ := os.ReadFile(filepath.Join(work, ".block"))
	if runErr != nil || strings.TrimSpace(string(last)) != "done" {
		i, _ := strconv.Atoi(strings.TrimSpace(string(last)))
		out, _ := os.ReadFile(filepath.Join(work, fmt.Sprintf(".out.%d", i)))
		errs, _ := os.ReadFile(filepath.Join(work, fmt.Sprintf(".err.%d", i)))
		t.Fatalf("doc/api.md:%d: the block failed (%v)\n%s\nstdout:\n%s\nstderr:\n%s%s", bs[i].line, runErr, bs[i].text, out, errs, stderr.Bytes())
	}

	// Every json block matches what the sh block before it printed.
	checked := 0
	for i, bl := range bs {
		if bl.lang != "json" {
			continue
		}
		if i == 0 || bs[i-1].lang != "sh" {
			t.Errorf("doc/api.md:%d: a json block that follows no sh block", bl.line)
			continue
		}
		var want, got any
		if err := json.Unmarshal([]byte(bl.text), &want); err != nil {
			t.Errorf("doc/api.md:%d: not JSON: %v", bl.line, err)
			continue
		}
		out, err := os.ReadFile(filepath.Join(work, fmt.Sprintf(".out.%d", i-1)))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Errorf("doc/api.md:%d: the block before printed no single JSON value (%v):\n%s", bl.line, err, out)
			continue
		}
		for _, d := range match(want, got, "") {
			t.Errorf("doc/api.md:%d: %s\nthe block printed:\n%s", bl.line, d, out)
		}
		checked++
	}
	t.Logf("doc/api.md: %d sh blocks ran, %d answers matched", len(shs), checked)
}

// match compares a documented answer with a real one: "…" stands for
// any value; objects must have the same fields.
func match(want, got any, path string) []string {
	if want == "…" {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", cmpPath(path), got)}
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if _, ok := g[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s: documented, but not in the answer", cmpPath(path), k))
				continue
			}
			out = append(out, match(w[k], g[k], path+"."+k)...)
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s: in the answer, but not documented", cmpPath(path), k))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want a list of %d", cmpPath(path), got, len(w))}
		}
		var out []string
		for i := range w {
			out = append(out, match(w[i], g[i], fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s: got %v, documented %v", cmpPath(path), got, want)}
	}
	return nil
}

func cmpPath(p string) string {
	if p == "" {
		return "the answer"
	}
	return strings.TrimPrefix(p, ".")
}
