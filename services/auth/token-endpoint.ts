/**
 * The token endpoint (RFC 6749 §3.2) and revocation (RFC 7009): client authentication
 * (client_secret_basic, client_secret_post, or none for public clients, §2.3), then the grant.
 * Codes and refresh families are checked by the sessions service, which owns them.
 */
import type { Context } from "moleculer";
import type { Output } from "../../mixins/resource/view";
import type { Meta } from "../../models/context";
import { scopesWithin } from "../../models/identity";
import { GRANT_TYPES, OAuthError, parseScope } from "../../models/oauth";
import type { TokenPair } from "../../models/session";
import { one } from "./authorization-request";

export interface ClientAuth {
	client_id: string;
	client_secret: string;
}

type Form = Record<string, unknown>;
type Ctx = Context<unknown, Meta>;

/** The authenticated client of a request, or null when it names none (first-party refresh). */
export async function clientOf(ctx: Ctx, form: Form, basic?: ClientAuth): Promise<Output | null> {
	const id = one(form.client_id);
	const secret = one(form.client_secret);
	if (basic && (secret !== undefined || (id !== undefined && id !== basic.client_id)))
		throw new OAuthError("invalid_request", "Use one client authentication method");
	if (basic) return ctx.call("oauth-clients.authenticate", basic);
	if (id === undefined) return null;

	return ctx.call("oauth-clients.authenticate", {
		client_id: id,
		...(secret === undefined ? {} : { client_secret: secret }),
	});
}

async function clientCredentials(
	ctx: Ctx,
	client: Output,
	requested: string[],
): Promise<TokenPair> {
	if (client.type !== "confidential")
		throw new OAuthError(
			"unauthorized_client",
			"client_credentials needs a confidential client",
		);
	const own = client.scopes as string[];
	const scopes = requested.length ? requested : own;
	if (scopesWithin(own, scopes).length !== scopes.length)
		throw new OAuthError("invalid_scope", "The request names scopes this client may not have");

	return ctx.call("sessions.startClient", {
		client_id: client.id,
		organization_id: client.organization_id,
		scopes,
	});
}

function exchangeCode(ctx: Ctx, form: Form, client: Output): Promise<TokenPair> {
	const code = one(form.code);
	if (!code) throw new OAuthError("invalid_request", "code is required");

	return ctx.call("sessions.exchangeCode", {
		code,
		client_id: client.id,
		redirect_uri: one(form.redirect_uri),
		code_verifier: one(form.code_verifier),
	});
}

function refresh(ctx: Ctx, form: Form, client: Output | null): Promise<TokenPair> {
	const token = one(form.refresh_token);
	if (!token) throw new OAuthError("invalid_request", "refresh_token is required");

	return ctx.call("sessions.refresh", {
		refresh_token: token,
		client_id: client?.id ?? null,
		scopes: parseScope(form.scope),
	});
}

/** One token request, answered with a token pair or an `OAuthError`. */
export async function tokenRequest(ctx: Ctx, form: Form, basic?: ClientAuth): Promise<TokenPair> {
	const client = await clientOf(ctx, form, basic);
	const grant = one(form.grant_type);
	if (grant === undefined) throw new OAuthError("invalid_request", "grant_type is required");
	if (!(GRANT_TYPES as readonly string[]).includes(grant))
		throw new OAuthError("unsupported_grant_type", `The ${grant} grant is not supported`);
	// Only a first-party sign-in refreshes without a client.
	if (grant !== "refresh_token" && !client)
		throw new OAuthError("invalid_client", "Client authentication is required for this grant");
	if (client && !(client.grant_types as string[]).includes(grant))
		throw new OAuthError("unauthorized_client", `This client may not use the ${grant} grant`);

	if (grant === "authorization_code") return exchangeCode(ctx, form, client as Output);
	if (grant === "refresh_token") return refresh(ctx, form, client);

	return clientCredentials(ctx, client as Output, parseScope(form.scope));
}

/** RFC 7009 §2: the answer is 200 whether or not the token was known. */
export async function revokeRequest(ctx: Ctx, form: Form, basic?: ClientAuth): Promise<void> {
	const token = one(form.token);
	if (!token) throw new OAuthError("invalid_request", "token is required");
	const client = await clientOf(ctx, form, basic);
	await ctx.call("sessions.revokeToken", { token, client_id: client?.id ?? null });
}

/** RFC 8414 authorization server metadata. */
export function metadataOf(issuer: string, scopes: string[]): Record<string, unknown> {
	const auth = ["client_secret_basic", "client_secret_post", "none"];

	return {
		issuer,
		authorization_endpoint: `${issuer}/v1/auth/oauth/authorize`,
		token_endpoint: `${issuer}/v1/auth/oauth/token`,
		revocation_endpoint: `${issuer}/v1/auth/oauth/revoke`,
		jwks_uri: `${issuer}/.well-known/jwks.json`,
		response_types_supported: ["code"],
		response_modes_supported: ["query"],
		grant_types_supported: [...GRANT_TYPES],
		code_challenge_methods_supported: ["S256"],
		token_endpoint_auth_methods_supported: auth,
		revocation_endpoint_auth_methods_supported: auth,
		scopes_supported: scopes,
		authorization_response_iss_parameter_supported: true,
	};
}
