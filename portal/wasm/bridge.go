//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/portal/wasmapi"
)

// asyncFunc makes f a JavaScript function that returns a promise: f runs
// on its own goroutine, so it may wait for the browser (a Blob's bytes)
// while the page's event loop goes on.
func asyncFunc(f func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) any {
		args = append([]js.Value(nil), args...)
		executor := js.FuncOf(func(this js.Value, pa []js.Value) any {
			resolve, reject := pa[0], pa[1]
			go func() {
				defer func() {
					if r := recover(); r != nil {
						reject.Invoke(jsError(fmt.Errorf("segel: internal error: %v", r)))
					}
				}()
				v, err := f(args)
				if err != nil {
					reject.Invoke(jsError(err))
					return
				}
				resolve.Invoke(v)
			}()
			return nil
		})
		defer executor.Release() // the Promise constructor calls it at once
		return js.Global().Get("Promise").New(executor)
	})
}

// jsError is err as a JavaScript Error whose message is err's text, with
// the properties a page branches on: code (wasmapi.Code), and for an
// audit bundle the file and check that failed.
func jsError(err error) js.Value {
	e := js.Global().Get("Error").New(err.Error())
	e.Set("name", "SegelError")
	e.Set("code", wasmapi.Code(err))
	var ae *audit.Error
	if errors.As(err, &ae) {
		e.Set("file", ae.File)
		e.Set("check", ae.Check)
	}
	return e
}

// toJS converts v to a JavaScript value through its JSON form, so that the
// page sees exactly the JSON field names wasmapi documents.
func toJS(v any) js.Value {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return js.Global().Get("JSON").Call("parse", string(b))
}

// jsonArg returns argument i as JSON text: a string as it is, an object
// through JSON.stringify.
func jsonArg(args []js.Value, i int, name string) ([]byte, error) {
	if i >= len(args) || args[i].IsUndefined() || args[i].IsNull() {
		return nil, fmt.Errorf("%w: %s is missing", wasmapi.ErrInput, name)
	}
	if args[i].Type() == js.TypeString {
		return []byte(args[i].String()), nil
	}
	if args[i].Type() != js.TypeObject {
		return nil, fmt.Errorf("%w: %s must be JSON text or an object, not a %s", wasmapi.ErrInput, name, args[i].Type())
	}
	return []byte(js.Global().Get("JSON").Call("stringify", args[i]).String()), nil
}

// textArg returns argument i, a string or a Blob (a chosen file), as
// bytes, reading at most max bytes.
func textArg(args []js.Value, i int, name string, max int64) ([]byte, error) {
	if i >= len(args) || args[i].IsUndefined() || args[i].IsNull() {
		return nil, fmt.Errorf("%w: %s is missing", wasmapi.ErrInput, name)
	}
	v := args[i]
	if v.Type() == js.TypeString {
		if int64(len(v.String())) > max {
			return nil, fmt.Errorf("%w: %s: more than %d bytes", wasmapi.ErrInput, name, max)
		}
		return []byte(v.String()), nil
	}
	if !isBlob(v) {
		return nil, fmt.Errorf("%w: %s must be text or a file (Blob)", wasmapi.ErrInput, name)
	}
	b := newBlobReader(v)
	if b.size > max {
		return nil, fmt.Errorf("%w: %s: %d bytes, more than %d", wasmapi.ErrInput, name, b.size, max)
	}
	data := make([]byte, b.size)
	if _, err := b.ReadAt(data, 0); err != nil && b.size > 0 {
		return nil, fmt.Errorf("%w: %s: %v", wasmapi.ErrInput, name, err)
	}
	return data, nil
}

// optArg returns argument i if it is an object, else undefined.
func optArg(args []js.Value, i int) js.Value {
	if i < len(args) && args[i].Type() == js.TypeObject {
		return args[i]
	}
	return js.Undefined()
}

func isBlob(v js.Value) bool {
	return v.Type() == js.TypeObject && v.InstanceOf(js.Global().Get("Blob"))
}

// await waits for a JavaScript promise. It must not run on the goroutine
// JavaScript called into: asyncFunc's goroutines may call it.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(this js.Value, args []js.Value) any {
		ch <- result{v: args[0]}
		return nil
	})
	defer then.Release()
	catch := js.FuncOf(func(this js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 && args[0].Type() == js.TypeObject && args[0].Get("message").Type() == js.TypeString {
			msg = args[0].Get("name").String() + ": " + args[0].Get("message").String()
		} else if len(args) > 0 {
			msg = js.Global().Get("String").Invoke(args[0]).String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}
