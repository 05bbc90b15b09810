/**
 * The OAuth 2.0 authorization server, as OAuth 2.1 and RFC 9700 want it: authorization code
 * with PKCE S256 only, exact redirect URIs, `state` passed through and `iss` added (RFC 9207),
 * refresh rotation with reuse detection, client credentials, revocation (RFC 7009) and metadata
 * (RFC 8414). Codes and refresh families live in the sessions service; this service keeps the
 * users' consents and decides each step of the browser leg.
 */
import crypto from "node:crypto";
import type { Context, ServiceSchema } from "moleculer";
import { storeMixin, type StoredDoc } from "../mixins/db.mixin";
import type { Output } from "../mixins/resource/view";
import { config } from "../models/config";
import type { Auth, Meta } from "../models/context";
import { ALL_SCOPES, scopesWithin } from "../models/identity";
import {
	type AuthorizationRequest,
	backTo,
	checkAuthorizationRequest,
	one,
} from "./auth/authorization-request";
import { csrfOf, jsonReply, type OAuthReply, originOf, pageReply } from "./auth/oauth-replies";
import { type ClientAuth, metadataOf, revokeRequest, tokenRequest } from "./auth/token-endpoint";
import type { SessionAnswer } from "./sessions.service";

export interface OAuthParams {
	query?: Record<string, unknown>;
	body?: Record<string, unknown>;
	/** Credentials of `Authorization: Basic` (client_secret_basic), parsed by the gateway. */
	client_auth?: ClientAuth;
	/** How the user reached the authorization endpoint: a session cookie carries a CSRF token. */
	browser?: { via: "cookie" | "header"; csrf?: string };
}

type OAuthContext = Context<OAuthParams, Meta>;

const NO_SCOPES = "Your role grants none of the requested scopes";

function issuer(): string {
	return config().jwtIssuer.replace(/\/+$/, "");
}

const OAuthService: ServiceSchema = {
	name: "oauth",
	mixins: [storeMixin({ collection: "oauth-consents", indexes: ["user_id"] })],

	actions: {
		/**
		 * `GET /v1/auth/oauth/authorize`: redirect at once when already approved, else the page.
		 */
		authorize: {
			scope: false,
			async handler(ctx: OAuthContext): Promise<OAuthReply> {
				const request = await this.authorizationRequest(ctx, ctx.params.query ?? {});
				if ("kind" in request) return request;
				const auth = this.signedInUser(ctx, request);
				if (!auth) return this.loginPage(request);

				return this.decide(ctx, request, auth, ctx.params.browser?.csrf);
			},
		},

		/** `POST /v1/auth/oauth/authorize`: the page's sign-in, then its approve or deny. */
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
				if (!auth) return this.loginPage(request);
				if (form.approve === undefined)
					return this.decide(ctx, request, auth, csrf, session);
				// A cookie rides along with cross-site posts too; the page's CSRF token does not.
				if (!session && ctx.params.browser?.via === "cookie" && one(form.csrf) !== csrf)
					return pageReply(403, {
						mode: "error",
						message: "This form has expired; start again",
					});

				return this.conclude(ctx, request, auth, form.approve === "true", session);
			},
		},

		/** `POST /v1/auth/oauth/token` (RFC 6749 §3.2). */
		token: {
			scope: false,
			async handler(ctx: OAuthContext): Promise<OAuthReply> {
				const pair = await tokenRequest(ctx, ctx.params.body ?? {}, ctx.params.client_auth);

				return jsonReply({ ...pair });
			},
		},

		/**
		 * `POST /v1/auth/oauth/refresh` (design document): the refresh_token grant by its own path.
		 */
		refresh: {
			scope: false,
			async handler(ctx: OAuthContext): Promise<OAuthReply> {
				const form = { grant_type: "refresh_token", ...(ctx.params.body ?? {}) };

				return jsonReply({ ...(await tokenRequest(ctx, form, ctx.params.client_auth)) });
			},
		},

		/** RFC 7009 revocation (`POST`, and the design document's `DELETE`). */
		revoke: {
			scope: false,
			async handler(ctx: OAuthContext): Promise<OAuthReply> {
				await revokeRequest(ctx, ctx.params.body ?? {}, ctx.params.client_auth);

				return jsonReply({});
			},
		},

		metadata: {
			scope: false,
			handler(): OAuthReply {
				return jsonReply(metadataOf(issuer(), ALL_SCOPES));
			},
		},
	},

	methods: {
		async authorizationRequest(
			ctx: OAuthContext,
			params: Record<string, unknown>,
		): Promise<AuthorizationRequest | OAuthReply> {
			const id = one(params.client_id);
			const client: Output | null = id
				? await ctx.call("oauth-clients.resolve", { id })
				: null;

			return checkAuthorizationRequest(params, client, issuer());
		},

		/**
		 * The user behind the request, when a user session of the client's organization sent it.
		 */
		signedInUser(ctx: OAuthContext, request: AuthorizationRequest): Auth | undefined {
			const auth = ctx.meta.auth;
			if (!auth || auth.actor.type !== "user" || !auth.session_id) return undefined;

			return auth.organization_id === request.client.organization_id ? auth : undefined;
		},

		/**
		 * Signs in from the page's form (throttled like any sign-in); a failure re-shows the form.
		 */
		async pageLogin(
			ctx: OAuthContext,
			request: AuthorizationRequest,
			form: Record<string, unknown>,
		): Promise<{ auth: Auth; session: string } | OAuthReply> {
			try {
				const answer: SessionAnswer = await ctx.call("sessions.login", {
					email: one(form.email) ?? "",
					password: one(form.password) ?? "",
					organization_id: request.client.organization_id,
					device_name: `Sign-in for ${request.client.name as string}`,
				});
				const auth: Auth = await ctx.call("tokens.verify", { token: answer.access_token });

				return { auth, session: answer.access_token };
			} catch (err) {
				const type = (err as { type?: string }).type;
				if (type === "RATE_LIMITED")
					return this.loginPage(
						request,
						"Too many failed sign-ins; try again later",
						429,
					);
				if (type === "UNAUTHORIZED" || type === "VALIDATION_ERROR")
					return this.loginPage(request, "The email or password is wrong", 401);
				throw err;
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
				return backTo(
					request,
					{ error: "access_denied", error_description: NO_SCOPES },
					session,
				);
			const consent: StoredDoc | undefined = await this.storeFindOne({
				user_id: auth.user_id,
				client_id: request.client.id,
			});
			const approved = (consent?.scopes as string[] | undefined) ?? [];
			if (granted.every((s) => approved.includes(s)))
				return this.issueCode(ctx, request, auth, granted, session);
			const view = {
				mode: "consent" as const,
				client: { name: request.client.name as string },
				scopes: granted,
				params: request.params,
				csrf,
			};

			return pageReply(200, view, {
				redirect_origin: originOf(request.redirect_uri),
				session_token: session,
			});
		},

		async conclude(
			ctx: OAuthContext,
			request: AuthorizationRequest,
			auth: Auth,
			approved: boolean,
			session?: string,
		): Promise<OAuthReply> {
			const denied = (why: string) =>
				backTo(request, { error: "access_denied", error_description: why }, session);
			if (!approved) return denied("The user denied access");
			const granted = scopesWithin(auth.scopes, request.scopes);
			if (granted.length === 0) return denied(NO_SCOPES);
			await this.saveConsent(auth, request.client.id, granted);

			return this.issueCode(ctx, request, auth, granted, session);
		},

		async issueCode(
			ctx: OAuthContext,
			request: AuthorizationRequest,
			auth: Auth,
			scopes: string[],
			session?: string,
		): Promise<OAuthReply> {
			const params = {
				client_id: request.client.id,
				scopes,
				redirect_uri: request.redirect_given ? request.redirect_uri : null,
				code_challenge: request.code_challenge,
			};
			const { code } = await ctx.call<{ code: string }, typeof params>(
				"sessions.startCode",
				params,
				{ meta: { auth } },
			);

			return backTo(request, { code }, session);
		},

		loginPage(request: AuthorizationRequest, message?: string, status = 200): OAuthReply {
			const view = {
				mode: "login" as const,
				message,
				client: { name: request.client.name as string },
				scopes: request.scopes,
				params: request.params,
			};

			return pageReply(status, view, { redirect_origin: originOf(request.redirect_uri) });
		},

		/** Remembers what the user approved for the client (the union of every approval). */
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
	},
};

export default OAuthService;
