// A small element builder. Text always goes in as text nodes (never parsed as HTML), so
// whatever the API returns is shown, never run.

/**
 * `el("td", { class: "mono", title: id }, id)`: props are attributes, except `on…` functions
 * (listeners) and booleans (present when true); children are nodes or text.
 */
export function el(tag, props = {}, ...children) {
	const node = document.createElement(tag);
	for (const [name, value] of Object.entries(props)) {
		if (value === undefined || value === null || value === false) continue;
		if (typeof value === "function") node.addEventListener(name.slice(2), value);
		else node.setAttribute(name, value === true ? "" : String(value));
	}
	node.append(...children.flat().filter((c) => c !== undefined && c !== null));

	return node;
}

/** Replaces a container's children. */
export function fill(container, ...children) {
	container.replaceChildren(...children.flat());
}

export function byId(id) {
	return document.getElementById(id);
}

/** A timestamp in the reader's locale, with the exact value in its `datetime`. */
export function time(iso) {
	if (!iso) return el("span", { class: "muted" }, "—");

	return el("time", { datetime: iso, title: iso }, new Date(iso).toLocaleString());
}

/** Shows a message in a live region (`role=status` or `alert`); empty text hides it. */
export function say(region, text) {
	region.textContent = text ?? "";
	region.hidden = !text;
}

/** Runs `work` with `button` disabled, so a slow call cannot be sent twice by double clicks. */
export async function busy(button, work) {
	button.disabled = true;
	try {
		return await work();
	} finally {
		button.disabled = false;
	}
}
