/**
 * Opaque secrets (refresh tokens, authorization codes, client secrets): 256 random bits with a
 * type prefix, stored only as a SHA-256 hash. A fast hash is enough for secrets this long: no
 * guessing attack can search 2^256; passwords, which are short, use scrypt instead.
 */
import crypto from "node:crypto";

export const SECRET_PREFIXES = {
	refreshToken: "mrt_",
	authorizationCode: "mac_",
	clientSecret: "mcs_",
} as const;

export function newSecret(prefix: string): string {
	return prefix + crypto.randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
	return crypto.createHash("sha256").update(secret).digest("hex");
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: unknown): boolean {
	if (typeof storedHash !== "string" || storedHash.length !== 64) return false;

	return crypto.timingSafeEqual(
		Buffer.from(hashSecret(secret), "hex"),
		Buffer.from(storedHash, "hex"),
	);
}

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) must equal the challenge. */
export function pkceMatches(verifier: string, challenge: unknown): boolean {
	if (typeof challenge !== "string") return false;
	const computed = crypto.createHash("sha256").update(verifier, "ascii").digest("base64url");
	if (computed.length !== challenge.length) return false;

	return crypto.timingSafeEqual(Buffer.from(computed), Buffer.from(challenge));
}

/** RFC 7636 §4.1: 43 to 128 characters of the unreserved set. */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** A S256 challenge is the base64url of 32 bytes: 43 characters. */
export const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
