/**
 * The OAuth authorization server's endpoints and `/.well-known/*`, declared once: the gateway
 * builds the two OAuth routes' aliases from this table (oauth-route.ts) and the OpenAPI
 * document describes them from it (openapi.ts), so neither can name an endpoint the other lacks.
 */
import { GRANT_TYPES, OAUTH_ERRORS } from "../../models/oauth";
import type { JsonSchema } from "../../models/openapi";
import type { Method } from "./routes";

/** The two moleculer-web routes the endpoints live on. */
export const OAUTH_BASES = ["/v1/auth/oauth", "/.well-known"] as const;
export type OAuthBase = (typeof OAUTH_BASES)[number];

/** How an endpoint answers, beside its RFC 6749 errors. */
export type OAuthAnswer = "token" | "empty" | "metadata" | "jwks" | "authorize";

export interface OAuthEndpoint {
	method: Method;
	base: OAuthBase;
	/** Relative to `base`. */
	path: string;
	action: string;
	summary: string;
	/** Form fields (RFC 6749: `application/x-www-form-urlencoded`) or, for GET, query fields. */
	fields?: Record<string, JsonSchema>;
	required?: string[];
	answer: OAuthAnswer;
}

const text = (description: string): JsonSchema => ({ type: "string", description });

const CLIENT_FIELDS: Record<string, JsonSchema> = {
	client_id: text("The client, unless it authenticates with HTTP Basic"),
	client_secret: text("client_secret_post; confidential clients only"),
};

const AUTHORIZE_FIELDS: Record<string, JsonSchema> = {
	response_type: { type: "string", enum: ["code"] },
	client_id: text("The registered client"),
	redirect_uri: text("One of the client's registered redirect URIs, exactly"),
	scope: text("Space-separated scopes (default: the client's)"),
	state: text("Echoed back to the redirect URI"),
	code_challenge: text("PKCE (RFC 7636): base64url SHA-256 of the verifier"),
	code_challenge_method: { type: "string", enum: ["S256"] },
};

export const OAUTH_ENDPOINTS: OAuthEndpoint[] = [
	{
		method: "GET",
		base: "/v1/auth/oauth",
		path: "authorize",
		action: "oauth.authorize",
		summary: "Start an authorization (redirects at once, or shows the sign-in/consent page)",
		fields: AUTHORIZE_FIELDS,
		required: ["response_type", "client_id", "code_challenge", "code_challenge_method"],
		answer: "authorize",
	},
	{
		method: "POST",
		base: "/v1/auth/oauth",
		path: "authorize",
		action: "oauth.approve",
		summary: "The consent page's form: sign in, then approve or deny",
		fields: {
			...AUTHORIZE_FIELDS,
			email: text("Sign-in from the page"),
			password: { type: "string", format: "password" },
			approve: { type: "string", enum: ["true", "false"] },
			csrf: text("The page's token, with the session cookie"),
		},
		answer: "authorize",
	},
	{
		method: "POST",
		base: "/v1/auth/oauth",
		path: "token",
		action: "oauth.token",
		summary: "Exchange a code, a refresh token or client credentials for tokens",
		fields: {
			grant_type: { type: "string", enum: [...GRANT_TYPES] },
			code: text("authorization_code"),
			redirect_uri: text("authorization_code, when the authorization named one"),
			code_verifier: text("authorization_code: the PKCE verifier"),
			refresh_token: text("refresh_token"),
			scope: text("Space-separated; at most what the grant allows"),
			...CLIENT_FIELDS,
		},
		required: ["grant_type"],
		answer: "token",
	},
	{
		method: "POST",
		base: "/v1/auth/oauth",
		path: "refresh",
		action: "oauth.refresh",
		summary: "The refresh_token grant without naming it",
		fields: {
			refresh_token: text("The refresh token"),
			scope: text("Narrower scopes"),
			...CLIENT_FIELDS,
		},
		required: ["refresh_token"],
		answer: "token",
	},
	...(["POST", "DELETE"] as const).map((method): OAuthEndpoint => ({
		method,
		base: "/v1/auth/oauth",
		path: "revoke",
		action: "oauth.revoke",
		summary: "Revoke an access or refresh token (RFC 7009; 200 whether or not it was known)",
		fields: { token: text("The token"), token_type_hint: text("Ignored"), ...CLIENT_FIELDS },
		required: ["token"],
		answer: "empty",
	})),
	{
		method: "GET",
		base: "/.well-known",
		path: "oauth-authorization-server",
		action: "oauth.metadata",
		summary: "Authorization server metadata (RFC 8414)",
		answer: "metadata",
	},
	{
		method: "GET",
		base: "/.well-known",
		path: "jwks.json",
		action: "tokens.jwks",
		summary: "The public keys access tokens are signed with (JWK set)",
		answer: "jwks",
	},
];

/** moleculer-web aliases of one base: `"POST token": "oauth.token"`. */
export function oauthAliases(base: OAuthBase): Record<string, string> {
	return Object.fromEntries(
		OAUTH_ENDPOINTS.filter((e) => e.base === base).map((e) => [
			`${e.method} ${e.path}`,
			e.action,
		]),
	);
}

/** The RFC 6749 §5.2 error body every OAuth endpoint answers with. */
export const OAUTH_ERROR_SCHEMA: JsonSchema = {
	type: "object",
	properties: {
		error: { type: "string", enum: Object.keys(OAUTH_ERRORS) },
		error_description: { type: "string" },
	},
	required: ["error", "error_description"],
};

export const TOKEN_SCHEMA: JsonSchema = {
	type: "object",
	properties: {
		access_token: { type: "string" },
		token_type: { const: "Bearer" },
		expires_in: { type: "integer" },
		refresh_token: { type: "string" },
		scope: { type: "string" },
	},
	required: ["access_token", "token_type", "expires_in", "scope"],
};
