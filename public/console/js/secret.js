// A secret the API shows once (an API key, a webhook signing secret): displayed until
// dismissed, with a copy button, and never kept anywhere by the console.
import { el, fill } from "./dom.js";

export function showSecret(region, label, secret) {
	const value = el("code", { class: "secret-value" }, secret);
	const copy = el("button", { type: "button", class: "small" }, "Copy");
	copy.addEventListener("click", async () => {
		await navigator.clipboard?.writeText(secret).catch(() => {});
		copy.textContent = "Copied";
	});
	const dismiss = el("button", { type: "button", class: "small secondary" }, "Done");
	dismiss.addEventListener("click", () => {
		fill(region);
		region.hidden = true;
	});
	fill(
		region,
		el("p", {}, el("strong", {}, label), " (shown only now; store it somewhere safe):"),
		el("p", {}, value, " ", copy, " ", dismiss),
	);
	region.hidden = false;
}
