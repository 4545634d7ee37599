package apitest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/segel-lpse/segel/internal/apitest"
)

// BenchmarkCheck is the cost of the check per exchange: a small JSON
// answer (GET /readyz) and a refusal (GET /v1/tenders/T-nope), served
// bare and through Handler, once its schemas are compiled.
func BenchmarkCheck(b *testing.B) {
	h := deployment(b)
	var tb recorder
	checked := apitest.Handler(&tb, h)
	for _, path := range []string{"/readyz", "/v1/tenders/T-nope"} {
		for _, c := range []struct {
			name string
			h    http.Handler
		}{{"bare", h}, {"checked", checked}} {
			b.Run(path+"/"+c.name, func(b *testing.B) {
				req := httptest.NewRequest("GET", path, nil)
				c.h.ServeHTTP(httptest.NewRecorder(), req) // compiles the schema
				for b.Loop() {
					c.h.ServeHTTP(httptest.NewRecorder(), req)
				}
			})
		}
	}
	if errs := tb.take(); len(errs) > 0 {
		b.Fatal(errs)
	}
}
