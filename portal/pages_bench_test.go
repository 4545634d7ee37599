package portal_test

import (
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkPages measures what a page costs against the API calls it
// makes, on a real server: the tender page (a tender, its OCDS export,
// questions and objections, and the text of each) and the home page (the
// tender list and the notices), each beside a bare GET /v1/tenders/{id}
// of the same tender, in the same run:
//
//	go test -run '^$' -bench Pages -benchtime 300x ./portal
func BenchmarkPages(b *testing.B) {
	d := newDeployment(b)
	tn := d.setup(2, time.Hour)
	get := func(b *testing.B, path string) {
		for b.Loop() {
			rec := httptest.NewRecorder()
			d.s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if rec.Code != 200 {
				b.Fatalf("GET %s: %d", path, rec.Code)
			}
		}
	}
	b.Run("api-tender", func(b *testing.B) { get(b, "/v1/tenders/"+tn.ID) })
	b.Run("page-tender", func(b *testing.B) { get(b, "/tenders/"+tn.ID) })
	b.Run("page-home", func(b *testing.B) { get(b, "/") })
	b.Run("page-tenders", func(b *testing.B) { get(b, "/tenders") })
}
