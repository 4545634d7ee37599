package api

import "strings"

// Owns reports whether an lpsed URL path belongs to the HTTP API, which
// answers it in JSON even when it is unknown (404 no-route): the
// versioned API (/v1/…, and /v2/… and later, unknown until they exist),
// a local beacon's drand API (/beacon/…) and the operational endpoints
// (/healthz, /readyz, /metrics, /openapi.json). Every other path of an
// lpsed is the web portal's, which answers in HTML.
func Owns(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics", "/openapi.json", "/beacon":
		return true
	}
	if strings.HasPrefix(path, "/beacon/") {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/v")
	if !ok {
		return false
	}
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	return digits > 0 && (digits == len(rest) || rest[digits] == '/')
}
