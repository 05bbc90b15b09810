/**
 * Memberships: which users belong to an organization, and with which role (roles map to scopes
 * in models/identity.ts). `POST …/members` with a `password` creates the user and an active
 * membership; without one it creates an invitation. Only owners grant, change or remove the
 * owner role, and an organization always keeps one owner. A role change or a removal ends the
 * member's sessions and revokes API keys that now exceed the member's role.
 */
import Validator from "fastest-validator";
import type { Context, ServiceSchema } from "moleculer";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import type { Body } from "../mixins/resource/body";
import type { StoredDoc } from "../mixins/db.mixin";
import type { Output } from "../mixins/resource/view";
import type { Auth, Meta, RestContext } from "../models/context";
import { conflict, forbidden, notFound } from "../models/errors";
import { Member, type Role, ROLES, scopesOfRole } from "../models/identity";
import { checkBody } from "./auth/body-check";
import { hashSecret, newSecret } from "./auth/secrets";
import { PASSWORD_RULE } from "./users.service";
import { VALIDATOR_MESSAGES } from "../models/validator-messages";

interface AddParams {
	user_id: string;
	email: string;
	role: Role;
	status?: "active" | "invited";
}

interface NewMember {
	email: string;
	role: Role;
	password?: string;
	name?: string;
}

const checkNewMember = new Validator({
	haltOnFirstError: false,
	messages: VALIDATOR_MESSAGES,
}).compile({
	$$strict: true,
	email: { type: "email", max: 254 },
	role: { type: "enum", values: [...ROLES] },
	password: { ...PASSWORD_RULE, optional: true },
	name: { type: "string", max: 200, optional: true },
});

const checkAcceptance = new Validator({
	haltOnFirstError: false,
	messages: VALIDATOR_MESSAGES,
}).compile({
	$$strict: true,
	token: { type: "string", min: 1, max: 200 },
	password: PASSWORD_RULE,
});

/** Invitations are good for a week. */
const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const INVITATION_PREFIX = "minv_";

const MembersService: ServiceSchema = {
	name: "members",
	mixins: [
		resourceMixin({ entity: Member, indexes: ["email"] }),
		graphqlMixin(Member, { operations: ["get", "list"] }),
	],

	actions: {
		update: {
			scope: "members:write",
			async handler(ctx: RestContext): Promise<Output> {
				const out: Output = await this.updateOne(
					ctx,
					ctx.params.params?.id,
					ctx.params.body,
				);
				if (ctx.locals.roleChanged)
					await this.endAccess(
						ctx,
						out.user_id as string,
						scopesOfRole(out.role as Role),
					);

				return out;
			},
		},

		remove: {
			scope: "members:write",
			async handler(ctx: RestContext): Promise<{ id: string; deleted: true }> {
				const out = await this.removeOne(ctx, ctx.params.params?.id);
				await this.endAccess(ctx, ctx.locals.removedUser as string, []);

				return out;
			},
		},

		create: {
			scope: "members:write",
			async handler(ctx: RestContext): Promise<Output> {
				const body = checkBody<NewMember>(checkNewMember, ctx.params.body);
				await this.assertMayGrant(ctx, body.role);
				const email = body.email.toLowerCase();

				let user: Output | null = await ctx.call("users.byEmail", { email });
				if (user && body.password)
					throw conflict(
						"A user with this email exists; invite them without a password",
						[{ field: "email", message: "belongs to an existing user", value: email }],
					);
				user ??= await ctx.call("users.register", {
					email,
					password: body.password,
					name: body.name,
				});
				const userId = (user as Output).id;
				if (await this.storeFindOne({ organization_id: this.orgOf(ctx), user_id: userId }))
					throw conflict("This user is already a member", [
						{ field: "email", message: "is already a member", value: email },
					]);

				const invitation = body.password ? undefined : newSecret(INVITATION_PREFIX);
				const stored = await this.insertUnique(ctx, {
					user_id: userId,
					email,
					role: body.role,
					status: invitation ? "invited" : "active",
					invitation_hash: invitation ? hashSecret(invitation) : null,
					invitation_expires_at: invitation
						? new Date(Date.now() + INVITATION_TTL_MS).toISOString()
						: null,
				});
				const out = this.toOutput(stored);
				await this.publishEvent(ctx, "member.created", out);

				// The invitation's secret leaves the service
				// once, in this answer (for the invitee).
				return invitation ? { ...out, invitation_token: invitation } : out;
			},
		},

		/**
		 * `POST /v1/auth/invitations/accept`: the invitee sets (or proves) a password and joins.
		 */
		acceptInvitation: {
			scope: false,
			async handler(ctx: RestContext): Promise<Output> {
				const body = checkBody<{ token: string; password: string }>(
					checkAcceptance,
					ctx.params.body,
				);
				const doc: StoredDoc | undefined = await this.storeFindOne({
					invitation_hash: hashSecret(body.token),
					status: "invited",
				});
				if (!doc || Date.parse(doc.invitation_expires_at as string) <= Date.now())
					throw notFound("invitation");
				await ctx.call("users.claim", { id: doc.user_id, password: body.password });

				const userId = doc.user_id as string;
				ctx.meta.auth = {
					organization_id: doc.organization_id as string,
					actor: { type: "user", id: userId },
					scopes: [],
					user_id: userId,
				};

				return this.applyChanges(ctx, doc, {
					status: "active",
					invitation_hash: null,
					invitation_expires_at: null,
				});
			},
		},

		/** Adds a membership in the caller's organization (bootstrap). */
		add: {
			visibility: "public",
			async handler(ctx: Context<AddParams, Meta>): Promise<StoredDoc> {
				const { user_id, email, role, status = "active" } = ctx.params;

				return this.insertUnique(ctx, { user_id, email, role, status });
			},
		},

		/** The active memberships of a user across organizations (sign-in picks one). */
		ofUser: {
			visibility: "public",
			params: { user_id: "string" },
			async handler(ctx: Context<{ user_id: string }>): Promise<StoredDoc[]> {
				return this.storeFind(
					{ user_id: ctx.params.user_id, status: "active" },
					{ sort: [["created_at", 1]] },
				);
			},
		},
	},

	methods: {
		async beforeUpdate(ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
			if (changes.role === undefined || changes.role === current.role) return changes;
			if (changes.role === "owner" || current.role === "owner")
				await this.assertMayGrant(ctx, "owner");
			if (current.role === "owner") await this.assertAnotherOwner(ctx, current);
			ctx.locals.roleChanged = true;

			return changes;
		},

		async beforeRemove(ctx: RestContext, current: StoredDoc): Promise<void> {
			if (current.role === "owner") {
				await this.assertMayGrant(ctx, "owner");
				await this.assertAnotherOwner(ctx, current);
			}
			ctx.locals.removedUser = current.user_id;
		},

		/** Owners alone make, change or remove owners; admins manage everyone else. */
		async assertMayGrant(ctx: RestContext, role: Role): Promise<void> {
			if (role !== "owner") return;
			const auth = ctx.meta.auth as Auth;
			const mine = auth.user_id
				? await this.storeFindOne({
						organization_id: auth.organization_id,
						user_id: auth.user_id,
						status: "active",
					})
				: undefined;
			if (mine?.role !== "owner")
				throw forbidden("Only an owner can grant, change or remove the owner role");
		},

		async assertAnotherOwner(ctx: RestContext, current: StoredDoc): Promise<void> {
			const owners: number = await this.storeCount({
				organization_id: this.orgOf(ctx),
				role: "owner",
				status: "active",
				_id: { $ne: current._id },
			});
			if (owners === 0)
				throw conflict("An organization keeps at least one owner", [
					{ field: "role", message: "is the last owner's" },
				]);
		},

		/** The member's tokens stop working now; API keys that exceed the new role are revoked. */
		async endAccess(ctx: RestContext, userId: string, scopes: string[]): Promise<void> {
			await ctx.call("sessions.revokeUser", { user_id: userId });
			await ctx.call("api-keys.revokeExceeding", { user_id: userId, scopes });
		},
	},
};

export default MembersService;
