/**
 * Password hashing with scrypt (memory-hard, in Node's own crypto). The stored form names its
 * parameters so they can be raised later without invalidating existing hashes.
 */
import crypto from "node:crypto";
import { promisify } from "node:util";

const scrypt = promisify(crypto.scrypt) as (
	password: crypto.BinaryLike,
	salt: crypto.BinaryLike,
	keylen: number,
	options: crypto.ScryptOptions,
) => Promise<Buffer>;

/** 2^15 × 8 × 128 bytes = 32 MiB per hash, OWASP's scrypt floor. */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

export async function hashPassword(password: string): Promise<string> {
	const salt = crypto.randomBytes(16);
	const hash = await scrypt(password, salt, KEY_LENGTH, { ...PARAMS, maxmem: 64 * 1024 * 1024 });

	return [
		"scrypt",
		PARAMS.N,
		PARAMS.r,
		PARAMS.p,
		salt.toString("base64"),
		hash.toString("base64"),
	].join("$");
}

export async function verifyPassword(
	password: string,
	stored: string | null | undefined,
): Promise<boolean> {
	const [scheme, n, r, p, salt, hash] = (stored ?? "").split("$");
	if (scheme !== "scrypt" || !salt || !hash) return false;
	const expected = Buffer.from(hash, "base64");
	const actual = await scrypt(password, Buffer.from(salt, "base64"), expected.length, {
		N: Number(n),
		r: Number(r),
		p: Number(p),
		maxmem: 64 * 1024 * 1024,
	});

	return crypto.timingSafeEqual(actual, expected);
}
