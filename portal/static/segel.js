// segel.js loads the Segel portal's WebAssembly: the sealer and the
// verifiers of package sealer, auditlog and audit, compiled from Go
// (doc/spec/portal.md). Load Go's wasm_exec.js first, both with
// Subresource Integrity, and name the WebAssembly's digest:
//
//   <script src="/portal/static/wasm_exec.js" integrity="sha384-…"></script>
//   <script src="/portal/static/segel.js" integrity="sha384-…"
//           data-wasm="/portal/static/segel.wasm" data-wasm-integrity="sha384-…"></script>
//
// then, in the page's own script file: const segel = await window.segelReady;
//
// The page's Content-Security-Policy must allow WebAssembly to compile:
// script-src 'self' 'wasm-unsafe-eval'. Nothing here uses eval or inline
// script.
"use strict";

(() => {
	const script = document.currentScript;

	async function load() {
		if (!script || !script.dataset.wasmIntegrity) {
			throw new Error("segel.js: the script tag must name the WebAssembly's digest in data-wasm-integrity");
		}
		if (typeof Go !== "function") {
			throw new Error("segel.js: load wasm_exec.js before segel.js");
		}
		const url = new URL(script.dataset.wasm || "segel.wasm", script.src);
		const go = new Go();
		const response = fetch(url, { integrity: script.dataset.wasmIntegrity, credentials: "same-origin" });
		const { instance } = await WebAssembly.instantiateStreaming(response, go.importObject);
		go.run(instance).then(() => {
			window.segel = undefined;
		});
		if (typeof window.segel !== "object") {
			throw new Error("segel.js: segel.wasm did not start");
		}
		// The WebAssembly memory's size, in bytes: it grows, never shrinks,
		// so it shows the most the sealer ever held.
		window.segel.memoryBytes = () => instance.exports.mem.buffer.byteLength;
		return window.segel;
	}

	window.segelReady = load();
})();
