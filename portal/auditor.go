package portal

import "net/http"

// The auditor's page verifies an audit bundle in the browser, with the
// same audit code as segel verify compiled to WebAssembly, against the
// keys pinned in the pages' code or a keys file the auditor brings. Once
// loaded it needs no network: the bundle never leaves the browser.

func (s *Site) auditorPages() []page {
	return []page{
		{"GET", "/audit", nil, (*visit).auditPage},
	}
}

func (v *visit) auditPage() error {
	v.render(http.StatusOK, "audit", view{Title: v.cat.T("audit.title"), WASM: true, Scripts: []string{"audit.js"}})
	return nil
}
