/**
 * The chart of accounts. Accounts are never deleted (journal entries point at them); an unused
 * one is set `is_active: false`. The accounts automatic postings need are created on first use.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import type { Meta } from "../models/context";
import { Account, DEFAULT_ACCOUNTS } from "../models/finance";

const AccountsService: ServiceSchema = {
	name: "accounts",
	mixins: [resourceMixin({ entity: Account })],

	actions: {
		remove: false,

		/**
		 * Code → id of the default accounts of the caller's organization, creating missing ones.
		 */
		ensureDefaults: {
			visibility: "public",
			async handler(ctx: Context<unknown, Meta>): Promise<Record<string, string>> {
				const org = this.orgOf(ctx);
				const ids: Record<string, string> = {};
				for (const account of DEFAULT_ACCOUNTS) {
					const found: StoredDoc | undefined = await this.storeFindOne({
						organization_id: org,
						code: account.code,
					});
					ids[account.code] = found
						? found._id
						: (
								await this.createOne(ctx, {
									...account,
									description: "Created for automatic postings",
								})
							).id;
				}

				return ids;
			},
		},
	},
};

export default AccountsService;
