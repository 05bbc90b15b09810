// API keys (README, "Authentication and access"): list, create (the key is shown once) and
// revoke. Revoking is a DELETE; the very next request with the key is refused.
import { call } from "./api.js";
import { busy, byId, el, fill, say, time } from "./dom.js";
import { showSecret } from "./secret.js";

function report(error) {
	say(byId("api-keys-error"), error ? `${error.message} (${error.code})` : "");
}

function stateOf(key) {
	if (!key.is_active) return "revoked";
	if (key.expires_at && Date.parse(key.expires_at) <= Date.now()) return "expired";

	return "active";
}

function keyRow(key) {
	const revoke = el("button", { type: "button", class: "small danger" }, "Revoke");
	revoke.setAttribute("aria-label", `Revoke ${key.name}`);
	revoke.disabled = !key.is_active;
	revoke.addEventListener("click", () =>
		busy(revoke, async () => {
			if (!window.confirm(`Revoke the key "${key.name}"? Programs using it stop working.`))
				return;
			try {
				await call("DELETE", `/v1/auth/api-keys/${key.id}`);
				say(byId("notice"), `The key ${key.name} is revoked`);
				await loadApiKeys();
			} catch (err) {
				report(err);
			}
		}),
	);

	return el(
		"tr",
		{ "data-api-key-id": key.id },
		el("td", {}, key.name),
		el("td", { class: "mono" }, `${key.prefix ?? ""}…`),
		el("td", {}, (key.scopes ?? []).join(", ") || "—"),
		el("td", {}, time(key.last_used_at)),
		el("td", {}, stateOf(key)),
		el("td", { class: "actions" }, revoke),
	);
}

export async function loadApiKeys() {
	try {
		const { data } = await call("GET", "/v1/auth/api-keys?limit=100");
		fill(byId("api-keys-list"), data.map(keyRow));
		report();
	} catch (err) {
		report(err);
	}
}

async function create(form) {
	const fields = new FormData(form);
	const body = { name: fields.get("name").trim() };
	const scopes = fields
		.get("scopes")
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
	if (scopes.length) body.scopes = scopes;
	const { data } = await call("POST", "/v1/auth/api-keys", body);
	showSecret(byId("api-key-secret"), `API key ${data.name}`, data.key);
	form.reset();
	await loadApiKeys();
}

export function setUpApiKeys() {
	const form = byId("api-key-form");
	form.addEventListener("submit", (e) => {
		e.preventDefault();
		busy(form.querySelector("button[type=submit]"), () => create(form).then(report, report));
	});
	byId("api-keys-refresh").addEventListener("click", loadApiKeys);
}

export function resetApiKeys() {
	fill(byId("api-keys-list"));
	byId("api-key-secret").hidden = true;
}
