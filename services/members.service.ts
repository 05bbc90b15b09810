/** Memberships: which users belong to an organization, and with which role. */
import type { Context, ServiceSchema } from "moleculer";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import type { StoredDoc } from "../mixins/db.mixin";
import type { Meta } from "../models/context";
import { Member, type Role } from "../models/identity";

interface AddParams {
	user_id: string;
	email: string;
	role: Role;
	status?: "active" | "invited";
}

const MembersService: ServiceSchema = {
	name: "members",
	mixins: [
		resourceMixin({ entity: Member, indexes: ["email"] }),
		graphqlMixin(Member, { operations: ["get", "list"] }),
	],

	actions: {
		/** Adds a membership in the caller's organization (bootstrap, invitations). */
		add: {
			visibility: "public",
			async handler(ctx: Context<AddParams, Meta>): Promise<StoredDoc> {
				const { user_id, email, role, status = "active" } = ctx.params;

				return this.insertUnique(ctx, { user_id, email, role, status });
			},
		},

		/** The memberships of a user across organizations (sign-in picks one). */
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
};

export default MembersService;
