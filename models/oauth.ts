/**
 * The OAuth 2.0 authorization server's vocabulary: registered clients, the RFC 6749 error
 * catalogue, lifetimes, and the rules a redirect URI must follow (OAuth 2.1, RFC 9700 §2.1,
 * RFC 8252 for native apps).
 */
import { Errors } from "moleculer";
import { defineEntity, type RecordOf } from "./entity";
import { SCOPES_FIELD } from "./identity";

/** Access tokens live one hour (issue 3); refresh tokens and codes as below. */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
/** RFC 6749 §4.1.2 recommends at most 10 minutes for an authorization code. */
export const CODE_TTL_MS = 10 * 60 * 1000;
/** A refresh token unused this long expires; every rotation extends it up to the absolute cap. */
export const REFRESH_IDLE_MS = 30 * 24 * 60 * 60 * 1000;
export const REFRESH_ABSOLUTE_MS = 90 * 24 * 60 * 60 * 1000;

export const CLIENT_TYPES = ["confidential", "public"] as const;
export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const OAuthClient = defineEntity({
	name: "oauth_client",
	plural: "oauth-clients",
	defaultSort: "created_at:desc",
	fields: {
		name: { type: "string", min: 1, max: 200, required: true, sort: true, search: true },
		type: { type: "enum", values: CLIENT_TYPES, required: true, immutable: true, filter: true },
		redirect_uris: {
			type: "list",
			items: { type: "string", min: 1, max: 2000 },
			max: 20,
			description:
				"Exact redirect URIs; a request must name one of them character for character",
		},
		scopes: {
			...SCOPES_FIELD,
			description: "The most a token of this client may carry (default: its creator's)",
		},
		grant_types: {
			type: "list",
			items: { type: "enum", values: [...GRANT_TYPES] },
			max: 3,
		},
		is_active: { type: "boolean", default: true, filter: true },
		secret_hash: { type: "string", readOnly: true, secret: true },
		secret_prefix: { type: "string", readOnly: true },
		created_by: { type: "string", readOnly: true, filter: true },
	},
});
export type OAuthClientRecord = RecordOf<typeof OAuthClient>;

/** RFC 6749 §4.1.2.1, §5.2 and RFC 7009 §2.2.1 error codes, with their HTTP status. */
export const OAUTH_ERRORS = {
	invalid_request: 400,
	invalid_client: 401,
	invalid_grant: 400,
	unauthorized_client: 400,
	unsupported_grant_type: 400,
	unsupported_response_type: 400,
	unsupported_token_type: 400,
	invalid_scope: 400,
	access_denied: 403,
	server_error: 500,
	temporarily_unavailable: 503,
} as const;
export type OAuthErrorCode = keyof typeof OAUTH_ERRORS;

/**
 * An error the OAuth endpoints answer in RFC 6749 form (`error`, `error_description`). It is a
 * MoleculerError so that it crosses nodes intact: `type` marks it, `data.error` holds the code.
 */
export class OAuthError extends Errors.MoleculerError {
	declare data: { error: OAuthErrorCode };

	constructor(error: OAuthErrorCode, description: string) {
		super(description, OAUTH_ERRORS[error], "OAUTH_ERROR", { error });
		this.name = "OAuthError";
	}
}

export function isOAuthError(
	err: unknown,
): err is { message: string; data: { error: OAuthErrorCode } } {
	const e = err as { type?: string; data?: { error?: string } } | null;

	return (
		e?.type === "OAUTH_ERROR" &&
		typeof e.data?.error === "string" &&
		e.data.error in OAUTH_ERRORS
	);
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * Why `uri` cannot be registered, or undefined when it can: an absolute URI without a fragment
 * (RFC 6749 §3.1.2); https, or http on a loopback host, or a private-use scheme with a dot
 * (RFC 8252 §7.1); never `javascript:`/`data:` style schemes.
 */
export function redirectUriProblem(uri: string): string | undefined {
	let url: URL;
	try {
		url = new URL(uri);
	} catch {
		return "must be an absolute URI";
	}
	if (url.hash || uri.includes("#")) return "must not contain a fragment";
	const scheme = url.protocol.slice(0, -1);
	if (scheme === "https") return undefined;
	if (scheme === "http")
		return LOOPBACK_HOSTS.has(url.hostname)
			? undefined
			: "must use https (http only on loopback)";
	if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return undefined;

	return "must use https, loopback http, or a reverse-domain private-use scheme";
}

/** Scope parameter (space-delimited, RFC 6749 §3.3) to a list without duplicates. */
export function parseScope(raw: unknown): string[] {
	if (typeof raw !== "string") return [];

	return [...new Set(raw.split(" ").filter(Boolean))];
}
