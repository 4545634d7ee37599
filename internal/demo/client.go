package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// client speaks the server's JSON API as one user.
type client struct {
	base  string
	token string
	http  *http.Client
}

// apiError is a non-2xx answer.
type apiError struct {
	Status int
	Code   string `json:"code"`
	Msg    string `json:"error"`
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Msg) }

func (c *client) do(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		e := &apiError{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, e) != nil {
			e.Msg = strings.TrimSpace(string(b))
		}
		return fmt.Errorf("%s %s: %w", method, path, e)
	}
	switch o := out.(type) {
	case nil:
		io.Copy(io.Discard, resp.Body)
		return nil
	case *[]byte:
		*o, err = io.ReadAll(resp.Body)
		return err
	case io.Writer:
		_, err = io.Copy(o, resp.Body)
		return err
	default:
		return json.NewDecoder(resp.Body).Decode(out)
	}
}

func (c *client) postJSON(ctx context.Context, path string, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	return c.do(ctx, "POST", path, ct, body, out)
}

func (c *client) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, "GET", path, "", nil, out)
}
