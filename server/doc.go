// Package server is Segel's reference LPSE server as a library: Build wires
// a vault backend, the audit log, the registry and the tender engine from a
// Config, and Server.Handler serves them as a JSON API (described by the
// OpenAPI document at /openapi.json), with Prometheus metrics at /metrics.
// cmd/lpsed is a thin main over it; tests drive Handler with httptest.
//
// The wire is package api: every handler is a typed function from an api
// request to an api answer (or an error, answered as an api.Error whose
// code fixes the status), and the route table (routes.go) takes the types
// from the handlers to build the OpenAPI document (openapi.go), so the
// mux, the handlers and the document cannot disagree.
//
// Every long-term secret (the log, receipt and report signing keys, the
// local beacon key, the document key) lives in the vault, wrapped under the
// deployment's key-encryption key; the committee's secret key is presented
// at the opening ceremony and never stored.
package server
