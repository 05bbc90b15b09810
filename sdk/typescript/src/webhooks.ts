/**
 * Checking that a webhook came from the gateway. Standard Webhooks (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature`) signs the id and the time with the body, so a
 * replayed or delayed delivery is refused by its age; `X-Mantis-Signature` signs the body alone.
 * Both compare in constant time. Pass the raw body, exactly as received: parsed and
 * re-serialized JSON is not the text that was signed.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { MantisEvent } from "./types";

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
	/** How old (or how far ahead) `webhook-timestamp` may be, in seconds (default 300). */
	toleranceSeconds?: number;
	/** The time to check against (default now). */
	now?: Date;
}

export class WebhookVerificationError extends Error {
	override name = "WebhookVerificationError";
}

const SECRET_PREFIX = "whsec_";

function header(headers: WebhookHeaders, name: string): string | undefined {
	if (headers instanceof Headers) return headers.get(name) ?? undefined;
	const value = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];

	return Array.isArray(value) ? value.join(" ") : value;
}

/** Standard Webhooks keys with the bytes after `whsec_`; other secrets with their UTF-8 bytes. */
function standardKey(secret: string): Buffer {
	return secret.startsWith(SECRET_PREFIX)
		? Buffer.from(secret.slice(SECRET_PREFIX.length), "base64")
		: Buffer.from(secret, "utf8");
}

function sameText(a: string, b: string): boolean {
	const left = Buffer.from(a);
	const right = Buffer.from(b);

	return left.length === right.length && timingSafeEqual(left, right);
}

function bodyText(payload: string | Uint8Array): string {
	return typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8");
}

/**
 * The event of a delivery whose Standard Webhooks signature matches one of `secrets` (several
 * during a rotation) and whose timestamp is within the tolerance; throws otherwise.
 */
export function verifyWebhook<T = Record<string, unknown>>(
	payload: string | Uint8Array,
	headers: WebhookHeaders,
	secrets: string | string[],
	options: VerifyOptions = {},
): MantisEvent<T> {
	const id = header(headers, "webhook-id");
	const timestamp = header(headers, "webhook-timestamp");
	const signatures = header(headers, "webhook-signature");
	if (!id || !timestamp || !signatures)
		throw new WebhookVerificationError(
			"Missing webhook-id, webhook-timestamp or webhook-signature",
		);
	const now = (options.now ?? new Date()).getTime() / 1000;
	const tolerance = options.toleranceSeconds ?? 300;
	if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > tolerance)
		throw new WebhookVerificationError("The webhook timestamp is outside the tolerance");

	const body = bodyText(payload);
	const given = signatures
		.split(" ")
		.filter((s) => s.startsWith("v1,"))
		.map((s) => s.slice(3));
	const matches = [secrets].flat().some((secret) => {
		const expected = createHmac("sha256", standardKey(secret))
			.update(`${id}.${timestamp}.${body}`)
			.digest("base64");

		return given.some((signature) => sameText(signature, expected));
	});
	if (!matches) throw new WebhookVerificationError("No signature matches");

	return JSON.parse(body) as MantisEvent<T>;
}

/**
 * Whether `X-Mantis-Signature` (`sha256=<hex>`) is
 * the HMAC of the body under `secret`'s UTF-8 bytes.
 */
export function verifyMantisSignature(
	payload: string | Uint8Array,
	signature: string | undefined,
	secret: string,
): boolean {
	if (!signature) return false;
	const mac = createHmac("sha256", Buffer.from(secret, "utf8")).update(payload);
	const expected = `sha256=${mac.digest("hex")}`;

	return sameText(signature, expected);
}
