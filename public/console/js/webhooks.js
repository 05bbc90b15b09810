// Webhook endpoints (README, "Webhooks"): list and add them, send a test event, and per
// endpoint its deliveries with their status, attempts and last error, each re-sendable.
import { call, orgPath } from "./api.js";
import { busy, byId, el, fill, say, time } from "./dom.js";
import { showSecret } from "./secret.js";

/** `recover` reaches back as far as deliveries are kept (30 days); a minute less stays inside. */
const RECOVER_WINDOW_MS = 30 * 24 * 60 * 60 * 1000 - 60_000;

let selected;

function report(error) {
	say(byId("webhooks-error"), error ? `${error.message} (${error.code})` : "");
}

function stateOf(hook) {
	if (hook.is_active) {
		const n = hook.consecutive_failures ?? 0;
		const failures = n ? `, ${n} failure${n === 1 ? "" : "s"} in a row` : "";

		return `active${failures}`;
	}

	return `disabled${hook.disabled_reason ? `: ${hook.disabled_reason}` : ""}`;
}

/** An action button that reports its own failure and otherwise says what happened. */
function action(label, name, work) {
	const button = el("button", { type: "button", class: "small", "aria-label": name }, label);
	button.addEventListener("click", () =>
		busy(button, async () => {
			try {
				say(byId("notice"), await work());
				report();
			} catch (err) {
				report(err);
			}
		}),
	);

	return button;
}

function webhookRow(hook) {
	const base = orgPath(`/webhooks/${hook.id}`);
	const since = () => new Date(Date.now() - RECOVER_WINDOW_MS).toISOString();

	return el(
		"tr",
		{ "data-webhook-id": hook.id, "aria-selected": String(selected?.id === hook.id) },
		el("td", { class: "mono" }, hook.url),
		el("td", {}, hook.events.join(", ")),
		el("td", {}, stateOf(hook)),
		el("td", {}, time(hook.created_at)),
		el(
			"td",
			{ class: "actions" },
			action("Deliveries", `Deliveries of ${hook.url}`, async () => {
				await openDeliveries(hook);

				return "";
			}),
			action("Send test", `Send a test event to ${hook.url}`, async () => {
				const { data } = await call("POST", `${base}/test`);
				await refreshDeliveries(hook);

				return data.success
					? `Test event answered HTTP ${data.status_code} in ${data.latency_ms} ms`
					: `Test event failed: ${data.error ?? `HTTP ${data.status_code}`}`;
			}),
			action("Retry failed", `Retry failed deliveries of ${hook.url}`, async () => {
				const { data } = await call("POST", `${base}/recover`, { since: since() });
				await refreshDeliveries(hook);

				return `Failed or dead deliveries scheduled again: ${data.recovered}`;
			}),
		),
	);
}

export async function loadWebhooks() {
	try {
		const { data } = await call("GET", orgPath("/webhooks?limit=100"));
		fill(byId("webhooks-list"), data.map(webhookRow));
		report();
	} catch (err) {
		report(err);
	}
}

function deliveryRow(hook, delivery) {
	const redeliver = action("Redeliver", `Redeliver ${delivery.event_type}`, async () => {
		const path = orgPath(`/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`);
		await call("POST", path);
		await refreshDeliveries(hook);

		return `Delivery of ${delivery.event_type} scheduled again`;
	});
	// Only a delivery still to be tried has a next attempt; a settled one keeps its last time.
	const waiting = delivery.status === "pending" || delivery.status === "failed";
	// A delivery waiting for its first attempt cannot be restarted (409 on the API).
	redeliver.disabled = delivery.status === "pending";
	const answer = delivery.last_status_code
		? `HTTP ${delivery.last_status_code} in ${delivery.last_latency_ms ?? "?"} ms`
		: "—";

	return el(
		"tr",
		{ "data-delivery-id": delivery.id, "data-status": delivery.status },
		el("td", {}, time(delivery.created_at)),
		el(
			"td",
			{},
			el("code", {}, delivery.event_type),
			el("br"),
			el("small", { class: "mono" }, delivery.event_id),
		),
		el("td", {}, el("span", { class: `status status-${delivery.status}` }, delivery.status)),
		el("td", { class: "number" }, String(delivery.attempts ?? 0)),
		el("td", {}, answer),
		el("td", {}, delivery.last_error ?? delivery.dead_reason ?? "—"),
		el("td", {}, time(waiting ? delivery.next_attempt_at : undefined)),
		el("td", { class: "actions" }, redeliver),
	);
}

async function refreshDeliveries(hook) {
	if (selected?.id !== hook.id) return;
	const region = byId("deliveries-error");
	try {
		const path = orgPath(`/webhooks/${hook.id}/deliveries?limit=50`);
		const { data } = await call("GET", path);
		fill(
			byId("deliveries-list"),
			data.map((d) => deliveryRow(hook, d)),
		);
		say(region, data.length ? "" : "No deliveries yet.");
	} catch (err) {
		say(region, `${err.message} (${err.code})`);
	}
}

async function openDeliveries(hook) {
	selected = hook;
	byId("deliveries-title").textContent = `Deliveries to ${hook.url}`;
	byId("deliveries").hidden = false;
	for (const row of byId("webhooks-list").rows)
		row.setAttribute("aria-selected", String(row.dataset.webhookId === hook.id));
	await refreshDeliveries(hook);
	byId("deliveries").scrollIntoView({ block: "nearest" });
}

async function create(form) {
	const fields = new FormData(form);
	const body = {
		url: fields.get("url").trim(),
		events: fields
			.get("events")
			.split(",")
			.map((e) => e.trim())
			.filter(Boolean),
	};
	const description = fields.get("description").trim();
	if (description) body.description = description;
	const { data } = await call("POST", orgPath("/webhooks"), body);
	showSecret(byId("webhook-secret"), `Signing secret of ${data.url}`, data.secret);
	form.reset();
	await loadWebhooks();
}

export function setUpWebhooks() {
	const form = byId("webhook-form");
	form.addEventListener("submit", (e) => {
		e.preventDefault();
		busy(form.querySelector("button[type=submit]"), () => create(form).catch(report));
	});
	byId("webhooks-refresh").addEventListener("click", loadWebhooks);
	byId("deliveries-refresh").addEventListener(
		"click",
		() => selected && refreshDeliveries(selected),
	);
}

export function resetWebhooks() {
	selected = undefined;
	fill(byId("webhooks-list"));
	fill(byId("deliveries-list"));
	byId("deliveries").hidden = true;
	byId("webhook-secret").hidden = true;
}
