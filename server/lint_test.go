package server_test

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// redocly is the OpenAPI linter the document must pass, pinned.
const redocly = "@redocly/cli@2.77.0"

// TestOpenAPILint writes the document a deployment serves and lints it
// with Redocly CLI under the repository's redocly.yaml (its rules, and
// why, are in that file). It needs npx (Node.js), and the network the
// first time npx fetches the linter. Without npx, or with -short, it
// skips loudly, unless SEGEL_REQUIRE_LINT is set, as .ci/run sets it:
// then it fails.
func TestOpenAPILint(t *testing.T) {
	required := os.Getenv("SEGEL_REQUIRE_LINT") != ""
	npx, err := exec.LookPath("npx")
	switch {
	case err != nil && required:
		t.Fatalf("SEGEL_REQUIRE_LINT is set, but there is no npx to run %s: install Node.js and npm", redocly)
	case err != nil:
		t.Skip("SKIPPING the OpenAPI lint: no npx (install Node.js and npm, or set SEGEL_REQUIRE_LINT to make this a failure)")
	case testing.Short() && !required:
		t.Skip("SKIPPING the OpenAPI lint in -short mode")
	}
	s := build(t, mustEmbedded(t))
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /openapi.json: %d", rec.Code)
	}
	file := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(file, rec.Body.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	config, err := filepath.Abs("../redocly.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(npx, "--yes", redocly, "lint", "--format", "codeframe", "--config", config, file)
	cmd.Env = append(os.Environ(), "NO_UPDATE_NOTIFIER=1", "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s lint: %v\n%s", redocly, err, out)
	}
	t.Logf("%s lint: the document (%d bytes) passes", redocly, rec.Body.Len())
}
