package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/server"
)

// TestRegistrationInput posts every kind of bad registration field to
// /v1/register and /v1/bootstrap: each is a caller's mistake, answered 400
// "invalid" with a message naming the field, never a 500 nor a 403, and
// changes nothing.
func TestRegistrationInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mustEmbedded(t), server.Config{})
	provider := func() map[string]any {
		return map[string]any{
			"role": "provider", "email": "baru@cv-baru.co.id", "password": testPassword, "name": "CV Baru", "nik": testNIK(90),
			"provider":  map[string]any{"kind": "company", "npwp": "01.234.990.5-012.000", "licence": "9120001234990"},
			"documents": map[string][]byte{"ktp": []byte("k"), "akta-pendirian": []byte("a"), "npwp": []byte("n"), "izin-usaha": []byte("i")},
		}
	}
	admin := func() map[string]any {
		return map[string]any{
			"role": "admin", "email": "admin2@lpse.test.go.id", "password": testPassword, "name": "Admin Dua", "nik": testNIK(91),
			"documents": map[string][]byte{"surat-tugas": []byte("s")},
		}
	}
	set := func(base func() map[string]any, key string, v any) map[string]any {
		app := base()
		if v == nil {
			delete(app, key)
		} else {
			app[key] = v
		}
		return app
	}
	setIn := func(base func() map[string]any, obj, key string, v any) map[string]any {
		app := base()
		switch m := app[obj].(type) {
		case map[string]any:
			m[key] = v
		case map[string][]byte:
			if v == nil {
				delete(m, key)
			} else {
				m[key] = v.([]byte)
			}
		}
		return app
	}
	cases := []struct {
		name, path string
		app        map[string]any
		field      string // the message must start "registry: " + field
	}{
		{"malformed email", "/v1/register", set(provider, "email", "baru@@cv-baru.co.id"), "email"},
		{"no email", "/v1/register", set(provider, "email", nil), "email"},
		{"malformed NIK", "/v1/register", set(provider, "nik", "317101120385000"), "nik"},
		{"malformed NPWP", "/v1/register", setIn(provider, "provider", "npwp", "01-234-567-8.012.000"), "npwp"},
		{"malformed licence", "/v1/register", setIn(provider, "provider", "licence", "912000123456"), "licence"},
		{"weak password", "/v1/register", set(provider, "password", "rahasia123"), "password"},
		{"empty name", "/v1/register", set(provider, "name", " "), "name"},
		{"name with a line break", "/v1/register", set(provider, "name", "CV\nBaru"), "name"},
		{"unknown role", "/v1/register", set(provider, "role", "superuser"), "role"},
		{"no role", "/v1/register", set(provider, "role", nil), "role"},
		{"unknown provider kind", "/v1/register", setIn(provider, "provider", "kind", "koperasi"), "provider kind"},
		{"provider without details", "/v1/register", set(provider, "provider", nil), "provider"},
		{"official with provider details", "/v1/register", set(admin, "provider", provider()["provider"]), "provider"},
		{"missing document", "/v1/register", setIn(provider, "documents", "npwp", nil), "document npwp"},
		{"unexpected document", "/v1/register", setIn(provider, "documents", "foto", []byte("x")), `document "foto"`},
		{"empty document", "/v1/register", setIn(provider, "documents", "ktp", []byte{}), "document ktp"},

		{"bootstrap: malformed email", "/v1/bootstrap", set(admin, "email", "admin"), "email"},
		{"bootstrap: malformed NIK", "/v1/bootstrap", set(admin, "nik", "3171013102850001"), "nik"},
		{"bootstrap: weak password", "/v1/bootstrap", set(admin, "password", "x"), "password"},
		{"bootstrap: empty name", "/v1/bootstrap", set(admin, "name", ""), "name"},
		{"bootstrap: unknown role", "/v1/bootstrap", set(admin, "role", "root"), "role"},
		{"bootstrap: a verifier", "/v1/bootstrap", set(admin, "role", "verifier"), "role"},
		{"bootstrap: a provider", "/v1/bootstrap", provider(), "role"},
		{"bootstrap: provider details", "/v1/bootstrap", set(admin, "provider", provider()["provider"]), "provider"},
		{"bootstrap: missing document", "/v1/bootstrap", set(admin, "documents", nil), "document surat-tugas"},
		{"bootstrap: unexpected document", "/v1/bootstrap", setIn(admin, "documents", "ktp", []byte("k")), `document "ktp"`},
		{"bootstrap: empty document", "/v1/bootstrap", setIn(admin, "documents", "surat-tugas", []byte{}), "document surat-tugas"},
	}
	for _, c := range cases {
		body, err := json.Marshal(c.app)
		if err != nil {
			t.Fatal(err)
		}
		before := f.state()
		status, b := f.do("", "POST", c.path, "application/json", body)
		var e struct{ Code, Error string }
		json.Unmarshal(b, &e)
		if status != 400 || e.Code != "invalid" || !strings.HasPrefix(e.Error, "registry: "+c.field+": ") {
			t.Errorf("%s: POST %s: got %d %q %q, want 400 \"invalid\" naming %q", c.name, c.path, status, e.Code, e.Error, c.field)
		}
		if after := f.state(); after != before {
			t.Errorf("%s: the refusal changed the state:\nbefore: %s\nafter:  %s", c.name, before, after)
		}
	}
}
