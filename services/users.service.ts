/**
 * Users: people who sign in. A user is global (one email, one password) and belongs to
 * organizations through memberships; nothing here is reachable over REST directly.
 */
import crypto from "node:crypto";
import type { Context, ServiceSchema } from "moleculer";
import { storeMixin, type StoredDoc } from "../mixins/db.mixin";
import { hashPassword, verifyPassword } from "../mixins/password";
import { toOutput, type Output } from "../mixins/resource/view";
import type { Meta } from "../models/context";
import { conflict, unauthorized } from "../models/errors";
import { User } from "../models/identity";

export const PASSWORD_RULE = { type: "string", min: 12, max: 256 } as const;

interface RegisterParams {
	email: string;
	password?: string;
	name?: string;
}

const UsersService: ServiceSchema = {
	name: "users",
	mixins: [storeMixin({ collection: "users", indexes: ["email"] })],

	actions: {
		/** Creates a user; without a password the user is invited and cannot sign in yet. */
		register: {
			visibility: "public",
			params: {
				email: { type: "email", max: 254 },
				password: { ...PASSWORD_RULE, optional: true },
				name: { type: "string", max: 200, optional: true },
			},
			async handler(ctx: Context<RegisterParams, Meta>): Promise<Output> {
				const email = ctx.params.email.toLowerCase();
				if (await this.storeFindOne({ email }))
					throw conflict("A user with this email exists", [
						{ field: "email", message: "is taken", value: email },
					]);
				const now = new Date().toISOString();
				const doc = await this.storeInsert({
					_id: crypto.randomUUID(),
					organization_id: ctx.meta.auth?.organization_id ?? null,
					email,
					name: ctx.params.name ?? null,
					password_hash: ctx.params.password
						? await hashPassword(ctx.params.password)
						: null,
					is_active: true,
					version: 1,
					created_at: now,
					updated_at: now,
				});

				return toOutput(User, doc);
			},
		},

		/**
		 * The active user with this email and password, or
		 * null (the caller says 401, never which part failed).
		 */
		verify: {
			visibility: "public",
			params: { email: { type: "string", max: 254 }, password: { type: "string", max: 256 } },
			async handler(
				ctx: Context<{ email: string; password: string }>,
			): Promise<Output | null> {
				const doc: StoredDoc | undefined = await this.storeFindOne({
					email: ctx.params.email.toLowerCase(),
				});
				// Hash even for unknown emails, so the answer's
				// timing does not tell which emails exist.
				const ok = await verifyPassword(
					ctx.params.password,
					(doc?.password_hash as string) ?? "scrypt$32768$8$1$AAAA$AAAA",
				);
				if (!doc || !ok || !doc.is_active) return null;

				return toOutput(User, doc);
			},
		},

		/** The user with this email, or null (members' invitations look users up by email). */
		byEmail: {
			visibility: "public",
			params: { email: { type: "string", max: 254 } },
			async handler(ctx: Context<{ email: string }>): Promise<Output | null> {
				const doc: StoredDoc | undefined = await this.storeFindOne({
					email: ctx.params.email.toLowerCase(),
				});

				return doc ? toOutput(User, doc) : null;
			},
		},

		/**
		 * An invited user takes up an invitation: without a password yet, this one becomes it;
		 * with one, it must be given (401 otherwise).
		 */
		claim: {
			visibility: "public",
			params: { id: "string", password: PASSWORD_RULE },
			async handler(ctx: Context<{ id: string; password: string }>): Promise<void> {
				const doc: StoredDoc | undefined = await this.storeFindOne({ _id: ctx.params.id });
				if (!doc) throw unauthorized("No such user");
				if (doc.password_hash) {
					const ok = await verifyPassword(
						ctx.params.password,
						doc.password_hash as string,
					);
					if (!ok) throw unauthorized("The password is wrong");

					return;
				}
				const hash = await hashPassword(ctx.params.password);
				await this.storeUpdate(
					{ _id: doc._id, password_hash: null },
					{ password_hash: hash, updated_at: new Date().toISOString() },
				);
			},
		},

		resolve: {
			visibility: "public",
			params: { ids: { type: "array", items: "string", max: 1000 } },
			async handler(ctx: Context<{ ids: string[] }>): Promise<Output[]> {
				const docs: StoredDoc[] = await this.storeFind({ _id: { $in: ctx.params.ids } });

				return docs.map((d) => toOutput(User, d));
			},
		},
	},
};

export default UsersService;
