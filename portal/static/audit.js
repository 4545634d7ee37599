// audit.js: the auditor's page. An audit bundle — a .tar as lpsed serves
// it, or a directory — is verified in this browser by the portal's
// WebAssembly, with the audit package's Verify (the code of segel
// verify), against the keys pinned in the page's code, a keys file the
// auditor brings, or none (then the bundle is only shown consistent with
// itself, and the page says so). No network is needed once the page is
// loaded.
"use strict";

(() => {
	const { msg } = window.segelPortal;
	const $ = (id) => document.getElementById(id);
	const form = $("audit");
	if (!form) return;
	const status = $("audit-status");
	const errorBox = $("audit-error");
	const submit = $("audit-submit");

	function bundle() {
		const dir = $("bundle-dir").files;
		const tar = $("bundle-tar").files[0];
		if (dir && dir.length > 0) return dir;
		return tar;
	}

	async function keys() {
		const choice = form.querySelector('input[name="keys"]:checked').value;
		if (choice === "pinned") return window.segelPinned.keys;
		if (choice === "none") return undefined;
		const f = $("keys-file").files[0];
		if (!f) throw new Error(msg("js.audit.no-keys-file"));
		return f.text();
	}

	function show(r) {
		const set = (id, v) => ($(id).textContent = String(v));
		set("r-tender", r.tender);
		set("r-round", r.round);
		set("r-offers", r.offers);
		set("r-opened", r.opened);
		set("r-failed", r.failed);
		set("r-superseded", r.superseded);
		set("r-receipts", r.receipts);
		set("r-entries", r.entries);
		set("r-checkpoints", r.checkpoints);
		set("r-tree-size", r.tree_size);
		set("r-sealed", r.sealed);
		$("audit-verdict").textContent = r.pinned ? msg("js.audit.verified") : msg("js.audit.consistent");
		$("audit-verdict").className = r.pinned ? "ok" : "warning";
		const un = $("audit-unpinned");
		un.hidden = r.pinned;
		un.textContent = r.pinned ? "" : msg("js.audit.unpinned", (r.unpinned || []).join(", "));
		$("audit-result").hidden = false;
		$("result-heading").focus();
	}

	async function verify(segel) {
		errorBox.hidden = true;
		$("audit-result").hidden = true;
		const b = bundle();
		if (!b) throw new Error(msg("js.audit.choose"));
		status.textContent = msg("js.audit.verifying");
		const r = await segel.verifyBundle(b, await keys());
		status.textContent = "";
		show(r);
	}

	function fail(e) {
		status.textContent = "";
		errorBox.hidden = false;
		errorBox.textContent = "";
		const p = document.createElement("p");
		if (e && e.name === "SegelError" && e.code === "bundle") {
			p.textContent = msg("js.audit.failed", e.file, e.check);
		} else {
			p.textContent = msg("js.audit.error");
		}
		const d = document.createElement("p");
		d.textContent = e && e.message ? e.message : String(e);
		d.lang = "en";
		errorBox.append(p, d);
	}

	async function start() {
		status.textContent = msg("js.offer.loading");
		const segel = await window.segelReady;
		status.textContent = "";
		submit.disabled = false;
		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			submit.disabled = true;
			try {
				await verify(segel);
			} catch (err) {
				fail(err);
			} finally {
				submit.disabled = false;
			}
		});
		// A new choice of bundle clears the other input, so it is clear
		// which one is verified.
		$("bundle-tar").addEventListener("change", () => ($("bundle-dir").value = ""));
		$("bundle-dir").addEventListener("change", () => ($("bundle-tar").value = ""));
		$("keys-file").addEventListener("change", () => ($("keys-file-choice").checked = true));
	}

	const go = () => start().catch(fail);
	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", go);
	} else {
		go();
	}
})();
