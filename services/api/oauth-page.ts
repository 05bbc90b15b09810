/**
 * The authorization page: public/oauth/authorize.html with the page's state embedded as JSON
 * (rendered by public/oauth/authorize.js), sent with headers that keep it from being framed
 * (clickjacking, RFC 6819 §4.4.1.9) or cached, and a CSP that lets its form go only here and to
 * the client's redirect URI.
 */
import fs from "node:fs";
import path from "node:path";
import type { PageView } from "../auth/oauth-replies";

const TEMPLATE_FILE = path.resolve(__dirname, "..", "..", "public", "oauth", "authorize.html");
const PLACEHOLDER = "__AUTHORIZE_STATE__";

let template: string | undefined;

/** JSON that cannot end its `<script>` element or break out of it. */
function scriptSafeJson(value: unknown): string {
	return JSON.stringify(value)
		.replace(/</g, "\\u003c")
		.replace(/>/g, "\\u003e")
		.replace(/&/g, "\\u0026")
		.replace(/\u2028/g, "\\u2028")
		.replace(/\u2029/g, "\\u2029");
}

export function renderAuthorizePage(view: PageView): string {
	template ??= fs.readFileSync(TEMPLATE_FILE, "utf8");

	return template.replace(PLACEHOLDER, scriptSafeJson(view));
}

export function pageHeaders(formTarget?: string): Record<string, string> {
	const formAction = ["'self'", formTarget].filter(Boolean).join(" ");

	return {
		"Content-Security-Policy": `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
		"X-Frame-Options": "DENY",
		"Referrer-Policy": "no-referrer",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control": "no-store",
	};
}
