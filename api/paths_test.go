package api

import "testing"

func TestOwns(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1/tenders": true, "/v1": true, "/v2/chain": true, "/v10/": true, "/healthz": true, "/readyz": true,
		"/metrics": true, "/openapi.json": true, "/beacon": true, "/beacon/info": true, "/beacon/x/public/1": true,
		"/": false, "/tenders": false, "/v": false, "/vx/": false, "/v1x": false, "/version": false, "/beacons": false,
		"/login": false, "/portal/static/segel.js": false, "/portal/pinned.js": false, "/healthz/": false,
	} {
		if got := Owns(path); got != want {
			t.Errorf("Owns(%q) = %v, want %v", path, got, want)
		}
	}
}
