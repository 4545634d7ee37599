// opening.js: the opening page of a v2 tender, for the members of its
// committee (doc/spec/portal.md §3.9, §3.10, §7.8). A member's key file
// is read by the portal's WebAssembly in this browser and used there: the
// key challenge is answered and the contributions are computed here, and
// only the answer and the batch are sent. No request carries the key.
"use strict";

(() => {
	const { msg, api, apiError } = window.segelPortal;
	const $ = (id) => document.getElementById(id);
	const root = $("opening");
	if (!root) return;
	const tenderID = root.dataset.tender;
	const member = Number(root.dataset.member || 0);
	const status = $("opening-status");
	const errorBox = $("opening-error");
	const base = `/v1/tenders/${encodeURIComponent(tenderID)}`;
	// The checkpoint of this member's last turn, per part: the next
	// evidence must prove it extends it.
	const seen = {};

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
		errorBox.textContent = describe(e);
		status.textContent = "";
	}

	function ok(text) {
		errorBox.hidden = true;
		status.textContent = text;
	}

	async function json(resp) {
		if (!resp.ok) throw await apiError(resp);
		return resp.json();
	}

	const post = (path, body, type) =>
		api(path, {
			method: "POST",
			headers: body === undefined ? {} : { "Content-Type": type || "application/json" },
			body: body === undefined ? undefined : type ? body : JSON.stringify(body),
		});

	function keyFile(id) {
		const f = $(id) && $(id).files[0];
		if (!f) throw new Error(msg("js.opening.choose-key"));
		return f;
	}

	// busy runs one action at a time, with the page's buttons disabled.
	let running = false;
	async function busy(what, f) {
		if (running) return;
		running = true;
		const buttons = [...document.querySelectorAll("#opening ~ section button, section button")];
		const was = buttons.map((b) => b.disabled);
		buttons.forEach((b) => (b.disabled = true));
		status.textContent = what;
		errorBox.hidden = true;
		try {
			await f();
		} catch (e) {
			fail(e);
		} finally {
			buttons.forEach((b, i) => (b.disabled = was[i]));
			running = false;
		}
	}

	async function registerKey(segel) {
		const file = keyFile("register-key-file");
		// The challenge is asked for the key file's public key and answered
		// with the key file by the WebAssembly, which refuses a key file
		// whose key is not that public key.
		const recipient = await readRecipient(file);
		const ch = await json(await post("/v1/committee-keys/challenge", { recipient }));
		const a = await segel.answerChallenge(ch.challenge, ch.recipient, file);
		const key = await json(await post("/v1/committee-keys", { answer: a.answer }));
		ok(msg("js.opening.key-registered", key.key_id));
	}

	// readRecipient returns the public key a key file names in its
	// comment (as segel keygen and generateKey write it); answerChallenge
	// checks it against the key.
	async function readRecipient(file) {
		const text = await file.slice(0, 64 << 10).text();
		const m = /^# public key: (age1pq1[0-9a-z]+)$/m.exec(text);
		if (!m) throw new Error(msg("js.opening.no-public-key"));
		return m[1];
	}

	async function generateKey(segel) {
		const kf = await segel.generateKey();
		const a = $("key-download");
		a.href = URL.createObjectURL(new Blob([kf.file], { type: "text/plain" }));
		a.download = `kunci-pembukaan-${kf.key_id}.txt`;
		a.hidden = false;
		ok(msg("js.opening.key-generated", kf.key_id));
	}

	async function refresh(file) {
		const t = await json(await api(base));
		const p = (t.parts || []).find((x) => x.file === file);
		const part = $("part-" + file);
		if (p && part) {
			part.dataset.state = p.state;
			const states = {
				scheduled: msg("js.opening.state.scheduled"),
				open: msg("js.opening.state.open"),
				closed: msg("js.opening.state.closed"),
				opening: msg("js.opening.state.opening"),
				opened: msg("js.opening.state.opened"),
			};
			part.querySelector(".part-state").textContent = states[p.state] || p.state;
		}
		return t;
	}

	async function start(file) {
		await json(await post(`${base}/files/${file}/opening`));
		await refresh(file);
		ok(msg("js.opening.started", file));
	}

	async function contribute(segel, file) {
		const key = keyFile("key-file");
		const q = seen[file] ? `?seen=${seen[file].size}` : "";
		const ev = await json(await api(`${base}/files/${file}/evidence${q}`));
		const c = await segel.contribute(ev, window.segelPinned.keys, window.segelPinned.chain, tenderID, file, key, seen[file] ? seen[file].checkpoint : undefined);
		const sent = await json(await post(`${base}/files/${file}/contributions`, c.batch, "text/plain"));
		if (sent.list !== c.list) throw new Error(msg("js.opening.list-differs", sent.list, c.list));
		seen[file] = { size: c.size, checkpoint: c.checkpoint };
		const progress = $("part-" + file).querySelector(".part-progress");
		progress.textContent = msg("js.opening.contributed", sent.contributed, sent.claimed, sent.refused, c.files);
		ok(msg("js.opening.sent", file, sent.index));
	}

	async function complete(file, accept) {
		const resp = await post(`${base}/files/${file}/complete`, { accept_failures: accept });
		if (!resp.ok) {
			const e = await apiError(resp);
			if (e.code === "too-few-contributions") e.message = msg("js.opening.too-few") + " " + e.message;
			throw e;
		}
		const op = await resp.json();
		ok(msg("js.opening.completed", op.opened, op.failed, op.withheld));
		location.reload();
	}

	async function propose() {
		const results = [...document.querySelectorAll(".evaluation-row")].map((row) => ({
			bidder: row.dataset.bidder,
			passed: row.querySelector(".passed").checked,
			reasons: row.querySelector(".reasons").value,
		}));
		const p = await json(await post(`${base}/evaluations`, { results }));
		ok(msg("js.opening.proposed", p.digest));
		location.reload();
	}

	async function approve(digest) {
		const t = await json(await post(`${base}/evaluations/${encodeURIComponent(digest)}/approve`));
		ok(t.evaluation ? msg("js.opening.fixed") : msg("js.opening.approved"));
		location.reload();
	}

	async function go() {
		const segel = await window.segelReady;
		const gen = $("key-generate");
		gen.disabled = false;
		gen.addEventListener("click", () => busy(msg("js.opening.working"), () => generateKey(segel)));
		const reg = $("key-register");
		reg.disabled = false;
		reg.addEventListener("click", () => busy(msg("js.opening.working"), () => registerKey(segel)));
		for (const part of document.querySelectorAll("article.part")) {
			const file = Number(part.dataset.file);
			const b = (cls) => part.querySelector(cls);
			if (!b(".part-start")) continue;
			for (const cls of [".part-start", ".part-contribute", ".part-complete"]) b(cls).disabled = false;
			b(".part-start").addEventListener("click", () => busy(msg("js.opening.working"), () => start(file)));
			b(".part-contribute").addEventListener("click", () => busy(msg("js.opening.computing"), () => contribute(segel, file)));
			b(".part-complete").addEventListener("click", () => busy(msg("js.opening.working"), () => complete(file, b(".part-accept").checked)));
		}
		for (const p of document.querySelectorAll(".proposal")) {
			const btn = p.querySelector(".approve");
			if (!btn) continue;
			btn.addEventListener("click", () => busy(msg("js.opening.working"), () => approve(p.dataset.digest)));
			btn.disabled = false;
		}
		const form = $("evaluation");
		if (form) {
			form.addEventListener("submit", (e) => {
				e.preventDefault();
				busy(msg("js.opening.working"), propose);
			});
			$("evaluation-propose").disabled = false;
		}
		ok(member ? msg("js.opening.ready") : "");
	}

	const run = () => go().catch(fail);
	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", run);
	} else {
		run();
	}
})();
