/**
 * The gateway's routes for the OAuth endpoints and `/.well-known/*`. They differ from `/v1`:
 * bodies are `application/x-www-form-urlencoded` (RFC 6749 §3.2), errors are RFC 6749 bodies
 * (`error`, `error_description`), token answers are never cached (§5.1), and the authorization
 * endpoint knows the signed-in user from a bearer token or from the page's session cookie.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, LoggerInstance } from "moleculer";
import { config } from "../../models/config";
import type { Meta } from "../../models/context";
import { toApiError } from "../../models/errors";
import { isOAuthError, OAuthError, type OAuthErrorCode } from "../../models/oauth";
import type { OAuthParams } from "../oauth.service";
import { csrfOf, type OAuthReply } from "../auth/oauth-replies";
import { API_KEY_PREFIX, credentialOf } from "./credentials";
import { PARSER_OPTIONS } from "./request-checks";
import { OAUTH_BASES, type OAuthBase, oauthAliases } from "./oauth-endpoints";
import { pageHeaders, renderAuthorizePage } from "./oauth-page";

/** The page's session cookie: an access token of the user's sign-in, for this path only. */
export const SESSION_COOKIE = "mantis_oauth_session";
const COOKIE_PATH: OAuthBase = "/v1/auth/oauth";
const FORM_LIMIT = "64kb";

type Req = IncomingMessage & { $params: OAuthParams; $alias?: { path: string } };
type OAuthCtx = Context<OAuthParams, Meta>;

function mediaType(req: IncomingMessage): string {
	return (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
}

function hasBody(req: IncomingMessage): boolean {
	return (
		Number(req.headers["content-length"] ?? 0) > 0 ||
		req.headers["transfer-encoding"] !== undefined
	);
}

/** RFC 6749 §2.3.1: id and secret are form-encoded, then joined by ":" and base64-encoded. */
function basicCredentials(header: string | undefined): OAuthParams["client_auth"] {
	const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
	if (!match) return undefined;
	const decoded = Buffer.from(match[1], "base64").toString("utf8");
	const colon = decoded.indexOf(":");
	if (colon < 0) return undefined;
	const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
	try {
		return {
			client_id: unform(decoded.slice(0, colon)),
			client_secret: unform(decoded.slice(colon + 1)),
		};
	} catch {
		return undefined;
	}
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
	for (const part of (req.headers.cookie ?? "").split(";")) {
		const [key, ...value] = part.trim().split("=");
		if (key === name) return value.join("=");
	}

	return undefined;
}

function sessionCookie(token: string): string {
	const secure = config().jwtIssuer.startsWith("https:") ? "; Secure" : "";

	return (
		`${SESSION_COOKIE}=${token}; Path=${COOKIE_PATH}; Max-Age=3600; HttpOnly; ` +
		`SameSite=Lax${secure}`
	);
}

/** Who is signing in at the authorization endpoint; a bad credential just means "signed out". */
async function signedIn(ctx: OAuthCtx, req: Req): Promise<void> {
	const bearer = credentialOf(req.headers);
	const cookie = cookieOf(req, SESSION_COOKIE);
	const token =
		bearer && !bearer.startsWith(API_KEY_PREFIX) ? bearer : bearer ? undefined : cookie;
	if (!token) return;
	try {
		ctx.meta.auth = await ctx.call("tokens.verify", { token });
		req.$params.browser =
			token === bearer ? { via: "header" } : { via: "cookie", csrf: csrfOf(token) };
	} catch {
		// An expired or revoked session: the page asks the user to sign in again.
	}
}

async function beforeCall(ctx: OAuthCtx, _route: unknown, req: Req): Promise<void> {
	if (hasBody(req) && mediaType(req) !== "application/x-www-form-urlencoded") {
		throw new OAuthError(
			"invalid_request",
			"Send the body as application/x-www-form-urlencoded",
		);
	}
	const basic = basicCredentials(req.headers.authorization);
	if (basic) req.$params.client_auth = basic;
	if (req.$alias?.path.endsWith("authorize")) await signedIn(ctx, req);
}

function afterCall(
	ctx: OAuthCtx,
	_route: unknown,
	req: Req,
	res: ServerResponse,
	data: unknown,
): unknown {
	const reply = data as OAuthReply;
	res.setHeader("Cache-Control", "no-store");
	switch (reply?.kind) {
		case "json":
			ctx.meta.$statusCode = reply.status;
			res.setHeader("Pragma", "no-cache");

			return reply.body;
		case "redirect":
			if (reply.session_token)
				res.setHeader("Set-Cookie", sessionCookie(reply.session_token));
			// 303 after a POST: the browser must not repeat
			// the form (with its password) at the client.
			ctx.meta.$statusCode = req.method === "POST" ? 303 : 302;
			ctx.meta.$location = reply.location;

			return null;
		case "page":
			if (reply.session_token)
				res.setHeader("Set-Cookie", sessionCookie(reply.session_token));
			for (const [k, v] of Object.entries(pageHeaders(reply.redirect_origin)))
				res.setHeader(k, v);
			ctx.meta.$statusCode = reply.status;
			ctx.meta.$responseType = "text/html; charset=utf-8";

			return renderAuthorizePage(reply.view);
		default:
			// The key set: public, and cacheable for a while.
			res.setHeader("Cache-Control", "public, max-age=300");

			return data;
	}
}

/** Any error in RFC 6749 form; the catalogue's codes map onto the nearest OAuth error. */
function oauthErrorOf(err: unknown): {
	status: number;
	error: OAuthErrorCode;
	description: string;
} {
	if (isOAuthError(err)) {
		const status = (err as { code?: number }).code ?? 400;

		return { status, error: err.data.error, description: err.message };
	}
	const api = toApiError(err);
	switch (api.type) {
		case "VALIDATION_ERROR":
		case "PAYLOAD_TOO_LARGE":
		case "UNSUPPORTED_MEDIA_TYPE":
		case "NOT_FOUND":
			return { status: api.code, error: "invalid_request", description: api.message };
		case "RATE_LIMITED":
		case "SERVICE_UNAVAILABLE":
			return { status: api.code, error: "temporarily_unavailable", description: api.message };
		default:
			return {
				status: 500,
				error: "server_error",
				description: "An internal error occurred",
			};
	}
}

function sendError(
	this: { logger: LoggerInstance },
	req: Req,
	res: ServerResponse,
	err: unknown,
): void {
	const { status, error, description } = oauthErrorOf(err);
	if (status >= 500 && status !== 503) {
		const e = err as Error;
		this.logger.error(
			`OAuth request ${req.method} ${req.$alias?.path ?? ""} failed: ${e?.name}: ` +
				`${e?.message}`,
		);
	}
	if (res.headersSent) {
		res.end();

		return;
	}
	const headers: Record<string, string> = {
		"Content-Type": "application/json; charset=utf-8",
		"Cache-Control": "no-store",
		Pragma: "no-cache",
	};
	const requestId = res.getHeader("X-Request-Id");
	if (typeof requestId === "string") headers["X-Request-Id"] = requestId;
	if (error === "invalid_client") headers["WWW-Authenticate"] = 'Basic realm="mantis"';
	res.writeHead(status, headers);
	res.end(JSON.stringify({ error, error_description: description }));
}

/** The two routes, to be listed in the gateway's settings before `/v1`'s catch-all. */
export function oauthRoutes(): Record<string, unknown>[] {
	const shared = {
		mappingPolicy: "restrict",
		autoAliases: false,
		mergeParams: false,
		bodyParsers: {
			json: false,
			urlencoded: { ...PARSER_OPTIONS, extended: false, limit: FORM_LIMIT },
		},
		logging: true,
		callOptions: { timeout: config().requestTimeoutMs },
		onBeforeCall: beforeCall,
		onAfterCall: afterCall,
		onError: sendError,
	};

	// The aliases come from the endpoint table, which the OpenAPI document is generated from too.
	return OAUTH_BASES.map((base) => ({ ...shared, path: base, aliases: oauthAliases(base) }));
}
