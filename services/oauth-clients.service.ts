/**
 * OAuth clients registered by an organization (`…/oauth-clients`). The id is the `client_id`.
 * Confidential clients get a `client_secret` (shown once, stored as a hash); public clients
 * (browser and native apps) have none and rely on PKCE. Redirect URIs are matched exactly
 * (RFC 9700 §2.1) and must be https, loopback http, or a private-use scheme (RFC 8252).
 */
import type { Context, ServiceSchema } from "moleculer";
import { resourceMixin } from "../mixins/resource.mixin";
import type { Body } from "../mixins/resource/body";
import type { StoredDoc } from "../mixins/db.mixin";
import { type Output, toOutput } from "../mixins/resource/view";
import type { Auth, RestContext } from "../models/context";
import { type ErrorDetail, forbidden, validationError } from "../models/errors";
import { scopesWithin } from "../models/identity";
import { OAuthClient, OAuthError, redirectUriProblem } from "../models/oauth";
import { hashSecret, newSecret, SECRET_PREFIXES, secretMatches } from "./auth/secrets";

const DEFAULT_GRANTS = ["authorization_code", "refresh_token"];

/**
 * Every rule that spans fields: redirect URIs, grants by client type, scopes within the editor's.
 */
function problems(client: Body): ErrorDetail[] {
	const details: ErrorDetail[] = [];
	const uris = (client.redirect_uris as string[] | null) ?? [];
	uris.forEach((uri, i) => {
		const problem = redirectUriProblem(uri);
		if (problem) details.push({ field: `redirect_uris[${i}]`, message: problem, value: uri });
	});
	const grants = (client.grant_types as string[] | null) ?? DEFAULT_GRANTS;
	if (grants.includes("authorization_code") && uris.length === 0)
		details.push({
			field: "redirect_uris",
			message: "needs at least one URI for the authorization_code grant",
		});
	if (client.type === "public" && grants.includes("client_credentials"))
		details.push({
			field: "grant_types",
			message: "client_credentials needs a confidential client",
			value: grants,
		});

	return details;
}

const OAuthClientsService: ServiceSchema = {
	name: "oauth-clients",
	mixins: [resourceMixin({ entity: OAuthClient })],

	hooks: {
		after: {
			/** The secret leaves the service exactly once: in the answer to the creation. */
			create(ctx: RestContext, client: Output): Output {
				return ctx.locals.secret ? { ...client, client_secret: ctx.locals.secret } : client;
			},
		},
	},

	actions: {
		/**
		 * An active client by id, from any organization (the authorization endpoint's first step).
		 */
		resolve: {
			visibility: "public",
			params: { id: { type: "string", max: 100 } },
			async handler(ctx: Context<{ id: string }>): Promise<Output | null> {
				const doc = await this.storeFindOne({ _id: ctx.params.id, is_active: true });

				return doc ? this.toOutput(doc) : null;
			},
		},

		/**
		 * The client making a token or revocation request (RFC 6749 §2.3): a confidential client
		 * must present its secret, a public client must not have one. Else `invalid_client`.
		 */
		authenticate: {
			visibility: "public",
			params: {
				client_id: { type: "string", max: 100 },
				client_secret: { type: "string", max: 200, optional: true },
			},
			async handler(
				ctx: Context<{ client_id: string; client_secret?: string }>,
			): Promise<Output> {
				const doc: StoredDoc | undefined = await this.storeFindOne({
					_id: ctx.params.client_id,
					is_active: true,
				});
				const secret = ctx.params.client_secret;
				const ok =
					doc !== undefined &&
					(doc.type === "public"
						? secret === undefined
						: secret !== undefined && secretMatches(secret, doc.secret_hash));
				if (!ok) throw new OAuthError("invalid_client", "Client authentication failed");

				return this.toOutput(doc);
			},
		},
	},

	methods: {
		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			const auth = ctx.meta.auth as Auth;
			const scopes = (doc.scopes as string[] | null) ?? auth.scopes;
			this.assertScopes(auth, scopes);
			const client: Body = {
				...doc,
				scopes,
				grant_types: (doc.grant_types as string[] | null) ?? DEFAULT_GRANTS,
			};
			const details = problems(client);
			if (details.length) throw validationError(details);
			if (client.type === "public")
				return { ...client, created_by: auth.user_id ?? auth.actor.id };

			const secret = newSecret(SECRET_PREFIXES.clientSecret);
			ctx.locals.secret = secret;

			return {
				...client,
				secret_hash: hashSecret(secret),
				secret_prefix: secret.slice(0, 12),
				created_by: auth.user_id ?? auth.actor.id,
			};
		},

		async beforeUpdate(ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
			if (Array.isArray(changes.scopes))
				this.assertScopes(ctx.meta.auth as Auth, changes.scopes as string[]);
			const details = problems({ ...current, ...changes });
			if (details.length) throw validationError(details);

			return changes;
		},

		assertScopes(auth: Auth, scopes: string[]): void {
			const allowed = scopesWithin(auth.scopes, scopes);
			const excess = scopes.filter((s) => !allowed.includes(s));
			if (excess.length)
				throw forbidden(
					`A client cannot have scopes its creator lacks: ${excess.join(", ")}`,
				);
		},

		toOutput(doc: StoredDoc, fields?: string[]): Output {
			const out = toOutput(OAuthClient, doc, fields);

			return fields ? out : { ...out, client_id: doc._id };
		},
	},
};

export default OAuthClientsService;
