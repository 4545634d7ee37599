package server

import (
	"net/http"
	"regexp"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// descriptions are the operations whose use needs more than a summary.
var descriptions = map[string]string{
	"GET /v1/chain": "The drand chain info (JSON, as drand's /info) of the beacon every tender of this deployment is time-locked to: " +
		"scheme, public key, genesis, period and hash; its hash is also in /v1/keys. A bidder seals to this chain, " +
		"and a committee or auditor checks the opening's rounds against it, but neither may take it from this server when sealing or checking: " +
		"a server that swapped it could read the offers before their time. Pin it out of band (quicknet's is built into segel; a local beacon's as the LPSE publishes it) and pass it as segel's --chain.",
}

// openAPI builds the OpenAPI 3.1 document from the routes the mux serves,
// so the document and the mux cannot disagree.
func (s *Server) openAPI() map[string]any {
	ids := strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_", s.Beacon.Chain().HashHex(), "chain")
	paths := map[string]any{}
	for _, rt := range s.served() {
		op := map[string]any{
			"summary":     rt.summary,
			"operationId": strings.ToLower(rt.method) + ids.Replace(rt.path),
			"responses": map[string]any{
				"default": map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
				"2XX":     map[string]any{"description": "Success"},
			},
		}
		if d, ok := descriptions[rt.method+" "+rt.path]; ok {
			op["description"] = d
		}
		if strings.HasPrefix(rt.path, "/beacon/") {
			op["tags"] = []string{"beacon"}
			op["responses"] = map[string]any{
				"200":     map[string]any{"description": "Success", "content": map[string]any{"application/json": map[string]any{}}},
				"default": map[string]any{"description": "Error, in drand's format: {error}", "content": map[string]any{"application/json": map[string]any{}}},
			}
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
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Segel LPSE API",
			"version": "1",
			"description": "Sealed-bid e-tendering: registration, tenders, sealed offers with receipts, opening ceremony, audit log. " +
				"Errors are {code, error}; a known path asked with a method it does not serve gets 405 method-not-allowed with an Allow header, " +
				"an unknown path 404 no-route. x-roles lists the roles allowed.",
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
	if s.local != nil {
		doc["tags"] = []any{map[string]any{"name": "beacon", "description": "This deployment's own drand-compatible beacon, " +
			"in drand's HTTP API at /beacon/ and /beacon/{hash}/; its rounds unlock the offers. Its errors are drand's {error}."}}
	}
	return doc
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.openAPI())
}
