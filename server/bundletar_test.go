package server_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
)

// TestBundleArchiveTimes checks that every entry of GET …/bundle carries
// the tender's opening time: not the time the server wrote its temporary
// copy (which a client whose clock lags sees as "in the future"), not 1970.
func TestBundleArchiveTimes(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		clk := &clock{now: time.Now()}
		f := newFixture(t, b, server.Config{Now: clk.Now})
		const id = "T-TAR"
		deadline := clk.Now().Add(time.Hour).Truncate(time.Second)
		opening := deadline.Add(time.Second)
		tv := f.announce(id, deadline)
		clk.set(time.Now()) // the announcement's submission starts a second before the wall clock's now
		f.mustDo("provider", "POST", "/v1/tenders/"+id+"/offers", "application/octet-stream",
			f.seal(tv, tv.Round, f.key.Recipient(), []byte("Penawaran")), nil)
		clk.set(deadline.Add(time.Second))
		f.mustJSON("pokja", "POST", "/v1/tenders/"+id+"/close", nil, nil)
		clk.set(tv.RoundTime.Add(time.Second))
		f.mustJSON("pokja", "POST", "/v1/tenders/"+id+"/open",
			map[string]any{"identity": f.key.String(), "witnesses": f.ids("pokja", "pokja2", "pokja3")}, nil)

		status, body := f.do("", "GET", "/v1/tenders/"+id+"/bundle", "", nil)
		if status != 200 {
			t.Fatalf("GET bundle: %d %s", status, body)
		}
		tr := tar.NewReader(bytes.NewReader(body))
		n := 0
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			n++
			if !h.ModTime.Equal(opening) {
				t.Errorf("%s: time %s, want the opening %s", h.Name, h.ModTime.UTC(), opening.UTC())
			}
		}
		if n == 0 {
			t.Fatal("the bundle archive is empty")
		}
	})
}
