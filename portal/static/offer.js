// offer.js: the offer page. The document is sealed in this browser by
// the portal's WebAssembly (package sealer, as segel seal) to the
// tender's round on the chain pinned in the page's code (pinned.js) —
// never a chain from the API — and self-checked; only the sealed file is
// uploaded, resumably, in chunks (a cut connection resumes where the
// server stands). The receipt and its proof file are verified here
// against the pinned keys and offered for download.
"use strict";

(() => {
	const { msg, api, apiError, when, size } = window.segelPortal;
	const CHUNK = 1 << 20; // a cut connection loses at most this much
	const RETRIES = 8;

	const $ = (id) => document.getElementById(id);
	const form = $("offer");
	if (!form) return;
	const tenderID = form.dataset.tender;
	const bidder = form.dataset.bidder;
	// A v2 tender's file part (1 or 2), or 0: the page seals that part only.
	const part = Number(form.dataset.file || 0);
	const submit = $("offer-submit");
	const cancel = $("offer-cancel");
	const status = $("offer-status");
	const errorBox = $("offer-error");
	let checked = null;
	let busy = null; // the AbortController of the work in progress

	function note(step, text, done) {
		const li = $("step-" + step);
		li.querySelector(".step-note").textContent = text ? "— " + text : "";
		li.classList.toggle("done", !!done);
	}

	// describe turns a failure into the page's words: a SegelError by its
	// code, an API refusal by apiError, with the detail in the sealer's
	// or the server's words.
	function describe(e) {
		if (e && e.name === "SegelError") {
			const key = "js.segel." + e.code;
			const text = msg(key).startsWith("[") ? msg("js.segel.other") : msg(key);
			return text + " (" + e.message + ")";
		}
		return e && e.message ? e.message : String(e);
	}

	function fail(e) {
		errorBox.hidden = false;
		errorBox.textContent = "";
		const p1 = document.createElement("p");
		p1.textContent = msg("js.offer.failed");
		const p2 = document.createElement("p");
		p2.textContent = describe(e);
		errorBox.append(p1, p2);
		status.textContent = "";
	}

	const sleep = (ms, signal) =>
		new Promise((resolve, reject) => {
			const t = setTimeout(resolve, ms);
			signal.addEventListener("abort", () => {
				clearTimeout(t);
				reject(signal.reason);
			});
		});

	// retryable says whether a failed chunk may succeed later: a broken
	// connection (fetch throws), a server or proxy failure, a rate
	// limit, a busy bidder.
	const retryable = (e) => e.status === undefined || e.status >= 500 || e.status === 429 || e.status === 408 || e.code === "busy";

	async function json(resp) {
		if (!resp.ok) throw await apiError(resp);
		return resp.json();
	}

	// upload sends the sealed file resumably and returns the receipt.
	async function upload(sealed, signal) {
		const progress = $("upload-progress");
		progress.max = sealed.size;
		let u = await json(
			await api(`/v1/tenders/${encodeURIComponent(tenderID)}/uploads`, {
				method: "POST",
				headers: { "Content-Type": "application/json" },
				body: JSON.stringify(part ? { size: sealed.size, file: part } : { size: sealed.size }),
				signal,
			}),
		);
		let offset = u.received;
		let failures = 0;
		let wait = 1000;
		const show = () => {
			progress.value = offset;
			note("upload", msg("js.offer.uploading", size(offset), size(sealed.size)));
		};
		show();
		while (offset < sealed.size) {
			let err;
			try {
				const r = await api(`/v1/uploads/${encodeURIComponent(u.id)}?offset=${offset}`, {
					method: "PUT",
					headers: { "Content-Type": "application/octet-stream" },
					body: sealed.slice(offset, offset + CHUNK),
					signal,
				});
				if (r.ok) {
					u = await r.json();
					offset = u.received;
					failures = 0;
					wait = 1000;
					show();
					continue;
				}
				err = await apiError(r);
				if (err.code !== "invalid" && !retryable(err)) throw err;
			} catch (e) {
				if (signal.aborted) throw e;
				if (e.status !== undefined && !retryable(e) && e.code !== "invalid") throw e;
				err = e;
			}
			// A chunk failed, or the server stands elsewhere (a chunk whose
			// answer was lost moved it on): wait, ask where it stands, go on.
			if (err.code !== "invalid") {
				if (++failures > RETRIES) throw new Error(msg("js.offer.gave-up", RETRIES) + " (" + describe(err) + ")");
				status.textContent = msg("js.offer.retrying", size(offset), Math.round(wait / 1000));
				await sleep(wait, signal);
				wait = Math.min(2 * wait, 30000);
			}
			try {
				const st = await json(await api(`/v1/uploads/${encodeURIComponent(u.id)}`, { signal }));
				if (err.code === "invalid" && st.received === offset) throw err;
				offset = st.received;
				status.textContent = msg("js.offer.resumed", size(offset));
				show();
			} catch (e) {
				if (signal.aborted || (e.status !== undefined && !retryable(e))) throw e;
			}
		}
		note("upload", msg("js.offer.uploaded"), true);
		return json(await api(`/v1/uploads/${encodeURIComponent(u.id)}/finish`, { method: "POST", signal }));
	}

	function offerDownload(id, text, type) {
		const a = $(id);
		a.href = URL.createObjectURL(text instanceof Blob ? text : new Blob([text], { type }));
	}

	async function send(segel, file) {
		const signal = busy.signal;
		errorBox.hidden = true;
		$("offer-done").hidden = true;
		// Sealing: the document is read a MiB at a time and never leaves
		// the browser unsealed.
		const sealProgress = $("seal-progress");
		sealProgress.max = Math.max(file.size, 1);
		sealProgress.value = 0;
		const s = await segel.seal(file, checked.target, {
			signal,
			onProgress: (n, total) => {
				sealProgress.value = n;
				note("seal", msg("js.offer.sealing", size(n), size(total)));
			},
		});
		sealProgress.value = sealProgress.max;
		note("seal", msg("js.offer.sealed", size(s.size)), true);

		const rc = await upload(s.sealed, signal);
		const expect = { tender: tenderID, bidder, sha256: s.sha256, size: s.size };
		if (part) {
			// A version 2 receipt binds the part and the header too.
			expect.file = part;
			expect.header = s.header;
		}
		const receipt = await segel.verifyReceipt(rc.receipt, window.segelPinned.keys, expect);
		const pr = await fetch("/v1/proofs", { method: "POST", headers: { "Content-Type": "text/plain" }, body: rc.receipt, signal });
		if (!pr.ok) throw await apiError(pr);
		const proofText = await pr.text();
		const proof = await segel.verifyProofFile(proofText, window.segelPinned.keys, expect);
		note("receipt", msg("js.offer.verified"), true);

		$("rc-index").textContent = receipt.index;
		$("rc-received").textContent = when(receipt.received);
		$("rc-sha256").textContent = receipt.sha256;
		$("rc-size").textContent = size(receipt.size);
		$("rc-checkpoint").textContent = msg("js.checkpoint", proof.checkpoint.size);
		$("rc-text").textContent = rc.receipt;
		offerDownload("dl-receipt", rc.receipt, "text/plain");
		offerDownload("dl-proof", proofText, "text/plain");
		offerDownload("dl-sealed", s.sealed);
		$("dl-sealed-item").hidden = false;
		$("offer-done").hidden = false;
		status.textContent = msg("js.offer.done");
		$("offer-done").querySelector("h2").focus?.();
	}

	window.addEventListener("beforeunload", (e) => {
		if (busy) {
			e.preventDefault();
			e.returnValue = msg("js.offer.leave");
		}
	});

	async function start() {
		status.textContent = msg("js.offer.loading");
		const segel = await window.segelReady;
		const resp = await fetch(`/v1/tenders/${encodeURIComponent(tenderID)}`, { cache: "no-store" });
		if (!resp.ok) throw await apiError(resp);
		// The round is checked against the tender's own opening time on
		// the pinned chain (RoundAt(opening)); a tender that names another
		// chain or round is refused.
		// A v2 tender's part is checked with its committee: the committee
		// and the part's round must be the ones the tender's log, verified
		// with the pinned log key, names (doc/spec/opening.md §2.2).
		const tenderText = await resp.text();
		let logText = null;
		if (part) {
			const lr = await fetch(`/v1/tenders/${encodeURIComponent(tenderID)}/log`, { cache: "no-store" });
			if (!lr.ok) throw await apiError(lr);
			logText = await lr.text();
		}
		checked = part
			? await segel.checkFile(window.segelPinned.chain, window.segelPinned.keys, tenderText, logText, bidder, part)
			: await segel.checkTender(window.segelPinned.chain, tenderText);
		// Which chain the pins name: quicknet, as built into the sealer
		// itself, or the deployment's own beacon, whose custodian could
		// open offers early (doc/spec/portal.md §6).
		const pinned = window.segelPinned.chain.hash;
		const quicknet = typeof segel.quicknet === "string" ? JSON.parse(segel.quicknet) : segel.quicknet;
		const chain = pinned === quicknet.hash ? msg("js.offer.chain-quicknet") : msg("js.offer.chain-own", pinned);
		const keyID = part ? checked.committee_id : checked.committee_key_id;
		note("check", msg("js.offer.checked", when(checked.opens), keyID) + "; " + chain, true);
		status.textContent = msg("js.offer.choose");
		submit.disabled = false;

		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			const file = $("document").files[0];
			if (!file || busy) return;
			busy = new AbortController();
			submit.disabled = true;
			cancel.hidden = false;
			for (const step of ["seal", "upload", "receipt"]) note(step, "", false);
			$("upload-progress").value = 0;
			try {
				await send(segel, file);
			} catch (err) {
				fail(busy.signal.aborted ? new Error(msg("js.offer.cancelled")) : err);
			} finally {
				busy = null;
				submit.disabled = false;
				cancel.hidden = true;
			}
		});
		cancel.addEventListener("click", () => busy && busy.abort());
	}

	const go = () => start().catch((e) => {
		note("check", "", false);
		fail(e);
	});
	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", go);
	} else {
		go();
	}
})();
