// receipt.js: the receipt page. The signed receipt and its proof file,
// as the server gives them, are verified here against the keys pinned in
// the page's code (pinned.js) and offered for download.
"use strict";

(() => {
	const { msg, when, size } = window.segelPortal;
	const $ = (id) => document.getElementById(id);
	const box = $("receipt");
	if (!box) return;
	async function check() {
		const files = JSON.parse($("receipt-files").textContent);
		const segel = await window.segelReady;
		const expect = { tender: box.dataset.tender, bidder: box.dataset.bidder };
		const r = await segel.verifyReceipt(files.receipt, window.segelPinned.keys, expect);
		const p = await segel.verifyProofFile(files.proof, window.segelPinned.keys, { ...expect, sha256: r.sha256, size: r.size });
		$("rc-index").textContent = r.index;
		$("rc-received").textContent = when(r.received);
		$("rc-sha256").textContent = r.sha256;
		$("rc-size").textContent = size(r.size);
		$("rc-checkpoint").textContent = msg("js.checkpoint", p.checkpoint.size);
		$("rc-text").textContent = files.receipt;
		$("dl-receipt").href = URL.createObjectURL(new Blob([files.receipt], { type: "text/plain" }));
		$("dl-proof").href = URL.createObjectURL(new Blob([files.proof], { type: "text/plain" }));
		$("receipt-status").textContent = msg("js.receipt.verified");
		$("receipt-status").className = "ok";
	}

	const go = () =>
		check().catch((e) => {
			const err = $("receipt-error");
			err.hidden = false;
			const key = "js.segel." + (e.code || "other");
			err.textContent = msg("js.receipt.failed") + " " + (msg(key).startsWith("[") ? "" : msg(key) + " ") + "(" + e.message + ")";
			$("receipt-status").textContent = "";
		});
	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", go);
	} else {
		go();
	}
})();
