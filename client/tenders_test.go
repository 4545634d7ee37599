package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

// ocdsPackage is the part of an OCDS release package the tests read.
type ocdsPackage struct {
	URI      string `json:"uri"`
	Version  string `json:"version"`
	Releases []struct {
		OCID   string   `json:"ocid"`
		ID     string   `json:"id"`
		Tag    []string `json:"tag"`
		Tender struct {
			ID           string `json:"id"`
			Title        string `json:"title"`
			Status       string `json:"status"`
			TenderPeriod struct {
				StartDate time.Time `json:"startDate"`
				EndDate   time.Time `json:"endDate"`
			} `json:"tenderPeriod"`
			Documents []struct {
				ID string `json:"id"`
			} `json:"documents"`
			Amendments []struct {
				AmendsReleaseID string `json:"amendsReleaseID"`
				ReleaseID       string `json:"releaseID"`
			} `json:"amendments"`
		} `json:"tender"`
	} `json:"releases"`
}

func getOCDS(ctx context.Context, t *testing.T, c *client.Client, id string) ([]byte, *ocdsPackage) {
	t.Helper()
	b, err := c.OCDS(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var p ocdsPackage
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("OCDS of %s is not JSON: %v\n%s", id, err, b)
	}
	return b, &p
}

// TestAmendAndOCDS amends a tender before its deadline and follows the
// addendum into the tender's OCDS release package, against a real server.
func TestAmendAndOCDS(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	w, err := setup(ctx, ts.URL, 1, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	id, sched := w.tender.ID, w.tender.Schedule
	ocid := "ocds-000000-" + id // server.Build's placeholder prefix

	raw0, pkg := getOCDS(ctx, t, w.anon, id)
	if len(pkg.Releases) != 1 {
		t.Fatalf("OCDS as announced has %d releases, want 1:\n%s", len(pkg.Releases), raw0)
	}
	r := pkg.Releases[0]
	if pkg.Version != "1.1" || !strings.HasSuffix(pkg.URI, "/ocds/"+ocid) || r.OCID != ocid || r.ID != ocid+"-tender" ||
		!reflect.DeepEqual(r.Tag, []string{"tender"}) || r.Tender.ID != id || r.Tender.Title != w.tender.Title ||
		r.Tender.Status != "active" || !r.Tender.TenderPeriod.EndDate.Equal(sched.Deadline) ||
		len(r.Tender.Documents) != 1 || r.Tender.Documents[0].ID != w.tender.Document.String() {
		t.Errorf("OCDS as announced:\n%s", raw0)
	}
	if again, err := w.anon.OCDS(ctx, id); err != nil || !bytes.Equal(again, raw0) {
		t.Errorf("OCDS twice gave different bytes (%v)", err)
	}
	_, err = w.anon.OCDS(ctx, "T-nope")
	wantAPIError(t, "OCDS of an unknown tender", err, 404, api.CodeNotFound, "T-nope")

	doc, err := w.pokja[1].UploadDocument(ctx, strings.NewReader("Adendum 1 Dokumen Pemilihan "+id))
	if err != nil {
		t.Fatal(err)
	}
	// Refusals, which amend nothing.
	_, err = w.bidders[0].Amend(ctx, id, api.Amendment{Document: doc})
	wantAPIError(t, "a provider amending", err, 403, api.CodeForbidden, "provider")
	_, err = w.pokja[1].Amend(ctx, id, api.Amendment{Document: api.Digest{0xab}})
	wantAPIError(t, "a document not stored", err, 400, api.CodeInvalid, "not stored")
	_, err = w.pokja[1].Amend(ctx, id, api.Amendment{})
	wantAPIError(t, "an addendum changing nothing", err, 400, api.CodeInvalid, "changes neither")
	_, err = w.pokja[1].Amend(ctx, id, api.Amendment{Document: w.tender.Document})
	wantAPIError(t, "an addendum giving the same document", err, 400, api.CodeInvalid, "changes neither")
	_, err = w.pokja[1].Amend(ctx, id, api.Amendment{Deadline: sched.Opening.Add(time.Hour)})
	wantAPIError(t, "a deadline after the opening", err, 400, api.CodeInvalid, "opening")
	_, err = w.pokja[1].Amend(ctx, "T-nope", api.Amendment{Document: doc})
	wantAPIError(t, "amending an unknown tender", err, 404, api.CodeNotFound)

	// The addendum: a new document, and the deadline moved to the opening.
	tn, err := w.pokja[1].Amend(ctx, id, api.Amendment{Document: doc, Deadline: sched.Opening})
	if err != nil {
		t.Fatal(err)
	}
	if tn.Amendments != 1 || tn.Document != doc || !tn.Schedule.Deadline.Equal(sched.Opening) ||
		!tn.Schedule.Opening.Equal(sched.Opening) || tn.Round != w.tender.Round {
		t.Errorf("Amend = %+v", tn)
	}
	if got, err := w.anon.Tender(ctx, id); err != nil || got.Amendments != 1 || got.Document != doc || !got.Schedule.Deadline.Equal(sched.Opening) {
		t.Errorf("Tender after the addendum = %+v, %v", got, err)
	}
	// Both versions of the tender document can be downloaded; nothing
	// else by its digest (here: another tender's document).
	for _, c := range []struct {
		digest api.Digest
		want   string
	}{
		{doc, "Adendum 1 Dokumen Pemilihan " + id},
		{w.tender.Document, "Dokumen Pemilihan " + id},
	} {
		var buf bytes.Buffer
		if _, err := w.anon.TenderDocument(ctx, id, c.digest, &buf, 1<<20); err != nil || buf.String() != c.want {
			t.Errorf("TenderDocument(%.8s…) = %q, %v; want %q", c.digest.String(), buf.String(), err, c.want)
		}
	}
	other, err := w.pokja[1].UploadDocument(ctx, strings.NewReader("Dokumen tender lain"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.anon.TenderDocument(ctx, id, other, io.Discard, 1<<20)
	wantAPIError(t, "a stored document the tender does not name", err, 404, api.CodeNotFound, id)

	raw1, pkg1 := getOCDS(ctx, t, w.anon, id)
	if len(pkg1.Releases) != 2 {
		t.Fatalf("OCDS after an addendum has %d releases, want 2:\n%s", len(pkg1.Releases), raw1)
	}
	if !reflect.DeepEqual(pkg1.Releases[0], pkg.Releases[0]) {
		t.Errorf("the addendum changed the first release:\n%s", raw1)
	}
	a := pkg1.Releases[1]
	if a.OCID != ocid || a.ID != ocid+"-amendment-1" || !reflect.DeepEqual(a.Tag, []string{"tenderAmendment"}) ||
		a.Tender.ID != id || !a.Tender.TenderPeriod.EndDate.Equal(sched.Opening) ||
		len(a.Tender.Documents) != 1 || a.Tender.Documents[0].ID != doc.String() ||
		len(a.Tender.Amendments) != 1 || a.Tender.Amendments[0].AmendsReleaseID != ocid+"-tender" || a.Tender.Amendments[0].ReleaseID != a.ID {
		t.Errorf("OCDS addendum release:\n%s", raw1)
	}

	if testing.Short() {
		t.Skip("waits for the deadline (~5 s)")
	}
	time.Sleep(time.Until(tn.Schedule.Deadline.Add(300 * time.Millisecond)))
	_, err = w.pokja[1].Amend(ctx, id, api.Amendment{Document: w.tender.Document})
	wantAPIError(t, "amending after the deadline", err, 409, api.CodeWrongState, "before the deadline")
	if got, err := w.anon.Tender(ctx, id); err != nil || got.Amendments != 1 || got.Document != doc {
		t.Errorf("Tender after a late addendum = %+v, %v", got, err)
	}
}
