/**
 * Removes credentials from anything about to leave the process for an error tracker: headers
 * that carry them, fields whose names say they are secret, and credential-shaped strings in
 * free text (messages, URLs, breadcrumbs). Over-redacting is fine; leaking a key is not.
 */

export const REDACTED = "[redacted]";

/** Request headers that carry credentials; they are dropped, not just masked. */
const CREDENTIAL_HEADERS = new Set([
	"authorization",
	"proxy-authorization",
	"x-api-key",
	"cookie",
	"set-cookie",
]);

/** Field names whose values are secret wherever they appear. */
const SECRET_FIELD =
	/pass(word|wd)?$|passphrase|secret|token|api[-_]?key|^key$|_key$|key_hash|authori[sz]ation|cookie|credential|signature|private|dsn/i;

/** Credential-shaped text: our API keys, webhook secrets, bearer values, JWTs, URL passwords. */
const SECRET_TEXT: Array<[RegExp, string]> = [
	[/\bmnx_[A-Za-z0-9_-]+/g, `mnx_${REDACTED}`],
	[/\bwhsec_[A-Za-z0-9+/=_-]+/g, `whsec_${REDACTED}`],
	[/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
	[/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
	[/(\/\/)[^/\s:@]+:[^/\s@]+@/g, `$1${REDACTED}@`],
	[
		/([?&](?:api[-_]?key|token|access_token|refresh_token|secret|password)=)[^&#\s]+/gi,
		`$1${REDACTED}`,
	],
];

/** Deep enough for any event; deeper structures are cut rather than walked without end. */
const MAX_DEPTH = 12;

export function scrubText(text: string): string {
	return SECRET_TEXT.reduce(
		(out, [pattern, replacement]) => out.replace(pattern, replacement),
		text,
	);
}

/** A copy of `value` with secret fields masked and credential-shaped text redacted. */
export function scrubValue(value: unknown, depth = 0): unknown {
	if (typeof value === "string") return scrubText(value);
	if (value === null || typeof value !== "object") return value;
	if (depth >= MAX_DEPTH) return REDACTED;
	if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));

	const out: Record<string, unknown> = {};
	for (const [key, item] of Object.entries(value)) {
		out[key] = SECRET_FIELD.test(key) ? REDACTED : scrubValue(item, depth + 1);
	}

	return out;
}

function withoutCredentialHeaders(headers: unknown): unknown {
	if (!headers || typeof headers !== "object") return headers;

	return Object.fromEntries(
		Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())),
	);
}

interface EventShape {
	request?: { headers?: unknown; cookies?: unknown; [key: string]: unknown };
	[key: string]: unknown;
}

/**
 * Sentry's `beforeSend`: the event without credential headers and cookies, every secret field
 * masked and every credential-shaped string redacted.
 */
export function scrubEvent<T extends object>(event: T): T {
	const copy: EventShape = { ...(event as EventShape) };
	if (copy.request) {
		const { cookies: _cookies, ...request } = copy.request;
		copy.request = { ...request, headers: withoutCredentialHeaders(request.headers) };
	}

	return scrubValue(copy) as T;
}
