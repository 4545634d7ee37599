package audit_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/audit"
)

// TestSpecSteps compares the step table of doc/spec/reports.md §2 with the
// steps a witness report may name, in order, and the faults with the
// entries' fault kind.
func TestSpecSteps(t *testing.T) {
	b, err := os.ReadFile("../doc/spec/reports.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec2, ok := strings.Cut(string(b), "\n## 2. ")
	if !ok {
		t.Fatal("reports.md has no section 2")
	}
	sec2, _, _ = strings.Cut(sec2, "\n## ")
	var table []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\|").FindAllStringSubmatch(sec2, -1) {
		table = append(table, m[1])
	}
	if !slices.Equal(table, audit.Steps) {
		t.Errorf("reports.md §2 lists steps %q, the code has %q", table, audit.Steps)
	}
	if !strings.Contains(sec2, "fault: <fault>            "+audit.FaultFile+" | "+audit.FaultSystem+"\n") {
		t.Errorf("reports.md §2 does not give the faults as %s | %s", audit.FaultFile, audit.FaultSystem)
	}
}

// TestSpecStepsV2 compares the step table of doc/spec/reports.md §5 with
// the steps a version 2 witness report may name, in order, and the
// faults with the report's.
func TestSpecStepsV2(t *testing.T) {
	b, err := os.ReadFile("../doc/spec/reports.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec5, ok := strings.Cut(string(b), "\n## 5. ")
	if !ok {
		t.Fatal("reports.md has no section 5")
	}
	sec5, _, _ = strings.Cut(sec5, "\n## ")
	var table []string
	for _, m := range regexp.MustCompile("(?m)^\\| (`[a-z-]+`(?:, `[a-z-]+`)*) \\|").FindAllStringSubmatch(sec5, -1) {
		for _, s := range regexp.MustCompile("`([a-z-]+)`").FindAllStringSubmatch(m[1], -1) {
			table = append(table, s[1])
		}
	}
	if !slices.Equal(table, audit.StepsV2) {
		t.Errorf("reports.md §5 lists steps %q, the code has %q", table, audit.StepsV2)
	}
	faults := strings.Join([]string{audit.FaultFile, audit.FaultSystem, audit.FaultMember, audit.FaultCommittee}, " | ")
	if !strings.Contains(sec5, "fault: <fault>            "+faults+"\n") {
		t.Errorf("reports.md §5 does not give the faults as %s", faults)
	}
}
