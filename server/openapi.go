package server

import (
	"net/http"
	"regexp"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// openAPI builds the OpenAPI 3.1 document from the route table, so the
// document and the mux cannot disagree.
func (s *Server) openAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.table() {
		op := map[string]any{
			"summary":     rt.summary,
			"operationId": strings.ToLower(rt.method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(rt.path),
			"responses": map[string]any{
				"default": map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
				"2XX":     map[string]any{"description": "Success"},
			},
		}
		// Every body has a cap (413 over it), and the routes anyone may
		// call have rate limits (429 with Retry-After): see Limits.
		max, _ := s.bodyLimit(rt)
		op["x-max-body"] = max
		if s.rateFor(rt) != nil {
			op["responses"].(map[string]any)["429"] = map[string]any{"description": "Too many requests from this client address; retry after Retry-After seconds"}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{rt.body: map[string]any{}}}
		}
		if rt.roles != nil {
			op["security"] = []any{map[string]any{"bearer": []any{}}}
			roles := make([]string, len(rt.roles))
			for i, r := range rt.roles {
				roles[i] = string(r)
			}
			op["x-roles"] = roles
		} else {
			op["security"] = []any{}
		}
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Segel LPSE API",
			"version":     "1",
			"description": "Sealed-bid e-tendering: registration, tenders, sealed offers with receipts, opening ceremony, audit log. Errors are {code, error}; x-roles lists the roles allowed.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"Error": map[string]any{
				"type": "object", "required": []string{"code", "error"},
				"properties": map[string]any{"code": map[string]any{"type": "string"}, "error": map[string]any{"type": "string"}},
			}},
		},
	}
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.openAPI())
}
