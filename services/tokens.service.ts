/**
 * Tokens: signs access tokens and turns a bearer token back into the caller (`Auth`). Every
 * verification also asks the sessions service whether the token's session is still active, so
 * a sign-out or a revoked refresh family ends its access tokens at once on every node: no node
 * keeps a cache that could outlive a revocation.
 */
import type { Context, ServiceSchema } from "moleculer";
import { config } from "../models/config";
import type { Auth, Meta } from "../models/context";
import { unauthorized } from "../models/errors";
import { PLAN_QUOTAS, type PlanName } from "../models/identity";
import { ACCESS_TOKEN_TTL_SECONDS } from "../models/oauth";
import {
	type AccessClaims,
	audienceOf,
	signAccessToken,
	type TokenAudience,
	verifyAccessToken,
} from "./auth/access-token";
import { loadSigningKey, type SigningKey } from "./auth/signing-key";

export interface SignedToken {
	access_token: string;
	token_type: "Bearer";
	expires_in: number;
}

export interface ActiveSession {
	id: string;
	organization_id: string;
	user_id: string | null;
	client_id: string | null;
}

const TokensService: ServiceSchema = {
	name: "tokens",

	actions: {
		/** A fresh access token for a session (called by the sessions service only). */
		sign: {
			visibility: "public",
			params: {
				sub: "string",
				org_id: "string",
				scope: { type: "string", max: 8000 },
				sid: "string",
				client_id: { type: "string", optional: true },
			},
			handler(ctx: Context<AccessClaims>): SignedToken {
				return {
					access_token: signAccessToken(this.key, this.audience, ctx.params),
					token_type: "Bearer",
					expires_in: ACCESS_TOKEN_TTL_SECONDS,
				};
			},
		},

		/** The caller behind an access token; 401 for a bad, expired or revoked one. */
		verify: {
			visibility: "public",
			params: { token: { type: "string", max: 4096 } },
			async handler(ctx: Context<{ token: string }, Meta>): Promise<Auth> {
				const claims = verifyAccessToken(this.key, this.audience, ctx.params.token);
				const session: ActiveSession | null = await ctx.call("sessions.active", {
					id: claims.sid,
				});
				if (!session || session.organization_id !== claims.org_id)
					throw unauthorized("The session of this access token has ended");
				const org: { plan: PlanName } | null = await ctx.call("organizations.resolve", {
					id: claims.org_id,
				});
				if (!org)
					throw unauthorized("The organization of this access token no longer exists");
				const isClient = claims.client_id !== undefined && claims.sub === claims.client_id;

				return {
					organization_id: claims.org_id,
					actor: { type: isClient ? "oauth_client" : "user", id: claims.sub },
					scopes: claims.scope.split(" ").filter(Boolean),
					...(isClient ? {} : { user_id: claims.sub }),
					session_id: claims.sid,
					rate_limit_per_hour: PLAN_QUOTAS[org.plan],
				};
			},
		},

		/**
		 * The claims of a token this gateway signed, even an expired one (RFC 7009 revocation
		 * accepts those); null when the signature, issuer or audience is not ours.
		 */
		inspect: {
			visibility: "public",
			params: { token: { type: "string", max: 4096 } },
			handler(ctx: Context<{ token: string }>): AccessClaims | null {
				try {
					return verifyAccessToken(this.key, this.audience, ctx.params.token, {
						ignoreExpiration: true,
					});
				} catch {
					return null;
				}
			},
		},

		/** RFC 7517 key set for `/.well-known/jwks.json`. */
		jwks: {
			scope: false,
			handler(): { keys: Record<string, string>[] } {
				return { keys: [(this.key as SigningKey).jwk] };
			},
		},
	},

	created() {
		const settings = config();
		this.key = loadSigningKey(settings.jwtPrivateKey, settings.dataDir) as SigningKey;
		this.audience = {
			issuer: settings.jwtIssuer,
			audience: audienceOf(settings.jwtIssuer),
		} satisfies TokenAudience;
	},

	started() {
		const key = this.key as SigningKey;
		this.logger.info(`Access tokens signed with ${key.alg} key ${key.kid} (${key.source})`);
		if (key.source !== "JWT_PRIVATE_KEY" && config().transporter)
			this.logger.warn(
				"JWT_PRIVATE_KEY is unset in a cluster: every copy of the tokens service on another DATA_DIR signs with its own key",
			);
	},
};

export default TokensService;
