// The browser tests' page script (portal/browser_test.go). It is served
// under the portal's Content-Security-Policy like any page script, and
// gives the tests a few helpers.
"use strict";

// Every violation of the page's Content-Security-Policy, for the tests to
// check that there is none.
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
	window.cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});

// The policy forbids eval (only WebAssembly may compile): prove it holds.
window.evalAllowed = (() => {
	try {
		return eval("true");
	} catch (e) {
		return false;
	}
})();

// attempt runs f and reports how it ended, as JSON, with a SegelError's
// code, file and check.
window.attempt = async (f) => {
	try {
		return { ok: true, value: await f() };
	} catch (e) {
		return { ok: false, name: e.name, code: e.code || "", message: e.message, file: e.file || "", check: e.check || "" };
	}
};

// The sealed files of this page, by name.
window.sealed = {};

// damage returns a copy of a Blob with the byte at i changed.
window.damage = async (blob, i) => {
	const b = new Uint8Array(await blob.arrayBuffer());
	b[i] ^= 0x20;
	return new Blob([b]);
};

document.addEventListener("DOMContentLoaded", () => {
	document.getElementById("status").textContent = "siap";
});
