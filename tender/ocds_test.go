package tender

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

var testPublisher = Publisher{Name: "LPSE Kota Yogyakarta", URI: "https://lpse.jogjakota.go.id", OCIDPrefix: "ocds-segel0"}

// ocdsSchemas compiles the OCDS schemas in testdata/ocds once: the release
// package schema (its $ref to the release schema resolved locally) and
// the release schema with the bids extension applied.
var ocdsSchemas = sync.OnceValues(func() (*ocdsValidator, error) {
	load := func(name string) (map[string]any, error) {
		f, err := os.Open(filepath.Join("testdata", "ocds", name))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		v, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return v.(map[string]any), nil
	}
	release, err := load("release-schema.json")
	if err != nil {
		return nil, err
	}
	pkg, err := load("release-package-schema.json")
	if err != nil {
		return nil, err
	}
	bids, err := load("bid-extension-release-schema.json")
	if err != nil {
		return nil, err
	}

	// The package schema refers to the release schema by its id URL; both
	// are added as resources under those URLs, so nothing is fetched.
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, s := range []map[string]any{release, pkg} {
		if err := c.AddResource(s["id"].(string), s); err != nil {
			return nil, err
		}
	}
	v := new(ocdsValidator)
	if v.pkg, err = c.Compile(pkg["id"].(string)); err != nil {
		return nil, err
	}

	// Extensions apply as a JSON Merge Patch (RFC 7386) of their
	// release-schema.json onto the release schema.
	patched := mergePatch(deepCopy(release), bids).(map[string]any)
	const patchedID = "https://segel.invalid/ocds/release-schema+bids.json"
	patched["id"] = patchedID
	c = jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(patchedID, patched); err != nil {
		return nil, err
	}
	if v.release, err = c.Compile(patchedID); err != nil {
		return nil, err
	}
	return v, nil
})

type ocdsValidator struct{ pkg, release *jsonschema.Schema }

// validate checks a package against the package schema and each of its
// releases against the release schema with the bids extension.
func (v *ocdsValidator) validate(b []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if err := v.pkg.Validate(doc); err != nil {
		return fmt.Errorf("release package: %w", err)
	}
	for i, r := range doc.(map[string]any)["releases"].([]any) {
		if err := v.release.Validate(r); err != nil {
			return fmt.Errorf("release %d: %w", i, err)
		}
	}
	return nil
}

func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergePatch(t[k], v)
		}
	}
	return t
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}

// ocdsDoc is the part of a package the tests look at.
type ocdsDoc struct {
	URI           string
	PublishedDate string
	Extensions    []string
	Releases      []struct {
		OCID    string
		ID      string
		Date    string
		Tag     []string
		Parties []struct {
			ID    string
			Roles []string
		}
		Tender struct {
			ID                string
			Status            string
			TenderPeriod      struct{ StartDate, EndDate string }
			NumberOfTenderers *int
			Tenderers         []struct{ ID string }
			Amendments        []struct{ AmendsReleaseID, ReleaseID string }
		}
		Bids *struct {
			Statistics []struct {
				Measure string
				Value   int
			}
			Details []struct {
				ID          string
				Status      string
				Date        string
				Identifiers []struct{ Scheme, ID string }
				Tenderers   []struct{ ID string }
			}
		}
		Awards []struct {
			Status      string
			Suppliers   []struct{ ID string }
			RelatedBids []string
		}
	}
}

// export exports tender id, validates it against the schemas, checks it
// is the same when exported again later, and decodes it.
func (e *env) export(t *testing.T, id string) (*ocdsDoc, []byte) {
	t.Helper()
	b, err := e.engine.OCDS(e.ctx, id, testPublisher)
	if err != nil {
		t.Fatalf("OCDS: %v", err)
	}
	v, err := ocdsSchemas()
	if err != nil {
		t.Fatalf("compiling the OCDS schemas: %v", err)
	}
	if err := v.validate(b); err != nil {
		t.Fatalf("export does not validate: %v\n%s", err, b)
	}
	now := e.clock()
	e.set(now.Add(time.Hour))
	again, err := e.engine.OCDS(e.ctx, id, testPublisher)
	e.set(now)
	if err != nil || !bytes.Equal(again, b) {
		t.Errorf("exporting the same tender state twice differs (err %v)", err)
	}
	var doc ocdsDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return &doc, b
}

// withRoles gives the env's engine a directory that also knows a PPK,
// which env_test.go's testDirectory does not answer for.
func (e *env) withRoles(t *testing.T) {
	t.Helper()
	cfg := e.engine.cfg
	cfg.Directory = &roleDirectory{testDirectory: e.dir, roles: map[Role][]string{
		RolePPK: {"ppk-1"},
	}}
	var err error
	if e.engine, err = New(cfg); err != nil {
		t.Fatal(err)
	}
}

type roleDirectory struct {
	*testDirectory
	roles map[Role][]string
}

func (d *roleDirectory) CheckRole(ctx context.Context, id string, role Role) error {
	d.mu.Lock()
	off := d.deactivated[id]
	d.mu.Unlock()
	for _, u := range d.roles[role] {
		if u == id && !off {
			return nil
		}
	}
	return d.testDirectory.CheckRole(ctx, id, role)
}

func releaseIDs(d *ocdsDoc) []string {
	var ids []string
	for _, r := range d.Releases {
		ids = append(ids, strings.TrimPrefix(r.ID, r.OCID+"-")+":"+strings.Join(r.Tag, ","))
	}
	return ids
}

// TestOCDSStages runs a tender through every stage and exports it at
// each, validating against the OCDS schemas, and checks what each stage
// shows and withholds.
func TestOCDSStages(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.withRoles(t)
		tn := e.announce(t)
		ocid := testPublisher.OCIDPrefix + "-" + tn.ID

		// Announced.
		d, raw := e.export(t, tn.ID)
		if got, want := releaseIDs(d), []string{"tender:tender"}; !equal(got, want) {
			t.Errorf("announced: releases %v, want %v", got, want)
		}
		r := d.Releases[0]
		if r.OCID != ocid || r.Tender.ID != tn.ID || r.Tender.Status != "active" || r.Bids != nil {
			t.Errorf("announced: ocid %q, tender %q, status %q, bids %v", r.OCID, r.Tender.ID, r.Tender.Status, r.Bids)
		}
		if r.Tender.TenderPeriod.EndDate != "2026-12-01T10:00:00Z" || r.Tender.TenderPeriod.StartDate != "2026-12-01T08:00:00Z" {
			t.Errorf("announced: tender period %+v", r.Tender.TenderPeriod)
		}
		if d.URI != testPublisher.URI+"/ocds/"+ocid || len(d.Extensions) != 1 || d.PublishedDate != r.Date {
			t.Errorf("package uri %q, extensions %v, published %q", d.URI, d.Extensions, d.PublishedDate)
		}
		_ = raw

		// An addendum moves the deadline.
		e.set(testStart.Add(5 * time.Minute))
		if _, err := e.engine.Amend(e.ctx, "pokja-1", tn.ID, Amendment{Deadline: testStart.Add(130 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		d, _ = e.export(t, tn.ID)
		if got, want := releaseIDs(d), []string{"tender:tender", "amendment-1:tenderAmendment"}; !equal(got, want) {
			t.Errorf("amended: releases %v, want %v", got, want)
		}
		if d.Releases[0].Tender.TenderPeriod.EndDate != "2026-12-01T10:00:00Z" ||
			d.Releases[1].Tender.TenderPeriod.EndDate != "2026-12-01T10:10:00Z" {
			t.Errorf("amended: deadlines %q then %q", d.Releases[0].Tender.TenderPeriod.EndDate, d.Releases[1].Tender.TenderPeriod.EndDate)
		}
		if a := d.Releases[1].Tender.Amendments; len(a) != 1 || a[0].AmendsReleaseID != ocid+"-tender" || a[0].ReleaseID != ocid+"-amendment-1" {
			t.Errorf("amended: amendments %+v", a)
		}

		// Offers in: nothing about them appears, not even their number.
		bidders := []string{"penyedia-1", "penyedia-2", "penyedia-3"}
		for _, b := range bidders {
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
		}
		e.set(testStart.Add(20 * time.Minute))
		for _, b := range bidders {
			file := e.sealFor(t, tn, "offer of "+b)
			if b == "penyedia-3" {
				file[len(file)-5] ^= 1 // damaged after sealing: fails to open
			}
			if _, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(file)); err != nil {
				t.Fatal(err)
			}
		}
		d, raw = e.export(t, tn.ID)
		if len(d.Releases) != 2 || bytes.Contains(raw, []byte("penyedia")) || bytes.Contains(raw, []byte(`"bids"`)) {
			t.Errorf("before closing the export shows offers:\n%s", raw)
		}

		// Closed: the count only.
		e.set(testStart.Add(131 * time.Minute))
		closed, err := e.engine.Close(e.ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		d, raw = e.export(t, tn.ID)
		last := d.Releases[len(d.Releases)-1]
		if got, want := releaseIDs(d)[2], "closed:tenderUpdate"; got != want {
			t.Errorf("closed: last release %s, want %s", got, want)
		}
		if last.Bids == nil || len(last.Bids.Statistics) != 1 || last.Bids.Statistics[0].Value != 3 || last.Bids.Details != nil {
			t.Errorf("closed: bids %+v, want the count 3 alone", last.Bids)
		}
		if bytes.Contains(raw, []byte("penyedia")) || bytes.Contains(raw, []byte(hexEntry(closed.Closing.Offers[0].SHA256[:]))) ||
			last.Tender.NumberOfTenderers != nil || last.Tender.Tenderers != nil {
			t.Errorf("before opening the export names bidders or sealed files:\n%s", raw)
		}

		// Opened: bids in detail; the offer that failed to open is disqualified.
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		if _, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}}); err != nil {
			t.Fatal(err)
		}
		d, _ = e.export(t, tn.ID)
		last = d.Releases[len(d.Releases)-1]
		if got, want := releaseIDs(d)[3], "opened:tenderUpdate"; got != want {
			t.Errorf("opened: last release %s, want %s", got, want)
		}
		if n := last.Tender.NumberOfTenderers; n == nil || *n != 3 || len(last.Tender.Tenderers) != 3 {
			t.Errorf("opened: numberOfTenderers %v, tenderers %v", n, last.Tender.Tenderers)
		}
		if last.Bids == nil || len(last.Bids.Details) != 3 {
			t.Fatalf("opened: bids %+v", last.Bids)
		}
		for i, b := range last.Bids.Details {
			o := closed.Closing.Offers[i]
			want := "valid"
			if o.Bidder == "penyedia-3" {
				want = "disqualified"
			}
			if b.Status != want || b.Tenderers[0].ID != o.Bidder || b.Identifiers[0].ID != hexEntry(o.SHA256[:]) ||
				b.Date != ocdsTime(o.Received) || b.ID != bidID(o) {
				t.Errorf("opened: bid %d = %+v, want %s by %s", i, b, want, o.Bidder)
			}
		}
		tenderers := 0
		for _, p := range last.Parties {
			if equal(p.Roles, []string{"tenderer"}) {
				tenderers++
			}
		}
		if tenderers != 3 {
			t.Errorf("opened: %d tenderer parties, want 3", tenderers)
		}

		// Result: a pending award to the winner.
		if _, err := e.engine.AnnounceResult(e.ctx, "pokja-1", tn.ID, "penyedia-1", "Pemenang: penyedia-1"); err != nil {
			t.Fatal(err)
		}
		d, _ = e.export(t, tn.ID)
		last = d.Releases[len(d.Releases)-1]
		if got, want := releaseIDs(d)[4], "award:award"; got != want {
			t.Errorf("result: last release %s, want %s", got, want)
		}
		if len(last.Awards) != 1 || last.Awards[0].Status != "pending" || last.Awards[0].Suppliers[0].ID != "penyedia-1" ||
			!equal(last.Awards[0].RelatedBids, []string{bidID(closed.Closing.Offers[0])}) {
			t.Errorf("result: awards %+v", last.Awards)
		}

		// Award: active, tender complete.
		e.set(tn.Schedule.Opening.Add(4 * 24 * time.Hour))
		if _, err := e.engine.Award(e.ctx, "ppk-1", tn.ID, "Penetapan pemenang"); err != nil {
			t.Fatal(err)
		}
		d, _ = e.export(t, tn.ID)
		last = d.Releases[len(d.Releases)-1]
		if got, want := releaseIDs(d)[5], "award-active:awardUpdate"; got != want {
			t.Errorf("awarded: last release %s, want %s", got, want)
		}
		if last.Tender.Status != "complete" || last.Awards[0].Status != "active" || d.PublishedDate != last.Date {
			t.Errorf("awarded: tender %s, award %s, published %s", last.Tender.Status, last.Awards[0].Status, d.PublishedDate)
		}
		for _, p := range last.Parties {
			if p.ID == "penyedia-1" && !equal(p.Roles, []string{"tenderer", "supplier"}) {
				t.Errorf("awarded: winner's roles %v", p.Roles)
			}
		}
		// Earlier releases are not changed by later stages.
		if d.Releases[4].Awards[0].Status != "pending" || d.Releases[2].Bids.Details != nil || d.Releases[3].Awards != nil {
			t.Errorf("a later stage changed an earlier release")
		}
	})
}

func TestOCDSCancelled(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		e.set(testStart.Add(time.Minute))
		if _, err := e.engine.Cancel(e.ctx, "pokja-1", tn.ID, "anggaran tidak tersedia"); err != nil {
			t.Fatal(err)
		}
		d, _ := e.export(t, tn.ID)
		if got, want := releaseIDs(d), []string{"tender:tender", "cancelled:tenderCancellation"}; !equal(got, want) {
			t.Errorf("releases %v, want %v", got, want)
		}
		if s := d.Releases[1].Tender.Status; s != "cancelled" {
			t.Errorf("status %q, want cancelled", s)
		}
		if d.Releases[1].Date != "2026-12-01T08:01:00Z" {
			t.Errorf("cancellation dated %s", d.Releases[1].Date)
		}
	})
}

func TestOCDSRefusals(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		for _, p := range []Publisher{
			{URI: testPublisher.URI, OCIDPrefix: testPublisher.OCIDPrefix},
			{Name: "x", URI: "lpse.example", OCIDPrefix: testPublisher.OCIDPrefix},
			{Name: "x", URI: testPublisher.URI, OCIDPrefix: "ocds-ABC123"},
			{Name: "x", URI: testPublisher.URI, OCIDPrefix: "ocds-abc12"},
		} {
			if _, err := e.engine.OCDS(e.ctx, tn.ID, p); !errors.Is(err, ErrInvalid) {
				t.Errorf("publisher %+v: err = %v, want ErrInvalid", p, err)
			}
		}
		if _, err := e.engine.OCDS(e.ctx, "T-none", testPublisher); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown tender: err = %v, want ErrNotFound", err)
		}
	})
}

// TestOCDSValidatorRejects shows the validation can fail: each change
// breaks the schema the export is tested against.
func TestOCDSValidatorRejects(t *testing.T) {
	v, err := ocdsSchemas()
	if err != nil {
		t.Fatal(err)
	}
	h := &tenderHistory{notices: nil}
	tn := &Tender{ID: "T-1", Title: "Jembatan", State: StateOpened, Announced: testStart,
		Schedule: Schedule{SubmissionStart: testStart, ClarificationEnd: testStart.Add(time.Hour), Deadline: testStart.Add(2 * time.Hour), Opening: testStart.Add(3 * time.Hour)},
		Closing:  &Closing{Time: testStart.Add(2 * time.Hour), Offers: []Offer{{Bidder: "penyedia-1", Received: testStart.Add(time.Minute), LogIndex: 7}}}}
	ann, err := entry("tender-announced", "tender", "T-1", "document", hexEntry(make([]byte, 32)), "deadline", canon.FormatTime(tn.Schedule.Deadline),
		"opening", canon.FormatTime(tn.Schedule.Opening), "round", "1", "chain", hexEntry(make([]byte, 32)), "committee-key", "k1", "time", canon.FormatTime(testStart))
	if err != nil {
		t.Fatal(err)
	}
	h.notices = append(h.notices, mustParse(t, ann))
	h.outcomes = nil
	good, err := json.Marshal(ocdsBuild(tn, h, testPublisher))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.validate(good); err != nil {
		t.Fatalf("the unbroken document does not validate: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(pkg map[string]any, rel map[string]any)
	}{
		{"no ocid", func(_, r map[string]any) { delete(r, "ocid") }},
		{"unknown tag", func(_, r map[string]any) { r["tag"] = []any{"opened"} }},
		{"bad date", func(_, r map[string]any) { r["date"] = "1 Desember 2026" }},
		{"bad bid status", func(_, r map[string]any) {
			r["bids"].(map[string]any)["details"].([]any)[0].(map[string]any)["status"] = "opened"
		}},
		{"bid without id", func(_, r map[string]any) {
			delete(r["bids"].(map[string]any)["details"].([]any)[0].(map[string]any), "id")
		}},
		{"empty identifiers", func(_, r map[string]any) {
			r["bids"].(map[string]any)["details"].([]any)[0].(map[string]any)["identifiers"] = []any{}
		}},
		{"bad tender status", func(_, r map[string]any) { r["tender"].(map[string]any)["status"] = "closed" }},
		{"no publisher", func(p, _ map[string]any) { delete(p, "publisher") }},
		{"bad version", func(p, _ map[string]any) { p["version"] = "1.1.5" }},
		{"no releases", func(p, _ map[string]any) { p["releases"] = []any{} }},
	}
	for _, tt := range tests {
		var pkg map[string]any
		json.Unmarshal(good, &pkg)
		rels := pkg["releases"].([]any)
		tt.mutate(pkg, rels[len(rels)-1].(map[string]any))
		b, _ := json.Marshal(pkg)
		if err := v.validate(b); err == nil {
			t.Errorf("%s: validates", tt.name)
		}
	}
}

func mustParse(t *testing.T, b []byte) auditlog.Entry {
	t.Helper()
	ent, err := auditlog.ParseEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	return ent
}

func equal(a, b []string) bool { return slices.Equal(a, b) }
