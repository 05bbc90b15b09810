/**
 * The OAuth grants over sessions, mixed into the sessions service (they need its store):
 * authorization codes (single use, 10 minutes, PKCE S256, RFC 7636), refresh-token rotation
 * with reuse detection (RFC 9700 §4.14.2: a rotated-out token presented again revokes the whole
 * family), client credentials, and revocation (RFC 7009).
 */
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../../mixins/db.mixin";
import type { Auth, Meta } from "../../models/context";
import { CODE_TTL_MS, OAuthError } from "../../models/oauth";
import type { TokenPair } from "../../models/session";
import { CODE_VERIFIER, hashSecret, newSecret, pkceMatches, SECRET_PREFIXES } from "./secrets";
import type { AccessClaims } from "./access-token";

interface StartCodeParams {
	client_id: string;
	scopes: string[];
	redirect_uri: string | null;
	code_challenge: string;
}

interface ExchangeParams {
	code: string;
	client_id: string;
	redirect_uri?: string;
	code_verifier?: string;
}

interface RefreshParams {
	refresh_token: string;
	client_id: string | null;
	scopes?: string[];
}

const invalidGrant = (why: string) => new OAuthError("invalid_grant", why);

export const SessionGrants: Partial<ServiceSchema> = {
	actions: {
		/** A single-use authorization code for the signed-in user (`meta.auth`) and a client. */
		startCode: {
			visibility: "public",
			async handler(ctx: Context<StartCodeParams, Meta>): Promise<{ code: string }> {
				const auth = ctx.meta.auth as Auth;
				const code = newSecret(SECRET_PREFIXES.authorizationCode);
				await this.insertSession(ctx, {
					kind: "authorization_code",
					status: "pending",
					organization_id: auth.organization_id,
					user_id: auth.user_id,
					client_id: ctx.params.client_id,
					scopes: ctx.params.scopes,
					device_name: null,
					redirect_uri: ctx.params.redirect_uri,
					code_challenge: ctx.params.code_challenge,
					code_hash: hashSecret(code),
					code_expires_at: new Date(Date.now() + CODE_TTL_MS).toISOString(),
				});

				return { code };
			},
		},

		exchangeCode: {
			visibility: "public",
			async handler(ctx: Context<ExchangeParams, Meta>): Promise<TokenPair> {
				const { code, client_id, redirect_uri, code_verifier } = ctx.params;
				const doc: StoredDoc | undefined = await this.storeFindOne({
					code_hash: hashSecret(code),
				});
				if (!doc || doc.client_id !== client_id)
					throw invalidGrant("The authorization code is invalid");

				// Claimed before any other check: a code is spent by its first use, good or bad.
				const now = new Date().toISOString();
				const claimed = doc.code_used_at
					? 0
					: await this.storeUpdate(
							{ _id: doc._id, code_used_at: null },
							{ code_used_at: now },
						);
				if (claimed === 0) {
					await this.revoke(doc, "authorization_code_reused");
					this.logger.warn(
						`Authorization code of session ${doc._id} used twice; its tokens are ` +
							`revoked`,
					);
					throw invalidGrant(
						"The authorization code was already used; the tokens it issued are revoked",
					);
				}
				if (Date.parse(doc.code_expires_at as string) <= Date.now())
					throw invalidGrant("The authorization code has expired");
				if (doc.redirect_uri !== null && redirect_uri !== doc.redirect_uri)
					throw invalidGrant("redirect_uri differs from the authorization request");
				if (typeof code_verifier !== "string" || !CODE_VERIFIER.test(code_verifier))
					throw new OAuthError(
						"invalid_request",
						"code_verifier is required (PKCE, RFC 7636)",
					);
				if (!pkceMatches(code_verifier, doc.code_challenge))
					throw invalidGrant("code_verifier does not match the code_challenge");

				const pair = await this.issueTokens(ctx, { ...doc, code_used_at: now }, true);
				if (pair === false) throw invalidGrant("The authorization code is no longer valid");

				return pair;
			},
		},

		/**
		 * Rotates a refresh token: the old one is spent, presenting it again revokes the family.
		 */
		refresh: {
			visibility: "public",
			async handler(ctx: Context<RefreshParams, Meta>): Promise<TokenPair> {
				const hash = hashSecret(ctx.params.refresh_token);
				const doc: StoredDoc | undefined = await this.storeFindOne({ refresh_hash: hash });
				if (!doc) {
					const family: StoredDoc | undefined = await this.storeFindOne({
						used_refresh_hashes: hash,
					});
					if (!family) throw invalidGrant("The refresh token is invalid");
					await this.revokeFamily(family);
					throw invalidGrant(
						"The refresh token was already used; every token of its grant is revoked",
					);
				}
				if ((doc.client_id ?? null) !== ctx.params.client_id)
					throw invalidGrant("The refresh token was not issued to this client");
				if (doc.status !== "active")
					throw invalidGrant("The grant of this refresh token is revoked");
				if (Date.parse(doc.expires_at as string) <= Date.now())
					throw invalidGrant("The refresh token has expired");
				const wanted = ctx.params.scopes;
				if (wanted?.some((s) => !(doc.scopes as string[]).includes(s)))
					throw new OAuthError(
						"invalid_scope",
						"A refresh cannot widen the grant's scopes",
					);

				const pair = await this.issueTokens(
					ctx,
					{ ...doc, scopes: wanted?.length ? wanted : doc.scopes },
					true,
				);
				if (pair === false) {
					// Another request rotated the same token a moment ago: that is reuse too.
					await this.revokeFamily(doc);
					throw invalidGrant(
						"The refresh token was already used; every token of its grant is revoked",
					);
				}

				return pair;
			},
		},

		/** Client credentials grant (RFC 6749 §4.4): an access token and no refresh token. */
		startClient: {
			visibility: "public",
			async handler(
				ctx: Context<
					{ client_id: string; organization_id: string; scopes: string[] },
					Meta
				>,
			): Promise<TokenPair> {
				const session = await this.insertSession(ctx, {
					kind: "client_credentials",
					status: "active",
					organization_id: ctx.params.organization_id,
					client_id: ctx.params.client_id,
					scopes: ctx.params.scopes,
				});

				return this.issueTokens(ctx, session, false);
			},
		},

		/**
		 * RFC 7009: ends the grant behind a refresh or access token issued to `client_id` (null for
		 * first-party sign-ins). Unknown tokens and other clients' tokens change nothing (§2.2).
		 */
		revokeToken: {
			visibility: "public",
			async handler(
				ctx: Context<{ token: string; client_id: string | null }, Meta>,
			): Promise<{ revoked: boolean }> {
				const { token, client_id } = ctx.params;
				let doc: StoredDoc | undefined;
				if (token.startsWith(SECRET_PREFIXES.refreshToken)) {
					const hash = hashSecret(token);
					doc =
						(await this.storeFindOne({ refresh_hash: hash })) ??
						(await this.storeFindOne({ used_refresh_hashes: hash }));
				} else {
					const claims: AccessClaims | null = await ctx.call("tokens.inspect", { token });
					if (claims) doc = await this.storeFindOne({ _id: claims.sid });
				}
				if (!doc || (doc.client_id ?? null) !== client_id || doc.status === "revoked")
					return { revoked: false };
				await this.revoke(doc, "revoked_by_client");

				return { revoked: true };
			},
		},
	},

	methods: {
		async revokeFamily(doc: StoredDoc): Promise<void> {
			await this.revoke(doc, "refresh_token_reused");
			this.logger.warn(`Refresh token of session ${doc._id} reused; the session is revoked`);
		},
	},
};
