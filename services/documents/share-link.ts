/**
 * Expiring share links for documents: `<organization>.<document>.<expiry>` signed with
 * HMAC-SHA256 under a key of the deployment, so a link proves itself without a lookup and
 * cannot be stretched or pointed at another document.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface SharedDocument {
	organization_id: string;
	document_id: string;
	expires_at: Date;
}

/** The configured key, or one generated once into DATA_DIR (single-node default). */
export function signingKey(configured: string | undefined, dataDir: string): Buffer {
	if (configured) return Buffer.from(configured, "utf8");
	const file = path.join(dataDir, "document-signing.key");
	try {
		return Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
	} catch {
		const key = crypto.randomBytes(32);
		fs.mkdirSync(dataDir, { recursive: true });
		// `wx`: if another process made the key first, theirs is read back and used.
		try {
			fs.writeFileSync(file, key.toString("base64"), { mode: 0o600, flag: "wx" });
		} catch {
			return Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
		}

		return key;
	}
}

function mac(key: Buffer, payload: string): string {
	return crypto.createHmac("sha256", key).update(payload).digest("base64url");
}

export function signLink(key: Buffer, shared: SharedDocument): string {
	const payload = Buffer.from(
		`${shared.organization_id}.${shared.document_id}.${Math.floor(shared.expires_at.getTime() / 1000)}`,
	).toString("base64url");

	return `${payload}.${mac(key, payload)}`;
}

/** The document a token names, or undefined when it is forged, malformed or expired. */
export function verifyLink(
	key: Buffer,
	token: string,
	now = Date.now(),
): SharedDocument | undefined {
	const [payload, signature, extra] = token.split(".");
	if (!payload || !signature || extra !== undefined) return undefined;
	const expected = Buffer.from(mac(key, payload));
	const given = Buffer.from(signature);
	if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given))
		return undefined;
	const [org, doc, expiry] = Buffer.from(payload, "base64url").toString("utf8").split(".");
	const expiresAt = new Date(Number(expiry) * 1000);
	if (!org || !doc || Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now)
		return undefined;

	return { organization_id: org, document_id: doc, expires_at: expiresAt };
}
