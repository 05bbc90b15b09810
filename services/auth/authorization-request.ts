/**
 * Checking an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OAuth 2.1). An unknown
 * client or an unregistered redirect URI is shown on the page and never redirected to
 * (§4.1.2.1); every later problem goes back to the client's redirect URI with `error`, `state`
 * and `iss` (RFC 9207).
 */
import type { Output } from "../../mixins/resource/view";
import { SCOPE_PATTERN, scopesWithin } from "../../models/identity";
import { parseScope } from "../../models/oauth";
import { type OAuthReply, pageReply, redirectTo } from "./oauth-replies";
import { CODE_CHALLENGE } from "./secrets";

export interface AuthorizationRequest {
	client: Output;
	redirect_uri: string;
	/** Whether the request named the redirect URI (then the token request must repeat it). */
	redirect_given: boolean;
	state?: string;
	scopes: string[];
	code_challenge: string;
	/** The parameters as given, posted back by the page's form. */
	params: Record<string, string>;
	issuer: string;
}

const ECHOED = [
	"response_type",
	"client_id",
	"redirect_uri",
	"scope",
	"state",
	"code_challenge",
	"code_challenge_method",
];

/** A parameter given once, as text (RFC 6749 §3.1: parameters MUST NOT repeat). */
export function one(value: unknown): string | undefined {
	return typeof value === "string" && value.length <= 2000 ? value : undefined;
}

/** Back to the client's redirect URI with `params`, the request's `state` and our `iss`. */
export function backTo(
	request: AuthorizationRequest,
	params: Record<string, string>,
	session?: string,
): OAuthReply {
	return redirectTo(
		request.redirect_uri,
		{ ...params, state: request.state, iss: request.issuer },
		session,
	);
}

/** The checked request, or the reply that refuses it. `client` is the one `client_id` names. */
export function checkAuthorizationRequest(
	p: Record<string, unknown>,
	client: Output | null,
	issuer: string,
): AuthorizationRequest | OAuthReply {
	if (!client)
		return pageReply(400, { mode: "error", message: "Unknown or inactive client (client_id)" });
	const uris = client.redirect_uris as string[];
	const given = one(p.redirect_uri);
	const redirect = given ?? (uris.length === 1 ? uris[0] : undefined);
	if (!redirect || !uris.includes(redirect))
		return pageReply(400, {
			mode: "error",
			message: "redirect_uri is not registered for this client",
		});

	const request: AuthorizationRequest = {
		client,
		redirect_uri: redirect,
		redirect_given: given !== undefined,
		state: one(p.state),
		scopes: [],
		code_challenge: "",
		params: Object.fromEntries(
			ECHOED.filter((k) => one(p[k]) !== undefined).map((k) => [k, one(p[k]) as string]),
		),
		issuer,
	};
	const fail = (error: string, error_description: string) =>
		backTo(request, { error, error_description });
	if (!(client.grant_types as string[]).includes("authorization_code"))
		return fail("unauthorized_client", "This client may not use the authorization code grant");
	if (one(p.response_type) !== "code")
		return fail("unsupported_response_type", "response_type must be code");
	const challenge = one(p.code_challenge);
	if (one(p.code_challenge_method) !== "S256" || !challenge || !CODE_CHALLENGE.test(challenge))
		return fail(
			"invalid_request",
			"PKCE is required: code_challenge with code_challenge_method=S256",
		);
	const requested = parseScope(p.scope);
	const wanted = requested.length ? requested : (client.scopes as string[]);
	const allowed = scopesWithin(client.scopes as string[], wanted);
	if (wanted.some((s) => !SCOPE_PATTERN.test(s)) || allowed.length !== wanted.length)
		return fail("invalid_scope", "The request names scopes this client may not have");

	return { ...request, scopes: wanted, code_challenge: challenge };
}
