/**
 * Sessions: password sign-ins and the grants behind OAuth tokens (see models/session.ts).
 * `POST /v1/auth/sessions` signs in; `GET …/current`, `DELETE …/{id}` and
 * `GET …/{user_id}/devices` show and end them. A session's status is looked up on every
 * request that uses one of its access tokens, so ending it takes effect at once everywhere.
 */
import Validator from "fastest-validator";
import type { Context, ServiceSchema } from "moleculer";
import { type StoredDoc, storeMixin } from "../mixins/db.mixin";
import { EventsMixin } from "../mixins/events.mixin";
import { toOutput, type Output } from "../mixins/resource/view";
import { config } from "../models/config";
import type { Auth, Meta, RestContext } from "../models/context";
import { notFound, unauthorized } from "../models/errors";
import { hasScope, type Role, scopesOfRole } from "../models/identity";
import { Session, type TokenPair } from "../models/session";
import { checkBody } from "./auth/body-check";
import { createLoginThrottle, type LoginThrottle } from "./auth/login-throttle";
import { isMember } from "./auth/membership";
import { SessionGrants } from "./auth/session-grants";
import { SessionStore } from "./auth/session-store";
import type { ActiveSession } from "./tokens.service";
import { VALIDATOR_MESSAGES } from "../models/validator-messages";

export interface LoginParams {
	email: string;
	password: string;
	device_name?: string;
	organization_id?: string;
}

export interface SessionAnswer extends TokenPair {
	id: string;
	session_id: string;
	user: { id: string; email: string; name: string | null; organization_id: string; role: Role };
}

/** Ended sessions stay listed (audit) this long, then the hourly sweep removes them. */
const ENDED_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

const checkLogin = new Validator({ haltOnFirstError: false, messages: VALIDATOR_MESSAGES }).compile(
	{
		$$strict: true,
		email: { type: "email", max: 254 },
		password: { type: "string", min: 1, max: 256 },
		device_name: { type: "string", max: 200, optional: true },
		organization_id: { type: "uuid", optional: true },
	},
);

const SessionsService: ServiceSchema = {
	name: "sessions",
	mixins: [
		storeMixin({
			collection: "sessions",
			indexes: ["user_id", "refresh_hash", "code_hash", "used_refresh_hashes"],
		}),
		EventsMixin,
		SessionStore,
		SessionGrants,
	],

	actions: {
		/** `POST /v1/auth/sessions`: email and password for an access and a refresh token. */
		open: {
			scope: false,
			async handler(ctx: RestContext<LoginParams>): Promise<SessionAnswer> {
				const body = checkBody<LoginParams>(checkLogin, ctx.params.body);

				return this.login(ctx, body);
			},
		},

		/** The same sign-in for the OAuth authorization page. */
		login: {
			visibility: "public",
			handler(ctx: Context<LoginParams, Meta>): Promise<SessionAnswer> {
				return this.login(ctx, ctx.params);
			},
		},

		current: {
			async handler(ctx: RestContext): Promise<Output> {
				const auth = ctx.meta.auth as Auth;
				if (!auth.session_id) throw notFound("session (this credential is an API key)");

				return this.toOutput(await this.loadInOrg(auth, auth.session_id));
			},
		},

		/** Signs a session out: its access and refresh tokens stop working at once. */
		remove: {
			async handler(ctx: RestContext): Promise<{ id: string; deleted: true }> {
				const auth = ctx.meta.auth as Auth;
				const id =
					ctx.params.params?.id === "current" ? auth.session_id : ctx.params.params?.id;
				const doc = await this.loadInOrg(auth, id);
				const own = doc.user_id != null && doc.user_id === auth.user_id;
				if (!own && !hasScope(auth.scopes, "members:write")) throw notFound("session");
				if (doc.status !== "revoked") {
					await this.revoke(doc, "signed_out");
					await this.publishEvent(ctx, "user.logout", this.toOutput(doc));
				}

				return { id: doc._id, deleted: true };
			},
		},

		/**
		 * The active sign-ins of a user in the caller's
		 * organization (own, or any with members:write).
		 */
		devices: {
			async handler(ctx: RestContext): Promise<Output[]> {
				const auth = ctx.meta.auth as Auth;
				const userId = ctx.params.params?.user_id;
				// Other users' devices (with their addresses) are for those who manage members, and
				// only of this organization's members: another's user is no user here.
				const other = userId !== auth.user_id;
				if (
					other &&
					(!hasScope(auth.scopes, "members:write") ||
						!(await isMember(ctx, String(userId))))
				)
					throw notFound("user");
				const docs: StoredDoc[] = await this.storeFind(
					{ organization_id: auth.organization_id, user_id: userId, status: "active" },
					{
						sort: [
							["created_at", -1],
							["_id", 1],
						],
						limit: 100,
					},
				);

				return docs.map((d) => ({
					...this.toOutput(d),
					current: d._id === auth.session_id,
				}));
			},
		},

		/** The session while it is active, else null (asked on every access-token request). */
		active: {
			visibility: "public",
			params: { id: { type: "string", max: 100 } },
			async handler(ctx: Context<{ id: string }>): Promise<ActiveSession | null> {
				const doc = await this.storeFindOne({ _id: ctx.params.id, status: "active" });
				if (!doc) return null;

				return {
					id: doc._id,
					organization_id: doc.organization_id as string,
					user_id: (doc.user_id as string | null) ?? null,
					client_id: (doc.client_id as string | null) ?? null,
				};
			},
		},

		/**
		 * Ends every session of a user in the caller's organization (role changed, member removed).
		 */
		revokeUser: {
			visibility: "public",
			params: { user_id: "string" },
			async handler(ctx: Context<{ user_id: string }, Meta>): Promise<number> {
				const auth = ctx.meta.auth as Auth;

				return this.storeUpdate(
					{
						organization_id: auth.organization_id,
						user_id: ctx.params.user_id,
						status: { $ne: "revoked" },
					},
					{
						status: "revoked",
						revoked_at: new Date().toISOString(),
						revoke_reason: "membership_changed",
					},
				);
			},
		},
	},

	methods: {
		async login(ctx: Context<unknown, Meta>, params: LoginParams): Promise<SessionAnswer> {
			const { user, membership } = await this.checkPassword(ctx, params);
			const role = membership.role as Role;
			const organizationId = membership.organization_id as string;

			const session = await this.insertSession(ctx, {
				kind: "password",
				status: "active",
				organization_id: organizationId,
				user_id: user.id,
				scopes: scopesOfRole(role),
				device_name: params.device_name ?? null,
			});
			const tokens = (await this.issueTokens(ctx, session, true)) as TokenPair;
			await this.publishAs(ctx, this.authOf(session), "user.login", this.toOutput(session));
			const name = (user.name as string | null) ?? null;

			return {
				id: session._id,
				...tokens,
				session_id: session._id,
				user: {
					id: user.id,
					email: user.email as string,
					name,
					organization_id: organizationId,
					role,
				},
			};
		},

		/**
		 * The user and membership behind an email and password, under the failed sign-in
		 * throttle; one 401 for every failure, so the answer never tells which emails exist.
		 */
		async checkPassword(
			ctx: Context<unknown, Meta>,
			params: LoginParams,
		): Promise<{ user: Output; membership: StoredDoc }> {
			const email = params.email.trim().toLowerCase();
			const address = ctx.meta.clientIp ?? "unknown";
			const throttle = this.throttle as LoginThrottle;
			await throttle.check(email, address);

			const user: Output | null = await ctx.call("users.verify", {
				email,
				password: params.password,
			});
			const memberships: StoredDoc[] = user
				? await ctx.call("members.ofUser", { user_id: user.id })
				: [];
			const wanted = params.organization_id;
			const membership = memberships.find((m) => !wanted || m.organization_id === wanted);
			if (!user || !membership) {
				await throttle.failed(email, address);
				throw unauthorized("The email or password is wrong");
			}
			await throttle.succeeded(email);

			return { user, membership };
		},

		async loadInOrg(auth: Auth, id: unknown): Promise<StoredDoc> {
			if (typeof id !== "string" || id.length > 100) throw notFound("session");
			const doc = await this.storeFindOne({ _id: id, organization_id: auth.organization_id });
			if (!doc) throw notFound("session");

			return doc;
		},

		toOutput(doc: StoredDoc): Output {
			return toOutput(Session, doc);
		},

		async sweep(): Promise<void> {
			const cutoff = new Date(Date.now() - ENDED_RETENTION_MS).toISOString();
			const removed = await this.storeRemove({
				$or: [
					{ status: "revoked", revoked_at: { $lt: cutoff } },
					{ status: "active", expires_at: { $lt: cutoff } },
					{ status: "pending", code_expires_at: { $lt: cutoff } },
				],
			});
			if (removed)
				this.logger.info(`Sessions: removed ${removed} ended more than 30 days ago`);
		},
	},

	created() {
		const settings = config();
		this.throttle = createLoginThrottle({
			namespace: settings.namespace,
			redisUrl: settings.redisUrl,
		});
	},

	started() {
		this.sweepTimer = setInterval(
			() =>
				this.sweep().catch((err: Error) =>
					this.logger.error("Session sweep failed", err.message),
				),
			60 * 60 * 1000,
		);
		this.sweepTimer.unref();
	},

	async stopped() {
		clearInterval(this.sweepTimer);
		await (this.throttle as LoginThrottle).close();
	},
};

export default SessionsService;
