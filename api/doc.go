// Package api is the wire of lpsed's HTTP API: every request and response
// body, and the error codes with their HTTP statuses. Package server
// answers with these types and package client sends and decodes them, so
// the two cannot disagree; the OpenAPI 3.1 document the server publishes
// at /openapi.json is generated from them by reflection (Schemas), so it
// cannot disagree with either. It implements doc/spec/api.md, version 2:
// the conventions below, and the codes, whose table there TestSpecCodes
// keeps equal to this package's.
//
// # The wire
//
// Every body is a JSON object (or an array of them) with snake_case
// names. Digests are SHA-256 as 64 lowercase hex digits (Digest); times
// are RFC 3339, in UTC on the way out; a time, digest, pointer or list
// that has no value is absent from the object, never null or a zero time.
// Enumerations (Role, TenderState, Code, …) are strings from a documented
// set. An optional time is a time.Time tagged omitzero: absent when zero,
// with none of a *time.Time's nil checks or a custom type's conversions
// at every use; the server converts to UTC as it answers, and its tests
// fail on any time that is not in UTC. A request body with a field the server does not know is refused
// (400 bad-request): a misspelt field never passes unnoticed.
//
// Errors are an Error, {"code": …, "error": …}: code is one of the Code
// constants, stable, for programs; error says what was wrong and what to
// do, for people. Each code has one HTTP status (Code.Status).
//
// # The tag convention
//
// The document is generated from the types, so what it says of a field is
// in the field's tags:
//
//   - json:"name": the wire name. A field without omitempty or omitzero is
//     required; with either it is optional, absent when zero.
//   - doc:"…": the field's description.
//   - example:"…": an example value: taken as it is for a string, parsed
//     as JSON for anything else.
//   - format:"…" and pattern:"…": the JSON Schema keywords of that name,
//     for a string.
//
// A type describes itself with an unexported about method, and a string
// type that is an enumeration lists its values with an unexported values
// method; Schemas uses both. Digest, time.Time and []byte (base64) have
// fixed schemas. Every object is closed (additionalProperties: false): the
// server sends nothing its document does not name, which its tests check
// by validating every response against the document.
//
// The drand types (ChainInfo, Beacon, DrandError) describe drand's HTTP
// API, which /v1/chain and a local beacon's /beacon/ routes serve as drand
// defines it: package timelock encodes them, and their names are drand's.
//
// This package imports no storage and no other package of Segel: a
// program speaking the API (an SPSE build's adapter, a bidder's tool)
// needs nothing else.
package api
