package audit_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps audit a pure library: no HTTP, SQL or printing of its
// own, and none of the engine's packages. (timelock, which it imports for
// chains, holds the HTTP beacon; audit never calls it.)
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, imp := range strings.Fields(string(out)) {
		switch {
		case imp == "net/http", imp == "database/sql", imp == "log", imp == "log/slog", imp == "flag",
			strings.HasPrefix(imp, "github.com/segel-lpse/segel/") &&
				!strings.HasSuffix(imp, "/auditlog") && !strings.HasSuffix(imp, "/timelock") && !strings.HasSuffix(imp, "/sealer") && !strings.HasSuffix(imp, "/internal/canon"):
			t.Errorf("audit imports %s", imp)
		}
	}
}
