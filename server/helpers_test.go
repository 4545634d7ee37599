package server

import (
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/registry"
)

// RouteInfo is one route of the table, as the external tests see it.
// Roles is nil for a public route and empty (non-nil) for any
// authenticated user, as in the table.
type RouteInfo struct {
	Method, Path string
	Roles        []registry.Role
	Body         string // request media type, "" for none
	Status       int    // of success
	Answer       string // the answer's media type
	JSONIn       bool   // the request body is one of package api's types
	JSONOut      bool   // the answer is one of package api's types (or a list of them)
	Codes        []api.Code
}

// Routes returns the route table, for tests that must cover every route.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.table() {
		out = append(out, RouteInfo{Method: rt.method, Path: rt.path, Roles: rt.roles, Body: rt.inType,
			Status: rt.status, Answer: rt.outType, JSONIn: rt.in != nil, JSONOut: rt.out != nil, Codes: s.refusals(rt)})
	}
	return out
}
