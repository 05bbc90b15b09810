/**
 * The OAuth 2.0 authorization server, as OAuth 2.1 and RFC 9700 want it: authorization code
 * with PKCE S256 only, exact redirect URIs, `state` passed through and `iss` added (RFC 9207),
 * refresh rotation with reuse detection, client credentials, revocation (RFC 7009) and metadata
 * (RFC 8414). Codes and refresh families live in the sessions service; this service keeps the
 * users' consents and decides every step.
 */
import crypto from "node:crypto";
import type { Context, ServiceSchema } from "moleculer";
import { storeMixin, type StoredDoc } from "../mixins/db.mixin";
import type { Output } from "../mixins/resource/view";
import { config } from "../models/config";
import type { Auth, Meta } from "../models/context";
import { ALL_SCOPES, SCOPE_PATTERN, scopesWithin } from "../models/identity";
import { GRANT_TYPES, OAuthError, parseScope } from "../models/oauth";
import type { TokenPair } from "../models/session";
import { CODE_CHALLENGE } from "./auth/secrets";
import {
	csrfOf,
	jsonReply,
	type OAuthReply,
	originOf,
	pageReply,
	redirectTo,
} from "./auth/oauth-replies";
import type { SessionAnswer } from "./sessions.service";

export interface OAuthParams {
	query?: Record<string, unknown>;
	body?: Record<string, unknown>;
	/** Credentials of `Authorization: Basic` (client_secret_basic), parsed by the gateway. */
	client_auth?: { client_id: string; client_secret: string };
	/** How the user reached the authorization endpoint: a session cookie carries a CSRF token. */
	browser?: { via: "cookie" | "header"; csrf?: string };
}

type OAuthContext = Context<OAuthParams, Meta>;

interface AuthorizationRequest {
	client: Output;
	redirect_uri: string;
	/** Whether the request named the redirect URI (then the token request must repeat it). */
	redirect_given: boolean;
	state?: string;
	scopes: string[];
	code_challenge: string;
	params: Record<string, string>;
}

const AUTHORIZE_PARAMS = [
	"response_type",
	"client_id",
	"redirect_uri",
	"scope",
	"state",
	"code_challenge",
	"code_challenge_method",
];

/** A parameter given once, as text (RFC 6749 §3.1: parameters MUST NOT repeat). */
function one(value: unknown): string | undefined {
	return typeof value === "string" && value.length <= 2000 ? value : undefined;
}

const OAuthService: ServiceSchema = {
	name: "oauth",
	mixins: [storeMixin({ collection: "oauth-consents", indexes: ["user_id"] })],

	actions: {
		/** `GET /v1/auth/oauth/authorize`: redirect at once when already approved, else the page. */
		authorize: {
			scope: false,
			async handler(ctx: OAuthContext): Promise<OAuthReply> {
				const request = await this.authorizationRequest(ctx, ctx.params.query ?? {});
				if ("kind" in request) return request;
				const auth = this.signedInUser(ctx, request);
				if (!auth) return this.page(request, "login");

				return this.decide(ctx, request, auth, ctx.params.browser?.csrf);
			},
		},

		/** `POST /v1/auth/oauth/authorize`: the page's sign-in and its approve / deny. */
		approve: {
			scope: false,
			async handler(ctx: OAuthContext): Promise<OAuthReply> {
				const form = ctx.params.body ?? {};
				const request = await this.authorizationRequest(ctx, form);
				if ("kind" in request) return request;

				let auth = this.signedInUser(ctx, request);
				let session: string | undefined;
				let csrf = ctx.params.browser?.csrf;
				if (form.email !== undefined || form.password !== undefined) {
					const login = await this.pageLogin(ctx, request, form);
					if ("kind" in login) return login;
					({ auth, session } = login);
					csrf = csrfOf(login.session);
				}
				if (!auth) return this.page(request, "login");
				if (form.approve === undefined)
					return this.decide(ctx, request, auth, csrf, session);
				if (!session && ctx.params.browser?.via === "cookie" && one(form.csrf) !== csrf)
					return pageReply(403, {
						mode: "error",
						message: "This form has expired; start the sign-in again",
					});
				if (form.approve !== "true")
					return this.back(
						request,
						{ error: "access_denied", error_description: "The user denied access" },
						session,
					);

				const granted = scopesWithin(auth.scopes, request.scopes);
				if (granted.length === 0)
					return this.back(
						request,
						{
							error: "access_denied",
							error_description: "Your role grants none of the requested scopes",
						},
						session,
					);
				await this.saveConsent(auth, request.client.id, granted);

				return this.issueCode(ctx, request, auth, granted, session);
			},
		},

		/** `POST /v1/auth/oauth/token` (RFC 6749 §3.2). */
		token: {
			scope: false,
			handler(ctx: OAuthContext): Promise<OAuthReply> {
				return this.tokenRequest(ctx, ctx.params.body ?? {});
			},
		},

		/** `POST /v1/auth/oauth/refresh` (design document): the refresh_token grant by its own path. */
		refresh: {
			scope: false,
			handler(ctx: OAuthContext): Promise<OAuthReply> {
				return this.tokenRequest(ctx, {
					grant_type: "refresh_token",
					...(ctx.params.body ?? {}),
				});
			},
		},

		/** RFC 7009 revocation (`POST`, and the design document's `DELETE`): always 200 for a client. */
		revoke: {
			scope: false,
			async handler(ctx: OAuthContext): Promise<OAuthReply> {
				const form = ctx.params.body ?? {};
				const token = one(form.token);
				if (!token) throw new OAuthError("invalid_request", "token is required");
				const client = await this.clientOf(ctx, form);
				await ctx.call("sessions.revokeToken", { token, client_id: client?.id ?? null });

				return jsonReply({});
			},
		},

		/** RFC 8414 authorization server metadata. */
		metadata: {
			scope: false,
			handler(): OAuthReply {
				const issuer = config().jwtIssuer.replace(/\/+$/, "");
				const auth = ["client_secret_basic", "client_secret_post", "none"];

				return jsonReply({
					issuer,
					authorization_endpoint: `${issuer}/v1/auth/oauth/authorize`,
					token_endpoint: `${issuer}/v1/auth/oauth/token`,
					revocation_endpoint: `${issuer}/v1/auth/oauth/revoke`,
					jwks_uri: `${issuer}/.well-known/jwks.json`,
					response_types_supported: ["code"],
					response_modes_supported: ["query"],
					grant_types_supported: [
						"authorization_code",
						"refresh_token",
						"client_credentials",
					],
					code_challenge_methods_supported: ["S256"],
					token_endpoint_auth_methods_supported: auth,
					revocation_endpoint_auth_methods_supported: auth,
					scopes_supported: ALL_SCOPES,
					authorization_response_iss_parameter_supported: true,
				});
			},
		},
	},

	methods: {
		async tokenRequest(ctx: OAuthContext, form: Record<string, unknown>): Promise<OAuthReply> {
			const client = await this.clientOf(ctx, form);
			const grant = one(form.grant_type);
			if (grant === undefined)
				throw new OAuthError("invalid_request", "grant_type is required");
			if (!(GRANT_TYPES as readonly string[]).includes(grant))
				throw new OAuthError(
					"unsupported_grant_type",
					`The ${grant} grant is not supported`,
				);
			if (grant !== "refresh_token" && !client)
				throw new OAuthError(
					"invalid_client",
					"Client authentication is required for this grant",
				);
			if (client && !(client.grant_types as string[]).includes(grant))
				throw new OAuthError(
					"unauthorized_client",
					`This client may not use the ${grant} grant`,
				);
			const pair: TokenPair = await this.grant(ctx, grant, form, client);

			return jsonReply({ ...pair });
		},

		/**
		 * Checks an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3). An unknown client or
		 * redirect URI is shown on the page, never redirected to (§4.1.2.1); every later problem
		 * goes back to the client's redirect URI with `error` and `state`.
		 */
		async authorizationRequest(
			ctx: OAuthContext,
			p: Record<string, unknown>,
		): Promise<AuthorizationRequest | OAuthReply> {
			const clientId = one(p.client_id);
			const client: Output | null = clientId
				? await ctx.call("oauth-clients.resolve", { id: clientId })
				: null;
			if (!client)
				return pageReply(400, {
					mode: "error",
					message: "Unknown or inactive client (client_id)",
				});
			const uris = client.redirect_uris as string[];
			const given = one(p.redirect_uri);
			const redirect = given ?? (uris.length === 1 ? uris[0] : undefined);
			if (!redirect || !uris.includes(redirect))
				return pageReply(400, {
					mode: "error",
					message: "redirect_uri is not registered for this client",
				});

			const state = one(p.state);
			const request: AuthorizationRequest = {
				client,
				redirect_uri: redirect,
				redirect_given: given !== undefined,
				state,
				scopes: [],
				code_challenge: "",
				params: Object.fromEntries(
					AUTHORIZE_PARAMS.filter((k) => one(p[k]) !== undefined).map((k) => [
						k,
						one(p[k]) as string,
					]),
				),
			};
			const fail = (error: string, error_description: string) =>
				this.back(request, { error, error_description });
			if (!(client.grant_types as string[]).includes("authorization_code"))
				return fail(
					"unauthorized_client",
					"This client may not use the authorization code grant",
				);
			if (one(p.response_type) !== "code")
				return fail("unsupported_response_type", "response_type must be code");
			const challenge = one(p.code_challenge);
			if (
				one(p.code_challenge_method) !== "S256" ||
				!challenge ||
				!CODE_CHALLENGE.test(challenge)
			)
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
		},

		/** The user behind the request, when a user session of the client's organization sent it. */
		signedInUser(ctx: OAuthContext, request: AuthorizationRequest): Auth | undefined {
			const auth = ctx.meta.auth;
			if (!auth || auth.actor.type !== "user" || !auth.session_id) return undefined;

			return auth.organization_id === request.client.organization_id ? auth : undefined;
		},

		async pageLogin(
			ctx: OAuthContext,
			request: AuthorizationRequest,
			form: Record<string, unknown>,
		): Promise<{ auth: Auth; session: string } | OAuthReply> {
			const email = one(form.email) ?? "";
			const password = one(form.password) ?? "";
			try {
				const answer: SessionAnswer = await ctx.call("sessions.login", {
					email,
					password,
					organization_id: request.client.organization_id,
					device_name: `Sign-in for ${request.client.name as string}`,
				});
				const auth: Auth = await ctx.call("tokens.verify", { token: answer.access_token });

				return { auth, session: answer.access_token };
			} catch (err) {
				const type = (err as { type?: string }).type;
				if (type !== "UNAUTHORIZED" && type !== "RATE_LIMITED") throw err;
				const message =
					type === "RATE_LIMITED"
						? "Too many failed sign-ins; try again later"
						: "The email or password is wrong";

				return this.page(request, "login", message, type === "RATE_LIMITED" ? 429 : 401);
			}
		},

		/** Approved before for these scopes: a code at once. Otherwise: ask. */
		async decide(
			ctx: OAuthContext,
			request: AuthorizationRequest,
			auth: Auth,
			csrf?: string,
			session?: string,
		): Promise<OAuthReply> {
			const granted = scopesWithin(auth.scopes, request.scopes);
			if (granted.length === 0)
				return this.back(
					request,
					{
						error: "access_denied",
						error_description: "Your role grants none of the requested scopes",
					},
					session,
				);
			const consent: StoredDoc | undefined = await this.storeFindOne({
				user_id: auth.user_id,
				client_id: request.client.id,
			});
			const approved = (consent?.scopes as string[] | undefined) ?? [];
			if (granted.every((s) => approved.includes(s)))
				return this.issueCode(ctx, request, auth, granted, session);

			return pageReply(
				200,
				{
					mode: "consent",
					client: { name: request.client.name as string },
					scopes: granted,
					params: request.params,
					csrf,
				},
				{ redirect_origin: originOf(request.redirect_uri), session_token: session },
			);
		},

		async issueCode(
			ctx: OAuthContext,
			request: AuthorizationRequest,
			auth: Auth,
			scopes: string[],
			session?: string,
		): Promise<OAuthReply> {
			const { code } = await ctx.call<{ code: string }, unknown>(
				"sessions.startCode",
				{
					client_id: request.client.id,
					scopes,
					redirect_uri: request.redirect_given ? request.redirect_uri : null,
					code_challenge: request.code_challenge,
				},
				{ meta: { auth } },
			);

			return this.back(request, { code }, session);
		},

		back(
			request: AuthorizationRequest,
			params: Record<string, string>,
			session?: string,
		): OAuthReply {
			const iss = config().jwtIssuer.replace(/\/+$/, "");

			return redirectTo(
				request.redirect_uri,
				{ ...params, state: request.state, iss },
				session,
			);
		},

		page(
			request: AuthorizationRequest,
			mode: "login",
			message?: string,
			status = 200,
		): OAuthReply {
			return pageReply(
				status,
				{
					mode,
					message,
					client: { name: request.client.name as string },
					scopes: request.scopes,
					params: request.params,
				},
				{ redirect_origin: originOf(request.redirect_uri) },
			);
		},

		async saveConsent(auth: Auth, clientId: string, scopes: string[]): Promise<void> {
			const now = new Date().toISOString();
			const existing: StoredDoc | undefined = await this.storeFindOne({
				user_id: auth.user_id,
				client_id: clientId,
			});
			if (existing) {
				const union = [...new Set([...(existing.scopes as string[]), ...scopes])];
				await this.storeUpdate({ _id: existing._id }, { scopes: union, updated_at: now });

				return;
			}
			await this.storeInsert({
				_id: crypto.randomUUID(),
				organization_id: auth.organization_id,
				user_id: auth.user_id,
				client_id: clientId,
				scopes,
				created_at: now,
				updated_at: now,
			});
		},

		/** The authenticated client of a token or revocation request, or null when none is named. */
		async clientOf(ctx: OAuthContext, form: Record<string, unknown>): Promise<Output | null> {
			const basic = ctx.params.client_auth;
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
		},

		async grant(
			ctx: OAuthContext,
			grant: string,
			form: Record<string, unknown>,
			client: Output | null,
		): Promise<TokenPair> {
			switch (grant) {
				case "authorization_code": {
					const code = one(form.code);
					if (!code) throw new OAuthError("invalid_request", "code is required");

					return ctx.call("sessions.exchangeCode", {
						code,
						client_id: (client as Output).id,
						redirect_uri: one(form.redirect_uri),
						code_verifier: one(form.code_verifier),
					});
				}
				case "refresh_token": {
					const token = one(form.refresh_token);
					if (!token)
						throw new OAuthError("invalid_request", "refresh_token is required");

					return ctx.call("sessions.refresh", {
						refresh_token: token,
						client_id: client?.id ?? null,
						scopes: parseScope(form.scope),
					});
				}
				case "client_credentials":
					return this.clientCredentials(ctx, client as Output, parseScope(form.scope));
				default:
					throw new OAuthError(
						"unsupported_grant_type",
						`The ${grant} grant is not supported`,
					);
			}
		},

		async clientCredentials(
			ctx: OAuthContext,
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
				throw new OAuthError(
					"invalid_scope",
					"The request names scopes this client may not have",
				);

			return ctx.call("sessions.startClient", {
				client_id: client.id,
				organization_id: client.organization_id,
				scopes,
			});
		},
	},
};

export default OAuthService;
