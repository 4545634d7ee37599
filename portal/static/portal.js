// portal.js: what every page of the Segel portal shares. No framework, no
// build step, no inline script: the page's texts come from its
// catalogue (the JSON block #segel-messages), its CSRF token from
// <meta name="segel-csrf">.
//
//   segelPortal.msg(key, ...args)   a text of the page's language
//   segelPortal.api(path, options)  fetch the JSON API as the signed-in
//                                   visitor (session cookie and the
//                                   X-Segel-CSRF header)
//   segelPortal.apiError(response)  an API refusal as an Error in the
//                                   page's words
//   segelPortal.when(time)          a time in the deployment's zone, as
//                                   the server shows times
//   segelPortal.size(bytes)         a size in bytes, KiB or MiB
//
// Times marked <time data-countdown datetime="…"> get the time left
// beside them, updated every second; the time itself stays as text.
"use strict";

(() => {
	const messages = (() => {
		const el = document.getElementById("segel-messages");
		try {
			return el ? JSON.parse(el.textContent) : {};
		} catch (e) {
			return {};
		}
	})();

	function msg(key, ...args) {
		const s = messages[key];
		if (s === undefined) {
			return "[" + key + "]";
		}
		return s.replace(/\{([1-9])\}/g, (p, i) => (args[i - 1] === undefined ? p : String(args[i - 1])));
	}

	function csrf() {
		const m = document.querySelector('meta[name="segel-csrf"]');
		return m ? m.content : "";
	}

	// api calls the JSON API with the session; it resolves to the
	// Response, whatever its status.
	function api(path, options = {}) {
		const headers = new Headers(options.headers || {});
		headers.set("X-Segel-CSRF", csrf());
		return fetch(path, { ...options, headers, credentials: "same-origin", cache: "no-store" });
	}

	// apiError turns a refusal of the API ({code, error}) into an Error
	// whose message is the page's text for the code, and the API's own
	// words.
	async function apiError(resp) {
		let body = {};
		try {
			body = await resp.json();
		} catch (e) {
			// not the API's JSON: a proxy's page
		}
		const key = "error." + (body.code || "");
		const text = body.code && messages[key] !== undefined ? msg(key) : msg("js.error.status", resp.status);
		const err = new Error(body.error ? text + " " + msg("js.error.server-said", body.error) : text);
		err.code = body.code || "";
		err.status = resp.status;
		return err;
	}

	const locale = document.documentElement.lang === "id" ? "id-ID" : "en-GB";

	// when shows an RFC 3339 time in the deployment's zone (the body's
	// data-zone and data-zone-offset, in seconds east of UTC), whatever
	// the browser's own zone.
	function when(t) {
		const zone = document.body.dataset.zone || "UTC";
		const offset = Number(document.body.dataset.zoneOffset || 0);
		const d = new Date(Date.parse(t) + offset * 1000);
		return d.toLocaleString(locale, { timeZone: "UTC", dateStyle: "long", timeStyle: "medium" }) + " " + zone;
	}

	function size(n) {
		if (n < 1024) return msg("js.size.bytes", n);
		const f = (x) => x.toLocaleString(locale, { maximumFractionDigits: 1 });
		if (n < 1 << 20) return msg("js.size.kib", f(n / 1024));
		return msg("js.size.mib", f(n / (1 << 20)));
	}

	function left(ms) {
		if (ms <= 0) {
			return msg("js.countdown.passed");
		}
		const s = Math.floor(ms / 1000);
		const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
		const parts = [];
		if (d > 0) parts.push(msg("js.countdown.days", d));
		if (d > 0 || h > 0) parts.push(msg("js.countdown.hours", h));
		if (d === 0 && (h > 0 || m > 0)) parts.push(msg("js.countdown.minutes", m));
		if (d === 0 && h === 0) parts.push(msg("js.countdown.seconds", s % 60));
		return msg("js.countdown.left", parts.join(" "));
	}

	function countdowns() {
		const items = [];
		for (const t of document.querySelectorAll("time[data-countdown]")) {
			const at = Date.parse(t.getAttribute("datetime"));
			if (Number.isNaN(at)) continue;
			const span = document.createElement("span");
			span.className = "countdown";
			t.after(" ", span);
			items.push({ at, span });
		}
		if (items.length === 0) return;
		const tick = () => {
			const now = Date.now();
			for (const { at, span } of items) {
				span.textContent = "(" + left(at - now) + ")";
			}
		};
		tick();
		setInterval(tick, 1000);
	}

	window.segelPortal = Object.freeze({ msg, csrf, api, apiError, when, size });
	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", countdowns);
	} else {
		countdowns();
	}
})();
