package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
)

// An endpoint is what a route does: its handler, and what the OpenAPI
// document says of its request and answer. The constructors below take
// those from the handler's own types, so the document describes what the
// handler decodes and encodes, not what someone wrote next to it.
type endpoint struct {
	serve http.HandlerFunc
	// in is the JSON request body's type; nil if the route takes a raw
	// body (inType) or none.
	in     reflect.Type
	inType string // the request body's media type; "" for none
	// out is the JSON answer's type; nil for a raw answer (outType) or a
	// JSON answer whose schema is not ours (drand's, OCDS, OpenAPI).
	out     reflect.Type
	outType string
	status  int // of success
}

// none is the In of a JSON operation that takes no request body.
type none struct{}

// jsonOp is the endpoint of f: it decodes the JSON request body into an
// In (none: no body), calls f, and answers f's Out as JSON with status.
func jsonOp[In, Out any](s *Server, status int, f func(*http.Request, In) (Out, error)) endpoint {
	e := endpoint{out: reflect.TypeFor[Out](), outType: jsonBody, status: status}
	if t := reflect.TypeFor[In](); t != reflect.TypeFor[none]() {
		e.in, e.inType = t, jsonBody
	}
	e.serve = func(w http.ResponseWriter, r *http.Request) {
		var in In
		if e.in != nil {
			if err := readJSON(r, &in); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		out, err := f(r, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, status, emptyList(out))
	}
	return e
}

// rawOp is the endpoint of f, which reads a raw request body of media
// type inType and returns a JSON Out, answered with status.
func rawOp[Out any](s *Server, inType string, status int, f func(*http.Request) (Out, error)) endpoint {
	e := endpoint{inType: inType, out: reflect.TypeFor[Out](), outType: jsonBody, status: status}
	e.serve = func(w http.ResponseWriter, r *http.Request) {
		if err := wantType(r, inType); err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := f(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, status, out)
	}
	return e
}

// raw is the endpoint of a handler that answers outType itself, 200 on
// success, reading a raw body of inType ("" for none).
func raw(inType, outType string, h http.HandlerFunc) endpoint {
	return endpoint{serve: h, inType: inType, outType: outType, status: http.StatusOK}
}

// emptyList returns v, or an empty slice of its type if v is a nil
// slice: lists are answered as [], never null.
func emptyList(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice && rv.IsNil() {
		return reflect.MakeSlice(rv.Type(), 0, 0).Interface()
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeText(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", textUTF8)
	w.Write(b)
}

// readJSON decodes a JSON request body strictly: the right content type,
// no unknown fields, nothing after the value. The route's cap on the body
// (limit) applies.
func readJSON(r *http.Request, v any) error {
	if err := wantType(r, jsonBody); err != nil {
		return err
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, errBodyTooLarge) {
			return err // the route's cap (limit), which says so
		}
		return fmt.Errorf("%w: body is not the expected JSON: %v", errBadRequest, err)
	}
	// Only white space may follow. (Decoder.More is not this check: it
	// reports false before a stray "}" or "]".)
	if _, err := dec.Token(); err != io.EOF {
		if errors.Is(err, errBodyTooLarge) {
			return err
		}
		return fmt.Errorf("%w: body has data after the JSON value", errBadRequest)
	}
	return nil
}

func wantType(r *http.Request, want string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		return fmt.Errorf("%w: Content-Type must be %s, not %q", errMediaType, want, r.Header.Get("Content-Type"))
	}
	return nil
}
