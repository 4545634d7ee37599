package demo

import (
	"context"
	"fmt"
	"net/http"
)

type run struct {
	cfg Config
	hc  *http.Client
}

func (d *run) client(token string) *client {
	return &client{base: d.cfg.URL, token: token, http: d.hc}
}

// userClient is a logged-in user.
type userClient struct {
	*client
	user string
}

func (d *run) login(ctx context.Context, email string) (*userClient, error) {
	var tok struct {
		Token, User string
	}
	if err := d.client("").postJSON(ctx, "/v1/login", map[string]string{"email": email, "password": password}, &tok); err != nil {
		return nil, err
	}
	return &userClient{client: d.client(tok.Token), user: tok.User}, nil
}

func (d *run) bootstrap(ctx context.Context) (*userClient, error) {
	email := "admin@lpse.demo.go.id"
	err := d.client("").postJSON(ctx, "/v1/bootstrap", map[string]any{
		"role": "admin", "email": email, "password": password, "name": "Admin LPSE", "nik": nik(0),
		"documents": map[string][]byte{"surat-tugas": []byte("SK Kepala LPSE 1/2026")},
	}, nil)
	if err != nil {
		return nil, err
	}
	return d.login(ctx, email)
}

// official registers an official or staff account, has reviewer verify
// and approve it, and logs it in.
func (d *run) official(ctx context.Context, reviewer *userClient, role string, i int) (*userClient, error) {
	email := fmt.Sprintf("%s%d@pemkot.demo.go.id", role, i)
	return d.enrol(ctx, reviewer, map[string]any{
		"role": role, "email": email, "password": password, "name": fmt.Sprintf("%s %d", role, i), "nik": nik(i),
		"documents": map[string][]byte{"surat-tugas": []byte("Surat tugas " + email)},
	}, email, []string{"surat-tugas"})
}

func (d *run) provider(ctx context.Context, reviewer *userClient, i int) (*userClient, error) {
	email := fmt.Sprintf("direktur@cv-contoh-%d.demo.co.id", i)
	docs := map[string][]byte{}
	kinds := []string{"ktp", "akta-pendirian", "npwp", "izin-usaha"}
	for _, k := range kinds {
		docs[k] = []byte(fmt.Sprintf("scan %s CV Contoh %d", k, i))
	}
	return d.enrol(ctx, reviewer, map[string]any{
		"role": "provider", "email": email, "password": password, "name": fmt.Sprintf("CV Contoh %d", i), "nik": nik(40 + i),
		"provider":  map[string]string{"kind": "company", "npwp": fmt.Sprintf("01.234.%03d.5-012.000", i), "licence": fmt.Sprintf("9120001234%03d", i)},
		"documents": docs,
	}, email, kinds)
}

func (d *run) enrol(ctx context.Context, reviewer *userClient, app map[string]any, email string, kinds []string) (*userClient, error) {
	var u struct{ ID string }
	if err := d.client("").postJSON(ctx, "/v1/register", app, &u); err != nil {
		return nil, err
	}
	for _, k := range kinds {
		if err := reviewer.postJSON(ctx, "/v1/users/"+u.ID+"/documents/"+k+"/verify", nil, nil); err != nil {
			return nil, err
		}
	}
	if err := reviewer.postJSON(ctx, "/v1/users/"+u.ID+"/approve", nil, nil); err != nil {
		return nil, err
	}
	return d.login(ctx, email)
}
