package portal

import "testing"

// TestLocalPath checks ?next=: only a path of this site, never one a
// browser reads as another site's.
func TestLocalPath(t *testing.T) {
	for p, want := range map[string]string{
		"/tenders":              "/tenders",
		"/tenders/T-1?ok=x#q":   "/tenders/T-1?ok=x#q",
		"":                      "",
		"tenders":               "",
		"//evil.example":        "",
		"/\\evil.example":       "",
		"/\t/evil.example":      "",
		"/\n/evil.example":      "",
		"/x\\y":                 "",
		"https://evil.example/": "",
	} {
		if got := localPath(p); got != want {
			t.Errorf("localPath(%q) = %q, want %q", p, got, want)
		}
	}
}
