package client

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/timelock"
)

// Keys returns the deployment's public keys (segel-keys/v1): the log,
// receipt and report keys and the beacon chain hash. Fetched over the
// network they prove nothing by themselves; pin them (Marshal and keep
// the file) as the LPSE publishes them.
func (c *Client) Keys(ctx context.Context) (*audit.Trusted, error) {
	b, err := c.text(ctx, "GET", "/v1/keys", "", nil, audit.MaxKeysSize)
	if err != nil {
		return nil, err
	}
	return audit.ParseTrusted(b)
}

// Chain returns the beacon chain the server says its offers are locked
// to. Fetched over the network it proves nothing by itself, and Target
// never uses it: a deployment on its own beacon publishes this chain, and
// its bidders pin it once with WithChain.
func (c *Client) Chain(ctx context.Context) (timelock.Chain, error) {
	b, err := c.text(ctx, "GET", "/v1/chain", "", nil, 64<<10)
	if err != nil {
		return timelock.Chain{}, err
	}
	return timelock.ParseChainInfo(b)
}

// Checkpoint returns the latest signed checkpoint of the audit log.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.text(ctx, "GET", "/v1/log/checkpoint", "", nil, auditlog.MaxProofFileSize)
}

// Bundle fetches the audit bundle of an opened tender into dir, which
// must not exist or be empty, and reads it back with audit.ReadDir. It is
// not verified: call audit.Verify with pinned keys.
func (c *Client) Bundle(ctx context.Context, tenderID, dir string) (*audit.Bundle, error) {
	resp, err := c.request(ctx, "GET", tenderPath(tenderID)+"/bundle", "", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := untar(io.LimitReader(resp.Body, maxBundle), dir); err != nil {
		return nil, fmt.Errorf("client: bundle of %s: %w", tenderID, err)
	}
	return audit.ReadDir(dir)
}

// untar writes a tar archive of regular files into dir, new or empty.
func untar(r io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if ents, err := os.ReadDir(dir); err != nil {
		return err
	} else if len(ents) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if !filepath.IsLocal(name) || strings.HasPrefix(name, "..") {
			return fmt.Errorf("archive has a bad path %q", h.Name)
		}
		p := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := writeFile(p, tr); err != nil {
				return err
			}
		default:
			return fmt.Errorf("archive has a non-regular entry %q", h.Name)
		}
	}
}

func writeFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
