package auditlog_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies enforces the package's place in the architecture
// (DESIGN.md): a pure library that auditors run offline, importing no
// storage, network or domain package.
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/segel-lpse/segel/auditlog").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "net/http", dep == "database/sql", dep == "log", dep == "log/slog", dep == "flag",
			strings.HasPrefix(dep, "github.com/segel-lpse/segel/") && dep != "github.com/segel-lpse/segel/auditlog" && dep != "github.com/segel-lpse/segel/internal/canon":
			t.Errorf("auditlog imports %s", dep)
		}
	}
}
