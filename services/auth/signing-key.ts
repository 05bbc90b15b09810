/**
 * The key that signs access tokens: JWT_PRIVATE_KEY when given, otherwise one P-256 key made
 * on first start and kept in DATA_DIR (mode 0600, never logged, never committed: DATA_DIR is
 * ignored by git). Its id (`kid`) is the RFC 7638 thumbprint of the public key, so it changes
 * exactly when the key does.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ConfigError } from "../../models/config";

export type SigningAlgorithm = "ES256" | "RS256";

export interface SigningKey {
	kid: string;
	alg: SigningAlgorithm;
	privateKey: crypto.KeyObject;
	publicKey: crypto.KeyObject;
	/** The public key as published in `/.well-known/jwks.json`. */
	jwk: Record<string, string>;
	/** Where the key came from, for the start-up log line (never the key itself). */
	source: "JWT_PRIVATE_KEY" | "generated" | "DATA_DIR";
}

export const KEY_FILE = "jwt-signing-key.pem";

function algorithmOf(key: crypto.KeyObject): SigningAlgorithm {
	const details = key.asymmetricKeyDetails ?? {};
	if (key.asymmetricKeyType === "ec" && details.namedCurve === "prime256v1") return "ES256";
	if (key.asymmetricKeyType === "rsa" && (details.modulusLength ?? 0) >= 2048) return "RS256";
	throw new ConfigError(
		"JWT_PRIVATE_KEY",
		"must be an EC P-256 or an RSA (2048 bits or more) private key",
	);
}

/** RFC 7638: SHA-256 over the required members of the JWK, in lexicographic order. */
function thumbprint(jwk: crypto.JsonWebKey): string {
	const members =
		jwk.kty === "EC"
			? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
			: { e: jwk.e, kty: jwk.kty, n: jwk.n };

	return crypto.createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}

/** Reads the generated key, or makes it; `wx` keeps two processes from each writing their own. */
function generatedPem(dataDir: string): { pem: string; created: boolean } {
	const file = path.join(dataDir, KEY_FILE);
	if (fs.existsSync(file)) return { pem: fs.readFileSync(file, "utf8"), created: false };
	const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
	const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
	fs.mkdirSync(dataDir, { recursive: true });
	try {
		fs.writeFileSync(file, pem, { mode: 0o600, flag: "wx" });
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;

		return { pem: fs.readFileSync(file, "utf8"), created: false };
	}

	return { pem, created: true };
}

export function loadSigningKey(configured: string | undefined, dataDir: string): SigningKey {
	const fromFile = configured === undefined ? generatedPem(dataDir) : undefined;
	let privateKey: crypto.KeyObject;
	try {
		privateKey = crypto.createPrivateKey(configured ?? (fromFile as { pem: string }).pem);
	} catch {
		throw new ConfigError("JWT_PRIVATE_KEY", "is not a readable PEM private key");
	}
	const alg = algorithmOf(privateKey);
	const publicKey = crypto.createPublicKey(privateKey);
	const exported = publicKey.export({ format: "jwk" });
	const kid = thumbprint(exported);
	const jwk = { ...(exported as Record<string, string>), kid, alg, use: "sig" };
	const source =
		configured !== undefined ? "JWT_PRIVATE_KEY" : fromFile?.created ? "generated" : "DATA_DIR";

	return { kid, alg, privateKey, publicKey, jwk, source };
}
