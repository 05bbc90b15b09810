/**
 * Access tokens: JWTs in the RFC 9068 profile (`typ: at+jwt`), signed with the gateway's
 * asymmetric key and verified with the algorithm pinned to that key. What verification refuses
 * (RFC 8725): any other algorithm (so `none` and HS256-with-the-public-key), another `kid`,
 * another issuer or audience, a missing or past `exp`, and any missing claim the gateway needs.
 */
import crypto from "node:crypto";
import jwt, { type JwtPayload } from "jsonwebtoken";
import { unauthorized } from "../../models/errors";
import { ACCESS_TOKEN_TTL_SECONDS } from "../../models/oauth";
import type { SigningKey } from "./signing-key";

export const TOKEN_TYPE = "at+jwt";

/** A few seconds of clock skew between nodes are forgiven, no more. */
const CLOCK_TOLERANCE_SECONDS = 5;

export interface AccessClaims {
	sub: string;
	org_id: string;
	/** Space-delimited scopes (RFC 9068 §2.2.3). */
	scope: string;
	/** The session (grant family) the token belongs to. */
	sid: string;
	client_id?: string;
}

export interface TokenAudience {
	issuer: string;
	audience: string;
}

/** The resource server's identifier, the `aud` of every access token it accepts. */
export function audienceOf(issuer: string): string {
	return `${issuer.replace(/\/+$/, "")}/v1`;
}

export function signAccessToken(
	key: SigningKey,
	where: TokenAudience,
	claims: AccessClaims,
): string {
	return jwt.sign({ ...claims, jti: crypto.randomUUID() }, key.privateKey, {
		algorithm: key.alg,
		header: { alg: key.alg, kid: key.kid, typ: TOKEN_TYPE },
		issuer: where.issuer,
		audience: where.audience,
		expiresIn: ACCESS_TOKEN_TTL_SECONDS,
	});
}

const INVALID = "The access token is invalid";

function required(payload: JwtPayload): AccessClaims {
	const { sub, org_id, scope, sid, client_id } = payload as Record<string, unknown>;
	if (typeof payload.exp !== "number") throw unauthorized("The access token has no expiry");
	if (![sub, org_id, scope, sid].every((v) => typeof v === "string" && v.length > 0))
		throw unauthorized(INVALID);
	if (client_id !== undefined && typeof client_id !== "string") throw unauthorized(INVALID);

	return { sub, org_id, scope, sid, client_id } as AccessClaims;
}

/** The claims of a token this gateway signed and that is still good; 401 for anything else. */
export function verifyAccessToken(
	key: SigningKey,
	where: TokenAudience,
	token: string,
	options: { ignoreExpiration?: boolean } = {},
): AccessClaims {
	const decoded = jwt.decode(token, { complete: true });
	if (!decoded || typeof decoded.payload === "string") throw unauthorized(INVALID);
	const { header } = decoded;
	if (header.alg !== key.alg || header.kid !== key.kid || header.typ !== TOKEN_TYPE)
		throw unauthorized(INVALID);

	let payload: JwtPayload;
	try {
		payload = jwt.verify(token, key.publicKey, {
			algorithms: [key.alg],
			issuer: where.issuer,
			audience: where.audience,
			clockTolerance: CLOCK_TOLERANCE_SECONDS,
			ignoreExpiration: options.ignoreExpiration ?? false,
		}) as JwtPayload;
	} catch (err) {
		const expired = (err as Error).name === "TokenExpiredError";
		throw unauthorized(expired ? "The access token has expired" : INVALID);
	}

	return required(payload);
}
