package registry

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies is the architecture rule of DESIGN.md: registry does not
// import tender, and being a library it does not import net/http.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "net/http" || dep == "github.com/segel-lpse/segel/tender" || strings.HasPrefix(dep, "github.com/segel-lpse/segel/cmd/") {
			t.Errorf("registry depends on %s", dep)
		}
	}
}
