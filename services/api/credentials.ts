/**
 * Credentials of every entry point (REST, GraphQL, socket.io): where they are read from and
 * how they become an `Auth`. `Authorization: Bearer <API key | access token>` or `X-API-Key`.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Context } from "moleculer";
import type { Auth } from "../../models/context";
import { unauthorized } from "../../models/errors";
import { authenticateKey } from "./key-cache";

export const API_KEY_PREFIX = "mnx_";

/** The raw credential of a request, or undefined when it carries none. */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
	const apiKey = headers["x-api-key"];
	if (typeof apiKey === "string" && apiKey.trim()) return apiKey.trim();
	const authorization = headers.authorization;
	if (typeof authorization !== "string") return undefined;
	const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);

	return match?.[1];
}

/** The caller behind a credential; 401 for none, an unknown one or a bad one. */
export async function authenticate(ctx: Context, credential: string | undefined): Promise<Auth> {
	if (!credential)
		throw unauthorized("Send a credential: Authorization: Bearer <token or API key>");
	if (credential.length > 4096) throw unauthorized("The credential is malformed");
	if (credential.startsWith(API_KEY_PREFIX)) return authenticateKey(ctx, credential);

	return ctx.call<Auth, { token: string }>("tokens.verify", { token: credential });
}
