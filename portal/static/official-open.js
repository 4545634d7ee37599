// official-open.js: the opening ceremony's page. The committee's key is
// sent once, with the form, to this origin; this script never reads it.
// While the API runs the ceremony (one request, which answers when it
// is done), the page shows the time it has taken and the tender's state
// as the API gives it, polled every two seconds; the page that follows
// shows the outcome.
"use strict";

(() => {
	const { msg, api } = window.segelPortal;
	const form = document.getElementById("open-form");
	if (!form) return;
	const progress = document.getElementById("open-progress");
	const button = document.getElementById("open-submit");
	const tender = form.dataset.tender;
	const states = JSON.parse(document.getElementById("open-states").textContent);
	form.addEventListener("submit", () => {
		const start = Date.now();
		let state = "";
		progress.hidden = false;
		const show = () => {
			const s = Math.floor((Date.now() - start) / 1000);
			progress.textContent = msg("official.js.opening", s) + (state ? " " + msg("official.js.state", states["state." + state] || state) : "");
		};
		show();
		// The form is sent by the browser; disabling the button after the
		// submit event keeps a second click from sending the key again.
		setTimeout(() => {
			button.disabled = true;
		}, 0);
		setInterval(show, 1000);
		setInterval(async () => {
			try {
				const r = await api("/v1/tenders/" + encodeURIComponent(tender));
				if (r.ok) {
					state = (await r.json()).state || "";
					show();
				}
			} catch (e) {
				// the poll is only a view; the form's answer decides
			}
		}, 2000);
	});
})();
