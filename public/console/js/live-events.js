// Live events over socket.io (README, "Real time: socket.io"): the access token in the
// handshake, one subscription to every type, each event shown as it arrives. After a drop the
// client reconnects with the last event id it got, so the server replays what was missed.
import { io } from "/console/vendor/socket.io.esm.min.js";
import { byId, el, fill, say, time } from "./dom.js";
import { accessToken, refresh } from "./session.js";

/** Rows kept on the page; older ones are dropped (the event log keeps them all for 30 days). */
const MAX_ROWS = 200;

/** At most one token renewal for the socket in this long. */
const RENEWAL_PAUSE_MS = 30_000;

let socket;
let lastEventId;
let lastRenewal = 0;
const shown = new Set();

function setStatus(text, state) {
	const status = byId("socket-status");
	status.textContent = text;
	status.dataset.state = state;
}

function row(event) {
	const object = event.data?.object ?? {};
	const details = el(
		"details",
		{},
		el("summary", {}, object.id ?? "(no id)"),
		el("pre", {}, JSON.stringify(event, null, 2)),
	);

	return el(
		"tr",
		{ "data-event-id": event.id, "data-event-type": event.type },
		el("td", {}, time(event.created_at)),
		el("td", {}, el("code", {}, event.type)),
		el("td", { class: "mono" }, details),
		el("td", {}, `${event.actor?.type ?? "?"} ${event.actor?.id ?? ""}`.trim()),
		el("td", { class: "mono" }, event.request_id ?? "—"),
	);
}

function show(event) {
	if (shown.has(event.id)) return;
	shown.add(event.id);
	const list = byId("events-list");
	list.prepend(row(event));
	while (list.rows.length > MAX_ROWS) {
		shown.delete(list.lastElementChild.dataset.eventId);
		list.lastElementChild.remove();
	}
	byId("events-empty").hidden = true;
}

/** A refused or expired credential: a fresh token, then connect again (socket.io will not). */
async function renewAndReconnect() {
	// A token refused again right after a renewal will not be cured by another one.
	if (Date.now() - lastRenewal < RENEWAL_PAUSE_MS) {
		setStatus("Cannot connect: the session's token is refused", "error");

		return;
	}
	lastRenewal = Date.now();
	setStatus("Renewing the session…", "connecting");
	try {
		await refresh();
		socket?.connect();
	} catch {
		setStatus("Signed out", "off");
	}
}

function subscribe() {
	setStatus("Subscribing…", "connecting");
	socket.emit("subscribe", { types: ["*"] }, (err) => {
		if (err) setStatus(`Subscription refused: ${err.message}`, "error");
		else setStatus("Live", "live");
	});
}

export function startLiveEvents() {
	stopLiveEvents();
	setStatus("Connecting…", "connecting");
	socket = io({
		transports: ["websocket"],
		// A function, so every reconnect sends the current token and the last event received.
		auth: (cb) => cb({ token: accessToken(), last_event_id: lastEventId }),
	});
	socket.on("connect", subscribe);
	socket.on("disconnect", () => setStatus("Disconnected, reconnecting…", "connecting"));
	socket.on("connect_error", (err) => {
		if (err.data?.code === "UNAUTHORIZED") renewAndReconnect();
		else setStatus(`Cannot connect: ${err.data?.message ?? err.message}`, "error");
	});
	// The server's own notices (a revoked or expired credential) are not event types.
	socket.on("error", (err) => {
		if (err?.code === "UNAUTHORIZED") renewAndReconnect();
		else say(byId("notice"), `Live events: ${err?.message ?? "error"}`);
	});
	socket.onAny((name, event) => {
		if (!name.includes(".")) return;
		lastEventId = event.id;
		show(event);
	});
}

export function stopLiveEvents() {
	socket?.disconnect();
	socket = undefined;
	lastEventId = undefined;
	shown.clear();
	fill(byId("events-list"));
	byId("events-empty").hidden = false;
	setStatus("Not connected", "off");
}

export function setUpLiveEvents() {
	byId("events-clear").addEventListener("click", () => {
		shown.clear();
		fill(byId("events-list"));
		byId("events-empty").hidden = false;
	});
}
