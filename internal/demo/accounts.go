package demo

import (
	"context"
	"fmt"
	"net/http"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

type run struct {
	anon *client.Client
}

// newRun pins the beacon chain and the log key the server publishes,
// fetched once, as an LPSE's bidders pin the chain info and keys file it
// publishes: a demo server runs its own local beacon, not quicknet, the
// client's default. The client seals only to the pinned chain, and to the
// committee the log verified with the pinned key names, whatever a tender
// names later.
func newRun(ctx context.Context, url string, hc *http.Client) (*run, error) {
	first := client.New(url, client.WithHTTPClient(hc))
	chain, err := first.Chain(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: pinning the server's beacon chain: %w", err)
	}
	keys, err := first.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: pinning the server's log key: %w", err)
	}
	return &run{anon: client.New(url, client.WithHTTPClient(hc), client.WithChain(chain), client.WithLogKey(keys.Log))}, nil
}

func (d *run) bootstrap(ctx context.Context) (*client.Client, error) {
	email := "admin@lpse.demo.go.id"
	_, err := d.anon.Bootstrap(ctx, api.Registration{
		Role: api.RoleAdmin, Email: email, Password: password, Name: "Admin LPSE", NIK: nik(0),
		Documents: map[api.DocumentKind][]byte{api.DocSuratTugas: []byte("SK Kepala LPSE 1/2026")},
	})
	if err != nil {
		return nil, err
	}
	return d.anon.Login(ctx, email, password)
}

// official registers an official or staff account, has reviewer verify
// and approve it, and logs it in.
func (d *run) official(ctx context.Context, reviewer *client.Client, role api.Role, i int) (*client.Client, error) {
	email := fmt.Sprintf("%s%d@pemkot.demo.go.id", role, i)
	return d.enrol(ctx, reviewer, api.Registration{
		Role: role, Email: email, Password: password, Name: fmt.Sprintf("%s %d", role, i), NIK: nik(i),
		Documents: map[api.DocumentKind][]byte{api.DocSuratTugas: []byte("Surat tugas " + email)},
	}, []api.DocumentKind{api.DocSuratTugas})
}

func (d *run) provider(ctx context.Context, reviewer *client.Client, i int) (*client.Client, error) {
	email := fmt.Sprintf("direktur@cv-contoh-%d.demo.co.id", i)
	docs := map[api.DocumentKind][]byte{}
	kinds := []api.DocumentKind{api.DocKTP, api.DocAktaPendirian, api.DocNPWP, api.DocIzinUsaha}
	for _, k := range kinds {
		docs[k] = []byte(fmt.Sprintf("scan %s CV Contoh %d", k, i))
	}
	return d.enrol(ctx, reviewer, api.Registration{
		Role: api.RoleProvider, Email: email, Password: password, Name: fmt.Sprintf("CV Contoh %d", i), NIK: nik(40 + i),
		Provider:  &api.Provider{Kind: api.Company, NPWP: fmt.Sprintf("01.234.%03d.5-012.000", i), Licence: fmt.Sprintf("9120001234%03d", i)},
		Documents: docs,
	}, kinds)
}

func (d *run) enrol(ctx context.Context, reviewer *client.Client, app api.Registration, kinds []api.DocumentKind) (*client.Client, error) {
	u, err := d.anon.Register(ctx, app)
	if err != nil {
		return nil, err
	}
	for _, k := range kinds {
		if err := reviewer.VerifyDocument(ctx, u.ID, k); err != nil {
			return nil, err
		}
	}
	if err := reviewer.Approve(ctx, u.ID); err != nil {
		return nil, err
	}
	return d.anon.Login(ctx, app.Email, app.Password)
}
