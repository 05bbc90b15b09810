/**
 * API keys: `mnx_` secrets shown once at creation and stored only as a SHA-256 hash (they are
 * 240 random bits, so a fast hash loses nothing to guessing). Revocation is immediate: every
 * request looks the key up, so no node can keep serving a revoked key from memory.
 */
import crypto from "node:crypto";
import type { Context, ServiceSchema } from "moleculer";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import type { Body } from "../mixins/resource/body";
import type { StoredDoc } from "../mixins/db.mixin";
import type { Output } from "../mixins/resource/view";
import { type Auth, type Meta, type RestContext, systemAuth } from "../models/context";
import { forbidden, unauthorized, validationError } from "../models/errors";
import { ApiKey, PLAN_QUOTAS, type PlanName, scopesWithin } from "../models/identity";

import { API_KEY_PREFIX } from "./api/credentials";

/** `last_used_at` is written at most this often per key, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function hashKey(key: string): string {
	return crypto.createHash("sha256").update(key).digest("hex");
}

function newKey(): string {
	return API_KEY_PREFIX + crypto.randomBytes(30).toString("base64url");
}

interface IssueParams {
	organization_id: string;
	user_id: string;
	name: string;
	scopes: string[];
	rate_limit_per_hour?: number;
}

const ApiKeysService: ServiceSchema = {
	name: "api-keys",
	mixins: [
		resourceMixin({ entity: ApiKey }),
		// `key` is in the answer to the creation only (the after-create hook).
		graphqlMixin(ApiKey, { fields: { key: "String" } }),
	],

	hooks: {
		after: {
			/** The secret leaves the service exactly once: in the answer to its creation. */
			create(ctx: RestContext, key: Output): Output {
				return { ...key, key: ctx.locals.secret };
			},
		},
	},

	actions: {
		/** A key switched off by `is_active: false` is revoked like a deleted one. */
		update: {
			scope: "api-keys:write",
			async handler(ctx: RestContext): Promise<Output> {
				const out: Output = await this.updateOne(
					ctx,
					ctx.params.params?.id,
					ctx.params.body,
				);
				if (ctx.locals.revoking) await this.publishEvent(ctx, "api_key.revoked", out);

				return out;
			},
		},

		/** Revocation keeps the row (audit) and answers like a deletion. */
		remove: {
			scope: "api-keys:write",
			async handler(ctx: RestContext): Promise<{ id: string; deleted: true }> {
				const current = await this.loadScoped(ctx, ctx.params.params?.id);
				this.checkIfMatch(ctx, current);
				if (current.is_active) await this.revokeKey(ctx, current);

				return { id: current._id, deleted: true };
			},
		},

		/** Revokes a key by id alone, whatever its organization: for operators (the REPL). */
		revoke: {
			visibility: "public",
			params: { id: { type: "string", max: 100 } },
			async handler(
				ctx: Context<{ id: string }, Meta>,
			): Promise<{ id: string; organization_id: string; revoked: boolean } | null> {
				const doc: StoredDoc | undefined = await this.storeFindOne({ _id: ctx.params.id });
				if (!doc) return null;
				const organization_id = doc.organization_id as string;
				await ctx.call(
					"api-keys.remove",
					{ params: { id: doc._id } },
					{ meta: { auth: systemAuth(organization_id) } },
				);

				return { id: doc._id, organization_id, revoked: Boolean(doc.is_active) };
			},
		},

		/** The caller behind a raw key, or 401 for an unknown, inactive, revoked or expired key. */
		authenticate: {
			visibility: "public",
			params: { key: { type: "string", max: 200 } },
			async handler(ctx: Context<{ key: string }, Meta>): Promise<Auth> {
				const doc: StoredDoc | undefined = await this.storeFindOne({
					key_hash: hashKey(ctx.params.key),
				});
				const expired =
					typeof doc?.expires_at === "string" && Date.parse(doc.expires_at) <= Date.now();
				if (!doc || !doc.is_active || expired)
					throw unauthorized("The API key is invalid, revoked or expired");
				this.touch(doc);
				const org = await ctx.call<{ plan: PlanName } | null, { id: string }>(
					"organizations.resolve",
					{
						id: doc.organization_id as string,
					},
				);
				if (!org) throw unauthorized("The API key's organization no longer exists");

				return {
					organization_id: doc.organization_id as string,
					actor: { type: "api_key", id: doc._id },
					scopes: doc.scopes as string[],
					user_id: doc.created_by as string,
					api_key_id: doc._id,
					rate_limit_per_hour:
						(doc.rate_limit_per_hour as number | null) ?? PLAN_QUOTAS[org.plan],
					expires_at: (doc.expires_at as string | null) ?? undefined,
				};
			},
		},

		/**
		 * Lowers every key of an organization whose own limit is above `quota` (a smaller plan).
		 */
		capLimits: {
			visibility: "public",
			params: { organization_id: "string", quota: { type: "number", integer: true } },
			handler(ctx: Context<{ organization_id: string; quota: number }>): Promise<number> {
				const { organization_id, quota } = ctx.params;

				return this.storeUpdate(
					{ organization_id, rate_limit_per_hour: { $gt: quota } },
					{ rate_limit_per_hour: quota },
				);
			},
		},

		/**
		 * Revokes the active keys a user made in the caller's organization whose scopes exceed
		 * `scopes` (the user's new role; none when the user left the organization).
		 */
		revokeExceeding: {
			visibility: "public",
			params: { user_id: "string", scopes: { type: "array", items: "string" } },
			async handler(
				ctx: RestContext & Context<{ user_id: string; scopes: string[] }, Meta>,
			): Promise<number> {
				const { user_id, scopes } = ctx.params as unknown as {
					user_id: string;
					scopes: string[];
				};
				const keys: StoredDoc[] = await this.storeFind({
					organization_id: this.orgOf(ctx),
					created_by: user_id,
					is_active: true,
				});
				const exceeding = keys.filter((k) => {
					const own = (k.scopes as string[]) ?? [];

					return scopesWithin(scopes, own).length !== own.length;
				});
				for (const key of exceeding) await this.revokeKey(ctx, key);

				return exceeding.length;
			},
		},

		/**
		 * A key for `user_id` made by the system itself (bootstrap). An operator may give it a
		 * `rate_limit_per_hour` above the plan's quota (a load test), which tenants cannot.
		 */
		issue: {
			visibility: "public",
			async handler(ctx: Context<IssueParams, Meta>): Promise<Output & { key: string }> {
				const { organization_id, user_id, name, scopes, rate_limit_per_hour } = ctx.params;
				const auth: Auth = {
					organization_id,
					actor: { type: "user", id: user_id },
					scopes,
					user_id,
				};
				const key: Output & { key: string } = await ctx.call(
					"api-keys.create",
					{ body: { name, scopes } },
					{ meta: { auth } },
				);
				if (rate_limit_per_hour === undefined) return key;
				await this.storeUpdate({ _id: key.id, organization_id }, { rate_limit_per_hour });

				return { ...key, rate_limit_per_hour };
			},
		},
	},

	methods: {
		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			const auth = ctx.meta.auth as Auth;
			const wanted = (doc.scopes as string[] | null) ?? auth.scopes;
			const allowed = scopesWithin(auth.scopes, wanted);
			const excess = wanted.filter((s) => !allowed.includes(s));
			if (excess.length)
				throw forbidden(
					`An API key cannot have scopes its creator lacks: ${excess.join(", ")}`,
				);
			if (typeof doc.expires_at === "string" && Date.parse(doc.expires_at) <= Date.now()) {
				throw validationError([
					{
						field: "expires_at",
						message: "must be in the future",
						value: doc.expires_at,
					},
				]);
			}
			await this.checkPlanQuota(ctx, doc.rate_limit_per_hour);
			const secret = newKey();
			ctx.locals.secret = secret;

			return {
				...doc,
				scopes: wanted,
				key_hash: hashKey(secret),
				prefix: secret.slice(0, 12),
				created_by: auth.user_id ?? auth.actor.id,
			};
		},

		async beforeUpdate(ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
			if (!current.is_active && changes.is_active === true) {
				throw validationError([
					{
						field: "is_active",
						message: "a revoked key cannot be reactivated",
						value: true,
					},
				]);
			}
			if (Array.isArray(changes.scopes)) {
				const auth = ctx.meta.auth as Auth;
				const allowed = scopesWithin(auth.scopes, changes.scopes as string[]);
				if (allowed.length !== (changes.scopes as string[]).length)
					throw forbidden("A key cannot gain scopes its editor lacks");
			}
			await this.checkPlanQuota(ctx, changes.rate_limit_per_hour);
			if (changes.is_active === false && current.is_active) {
				changes.revoked_at = new Date().toISOString();
				ctx.locals.revoking = true;
			}

			return changes;
		},

		/**
		 * A key's own hourly limit may lower its plan's quota, never raise it: otherwise any
		 * admin could lift a free organization above enterprise. Operators may (`issue`).
		 */
		async checkPlanQuota(ctx: RestContext, limit: unknown): Promise<void> {
			if (typeof limit !== "number") return;
			const org: { plan: PlanName } | null = await ctx.call("organizations.resolve", {
				id: this.orgOf(ctx),
			});
			const quota = PLAN_QUOTAS[org?.plan ?? "free"];
			if (limit <= quota) return;

			throw validationError([
				{
					field: "rate_limit_per_hour",
					message:
						`must not exceed the ${org?.plan ?? "free"} plan's quota of ` +
						`${quota} per hour`,
					value: limit,
				},
			]);
		},

		async revokeKey(ctx: RestContext, current: StoredDoc): Promise<void> {
			const out = await this.applyChanges(ctx, current, {
				is_active: false,
				revoked_at: new Date().toISOString(),
			});
			await this.publishEvent(ctx, "api_key.revoked", out);
		},

		/**
		 * Records use at most once a minute per key: a write per request would cost every request.
		 */
		touch(doc: StoredDoc): void {
			const now = Date.now();
			const last = typeof doc.last_used_at === "string" ? Date.parse(doc.last_used_at) : 0;
			if (now - last < LAST_USED_RESOLUTION_MS) return;
			const query = { _id: doc._id, organization_id: doc.organization_id };
			this.storeUpdate(query, { last_used_at: new Date(now).toISOString() }).catch(
				(err: Error) =>
					this.logger.warn(
						`Could not record last use of API key ${doc._id}: ${err.message}`,
					),
			);
		},
	},
};

export default ApiKeysService;
