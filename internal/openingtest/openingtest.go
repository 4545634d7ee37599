// Package openingtest sets up a v2 tender (doc/spec/opening.md) on a
// running server through its HTTP API, for the tests of the tools that
// take part in it from outside — the portal's WebAssembly (wasmapi) and
// its pages: the people of internal/demo, more pokja members and
// providers, and a tender of a committee of members' keys, announced
// once every member has registered a key. Keys are registered by the
// caller (each member's tool does it its own way); Announce waits for it.
package openingtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/internal/demo"
)

// Password is every account's password (internal/demo's).
const Password = "rahasia-demo-segel-2026"

// People are a deployment's accounts for a v2 tender.
type People struct {
	URL     string
	Anon    *client.Client   // pinned to the server's chain
	PA      *client.Client   // the PA/KPA who assigns the committee
	Members []*client.Client // pokja members
	Emails  []string         // the members' sign-in addresses
	Bidders []*client.Client // verified providers
	BEmails []string         // the bidders' sign-in addresses
}

// Setup registers the people of internal/demo and, beyond its three pokja
// members, members-3 more, and bidders providers, all verified.
func Setup(ctx context.Context, url string, members, bidders int) (*People, error) {
	if _, err := demo.Setup(ctx, url, 0, time.Hour); err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: time.Minute}
	chain, err := client.New(url, client.WithHTTPClient(hc)).Chain(ctx)
	if err != nil {
		return nil, err
	}
	p := &People{URL: url, Anon: client.New(url, client.WithHTTPClient(hc), client.WithChain(chain))}
	verifier, err := p.Anon.Login(ctx, "verifier1@pemkot.demo.go.id", Password)
	if err != nil {
		return nil, err
	}
	if p.PA, err = p.Anon.Login(ctx, "pa-kpa10@pemkot.demo.go.id", Password); err != nil {
		return nil, err
	}
	for i := range members {
		email := fmt.Sprintf("pokja%d@pemkot.demo.go.id", 11+i)
		if i >= 3 {
			err = p.enrol(ctx, verifier, api.Registration{
				Role: api.RolePokja, Email: email, Password: Password, Name: fmt.Sprintf("Anggota Pokja %d", 11+i), NIK: nik(11 + i),
				Documents: map[api.DocumentKind][]byte{api.DocSuratTugas: []byte("Surat tugas " + email)},
			}, []api.DocumentKind{api.DocSuratTugas})
			if err != nil {
				return nil, err
			}
		}
		c, err := p.Anon.Login(ctx, email, Password)
		if err != nil {
			return nil, err
		}
		p.Members, p.Emails = append(p.Members, c), append(p.Emails, email)
	}
	for i := range bidders {
		email := fmt.Sprintf("direktur@pt-dua-file-%d.demo.co.id", i)
		kinds := []api.DocumentKind{api.DocKTP, api.DocAktaPendirian, api.DocNPWP, api.DocIzinUsaha}
		docs := map[api.DocumentKind][]byte{}
		for _, k := range kinds {
			docs[k] = []byte(fmt.Sprintf("scan %s PT Dua File %d", k, i))
		}
		err := p.enrol(ctx, verifier, api.Registration{
			Role: api.RoleProvider, Email: email, Password: Password, Name: fmt.Sprintf("PT Dua File %d", i), NIK: nik(60 + i),
			Provider:  &api.Provider{Kind: api.Company, NPWP: fmt.Sprintf("02.345.%03d.6-012.000", i), Licence: fmt.Sprintf("9120005678%03d", i)},
			Documents: docs,
		}, kinds)
		if err != nil {
			return nil, err
		}
		c, err := p.Anon.Login(ctx, email, Password)
		if err != nil {
			return nil, err
		}
		p.Bidders, p.BEmails = append(p.Bidders, c), append(p.BEmails, email)
	}
	return p, nil
}

func nik(i int) string { return fmt.Sprintf("3171%02d1203850%03d", 1+i%90, 1+i) }

func (p *People) enrol(ctx context.Context, reviewer *client.Client, app api.Registration, kinds []api.DocumentKind) error {
	u, err := p.Anon.Register(ctx, app)
	if err != nil {
		return err
	}
	for _, k := range kinds {
		if err := reviewer.VerifyDocument(ctx, u.ID, k); err != nil {
			return err
		}
	}
	return reviewer.Approve(ctx, u.ID)
}

// Schedule is a two-file tender's timetable, relative to the
// announcement.
type Schedule struct {
	Window  time.Duration // submission, from the announcement to the deadline
	Opening time.Duration // from the deadline to File I's opening
	FileII  time.Duration // from File I's opening to File II's
}

// Announce assigns the committee of every member to a new tender id and
// announces it with method and threshold k, once every member has
// registered an opening key; every bidder registers for it.
func (p *People) Announce(ctx context.Context, method api.Method, k int, s Schedule) (*api.Tender, error) {
	id := strings.ReplaceAll("T-V2-"+time.Now().UTC().Format("150405.000"), ".", "-")
	var users []string
	for _, m := range p.Members {
		users = append(users, m.UserID())
	}
	if err := p.PA.AssignCommittee(ctx, id, users); err != nil {
		return nil, err
	}
	doc, err := p.Members[0].UploadDocument(ctx, strings.NewReader("Dokumen Pemilihan "+id+": metode dua file"))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	deadline := now.Add(s.Window)
	sch := api.Schedule{RegistrationEnd: deadline, ClarificationEnd: deadline, SubmissionStart: now,
		Deadline: deadline, Opening: deadline.Add(s.Opening), ObjectionDays: 3}
	if method == api.MethodTwoFile {
		sch.FileIIOpening = sch.Opening.Add(s.FileII)
	}
	t, err := p.Members[0].Announce(ctx, api.Announcement{
		ID: id, Title: "Pembangunan Jembatan Gantung Kali Progo", Document: doc,
		Method: method, Members: users, Threshold: k, Schedule: sch,
	})
	if err != nil {
		return nil, err
	}
	for _, b := range p.Bidders {
		if err := b.RegisterForTender(ctx, id); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Get fetches path with c's token and returns the body, for the JSON the
// tools in the browser receive as it is.
func Get(ctx context.Context, c *client.Client, url, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url+path, nil)
	if err != nil {
		return nil, err
	}
	if c != nil && c.Token() != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return b, nil
}
