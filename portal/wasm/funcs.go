//go:build js && wasm

package main

import (
	"fmt"
	"io"
	"io/fs"
	"syscall/js"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/portal/wasmapi"
)

// checkTender(pinnedChain, tender): the tender as the server describes it
// (JSON text or the parsed object), checked against the chain pinned in
// the page's code; resolves to wasmapi.Checked.
func checkTender(args []js.Value) (any, error) {
	pinned, err := jsonArg(args, 0, "the pinned chain")
	if err != nil {
		return nil, err
	}
	tender, err := jsonArg(args, 1, "the tender")
	if err != nil {
		return nil, err
	}
	c, err := wasmapi.CheckTender(pinned, tender, time.Now())
	if err != nil {
		return nil, err
	}
	return toJS(c), nil
}

// seal(document, target, {onProgress, signal}): seals a File or Blob to a
// target (checkTender's), self-checks the sealed file, and resolves to
// wasmapi.Sealed with the sealed Blob as "sealed" and the self-check's
// findings as "self_check".
func seal(args []js.Value) (any, error) {
	if len(args) == 0 || !isBlob(args[0]) {
		return nil, fmt.Errorf("%w: the document must be a File or a Blob", wasmapi.ErrInput)
	}
	tj, err := jsonArg(args, 1, "the target")
	if err != nil {
		return nil, err
	}
	t, err := wasmapi.ParseTarget(tj)
	if err != nil {
		return nil, err
	}
	in := newBlobReader(args[0])
	opts := optArg(args, 2)
	if !opts.IsUndefined() {
		if s := opts.Get("signal"); s.Type() == js.TypeObject {
			in.signal = s
		}
		if f := opts.Get("onProgress"); f.Type() == js.TypeFunction {
			in.read = func(n int64) { f.Invoke(n, in.size) }
		}
	}
	out := newBlobWriter()
	s, err := wasmapi.Seal(out, io.NewSectionReader(in, 0, in.size), t)
	if err != nil {
		return nil, err
	}
	if s.DocumentSize != in.size {
		return nil, fmt.Errorf("%w: read %d bytes of a %d-byte document: was it changed while being sealed?", wasmapi.ErrSelfCheck, s.DocumentSize, in.size)
	}
	sealed := out.Blob("application/octet-stream")
	stored := newBlobReader(sealed)
	if stored.size != s.Size {
		return nil, fmt.Errorf("%w: the browser holds %d bytes of a %d-byte sealed file", wasmapi.ErrSelfCheck, stored.size, s.Size)
	}
	check, err := wasmapi.Inspect(stored, stored.size, t, s.DocumentSize, false)
	if err != nil {
		return nil, err
	}
	res := toJS(s)
	res.Set("sealed", sealed)
	res.Set("self_check", toJS(check))
	return res, nil
}

// inspect(sealed, target, {document_size, sha256}): the self-check of a
// sealed File or Blob; resolves to wasmapi.Inspected.
func inspect(args []js.Value) (any, error) {
	if len(args) == 0 || !isBlob(args[0]) {
		return nil, fmt.Errorf("%w: the sealed file must be a File or a Blob", wasmapi.ErrInput)
	}
	tj, err := jsonArg(args, 1, "the target")
	if err != nil {
		return nil, err
	}
	t, err := wasmapi.ParseTarget(tj)
	if err != nil {
		return nil, err
	}
	docSize, sum := int64(-1), false
	if opts := optArg(args, 2); !opts.IsUndefined() {
		if d := opts.Get("document_size"); d.Type() == js.TypeNumber {
			docSize = int64(d.Float())
		}
		sum = opts.Get("sha256").Truthy()
	}
	in := newBlobReader(args[0])
	res, err := wasmapi.Inspect(in, in.size, t, docSize, sum)
	if err != nil {
		return nil, err
	}
	return toJS(res), nil
}

// verifyReceipt(receipt, keys, expect) and verifyProofFile(proof, keys,
// expect): the receipt or proof file (text or a File) against the pinned
// keys (a segel-keys/v1 file), compared with what the page expects;
// resolve to wasmapi.Receipt.
func verifyReceipt(args []js.Value) (any, error) {
	return verifyText(args, auditlog.MaxReceiptSize, wasmapi.VerifyReceipt)
}

func verifyProofFile(args []js.Value) (any, error) {
	return verifyText(args, auditlog.MaxProofFileSize, wasmapi.VerifyProofFile)
}

func verifyText(args []js.Value, max int64, verify func(text, keys []byte, want wasmapi.Expect) (*wasmapi.Receipt, error)) (any, error) {
	text, err := textArg(args, 0, "the receipt", max)
	if err != nil {
		return nil, err
	}
	keys, err := textArg(args, 1, "the pinned keys", audit.MaxKeysSize)
	if err != nil {
		return nil, err
	}
	var want wasmapi.Expect
	if len(args) > 2 && !args[2].IsUndefined() && !args[2].IsNull() {
		b, err := jsonArg(args, 2, "the expected fields")
		if err != nil {
			return nil, err
		}
		if want, err = wasmapi.ParseExpect(b); err != nil {
			return nil, err
		}
	}
	r, err := verify(text, keys, want)
	if err != nil {
		return nil, err
	}
	return toJS(r), nil
}

// verifyBundle(bundle, keys): an audit bundle — a tar archive (File or
// Blob), or a directory's files (a FileList or an Array of File, named by
// webkitRelativePath) — verified offline against the pinned keys, or
// against its own keys.txt if keys is undefined; resolves to
// wasmapi.Bundle.
func verifyBundle(args []js.Value) (any, error) {
	if len(args) == 0 || args[0].Type() != js.TypeObject {
		return nil, fmt.Errorf("%w: the bundle must be a .tar file or a directory's files", wasmapi.ErrInput)
	}
	var keys []byte
	if len(args) > 1 && !args[1].IsUndefined() && !args[1].IsNull() {
		var err error
		if keys, err = textArg(args, 1, "the pinned keys", audit.MaxKeysSize); err != nil {
			return nil, err
		}
	}
	var fsys fs.FS
	var err error
	if isBlob(args[0]) {
		r := newBlobReader(args[0])
		fsys, err = wasmapi.TarFS(r, r.size)
	} else {
		fsys, err = filesArg(args[0])
	}
	if err != nil {
		return nil, err
	}
	res, err := wasmapi.VerifyBundle(fsys, keys)
	if err != nil {
		return nil, err
	}
	return toJS(res), nil
}

// filesArg reads a FileList or an Array of File into wasmapi.Files.
func filesArg(list js.Value) (fs.FS, error) {
	n := list.Get("length")
	if n.Type() != js.TypeNumber {
		return nil, fmt.Errorf("%w: the bundle must be a .tar file or a directory's files", wasmapi.ErrInput)
	}
	var files []wasmapi.File
	for i := range n.Int() {
		f := list.Index(i)
		if !isBlob(f) || f.Get("name").Type() != js.TypeString {
			return nil, fmt.Errorf("%w: item %d of the bundle's files is not a File", wasmapi.ErrInput, i)
		}
		name := f.Get("name").String()
		if p := f.Get("webkitRelativePath"); p.Type() == js.TypeString && p.String() != "" {
			name = p.String()
		}
		r := newBlobReader(f)
		files = append(files, wasmapi.File{Path: name, Size: r.size, Data: r})
	}
	return wasmapi.FilesFS(files)
}
