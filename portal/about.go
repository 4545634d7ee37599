package portal

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

// The about page: how anyone checks that this portal serves the genuine
// build, what it pins, and what a hostile server could still do through
// its pages (doc/spec/portal.md §4, §6).

type aboutData struct {
	Digest string
	Files  []staticFile
	Keys   string // the pinned segel-keys/v1 file
	Chain  string // the pinned chain's hash
	// Download and Rebuild are the commands that recompute the digest:
	// of what this deployment serves, and of the source.
	Download, Rebuild string
	// Logged are the builds the deployment's audit log records, verified
	// against the pinned log key; Problem says why they could not be
	// shown, if so.
	Logged  []api.PortalBuild
	Problem string
	// VerifyBuilds is the command that verifies the logged builds
	// offline.
	VerifyBuilds string
}

type staticFile struct {
	Name, SHA256 string
	Size         int64
}

func (v *visit) about() error {
	d := aboutData{Digest: BuildDigest(), Keys: string(v.site.cfg.Keys), Chain: v.site.keys.Chain}
	err := fs.WalkDir(Files(), ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Files(), name)
		sum := sha256.Sum256(b)
		d.Files = append(d.Files, staticFile{Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))})
		return err
	})
	if err != nil {
		return err
	}
	slices.SortFunc(d.Files, func(a, b staticFile) int { return strings.Compare(a.Name, b.Name) })
	scheme := "https"
	if v.r.TLS == nil && secure(v.r) && !strings.EqualFold(v.r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "http" // localhost
	}
	var names []string
	for _, f := range d.Files {
		names = append(names, f.Name)
	}
	d.Download = fmt.Sprintf("mkdir portal-static && cd portal-static\nfor f in %s; do curl -fsSO %s://%s%s$f; done\nLC_ALL=C sha256sum %s | sha256sum",
		strings.Join(names, " "), scheme, v.r.Host, StaticPrefix, strings.Join(names, " "))
	d.Rebuild = "git clone https://github.com/segel-lpse/segel && cd segel\ngo run ./portal/internal/genstatic -digest"
	d.VerifyBuilds = fmt.Sprintf("curl -fsS -o keys.txt %[1]s://%[2]s/v1/keys   # %[3]s\ncurl -fsS -o builds.json %[1]s://%[2]s/v1/portal/builds\nsegel verify --trusted keys.txt builds.json",
		scheme, v.r.Host, v.cat.T("about.keys-elsewhere"))
	b, err := v.api.PortalBuilds(v.ctx())
	if err != nil {
		return err
	}
	if pb, _, err := client.VerifyPortalBuilds(b, v.site.keys.Log); err != nil {
		d.Problem = err.Error()
	} else {
		d.Logged = pb.Builds
	}
	v.render(http.StatusOK, "about", view{Title: v.cat.T("about.title"), Data: d})
	return nil
}
