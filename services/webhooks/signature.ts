/**
 * Signing a delivery (contract: "Webhooks" and "Pinned details"). Two schemes over the same
 * raw body bytes:
 * - `X-Mantis-Signature: sha256=<hex>`: HMAC-SHA256 keyed with the secret string's UTF-8 bytes
 *   (the design document's scheme), with the current secret;
 * - Standard Webhooks (https://www.standardwebhooks.com): `webhook-signature: v1,<base64>` of
 *   HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the base64-decoded
 *   bytes after `whsec_` (or the UTF-8 bytes of a secret in another form); one signature per
 *   secret that is still valid, space-separated, so receivers can rotate without a gap.
 */
import crypto from "node:crypto";
import type { StoredDoc } from "../../mixins/db.mixin";
import type { ErrorDetail } from "../../models/errors";

export const SECRET_PREFIX = "whsec_";

/** User-Agent of every delivery (contract). */
export const USER_AGENT = "MantisNXT-Webhook/1.0";

/** A new secret: `whsec_` and the base64 of 32 random bytes (contract). */
export function generateSecret(): string {
	return SECRET_PREFIX + crypto.randomBytes(32).toString("base64");
}

/** True when `secret` is in the `whsec_<base64>` form whose decoded bytes key Standard Webhooks. */
export function isStandardSecret(secret: string): boolean {
	if (!secret.startsWith(SECRET_PREFIX)) return false;
	const encoded = secret.slice(SECRET_PREFIX.length);

	return (
		/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) &&
		encoded.length % 4 === 0 &&
		Buffer.from(encoded, "base64").length >= 16
	);
}

/** The Standard Webhooks key of `secret`. */
export function standardKey(secret: string): Buffer {
	return isStandardSecret(secret)
		? Buffer.from(secret.slice(SECRET_PREFIX.length), "base64")
		: Buffer.from(secret, "utf8");
}

/** What is wrong with a secret a client gives (empty when it may be used). */
export function secretDetails(secret: unknown): ErrorDetail[] {
	if (typeof secret !== "string") return [{ field: "secret", message: "must be a string" }];
	if (secret.length < 16 || secret.length > 256)
		return [{ field: "secret", message: "must be 16 to 256 characters" }];
	if (secret.startsWith(SECRET_PREFIX) && !isStandardSecret(secret))
		return [{ field: "secret", message: "after whsec_ must be base64 of at least 16 bytes" }];

	return [];
}

/**
 * The secrets that sign for the endpoint `doc` now,
 * newest first (the previous one during a rotation).
 */
export function secretsOf(doc: StoredDoc, now = Date.now()): string[] {
	const previousValid =
		typeof doc.previous_secret === "string" &&
		typeof doc.previous_secret_expires_at === "string" &&
		Date.parse(doc.previous_secret_expires_at) > now;

	return previousValid
		? [doc.secret as string, doc.previous_secret as string]
		: [doc.secret as string];
}

export interface SignInput {
	/** Valid secrets, newest first; the first signs `X-Mantis-Signature`. */
	secrets: string[];
	eventId: string;
	eventType: string;
	deliveryId: string;
	body: Buffer;
	/** Unix seconds of this attempt (each attempt is signed afresh). */
	timestamp: number;
}

/** Every header of one attempt. */
export function deliveryHeaders(input: SignInput): Record<string, string> {
	const { secrets, eventId, body, timestamp } = input;
	const mantis = crypto
		.createHmac("sha256", Buffer.from(secrets[0], "utf8"))
		.update(body)
		.digest("hex");
	const signed = Buffer.concat([Buffer.from(`${eventId}.${timestamp}.`, "utf8"), body]);
	const standard = secrets.map((secret) => {
		const mac = crypto.createHmac("sha256", standardKey(secret)).update(signed);

		return `v1,${mac.digest("base64")}`;
	});

	return {
		"content-type": "application/json",
		"user-agent": USER_AGENT,
		"x-mantis-event": input.eventType,
		"x-mantis-delivery": input.deliveryId,
		"x-mantis-signature": `sha256=${mantis}`,
		"webhook-id": eventId,
		"webhook-timestamp": String(timestamp),
		"webhook-signature": standard.join(" "),
	};
}
