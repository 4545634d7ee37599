package client_test

import (
	"context"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
)

// TestPlans announces procurement plans, lists them and names one in a
// tender, against a real server.
func TestPlans(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	w, err := setup(ctx, ts.URL, 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := w.anon.Plans(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("Plans before any = %+v, %v", ps, err)
	}

	text := "RUP 2026: pembangunan jembatan Kali Code, APBD Kota, swakelola tidak memungkinkan."
	before := time.Now()
	p1, err := w.pa.AnnouncePlan(ctx, api.PlanAnnouncement{ID: "RUP-2026-001", Title: "Pembangunan Jembatan Kali Code", Budget: 2_500_000_000, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if p1.ID != "RUP-2026-001" || p1.Title != "Pembangunan Jembatan Kali Code" || p1.Budget != 2_500_000_000 ||
		p1.Document != sha256.Sum256([]byte(text)) || p1.By != w.pa.UserID() ||
		p1.Announced.Before(before.Add(-time.Second)) || p1.Announced.After(time.Now().Add(time.Second)) {
		t.Errorf("AnnouncePlan = %+v", p1)
	}
	if got, err := w.anon.PlanText(ctx, p1.ID); err != nil || got != text {
		t.Errorf("PlanText = %q, %v; want %q", got, err, text)
	}
	_, err = w.anon.PlanText(ctx, "RUP-nope")
	wantAPIError(t, "an unknown plan's text", err, 404, api.CodeNotFound, "RUP-nope")
	p2, err := w.pa.AnnouncePlan(ctx, api.PlanAnnouncement{Title: "Pengadaan Laptop", Budget: 150_000_000, Text: "RUP 2026: 50 laptop."})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p2.ID, "RUP-") || p2.Budget != 150_000_000 {
		t.Errorf("AnnouncePlan without an id = %+v", p2)
	}

	// Refusals, which store nothing.
	_, err = w.pokja[0].AnnouncePlan(ctx, api.PlanAnnouncement{Title: "Rencana", Budget: 1, Text: "x"})
	wantAPIError(t, "a pokja member announcing", err, 403, api.CodeForbidden, "pa-kpa")
	_, err = w.anon.AnnouncePlan(ctx, api.PlanAnnouncement{Title: "Rencana", Budget: 1, Text: "x"})
	wantAPIError(t, "announcing anonymously", err, 401, api.CodeUnauthenticated)
	_, err = w.pa.AnnouncePlan(ctx, api.PlanAnnouncement{Title: "Rencana", Budget: 0, Text: "x"})
	wantAPIError(t, "no budget", err, 400, api.CodeInvalid, "budget")
	_, err = w.pa.AnnouncePlan(ctx, api.PlanAnnouncement{Title: "Rencana", Budget: 1})
	wantAPIError(t, "no text", err, 400, api.CodeInvalid, "text is empty")
	_, err = w.pa.AnnouncePlan(ctx, api.PlanAnnouncement{ID: p1.ID, Title: "Lagi", Budget: 1, Text: "x"})
	wantAPIError(t, "a taken id", err, 400, api.CodeInvalid, "taken")

	ps, err := w.anon.Plans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || !slices.IsSortedFunc(ps, func(a, b api.Plan) int { return strings.Compare(a.ID, b.ID) }) {
		t.Fatalf("Plans = %+v, want the two announced, in id order", ps)
	}
	for _, want := range []*api.Plan{p1, p2} {
		i := slices.IndexFunc(ps, func(p api.Plan) bool { return p.ID == want.ID })
		if i < 0 || !samePlan(ps[i], *want) {
			t.Errorf("Plans has %+v, want %+v", ps, *want)
		}
	}

	// A tender names a plan; it must be announced.
	id := "T-UJI-RUP"
	members := []string{w.pokja[0].UserID(), w.pokja[1].UserID(), w.pokja[2].UserID()}
	if err := w.pa.AssignCommittee(ctx, id, members); err != nil {
		t.Fatal(err)
	}
	doc, err := w.pokja[0].UploadDocument(ctx, strings.NewReader("Dokumen Pemilihan "+id))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	a := api.Announcement{ID: id, Title: "Jembatan Kali Code", Plan: "RUP-NOPE", Document: doc,
		CommitteeKey: w.committee.Recipient().String(),
		Schedule: api.Schedule{RegistrationEnd: now.Add(time.Hour), ClarificationEnd: now.Add(time.Hour),
			SubmissionStart: now, Deadline: now.Add(time.Hour), Opening: now.Add(time.Hour)}}
	_, err = w.pokja[0].Announce(ctx, a)
	wantAPIError(t, "a tender naming an unknown plan", err, 400, api.CodeInvalid, "RUP-NOPE")
	a.Plan = p1.ID
	if _, err := w.pokja[0].Announce(ctx, a); err != nil {
		t.Fatal(err)
	}
	if tn, err := w.anon.Tender(ctx, id); err != nil || tn.Plan != p1.ID {
		t.Errorf("Tender = %+v, %v; want plan %s", tn, err, p1.ID)
	}
}

func samePlan(a, b api.Plan) bool {
	ok := a.Announced.Equal(b.Announced)
	a.Announced, b.Announced = time.Time{}, time.Time{}
	return ok && a == b
}
